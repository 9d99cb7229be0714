#pragma once
// The features engine on live bars: an active factor set kept up to date for a universe, bar by bar,
// published as one features.<SYM> snapshot per instrument through the typed bus (bus/publisher.hpp).
//
// Bars arrive one instrument at a time (marketdata.bars.<SYM>). The bars of one timestamp form a row
// of the universe; the row is evaluated when a bar with a later timestamp arrives, or at once when
// every instrument of the universe has reported. An instrument without a bar in a row gets NaN there
// (its windows skip it, as batch mode skips a missing value). The universe is fixed by the first row
// unless configured; bars of other symbols are counted and ignored.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sextant/bus/publisher.hpp"
#include "sextant/features/stream.hpp"

namespace sextant::features {

struct LiveStats {
  std::uint64_t bars = 0, rows = 0, snapshots = 0, ignored = 0;  //!< ignored: unknown symbol or out of order
  std::size_t instruments = 0, factors = 0;
  std::int64_t last_ts_ns = 0;
};

class LiveFeatures {
 public:
  //! `factors`: catalogue ids or expressions over OHLCV ($vwap, $returns derived). `universe`: the
  //! symbols, or empty to take them from the first row.
  LiveFeatures(std::vector<std::string> factors, std::vector<std::string> universe, bus::Publisher& publisher);
  ~LiveFeatures();
  //! Takes one bar; may evaluate and publish the row before it. Thread-safe.
  void on_bar(const bus::MarketBar& bar);
  //! Evaluates and publishes the pending row now.
  void flush();
  LiveStats stats() const;
  //! The active set of the default engine: Alpha158 and the OHLCV-only alphas of WQ101, with the
  //! time-series seed families.
  static std::vector<std::string> default_factors();

 private:
  void evaluate_row();  // mutex held
  mutable std::mutex m_;
  std::vector<std::string> factors_, universe_;
  std::map<std::string, std::size_t> index_;
  bus::Publisher& publisher_;
  std::unique_ptr<FactorStream> stream_;
  std::int64_t row_ts_ = 0;
  std::map<std::string, bus::MarketBar> pending_;
  LiveStats stats_;
};

}  // namespace sextant::features
