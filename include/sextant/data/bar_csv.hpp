#pragma once
// Bars from a CSV file, for `sextant replay`. Two layouts, told apart by the header:
//   wide closes  first column a date, then one column of closes per symbol (the Dow 30 file): each cell
//                becomes a bar with open = high = low = close and volume 0; empty cells are skipped;
//   long OHLCV   columns named open, high, low, close and volume (any order, any case), a date or time
//                column (date, time, timestamp, datetime or ts_ns), and optionally a symbol column;
//                without one every row is `default_symbol`'s. Other columns (adjclose) are ignored.
// Times: YYYY-MM-DD (midnight UTC), YYYY-MM-DD HH:MM:SS (UTC), or an integer epoch in s, ms, us or ns
// (told apart by magnitude). Bars come back ordered by time, then by symbol.
#include <string>
#include <vector>

#include "sextant/bus/topics.hpp"

namespace sextant::data {

//! Throws Error(io) when unreadable, Error(invalid_argument) naming "line N" and the column otherwise.
std::vector<bus::MarketBar> read_bars_csv(const std::string& path, const std::string& default_symbol);

//! "2001-02-03" or "2001-02-03 04:05:06" (UTC) or an epoch in s/ms/us/ns, as ns since the epoch;
//! Error(invalid_argument) naming `field` otherwise.
std::int64_t parse_time_ns(std::string_view s, std::string_view field);

}  // namespace sextant::data
