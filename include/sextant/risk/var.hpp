#pragma once
// Value at Risk and Expected Shortfall of a portfolio of instruments (DESIGN §6): positive losses in
// return units (× portfolio value for currency), at several confidence levels, by several methods,
// with Euler decompositions that sum to the total.
//
//  - gaussian:   VaR = -(h·μ_p + z·σ_p·√h), ES = -(h·μ_p - σ_p·√h·φ(z)/(1-c)), z = Φ⁻¹(1-c), σ_p² = wᵀΣw
//                with Σ by the chosen estimator (sample ddof 1, Ledoit-Wolf or EWMA; `covariance`), and
//                the same Σ for student_t, modified and monte_carlo; μ_p = 0 when include_mean is false. Component VaR_i =
//                -(h·w_i·μ_i + z·√h·w_i·(Σw)_i/σ_p) and component ES likewise: they sum to the totals.
//  - historical: portfolio returns over overlapping h-period windows (sums), VaR = -quantile(1-c) with
//                numpy's method, ES = -mean(r_p ≤ q). With age weighting, VaR = -the worst return at which
//                the cumulative scenario weight reaches 1-c, ES and components weighted tail means. With
//                filtering, the returns are volatility-rescaled first. Component ES_i = -mean(w_i·r_i over those tail
//                periods) (Euler, exact); component VaR_i = component ES_i · VaR/ES.
//  - modified:   Cornish-Fisher: z_cf = z + (z²-1)s/6 + (z³-3z)k/24 - (2z³-5z)s²/36 with population skew
//                s and excess kurtosis k of r_p; VaR = -(h·μ_p + z_cf·σ_p·√h). Components scale the
//                Gaussian ones to VaR (exact sum).
//  - student_t:  a Student-t with ν degrees of freedom scaled to the portfolio's variance:
//                k = √((ν-2)/ν), q = t_ν⁻¹(1-c), VaR = -(h·μ_p + k·q·√h·σ_p),
//                ES = -(h·μ_p - √h·σ_p·k·f_ν(q)/(1-c)·(ν+q²)/(ν-1)). ν is given (`nu` > 2) or fitted by
//                maximum likelihood to the standardised period portfolio returns (ν in (2.05, 200)).
//                Components take the Gaussian form with these factors (exact sums).
//  - monte_carlo: scenarios N(h·μ, h·Σ) from the accelerator's Philox sampler (`simulations`, `seed`,
//                antithetic optional), or, with `mc_student_t`, the sum of h simulated one-period
//                multivariate Student-t steps (ν, scaled to the same covariance); then as historical.
//
// A proposed trade (weight units) adds, for every method and level, the figures of w + trade by the
// same method, scenarios, seed and ν: incremental VaR and ES = after - before, and the first-order
// estimate Σ marginal_var_i·trade_i. Monte Carlo's after and before share their draws, so the
// difference carries no sampling noise of its own beyond the tail's. What does not depend on the
// weights (μ, Σ, its Cholesky factor, the filtered panel) is computed once for both.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/analytics/covariance.hpp"
#include "sextant/core/matrix.hpp"
#include "sextant/core/quantile.hpp"

namespace sextant::risk {

enum class VarMethod { gaussian, historical, modified, monte_carlo, student_t };
inline constexpr auto kVarMethodNames = enum_names<VarMethod>({{VarMethod::gaussian, "gaussian"},
                                                              {VarMethod::historical, "historical"},
                                                              {VarMethod::modified, "modified"},
                                                              {VarMethod::monte_carlo, "monte_carlo"},
                                                              {VarMethod::student_t, "student_t"}});
inline VarMethod parse_var_method(std::string_view s, std::string_view field = "methods") {
  return kVarMethodNames.parse(s, field);
}
inline std::string_view var_method_name(VarMethod m) { return kVarMethodNames.name(m); }

// numpy's quantile methods live in core (one implementation for every engine).
using sextant::QuantileMethod;
using sextant::parse_quantile_method;
using sextant::quantile_select;
using sextant::quantile_sorted;

struct VarOptions {
  std::vector<double> confidence_levels{0.95, 0.99};
  std::vector<VarMethod> methods{VarMethod::gaussian, VarMethod::historical};
  QuantileMethod quantile_method = QuantileMethod::linear;
  int horizon = 1;
  bool include_mean = true;
  bool decompose = true;
  std::size_t simulations = 100000;
  std::uint64_t seed = 42;
  bool antithetic = false;
  std::optional<double> nu;   //!< Student-t degrees of freedom; fitted when absent
  //! historical: age weighting (Boudoukh-Richardson-Whitelaw), scenario weight ∝ λ^age (age 0 = newest).
  std::optional<double> age_weighting_lambda;
  //! historical: filtered historical simulation (Hull-White): each asset's returns rescaled by
  //! σ_now/σ_t with EWMA(λ) volatilities (seeded with the sample variance).
  std::optional<double> filtered_lambda;
  bool mc_student_t = false;  //!< monte_carlo draws multivariate Student-t (ν as for student_t)
  //! Σ for gaussian, student_t, modified and monte_carlo: sample, ledoit_wolf or ewma (not semi).
  analytics::CovarianceOptions covariance;
  //! A proposed trade in weight units (N entries): each figure then carries `trade` figures.
  std::vector<double> trade;
  //! Runs between Monte Carlo blocks of 2^18 scenarios (the service passes its request deadline check;
  //! 10^7 scenarios of 1,000 assets take minutes). Blocks draw the same Philox rows, so no answer changes.
  std::function<void()> checkpoint;
};

//! The portfolio after a proposed trade, by the same method: incremental = after - before.
struct TradeFigures {
  double var_after = 0, es_after = 0, incremental_var = 0, incremental_es = 0;
  std::optional<double> first_order;  //!< Σ marginal_var_i · trade_i (with decompose)
};

struct VarFigures {
  double var = 0, es = 0;
  std::vector<double> component_var, marginal_var, component_es;  //!< empty without decompose
  std::optional<TradeFigures> trade;                              //!< with VarOptions::trade
};

struct VarReport {
  double portfolio_volatility = 0;  //!< σ_p per period
  double portfolio_mean = 0;        //!< μ_p per period
  std::optional<double> nu;         //!< the ν used by student_t / Student-t Monte Carlo
  //! results[level index][method] in the order of the options.
  std::vector<std::vector<std::pair<VarMethod, VarFigures>>> results;
};

//! A book given as quantities and prices, as portfolio weights: w_i = q_i·p_i / Σ_j q_j·p_j over `symbols`
//! (the N assets of the returns, in column order). Positions absent from the map are 0; a position in a
//! symbol not among `symbols`, a non-zero position without a price, or zero net value is an Error
//! naming the field ("positions.X", "prices.X").
struct PositionWeights {
  std::vector<double> weights;
  double value = 0;  //!< Σ q·p: the portfolio value the currency figures use
};
PositionWeights weights_from_positions(const std::vector<std::string>& symbols, const std::map<std::string, double>& positions,
                                       const std::map<std::string, double>& prices);

//! returns: T×N per-period returns; weights: N. Throws Error naming the field on bad input.
VarReport calculate_var(MatrixView returns, std::span<const double> weights, const VarOptions& opt);

//! VaR/ES from a given mean vector and covariance, with no return history: gaussian, student_t (ν
//! given) and monte_carlo, as calculate_var computes them from its estimates. historical and modified
//! need a history and are refused naming `methods`.
VarReport parametric_var(std::span<const double> mean, MatrixView covariance, std::span<const double> weights,
                         const VarOptions& opt);

}  // namespace sextant::risk
