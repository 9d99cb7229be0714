#pragma once
// A return history prepared once for many historical VaR evaluations on it: many portfolios, what-if
// trades, limit checks. Historical VaR, ES and their decomposition read only the scenarios in the
// tail, but finding them takes every portfolio return, one pass over the T×N panel (20 MB at
// 2,520 × 1,000): bound by memory bandwidth, in Sextant as in numpy.
//
// The prepared set keeps an 8-bit copy of the panel (per-asset scale s_i = max_t |r_ti| / 127) that
// ranks scenarios from an eighth of the bytes, small enough to stay in cache between calls. For a
// portfolio w, screen() forms approximate portfolio returns exactly in integers (w_i·s_i rounded to
// 16 bits, one scale) with a bound B on their distance from the true ones:
//   B = Σ_i |w_i|·e_i + 127·Σ_i |w_i·s_i - S·V_i| + rounding slack,
// e_i the largest quantisation error in column i, V_i the 16-bit weights with scale S. A scenario whose
// approximate return lies more than 2B above the K-th smallest cannot be among the K smallest true
// returns; historical_var computes the others exactly from the panel (about 1% more than the tail
// at 99%) and gives calculate_var's historical figures, to rounding (the last bits of the portfolio
// returns' sums), for any panel: a loose bound costs time, never correctness.
#include <cstdint>
#include <span>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/risk/var.hpp"

namespace sextant::risk {

struct HistoricalScenarios {
  MatrixView returns;               //!< T×N per-period returns; not owned, must outlive this
  std::size_t stride = 0;           //!< codes per row: N rounded up to 16, zero-padded
  std::vector<std::int8_t> codes;   //!< round(r_ti / s_i), T × stride
  std::vector<double> scale;        //!< s_i (0 for a column of zeros)
  std::vector<double> max_error;    //!< e_i = max_t |r_ti - s_i·code_ti|
  std::vector<double> max_abs;      //!< max_t |r_ti|
};

//! Prepares `returns` (T ≥ 2 rows, N ≥ 1 columns, all finite; the error names the first bad cell).
//! One pass over the panel; returns must outlive the result.
HistoricalScenarios prepare_scenarios(MatrixView returns);

//! Approximate period portfolio returns of w (T values) and the bound B on each one's error (+inf,
//! and no screen, when Σ|w_i|·max|r_i| overflows).
struct ScreenedReturns {
  std::vector<double> approx;
  double bound = 0;
};
ScreenedReturns screen(const HistoricalScenarios& s, std::span<const double> w);

//! calculate_var's historical figures of w (one VarFigures per confidence level, in order), from the
//! prepared set. Reads confidence_levels, quantile_method, horizon, decompose, trade, age weighting
//! and filtering; `methods` is not read. Age weighting and filtering take calculate_var's full pass.
//! Unlike calculate_var, it reports no portfolio volatility (that needs every portfolio return).
std::vector<VarFigures> historical_var(const HistoricalScenarios& s, std::span<const double> w, const VarOptions& opt);

}  // namespace sextant::risk
