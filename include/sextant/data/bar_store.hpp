#pragma once
// The market data store: per-symbol ring buffers of OHLCV bars, written by the bus subscription that
// ingests marketdata.bars.* and read by engines for requests that name symbols and a window instead
// of sending data. Thread-safe: one writer or many, readers copy out under a shared lock.
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sextant/bus/topics.hpp"
#include "sextant/core/matrix.hpp"

namespace sextant::data {

//! The last `window` bars of several symbols on their common timestamps, oldest first.
struct BarWindow {
  std::vector<std::string> symbols;
  std::vector<std::int64_t> ts_ns;            //!< T timestamps
  Matrix open, high, low, close, volume;      //!< T × N each
};

enum class Ingest : std::uint8_t { appended, replaced, stale };

class BarStore {
 public:
  //! Bars kept per symbol (the oldest go first).
  explicit BarStore(std::size_t capacity = 5000);

  //! A bar newer than the symbol's last is appended; one at the same timestamp replaces it (a
  //! correction); an older one is stale and dropped. Non-finite or inconsistent prices (low > high,
  //! a close outside [low, high], negative volume) are Error(invalid_argument) naming the field.
  Ingest add(const bus::MarketBar& bar);

  std::vector<std::string> symbols() const;
  std::size_t size(const std::string& symbol) const;
  //! The symbol's last `n` bars, oldest first; Error(not_found) naming "symbol" when it has none.
  std::vector<bus::MarketBar> last(const std::string& symbol, std::size_t n) const;
  //! The symbols' last `window` common timestamps (fewer when they share fewer). Throws not_found
  //! naming "symbols[i]" for a symbol with no bars, invalid_argument for a window of 0.
  BarWindow window(const std::vector<std::string>& symbols, std::size_t window) const;

  struct Stats {
    std::uint64_t appended = 0, replaced = 0, stale = 0, rejected = 0;
  };
  Stats stats() const;

 private:
  struct Ring {
    std::vector<bus::MarketBar> bars;  // capacity slots
    std::size_t head = 0, count = 0;   // the oldest at head
    const bus::MarketBar& at(std::size_t i) const { return bars[(head + i) % bars.size()]; }  // i-th oldest
  };
  std::size_t capacity_;
  mutable std::shared_mutex m_;
  std::map<std::string, Ring, std::less<>> rings_;
  Stats stats_;
};

}  // namespace sextant::data
