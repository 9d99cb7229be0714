#pragma once
// Portfolio optimisation (DESIGN §6): objectives, constraints, efficient frontier.
//
// Conventions
//  - Weights sum to `budget` (1). Long-only (0 <= w) is the default; `long_only = false` allows shorts.
//  - μ and Σ are per period, in the units of the returns they came from; volatility = √(wᵀΣw),
//    Sharpe = (μᵀw - rf) / volatility. Nothing is annualised.
//  - Mean-variance objectives are QPs for the Goldfarb–Idnani solver (qp.hpp). max_sharpe with
//    constraints uses the Charnes–Cooper transform y = κw (κ = 1ᵀy/budget), which keeps it a QP:
//    min yᵀΣy s.t. (μ - rf)ᵀy = 1 and every constraint made homogeneous in (y, κ).
//  - |w| constraints (gross leverage Σ|w_i| <= L, turnover Σ|w_i - w0_i| <= T) use auxiliary variables
//    s_i >= ±(w_i - w0_i); they get a tiny quadratic term (1e-9 of the mean variance) so G stays
//    positive definite; `regularization` reports it.
//  - risk_parity minimises ½yᵀΣy - Σ b_i ln y_i by Newton's method (Spinu 2013), w = y / Σy; it supports
//    the long-only budget only.
//  - hrp: López de Prado (2016). Distance d_ij = √((1 - ρ_ij)/2); single linkage; the new cluster's left
//    child is the one with the smaller id (leaves 0..n-1, merges n, n+1, ... as in SciPy); leaves are
//    ordered left-first; bisection splits each list in halves, inverse-variance weights inside a half.
//  - min_cvar: Rockafellar–Uryasev LP over the return scenarios, solved by Clp. The objective
//    ζ + Σ(L_t - ζ)⁺ / ((1-α)T) is the historical ES with the fractional tail atom (see historical_es).
//  - black_litterman: prior π = expected_returns, or δΣw_mkt when market weights are given;
//    Ω defaults to diag(P τΣ Pᵀ); posterior μ = [(τΣ)⁻¹ + PᵀΩ⁻¹P]⁻¹[(τΣ)⁻¹π + PᵀΩ⁻¹Q],
//    Σ_post = Σ + [(τΣ)⁻¹ + PᵀΩ⁻¹P]⁻¹; then views.objective runs on (μ, Σ_post).
//  - max_assets (cardinality) is a heuristic, labelled as such: solve, keep the K largest |w|, re-solve.
#include <chrono>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/names.hpp"
#include "sextant/core/matrix.hpp"

namespace sextant::portfolio {

enum class Objective {
  min_variance,
  max_sharpe,
  target_return,
  target_volatility,
  max_utility,
  risk_parity,
  hrp,
  min_cvar,
  black_litterman,
};
Objective parse_objective(std::string_view s, std::string_view field = "objective");
std::string_view objective_name(Objective o);

struct Group {
  std::string name;
  std::vector<std::size_t> assets;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

struct Constraints {
  bool long_only = true;
  std::optional<std::pair<double, double>> bounds;         //!< the same [lo, hi] for every asset
  std::vector<std::pair<double, double>> asset_bounds;     //!< per asset, overrides `bounds`
  std::vector<Group> groups;
  double budget = 1.0;                                     //!< Σw
  std::optional<double> leverage;                          //!< Σ|w_i| <= leverage
  std::optional<double> max_turnover;                      //!< Σ|w_i - current_i| <= max_turnover
  std::vector<double> current_weights;
  std::optional<std::size_t> max_assets;                   //!< heuristic cardinality limit
  //! True when anything beyond the defaults (long-only or not, budget) is set.
  bool beyond_budget() const;
};

struct Views {
  Matrix P;                             //!< K×N pick matrix
  std::vector<double> Q;                //!< K view returns
  std::optional<Matrix> omega;          //!< K×K view covariance (default diag(P τΣ Pᵀ))
  double tau = 0.05;
  std::vector<double> market_weights;   //!< when given: prior π = δ Σ w_mkt
  double delta = 2.5;                   //!< market risk aversion for the implied prior
  Objective objective = Objective::max_sharpe;
};

struct OptimizeInput {
  std::vector<double> mu;  //!< N expected returns
  Matrix sigma;            //!< N×N covariance
  Matrix scenarios;        //!< T×N returns (min_cvar); may be empty otherwise
  Objective objective = Objective::min_variance;
  double risk_free_rate = 0;
  std::optional<double> target_return, target_volatility;
  double risk_aversion = 1;        //!< λ in max μᵀw - λ/2 wᵀΣw
  std::vector<double> risk_budgets;
  double cvar_confidence = 0.95;   //!< α of min_cvar
  std::optional<Views> views;
  Constraints constraints;
  //! Called between solver steps, frontier points and search iterations; it may throw to abandon the
  //! work (the HTTP adapter checks the request deadline here).
  std::function<void()> checkpoint;
  //! When the work must stop: the LPs (min-CVaR) get the time left as Clp's time limit, since a
  //! simplex run has no checkpoint of its own.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

enum class OptimizeStatus { optimal, heuristic };
inline constexpr auto kOptimizeStatusNames =
    enum_names<OptimizeStatus>({{OptimizeStatus::optimal, "optimal"}, {OptimizeStatus::heuristic, "heuristic"}});

struct OptimizeResult {
  std::vector<double> weights;
  double expected_return = 0, volatility = 0, sharpe_ratio = 0;
  std::vector<double> risk_contributions;  //!< w_i (Σw)_i / wᵀΣw: fractions of variance, sum 1
  OptimizeStatus status = OptimizeStatus::optimal;  //!< heuristic: the max_assets selection
  int iterations = 0;
  double regularization = 0;
  std::optional<double> cvar;              //!< min_cvar: the LP objective
  std::vector<double> posterior_mu;        //!< black_litterman
  Matrix posterior_sigma;
};

//! Throws Error: invalid_argument / dimension_mismatch naming the field; not_positive_definite for Σ;
//! infeasible (with the conflicting constraints named when they can be) when no weights satisfy them.
OptimizeResult optimize(const OptimizeInput& in);

struct FrontierPoint {
  double expected_return = 0, volatility = 0;
  std::vector<double> weights;
};

//! `points` target returns evenly spaced from the min-variance portfolio's return (or, with
//! full_range, the lowest attainable return, as fPortfolio does) to the highest attainable return;
//! each point is the min-variance portfolio at that return under `in.constraints`, warm-started
//! from its neighbour.
std::vector<FrontierPoint> efficient_frontier(const OptimizeInput& in, std::size_t points, bool full_range = false);

//! Historical ES of returns·w at confidence α with the fractional tail atom (Acerbi–Tasche):
//! (1/((1-α)T)) [Σ of the ⌊(1-α)T⌋ largest losses + ((1-α)T - ⌊(1-α)T⌋) · the next loss].
double historical_es(MatrixView returns, const std::vector<double>& w, double alpha);

}  // namespace sextant::portfolio
