// Live regime and volatility forecasts (ml/live.hpp).
#include "sextant/ml/live.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sextant/core/error.hpp"
#include "sextant/ml/garch.hpp"
#include "sextant/ml/hmm.hpp"

namespace sextant::ml {

LiveForecast::LiveForecast(LiveForecastConfig config, const data::BarStore& store, bus::Publisher& publisher)
    : config_(config), store_(store), publisher_(publisher) {}

void LiveForecast::on_bar(const bus::MarketBar& bar) {
  std::lock_guard lock(m_);
  const auto done = clock_.advance(bar.ts_ns);
  if (!done) return;
  stats_.rows = clock_.completed;
  if (clock_.completed % config_.every_rows == 0) forecast(*done);
}

bool LiveForecast::publish_now() {
  std::lock_guard lock(m_);
  return forecast(clock_.row_ts);
}

bool LiveForecast::forecast(std::int64_t ts) {
  const auto symbols = store_.symbols();
  if (symbols.empty()) return false;
  try {
    const auto w = store_.window(symbols, config_.window + 1);
    const std::size_t T = w.ts_ns.size(), N = symbols.size();
    if (T < 61) return false;
    std::vector<double> index(T - 1);  // equal-weighted index: the mean log return across instruments
    for (std::size_t t = 1; t < T; ++t) {
      double s = 0;
      for (std::size_t j = 0; j < N; ++j) s += std::log(w.close(t, j) / w.close(t - 1, j));
      index[t - 1] = s / double(N);
    }
    const GaussianHmm hmm = fit_hmm(index, 3, 200, 1e-6, "window");
    const auto filtered = hmm_filter(hmm, index);
    std::vector<std::size_t> order(3);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return hmm.variance[a] < hmm.variance[b]; });
    const Garch g = fit_garch(index, "window");
    bus::Forecast f;
    f.ts_ns = ts ? ts : w.ts_ns.back();
    f.states = {"calm", "normal", "turbulent"};
    for (std::size_t k : order) f.probabilities.push_back(filtered[(index.size() - 1) * 3 + k]);
    f.volatility = std::sqrt(g.forecast_variance(1)[0]);
    f.observations = index.size();
    ++stats_.forecasts;
    publisher_.publish(std::move(f), bus::Priority::low);
    return true;
  } catch (const Error&) {
    ++stats_.failures;  // a degenerate window (too few bars, a flat series): the next row tries again
    return false;
  }
}

LiveForecastStats LiveForecast::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

}  // namespace sextant::ml
