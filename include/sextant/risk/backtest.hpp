#pragma once
// VaR backtesting: an exception is a period whose return is below -VaR (VaR a positive loss).
//  - Kupiec POF: LR = -2 ln[(1-p)^(T-x) p^x] + 2 ln[(1-x/T)^(T-x) (x/T)^x], χ²(1); p = 1 - confidence.
//  - Christoffersen independence: LR from the 0/1 transition counts n00, n01, n10, n11, χ²(1);
//    conditional coverage = POF + independence, χ²(2).
//  - Basel traffic light by the binomial rule behind the Basel table: with X ~ Binomial(T, p), the zone is
//    green while P(X <= x) < 95%, yellow while < 99.99%, else red (0-4 / 5-9 / 10+ for 250 days at 99%).
#include <span>
#include <string>
#include <vector>

#include "sextant/core/names.hpp"

namespace sextant::risk {

enum class TrafficLightZone { green, yellow, red };
inline constexpr auto kZoneNames = enum_names<TrafficLightZone>(
    {{TrafficLightZone::green, "green"}, {TrafficLightZone::yellow, "yellow"}, {TrafficLightZone::red, "red"}});

//! The Basel Committee's traffic light (1996 backtesting framework): the cumulative binomial
//! probability at which the yellow and the red zone begin.
struct TrafficLightBands {
  static constexpr double yellow = 0.95, red = 0.9999;
};

struct BacktestResult {
  std::size_t observations = 0, exceptions = 0;
  double expected_exceptions = 0, exception_rate = 0;
  std::vector<std::size_t> exception_rows;
  double kupiec_lr = 0, kupiec_p_value = 0;
  std::size_t n00 = 0, n01 = 0, n10 = 0, n11 = 0;
  double independence_lr = 0, independence_p_value = 0;
  double conditional_coverage_lr = 0, conditional_coverage_p_value = 0;
  TrafficLightZone zone = TrafficLightZone::green;
  double zone_cumulative_probability = 0;
};

//! returns and var: equally long; var positive losses. Throws Error naming the field on bad input.
BacktestResult backtest_var(std::span<const double> returns, std::span<const double> var, double confidence);

}  // namespace sextant::risk
