#pragma once
// Returns from prices (DESIGN §6): log = diff(ln p), simple = p_t / p_{t-1} - 1. T prices give T-1 returns.
#include <string_view>

#include "sextant/core/matrix.hpp"

namespace sextant::analytics {

enum class ReturnsType { log, simple };

//! Parses "log" / "simple"; throws Error(invalid_argument) naming `field` otherwise.
ReturnsType parse_returns_type(std::string_view s, std::string_view field = "returns_type");

//! Throws Error(invalid_argument, field "prices") for fewer than 2 rows or a non-positive price.
Matrix returns_from_prices(MatrixView prices, ReturnsType type);

}  // namespace sextant::analytics
