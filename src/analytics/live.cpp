// Rolling correlation snapshots from live bars (analytics/live.hpp).
#include "sextant/analytics/live.hpp"

#include <cmath>

#include "sextant/analytics/correlation.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {

bus::CorrelationSnapshot correlation_snapshot(const data::BarWindow& w) {
  const std::size_t T = w.close.rows(), N = w.close.cols();
  if (T < 3 || N < 2) fail(ErrorCode::invalid_argument, "window", "a correlation snapshot needs 3 closes of 2 symbols");
  Matrix r(T - 1, N);
  for (std::size_t t = 1; t < T; ++t)
    for (std::size_t j = 0; j < N; ++j) r(t - 1, j) = std::log(w.close(t, j) / w.close(t - 1, j));
  const Matrix corr = correlation(r.view(), CorrelationMethod::pearson);
  bus::CorrelationSnapshot s;
  s.ts_ns = w.ts_ns.back();
  s.window = T - 1;
  s.symbols = w.symbols;
  s.matrix.assign(corr.data(), corr.data() + N * N);
  return s;
}

LiveCorrelation::LiveCorrelation(LiveCorrelationConfig config, const data::BarStore& store, bus::Publisher& publisher)
    : config_(config), store_(store), publisher_(publisher) {}

void LiveCorrelation::on_bar(const bus::MarketBar& bar) {
  std::lock_guard lock(m_);
  ++stats_.bars;
  if (!clock_.advance(bar.ts_ns)) return;
  stats_.rows = clock_.completed;
  if (clock_.completed % config_.every_rows == 0) snapshot();
}

bool LiveCorrelation::publish_now() {
  std::lock_guard lock(m_);
  return snapshot();
}

bool LiveCorrelation::snapshot() {
  const auto symbols = store_.symbols();
  if (symbols.size() < 2) return false;
  const data::BarWindow w = store_.window(symbols, config_.window + 1);
  if (w.ts_ns.size() < 3) return false;
  auto s = correlation_snapshot(w);
  stats_.instruments = s.symbols.size();
  stats_.returns = s.window;
  ++stats_.snapshots;
  publisher_.publish(std::move(s), bus::Priority::low);
  return true;
}

LiveCorrelationStats LiveCorrelation::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

}  // namespace sextant::analytics
