#pragma once
// The portfolio problem before it becomes a QP or an LP (private to src/portfolio): variables
// v = (w[0..n), auxiliary variables), rows that carry names so that an infeasible problem can say which
// constraints conflict, and the conversions and solves every objective shares.
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/portfolio/lp.hpp"
#include "sextant/portfolio/optimize.hpp"
#include "sextant/portfolio/qp.hpp"

namespace sextant::portfolio::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

//! min over v = (w, auxiliary) subject to named equality rows, named ≥ rows and bounds.
struct Model {
  std::size_t n = 0, nv = 0;
  std::vector<std::vector<double>> eq, ineq;  // dense rows over nv
  std::vector<double> eq_rhs, ineq_rhs;
  std::vector<std::string> eq_name, ineq_name;
  std::vector<double> lower, upper;           // nv
  std::size_t budget_row = SIZE_MAX;
  std::function<void()> checkpoint;  //!< OptimizeInput::checkpoint, handed to every solve

  void add_eq(std::vector<double> row, double rhs, std::string name) {
    eq.push_back(std::move(row)), eq_rhs.push_back(rhs), eq_name.push_back(std::move(name));
  }
  void add_ineq(std::vector<double> row, double rhs, std::string name) {
    ineq.push_back(std::move(row)), ineq_rhs.push_back(rhs), ineq_name.push_back(std::move(name));
  }
  std::vector<double> row() const { return std::vector<double>(nv, 0.0); }
};

//! The constraints of `in` (bounds, budget, groups, leverage and turnover with auxiliary variables).
Model build_model(const OptimizeInput& in);
//! A row over the model's variables with `coef` on the weights.
std::vector<double> w_row(const Model& m, const std::vector<double>& coef);
//! min ½ scale·wᵀΣw + a_wᵀw under the model; auxiliary variables get a tiny quadratic term.
QpProblem to_qp(const Model& m, const Matrix& sigma, double scale, const std::vector<double>& a_w);
LpProblem to_lp(const Model& m, const std::vector<double>& cost_w);
//! Throws Error(infeasible) naming the constraints of a QP conflict set.
[[noreturn]] void fail_infeasible(const Model& m, const std::vector<int>& conflict, std::string_view what);
QpResult solve_or_fail(const Model& m, const QpProblem& p, std::span<const int> warm, std::string_view what);
QpResult mean_variance_qp(const Model& m, const Matrix& sigma, double scale, const std::vector<double>& a_w,
                          std::span<const int> warm, std::string_view what);
std::vector<double> weights_of(const Model& m, const std::vector<double>& x);
//! Highest (sign = -1) or lowest (sign = +1) attainable μᵀw under the model (an LP).
double extreme_return(const Model& m, const std::vector<double>& mu, double sign);
//! Active ids of a problem without the target row, renumbered for one with it.
std::vector<int> after_target_row(const Model& m, std::vector<int> ids);
Model with_target(Model m, const std::vector<double>& mu, double target);

//! Min-variance at a target return, built once and re-solved for each target (the frontier's points,
//! target_volatility's bisection): only the target row's right-hand side changes between solves.
struct TargetReturnQp {
  TargetReturnQp(const Model& m, const Matrix& sigma, const std::vector<double>& mu);
  QpResult solve(double target, std::span<const int> warm, std::string_view what);
  Model model;  //!< m with the target row last
  QpProblem qp;
};

// Objectives that are not a plain mean-variance QP (one file each).
std::vector<double> max_sharpe_cc(const Model& m, const OptimizeInput& in, int& iterations, double& reg);
std::vector<double> risk_parity(const OptimizeInput& in, int& iterations);
std::vector<double> hrp(const OptimizeInput& in);
std::vector<double> min_cvar(const OptimizeInput& in, const Model& m, double& cvar, int& iterations);
void black_litterman(const OptimizeInput& in, std::vector<double>& mu_post, Matrix& sigma_post);

}  // namespace sextant::portfolio::detail
