// Live drift monitoring (portfolio/live.hpp).
#include "sextant/portfolio/live.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sextant/core/error.hpp"

namespace sextant::portfolio {

void validate_book(const LiveBook& book) {
  if (book.assets.empty()) fail(ErrorCode::invalid_argument, "assets", "a book needs assets");
  if (book.shares.size() != book.assets.size())
    fail(ErrorCode::dimension_mismatch, "shares", "'shares' has {} values for {} assets", book.shares.size(), book.assets.size());
  for (std::size_t i = 0; i < book.shares.size(); ++i)
    if (!std::isfinite(book.shares[i])) fail(ErrorCode::non_finite, fmt::format("shares[{}]", i), "shares must be finite");
  // The rest is what the rebalancer checks on every row (weights summing to 1, costs, cash): ask it once now.
  RebalanceInput in;
  in.assets = book.assets;
  in.prices.assign(book.assets.size(), 1.0);
  in.current_shares = book.shares;
  in.target_weights = book.target_weights;
  in.cash = book.cash;
  in.cost_bps = book.cost_bps;
  rebalance(in);
}

LiveDrift::LiveDrift(LiveDriftConfig config, LiveBook book, bus::Publisher& publisher)
    : config_(config), book_(std::move(book)), publisher_(publisher) {
  if (!book_.assets.empty() || !book_.target_weights.empty()) validate_book(book_);
}

void LiveDrift::on_bar(const bus::MarketBar& bar) {
  std::lock_guard lock(m_);
  bool late = false;
  if (clock_.advance(bar.ts_ns, &late)) end_of_row();
  if (late) return;  // a bar of an earlier row
  if (!prices_.count(bar.symbol)) seen_.push_back(bar.symbol);
  prices_[bar.symbol] = bar.close;
}

void LiveDrift::end_of_row() {
  stats_.rows = clock_.completed;
  if (book_.assets.empty()) {
    if (config_.demo_assets == 0 || seen_.size() < config_.demo_assets) return;
    std::vector<std::string> syms(seen_.begin(), seen_.begin() + std::ptrdiff_t(config_.demo_assets));
    std::sort(syms.begin(), syms.end());
    const double w = 1.0 / double(syms.size());
    for (const auto& s : syms) {
      book_.assets.push_back(s);
      book_.target_weights.push_back(w);
      book_.shares.push_back(config_.demo_value * w / prices_.at(s));
    }
  }
  RebalanceInput in;
  in.assets = book_.assets;
  for (const auto& a : book_.assets) {
    auto it = prices_.find(a);
    if (it == prices_.end()) return;  // a price still missing
    in.prices.push_back(it->second);
  }
  in.current_shares = book_.shares;
  in.target_weights = book_.target_weights;
  in.cash = book_.cash;
  in.cost_bps = book_.cost_bps;
  try {
    const RebalanceResult r = rebalance(in);
    stats_.max_drift = r.max_drift;
    stats_.urgency = std::string(kUrgencyNames.name(r.urgency));
    if (publish_rebalance_update(r, publisher_)) {
      ++stats_.rebalances;
      // The trades are taken as done: shares move to their targets, cash pays the costs.
      for (const Trade& t : r.trades) {
        const auto i = std::size_t(std::find(book_.assets.begin(), book_.assets.end(), t.asset) - book_.assets.begin());
        book_.shares[i] += t.shares;  // signed: negative for a sale
      }
      book_.cash = r.cash_after;
    }
  } catch (const Error&) {
    // a book the rebalancer refuses (non-positive price from a bad feed): skipped this row
  }
}

LiveDriftStats LiveDrift::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

}  // namespace sextant::portfolio
