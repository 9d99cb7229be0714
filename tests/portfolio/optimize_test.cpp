// Optimiser against R fPortfolio / quadprog (lpp2005_portfolio.json) and hand-checked properties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"
#include "sextant/portfolio/optimize.hpp"
#include "support/test_support.hpp"

namespace sextant::portfolio {
namespace {

constexpr const char* kGolden = "golden/lpp2005_portfolio.json";


OptimizeInput lpp_input(Objective o) {
  OptimizeInput in;
  Matrix r = test::lpp_returns_x100();
  in.mu.assign(6, 0.0);
  for (std::size_t t = 0; t < r.rows(); ++t)
    for (std::size_t j = 0; j < 6; ++j) in.mu[j] += r(t, j) / double(r.rows());
  in.sigma = accel::covariance(r);
  in.scenarios = r;
  in.objective = o;
  return in;
}

std::vector<double> golden(const char* key) { return test::numbers(test::golden(kGolden)[key]); }

void expect_weights(const std::vector<double>& got, const std::vector<double>& want, double tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << what << " weight " << i;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

TEST(PortfolioOracle, MinVarianceLongOnly) {
  auto r = optimize(lpp_input(Objective::min_variance));
  expect_weights(r.weights, golden("min_variance_long_only"), 1e-6, "min_variance");
  EXPECT_EQ(kOptimizeStatusNames.name(r.status), "optimal");
  EXPECT_NEAR(sum(r.weights), 1.0, 1e-14);
}

TEST(PortfolioOracle, TangencyRiskFreeZero) {
  auto in = lpp_input(Objective::max_sharpe);
  auto r = optimize(in);
  expect_weights(r.weights, golden("max_sharpe_long_only_rf0"), 1e-6, "max_sharpe");
  // No long-only portfolio on the frontier has a higher Sharpe ratio.
  for (const auto& p : efficient_frontier(in, 50)) EXPECT_LE(p.expected_return / p.volatility, r.sharpe_ratio + 1e-12);
}

TEST(PortfolioOracle, EfficientAtTargetReturn) {
  auto in = lpp_input(Objective::target_return);
  in.target_return = test::golden(kGolden)["target_return"].get_double().value();
  auto r = optimize(in);
  expect_weights(r.weights, golden("efficient_long_only_at_target"), 1e-6, "target_return");
  EXPECT_NEAR(r.expected_return, *in.target_return, 1e-13);
}

TEST(PortfolioOracle, MinVarianceBox) {
  auto in = lpp_input(Objective::min_variance);
  in.constraints.bounds = std::pair{0.0, 0.3};
  auto r = optimize(in);
  expect_weights(r.weights, golden("min_variance_box_0_0.3"), 1e-6, "box");
  for (double w : r.weights) EXPECT_LE(w, 0.3 + 1e-12);
}

TEST(PortfolioOracle, GlobalMinVarianceUnconstrained) {
  auto in = lpp_input(Objective::min_variance);
  in.constraints.long_only = false;
  auto r = optimize(in);
  expect_weights(r.weights, golden("global_min_variance_unconstrained"), 1e-6, "gmv");
}

TEST(PortfolioOracle, FiftyPointFrontier) {
  auto in = lpp_input(Objective::min_variance);
  auto pts = efficient_frontier(in, 50, /*full_range=*/true);
  auto risk = test::numbers(test::golden(kGolden)["frontier_long_only_points"]["risk"]);
  auto ret = test::numbers(test::golden(kGolden)["frontier_long_only_points"]["return"]);
  ASSERT_EQ(pts.size(), 50u);
  for (std::size_t k = 0; k < 50; ++k) {
    EXPECT_NEAR(pts[k].volatility, risk[k], 1e-6) << "point " << k;
    EXPECT_NEAR(pts[k].expected_return, ret[k], 1e-6) << "point " << k;
  }
  // The default range starts at the min-variance portfolio and rises monotonically.
  auto eff = efficient_frontier(in, 20);
  auto mvp = optimize(in);
  EXPECT_NEAR(eff.front().volatility, mvp.volatility, 1e-12);
  for (std::size_t k = 1; k < eff.size(); ++k) EXPECT_GE(eff[k].volatility, eff[k - 1].volatility - 1e-12);
}

TEST(PortfolioRiskParity, EqualContributionsAndNpmReference) {
  auto r = optimize(lpp_input(Objective::risk_parity));
  for (double c : r.risk_contributions) EXPECT_NEAR(c, 1.0 / 6.0, 1e-8);
  // npm portfolio-allocation equalRiskContributionWeights on the same data, printed to 6 decimals.
  expect_weights(r.weights, {0.332112, 0.042507, 0.144077, 0.376386, 0.045028, 0.05989}, 6e-7, "erc");
  auto in = lpp_input(Objective::risk_parity);
  in.risk_budgets = {1, 2, 3, 1, 2, 3};
  auto b = optimize(in);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(b.risk_contributions[i], in.risk_budgets[i] / 12.0, 1e-8);
  in.constraints.bounds = std::pair{0.0, 0.3};
  EXPECT_THROW(optimize(in), Error);  // not silently ignored
}

// Near the optimum the objective cannot resolve Newton's decrease (it is ~1e-22 against f ~ 2.6);
// the solver then takes full steps judged by the gradient. Before, its line search crawled to the
// 200-iteration cap at n = 1,000 and left contributions equal only to ~1e-10.
TEST(PortfolioRiskParity, ConvergesInFewStepsOnManyAssets) {
  Matrix x = test::random_returns(1500, 400, 41);
  OptimizeInput in;
  in.objective = Objective::risk_parity;
  in.mu.assign(400, 0.0);
  in.sigma = accel::covariance(x);
  auto r = optimize(in);
  EXPECT_LT(r.iterations, 20);
  for (double c : r.risk_contributions) EXPECT_NEAR(c, 1.0 / 400.0, 1e-13);
}

TEST(PortfolioHrp, HandCheckedFourAssets) {
  // Assets 0,1 correlated 0.9; 2,3 correlated 0.8; across 0.1. Volatilities 0.1, 0.2, 0.15, 0.25.
  OptimizeInput in;
  in.objective = Objective::hrp;
  in.mu.assign(4, 0.0);
  double vol[4] = {0.1, 0.2, 0.15, 0.25};
  double rho[4][4] = {{1, 0.9, 0.1, 0.1}, {0.9, 1, 0.1, 0.1}, {0.1, 0.1, 1, 0.8}, {0.1, 0.1, 0.8, 1}};
  in.sigma = Matrix(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) in.sigma(i, j) = rho[i][j] * vol[i] * vol[j];
  auto r = optimize(in);
  // Linkage: (0,1) at d=√0.05 → cluster 4; (2,3) at √0.1 → 5; (4,5) → 6 with children 4 then 5.
  // Order 0,1,2,3. Bisection {0,1} | {2,3}; inside each half the inverse-variance split.
  auto ivp_var = [&](int a, int b) {
    double ia = 1 / in.sigma(a, a), ib = 1 / in.sigma(b, b), s = ia + ib;
    double wa = ia / s, wb = ib / s;
    return wa * wa * in.sigma(a, a) + 2 * wa * wb * in.sigma(a, b) + wb * wb * in.sigma(b, b);
  };
  double v01 = ivp_var(0, 1), v23 = ivp_var(2, 3);
  double a = 1 - v01 / (v01 + v23);
  double a0 = 1 - in.sigma(0, 0) / (in.sigma(0, 0) + in.sigma(1, 1));
  double a2 = 1 - in.sigma(2, 2) / (in.sigma(2, 2) + in.sigma(3, 3));
  std::vector<double> want{a * a0, a * (1 - a0), (1 - a) * a2, (1 - a) * (1 - a2)};
  expect_weights(r.weights, want, 1e-15, "hrp");
  auto again = optimize(in);
  EXPECT_EQ(again.weights, r.weights);  // deterministic
}

TEST(PortfolioMinCvar, LpObjectiveIsTheHistoricalEs) {
  auto in = lpp_input(Objective::min_cvar);
  for (double alpha : {0.9, 0.95, 0.99}) {
    in.cvar_confidence = alpha;
    auto r = optimize(in);
    ASSERT_TRUE(r.cvar);
    EXPECT_NEAR(*r.cvar, historical_es(in.scenarios, r.weights, alpha), 1e-9 * std::abs(*r.cvar)) << alpha;
    EXPECT_NEAR(sum(r.weights), 1.0, 1e-9);
    // It is the minimum: the min-variance weights do no better on ES.
    auto mv = optimize(lpp_input(Objective::min_variance));
    EXPECT_LE(*r.cvar, historical_es(in.scenarios, mv.weights, alpha) + 1e-12);
  }
}

TEST(PortfolioConstraints, EveryKindIsSatisfied) {
  auto in = lpp_input(Objective::max_utility);
  in.risk_aversion = 2;
  in.constraints.long_only = false;
  in.constraints.asset_bounds = {{-0.2, 0.5}, {-0.2, 0.5}, {-0.2, 0.5}, {-0.2, 0.6}, {-0.2, 0.5}, {-0.2, 0.5}};
  in.constraints.groups.push_back({"equity", {1, 4}, 0.05, 0.25});
  in.constraints.groups.push_back({"alt", {5}, 0.1, 0.2});
  in.constraints.leverage = 1.4;
  in.constraints.current_weights = {0.2, 0.1, 0.2, 0.3, 0.1, 0.1};
  in.constraints.max_turnover = 0.5;
  auto r = optimize(in);
  const double tol = 1e-9;
  double gross = 0, turnover = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_GE(r.weights[i], in.constraints.asset_bounds[i].first - tol);
    EXPECT_LE(r.weights[i], in.constraints.asset_bounds[i].second + tol);
    gross += std::abs(r.weights[i]);
    turnover += std::abs(r.weights[i] - in.constraints.current_weights[i]);
  }
  EXPECT_NEAR(sum(r.weights), 1.0, tol);
  EXPECT_LE(gross, 1.4 + tol);
  EXPECT_LE(turnover, 0.5 + tol);
  double eq = r.weights[1] + r.weights[4];
  EXPECT_GE(eq, 0.05 - tol);
  EXPECT_LE(eq, 0.25 + tol);
  EXPECT_GE(r.weights[5], 0.1 - tol);
  EXPECT_LE(r.weights[5], 0.2 + tol);
  // The same with max_sharpe (Charnes–Cooper carries every constraint).
  in.objective = Objective::max_sharpe;
  auto s = optimize(in);
  gross = turnover = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_GE(s.weights[i], in.constraints.asset_bounds[i].first - tol);
    EXPECT_LE(s.weights[i], in.constraints.asset_bounds[i].second + tol);
    gross += std::abs(s.weights[i]);
    turnover += std::abs(s.weights[i] - in.constraints.current_weights[i]);
  }
  EXPECT_NEAR(sum(s.weights), 1.0, tol);
  EXPECT_LE(gross, 1.4 + tol);
  EXPECT_LE(turnover, 0.5 + tol);
  EXPECT_GE(s.weights[5], 0.1 - tol);
  // A tighter turnover limit binds exactly.
  in.objective = Objective::min_variance;
  in.constraints.max_turnover = 0.1;
  auto t = optimize(in);
  turnover = 0;
  for (std::size_t i = 0; i < 6; ++i) turnover += std::abs(t.weights[i] - in.constraints.current_weights[i]);
  EXPECT_NEAR(turnover, 0.1, 1e-7);
}

TEST(PortfolioConstraints, MaxAssetsIsALabelledHeuristic) {
  auto in = lpp_input(Objective::min_variance);
  in.constraints.max_assets = 3;
  auto r = optimize(in);
  EXPECT_EQ(kOptimizeStatusNames.name(r.status), "heuristic");
  int held = 0;
  for (double w : r.weights) held += std::abs(w) > 1e-12;
  EXPECT_LE(held, 3);
  EXPECT_NEAR(sum(r.weights), 1.0, 1e-12);
}

// Targets across the long-only frontier of 60 assets, from just above the minimum-variance
// volatility to just below the max-return corner's, and one beyond it (the corner itself).
TEST(PortfolioObjectives, TargetVolatilityAcrossTheFrontier) {
  Matrix r = test::random_returns(300, 60, 5);
  OptimizeInput in;
  in.mu.assign(60, 0.0);
  for (std::size_t t = 0; t < r.rows(); ++t)
    for (std::size_t j = 0; j < 60; ++j) in.mu[j] += r(t, j) / double(r.rows());
  in.sigma = accel::covariance(r);
  in.objective = Objective::min_variance;
  const double vmin = optimize(in).volatility;
  const std::size_t top = std::size_t(std::max_element(in.mu.begin(), in.mu.end()) - in.mu.begin());
  const double vmax = std::sqrt(in.sigma(top, top));
  ASSERT_GT(vmax, 1.5 * vmin);
  for (double frac : {0.01, 0.3, 0.7, 0.99}) {
    in.objective = Objective::target_volatility;
    in.target_volatility = vmin + frac * (vmax - vmin);
    const auto got = optimize(in);
    EXPECT_NEAR(got.volatility, *in.target_volatility, 1e-9 * *in.target_volatility) << frac;
    OptimizeInput at = in;  // efficient: the min-variance portfolio at its return has its volatility
    at.objective = Objective::target_return;
    at.target_return = got.expected_return;
    EXPECT_NEAR(optimize(at).volatility, *in.target_volatility, 1e-7 * *in.target_volatility) << frac;
  }
  in.target_volatility = 1.5 * vmax;
  const auto corner = optimize(in);
  EXPECT_NEAR(corner.volatility, vmax, 1e-9 * vmax);
  EXPECT_NEAR(corner.weights[top], 1.0, 1e-9);
}

TEST(PortfolioObjectives, TargetVolatilityAndUtility) {
  auto in = lpp_input(Objective::target_volatility);
  in.target_volatility = 0.2;
  auto r = optimize(in);
  EXPECT_NEAR(r.volatility, 0.2, 1e-9);
  // It is the efficient portfolio at its own return: min-variance at that return has the same volatility.
  auto t = lpp_input(Objective::target_return);
  t.target_return = r.expected_return;
  EXPECT_NEAR(optimize(t).volatility, 0.2, 1e-8);
  in.target_volatility = 0.05;  // below the min-variance volatility (~0.0986)
  try {
    optimize(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::infeasible);
    EXPECT_EQ(e.field(), "target_volatility");
  }
  // max_utility, unconstrained: w = Σ⁻¹(μ - γ1)/λ with γ set by the budget.
  auto u = lpp_input(Objective::max_utility);
  u.risk_aversion = 5;
  u.constraints.long_only = false;
  auto ru = optimize(u);
  auto g = accel::symv(u.sigma, ru.weights);
  for (std::size_t i = 1; i < 6; ++i)  // λΣw - μ is the same for every asset (the budget multiplier)
    EXPECT_NEAR(5 * g[i] - u.mu[i], 5 * g[0] - u.mu[0], 1e-10);
}

TEST(PortfolioObjectives, BlackLittermanAgreeingViewsKeepThePrior) {
  auto in = lpp_input(Objective::black_litterman);
  Views v;
  v.P = Matrix(2, 6);
  v.P(0, 1) = 1, v.P(0, 2) = -1;  // relative view
  v.P(1, 5) = 1;                  // absolute view
  v.Q = {in.mu[1] - in.mu[2], in.mu[5]};
  v.objective = Objective::max_utility;
  in.views = v;
  in.risk_aversion = 3;
  auto r = optimize(in);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(r.posterior_mu[i], in.mu[i], 1e-12);
  // A bullish view on asset 5 raises its posterior return and its weight.
  in.views->Q[1] = in.mu[5] + 0.05;
  auto b = optimize(in);
  EXPECT_GT(b.posterior_mu[5], in.mu[5]);
  EXPECT_GT(b.weights[5], r.weights[5]);
  // Posterior covariance adds the posterior uncertainty: Σ_post - Σ is PSD.
  Matrix d(6, 6);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 6; ++j) d(i, j) = b.posterior_sigma(i, j) - in.sigma(i, j);
  EXPECT_GT(accel::eigvalsh(d).back(), -1e-15);
}

