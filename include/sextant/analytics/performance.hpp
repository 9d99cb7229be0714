#pragma once
// Performance statistics of a periodic simple-return series, optionally against a benchmark.
// Conventions (docs/conventions.md): P = periods per year, rf = annual risk-free rate, rf_p = rf / P.
//  - total = Π(1+r) - 1; annualised = (1+total)^(P/T) - 1; volatility = std(r, ddof 1)·√P.
//  - Sharpe = mean(r - rf_p) / std(r)·√P; Sortino = mean(r - rf_p)·P / (√(mean(min(r - rf_p, 0)²))·√P).
//  - max_drawdown is a positive loss fraction of the running peak of wealth Π(1+r); its duration is
//    the longest run of periods spent below a previous peak. Calmar = annualised / max_drawdown.
//  - Omega at rf_p; tail ratio = |q95| / |q05|; historical VaR/CVaR at `confidence` are positive losses
//    (numpy 'linear' quantile; CVaR = mean of the returns at or below it).
//  - skew, kurtosis: bias-corrected sample (pandas); kurtosis is excess.
//  - vs benchmark b: beta = cov(r, b)/var(b); alpha (annual) = (mean(r - rf_p) - beta·mean(b - rf_p))·P;
//    tracking error = std(r - b)·√P; information ratio = mean(r - b)·P / tracking error;
//    Treynor = mean(r - rf_p)·P / beta; up/down capture = mean(r)/mean(b) over periods with b > 0 / b < 0.
#include <optional>
#include <span>

#include "sextant/core/quantile.hpp"

namespace sextant::analytics {

struct PerformanceOptions {
  double periods_per_year = 252;
  double risk_free_rate = 0.0;  //!< annual
  double confidence = 0.95;     //!< for VaR / CVaR
};

struct PerformanceStats {
  double total_return, annualized_return, volatility, sharpe, sortino, calmar, omega;
  double max_drawdown;
  std::size_t max_drawdown_duration;
  double tail_ratio, var, cvar, skew, kurtosis, win_rate, profit_factor, best, worst;
  std::size_t periods;
  // Benchmark-relative; empty without a benchmark.
  std::optional<double> alpha, beta, information_ratio, tracking_error, treynor, up_capture, down_capture;
};

//! Throws Error(invalid_argument) for fewer than 2 returns, a return <= -1, mismatched benchmark length,
//! or options out of range (naming the field).
PerformanceStats performance(std::span<const double> r, std::span<const double> benchmark, const PerformanceOptions& opt);

// numpy's linear quantile: the one in core/quantile.hpp.
using sextant::quantile_linear;
using sextant::quantile_linear_sorted;

}  // namespace sextant::analytics
