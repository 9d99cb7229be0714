#pragma once
// Requests that name symbols instead of sending data: {"symbols":[...],"bars":N} reads the last N + 1
// closes the market data store holds for those symbols on their common timestamps (data::BarStore), so
// the N returns between them stand where a request would otherwise send "returns" or "prices".
// ("bars", not "window": "window" already names the rolling window of /correlation and /rolling.)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/data/bar_store.hpp"

namespace sextant::service {

class Fields;

//! The most returns a store request may ask for (a ring holds 5,000 bars).
inline constexpr std::int64_t kMaxStoreBars = 4999;

//! The last `bars` + 1 common closes of `symbols` (T × N, T <= bars + 1; fewer when the store holds
//! fewer). Error(not_found) naming "symbols[i]" for a symbol the store has no bars of;
//! Error(invalid_argument) naming "bars" when fewer than 3 common closes exist.
Matrix store_closes(const data::BarStore& store, const std::vector<std::string>& symbols, std::int64_t bars);
//! The same read with every field of the bars (open, high, low, close, volume), as store_closes checks it.
data::BarWindow store_window(const data::BarStore& store, const std::vector<std::string>& symbols, std::int64_t bars);

}  // namespace sextant::service