TEST(PortfolioBadInput, ClearErrors) {
  auto expect = [](OptimizeInput in, ErrorCode code, const std::string& field) {
    try {
      optimize(in);
      ADD_FAILURE() << "no error for " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_EQ(e.field(), field) << e.what();
    }
  };
  auto in = lpp_input(Objective::min_variance);
  auto bad = in;
  bad.sigma = Matrix(6, 5);
  expect(bad, ErrorCode::dimension_mismatch, "covariance");
  bad = in;
  bad.sigma(0, 1) = bad.sigma(1, 0) = 10 * std::sqrt(bad.sigma(0, 0) * bad.sigma(1, 1));  // |ρ| > 1
  expect(bad, ErrorCode::not_positive_definite, "covariance");
  bad = in;
  bad.constraints.bounds = std::pair{0.0, 0.1};  // 6 × 0.1 < 1
  expect(bad, ErrorCode::infeasible, "constraints");
  bad = in;
  bad.constraints.bounds = std::pair{0.5, 0.1};
  expect(bad, ErrorCode::infeasible, "constraints.bounds");
  bad = in;
  bad.constraints.groups.push_back({"x", {0, 9}, 0.0, 0.5});
  expect(bad, ErrorCode::invalid_argument, "constraints.groups[0].assets");
  bad = in;
  bad.constraints.groups.push_back({"bonds", {0, 3}, 0.9, 1.0});
  bad.constraints.groups.push_back({"rest", {1, 2, 4, 5}, 0.2, 1.0});
  try {
    optimize(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::infeasible);
    EXPECT_NE(std::string(e.what()).find("group 'bonds' min"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("group 'rest' min"), std::string::npos) << e.what();
  }
}

TEST(PortfolioEdges, FrontierUnderGroupsAndUnreachableTargets) {
  auto in = lpp_input(Objective::min_variance);
  in.constraints.groups.push_back({"equity", {1, 4}, 0.0, 0.3});
  in.constraints.bounds = std::pair{0.0, 0.6};
  for (bool full : {false, true}) {
    auto pts = efficient_frontier(in, 25, full);
    ASSERT_EQ(pts.size(), 25u);
    for (std::size_t k = 0; k < pts.size(); ++k) {
      const auto& w = pts[k].weights;
      EXPECT_NEAR(sum(w), 1.0, 1e-9);
      EXPECT_LE(w[1] + w[4], 0.3 + 1e-9);
      for (double x : w) {
        EXPECT_LE(x, 0.6 + 1e-9);
        EXPECT_GE(x, -1e-12);
      }
      if (k) {
        EXPECT_GT(pts[k].expected_return, pts[k - 1].expected_return);
      }
    }
    // The top point is the highest return the constraints allow: 0.6 ALT + 0.3 SPI + 0.1 SII.
    EXPECT_NEAR(pts.back().expected_return, 0.6 * in.mu[5] + 0.3 * in.mu[1] + 0.1 * in.mu[2], 1e-12);
  }
  // A target return above what the constraints allow is a 422 that names the conflict.
  auto t = in;
  t.objective = Objective::target_return;
  t.target_return = 0.09;  // above every mean
  try {
    optimize(t);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::infeasible);
    EXPECT_NE(std::string(e.what()).find("target_return"), std::string::npos) << e.what();
  }
  // max_sharpe when no allowed portfolio beats the risk-free rate.
  auto m = lpp_input(Objective::max_sharpe);
  m.risk_free_rate = 1.0;
  try {
    optimize(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::infeasible);
    EXPECT_EQ(e.field(), "risk_free_rate");
  }
}

