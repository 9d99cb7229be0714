#pragma once
// Registration hooks: each group file adds its functions to the table in registry.cpp.
#include <vector>

#include "sextant/analytics/ta.hpp"

namespace sextant::analytics::ta {

void register_overlap(std::vector<FunctionDef>& fs);
void register_momentum(std::vector<FunctionDef>& fs);
void register_volatility_volume(std::vector<FunctionDef>& fs);
void register_statistic(std::vector<FunctionDef>& fs);
void register_math_price(std::vector<FunctionDef>& fs);
void register_cycle(std::vector<FunctionDef>& fs);
void register_candles(std::vector<FunctionDef>& fs);

}  // namespace sextant::analytics::ta
