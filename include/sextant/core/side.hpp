#pragma once
// The side of an order or a trade.
#include "sextant/core/names.hpp"

namespace sextant {

enum class Side { buy, sell };
inline constexpr auto kSideNames = enum_names<Side>({{Side::buy, "buy"}, {Side::sell, "sell"}});

}  // namespace sextant