TEST(PortfolioEdges, BlackLittermanImpliedPriorFromMarketWeights) {
  // With market weights and no views' information (Q = P π), the posterior mean is π = δ Σ w_mkt, and
  // max_utility with λ = δ on the posterior recovers a portfolio near the market.
  auto in = lpp_input(Objective::black_litterman);
  Views v;
  v.market_weights = {0.3, 0.1, 0.1, 0.3, 0.1, 0.1};
  v.delta = 2.5;
  auto pi = accel::symv(in.sigma, v.market_weights);
  for (double& x : pi) x *= v.delta;
  v.P = Matrix(1, 6);
  v.P(0, 0) = 1;
  v.Q = {pi[0]};
  v.objective = Objective::max_utility;
  in.views = v;
  in.risk_aversion = 2.5;
  in.constraints.long_only = false;
  auto r = optimize(in);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(r.posterior_mu[i], pi[i], 1e-12);
  // Unconstrained max-utility on (π, Σ_post) with λ = δ: w ∝ Σ_post⁻¹π, close to w_mkt (Σ_post ≈ (1+τ)Σ).
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(r.weights[i], v.market_weights[i], 0.05) << i;
}


TEST(PortfolioEdges, CheckpointCanAbandonTheWork) {
  // The HTTP adapter passes the request deadline in as a checkpoint; every long loop calls it.
  auto in = lpp_input(Objective::min_variance);
  int calls = 0;
  in.checkpoint = [&] {
    if (++calls == 5) fail(ErrorCode::timeout, "", "deadline");
  };
  try {
    efficient_frontier(in, 50);
    FAIL() << "the frontier ignored its checkpoint";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::timeout);
  }
  calls = 0;
  in.objective = Objective::risk_parity;
  in.checkpoint = [&] { ++calls; };
  optimize(in);
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace sextant::portfolio
