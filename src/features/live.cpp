// LiveFeatures (live.hpp): bars grouped into rows by timestamp, fed to a FactorStream, published.
#include "sextant/features/live.hpp"

#include <cmath>

#include "sextant/features/catalogue.hpp"

namespace sextant::features {

LiveFeatures::LiveFeatures(std::vector<std::string> factors, std::vector<std::string> universe, bus::Publisher& publisher)
    : factors_(std::move(factors)), universe_(std::move(universe)), publisher_(publisher) {
  for (std::size_t j = 0; j < universe_.size(); ++j) index_[universe_[j]] = j;
  stats_.factors = factors_.size();
}

LiveFeatures::~LiveFeatures() = default;

std::vector<std::string> LiveFeatures::default_factors() {
  std::vector<std::string> ids;
  for (const char* family : {"alpha158", "wq101", "technical", "momentum", "mean_reversion", "volatility", "volume", "statistical",
                             "cross_sectional", "factor_loadings", "decomposition"})
    for (auto& id : computable_factors(family, FieldDefaults{}, 2).ids) ids.push_back(std::move(id));
  return ids;
}

void LiveFeatures::on_bar(const bus::MarketBar& bar) {
  std::lock_guard lock(m_);
  ++stats_.bars;
  if (!pending_.empty() && bar.ts_ns != row_ts_) {
    if (bar.ts_ns < row_ts_) {  // late: its row is being gathered past it
      ++stats_.ignored;
      return;
    }
    evaluate_row();
  }
  if ((stats_.rows > 0 && bar.ts_ns <= stats_.last_ts_ns) || (!index_.empty() && !index_.count(bar.symbol))) {
    ++stats_.ignored;  // a row already evaluated, or a symbol outside the universe
    return;
  }
  row_ts_ = bar.ts_ns;
  pending_[bar.symbol] = bar;
  if (!index_.empty() && pending_.size() == index_.size()) evaluate_row();  // every instrument reported
}

void LiveFeatures::flush() {
  std::lock_guard lock(m_);
  if (!pending_.empty()) evaluate_row();
}

LiveStats LiveFeatures::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

void LiveFeatures::evaluate_row() {
  if (!stream_) {
    if (index_.empty()) {
      for (const auto& [sym, bar] : pending_) universe_.push_back(sym);
      for (std::size_t j = 0; j < universe_.size(); ++j) index_[universe_[j]] = j;
    }
    auto compiled = compile_factors(factors_, FieldDefaults{}, "factors");
    if (universe_.size() < 2) {  // one instrument: the cross-sectional factors are undefined, leave them out
      std::vector<std::string> kept;
      std::vector<NodeId> outs;
      for (std::size_t k = 0; k < factors_.size(); ++k)
        if (!compiled.program.node(compiled.outputs[k]).cross_sectional) kept.push_back(factors_[k]), outs.push_back(compiled.outputs[k]);
      factors_ = std::move(kept);
      compiled.outputs = std::move(outs);
    }
    stream_ = std::make_unique<FactorStream>(compiled.program, compiled.outputs, universe_.size());
    stats_.instruments = universe_.size();
    stats_.factors = factors_.size();
  }
  const std::size_t N = universe_.size();
  BarFields row;
  for (const char* f : {"open", "high", "low", "close", "volume"}) row[f].assign(N, NAN);
  for (const auto& [sym, bar] : pending_) {
    auto it = index_.find(sym);
    if (it == index_.end()) continue;
    const std::size_t j = it->second;
    row["open"][j] = bar.open, row["high"][j] = bar.high, row["low"][j] = bar.low, row["close"][j] = bar.close;
    row["volume"][j] = bar.volume;
  }
  stream_->update(row);
  ++stats_.rows;
  stats_.last_ts_ns = row_ts_;
  for (const auto& [sym, bar] : pending_) {
    auto it = index_.find(sym);
    if (it == index_.end()) continue;
    bus::FeatureSnapshot snap;
    snap.symbol = sym;
    snap.ts_ns = row_ts_;
    snap.values.reserve(factors_.size());
    for (std::size_t k = 0; k < factors_.size(); ++k) snap.values.emplace_back(factors_[k], stream_->value(k)[it->second]);
    publisher_.publish(std::move(snap), bus::Priority::normal);
    ++stats_.snapshots;
  }
  pending_.clear();
}

}  // namespace sextant::features
