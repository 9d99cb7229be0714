#pragma once
// The ML engine on live bars: every `every_rows` rows, a 3-state Gaussian HMM and a GARCH(1,1) fitted
// to the log returns of the universe's equal-weighted index over the store's last `window` bars, and
// one ml.forecasts message: the filtered regime probabilities now and the one-bar-ahead volatility.
// States are named by their variance: calm, normal, turbulent.
#include <cstdint>
#include <mutex>

#include "sextant/bus/publisher.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/row_clock.hpp"

namespace sextant::ml {

struct LiveForecastConfig {
  std::size_t every_rows = 10;
  std::size_t window = 250;  //!< index returns per fit (at least 60 are needed)
};

struct LiveForecastStats {
  std::uint64_t rows = 0, forecasts = 0, failures = 0;
};

class LiveForecast {
 public:
  LiveForecast(LiveForecastConfig config, const data::BarStore& store, bus::Publisher& publisher);
  //! Counts rows; fits and publishes on the schedule. Thread-safe.
  void on_bar(const bus::MarketBar& bar);
  //! Fits and publishes now; false when the store holds too little history.
  bool publish_now();
  LiveForecastStats stats() const;

 private:
  bool forecast(std::int64_t ts);  // mutex held
  const LiveForecastConfig config_;
  const data::BarStore& store_;
  bus::Publisher& publisher_;
  mutable std::mutex m_;
  data::RowClock clock_;
  LiveForecastStats stats_;
};

}  // namespace sextant::ml
