#pragma once
// The analytics engine on live bars: every `every_rows` rows of the universe, the Pearson correlation
// of the last `window` log returns of the instruments in the market data store, on their common
// timestamps, published on analytics.results (bus/topics.hpp CorrelationSnapshot).
//
// A row is the bars of one timestamp; it completes when a bar with a later timestamp arrives. The
// snapshot reads the store (data::BarStore::window), which holds the simulator's backfill as well as
// what arrived on the bus, so the first snapshot does not wait for a window of live bars.
#include <cstdint>
#include <mutex>

#include "sextant/bus/publisher.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/row_clock.hpp"

namespace sextant::analytics {

struct LiveCorrelationConfig {
  std::size_t every_rows = 5;  //!< a snapshot every this many completed rows
  std::size_t window = 60;     //!< log returns per snapshot (window + 1 closes)
};

struct LiveCorrelationStats {
  std::uint64_t bars = 0, rows = 0, snapshots = 0;
  std::size_t instruments = 0, returns = 0;  //!< of the last snapshot
};

//! The snapshot of a window of closes (T × N, T >= 3): correlation of the T - 1 log returns.
bus::CorrelationSnapshot correlation_snapshot(const data::BarWindow& w);

class LiveCorrelation {
 public:
  LiveCorrelation(LiveCorrelationConfig config, const data::BarStore& store, bus::Publisher& publisher);
  //! Counts rows; publishes a snapshot when a row completes on the schedule. Thread-safe.
  void on_bar(const bus::MarketBar& bar);
  //! Publishes a snapshot now (false when the store has under 3 common bars of 2 symbols).
  bool publish_now();
  LiveCorrelationStats stats() const;

 private:
  bool snapshot();  // mutex held
  const LiveCorrelationConfig config_;
  const data::BarStore& store_;
  bus::Publisher& publisher_;
  mutable std::mutex m_;
  data::RowClock clock_;
  LiveCorrelationStats stats_;
};

}  // namespace sextant::analytics
