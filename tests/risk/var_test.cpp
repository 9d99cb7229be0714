// VaR / ES against lpp2005_risk.json (numpy/scipy formulas) and decomposition properties.
#include <gtest/gtest.h>

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sextant/analytics/covariance.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/distributions.hpp"
#include "sextant/risk/var.hpp"
#include "support/test_support.hpp"

namespace sextant::risk {
namespace {

constexpr const char* kGolden = "golden/lpp2005_risk.json";


const std::vector<double> kWeights{0.1, 0.2, 0.1, 0.3, 0.2, 0.1};

void near_rel(double got, double want, double rel, const std::string& what) {
  EXPECT_LE(std::abs(got - want), rel * std::abs(want)) << what << ": " << got << " vs " << want;
}

TEST(Quantile, SelectionEqualsTheSortedQuantileForEveryMethod) {
  const QuantileMethod methods[] = {QuantileMethod::linear, QuantileMethod::inverted_cdf, QuantileMethod::lower,
                                    QuantileMethod::higher, QuantileMethod::midpoint, QuantileMethod::nearest};
  for (std::size_t n : {1, 2, 3, 10, 101, 2520}) {
    Matrix r = test::random_returns(1, n, 900 + n);
    std::vector<double> v(r.data(), r.data() + n);
    if (n > 3) v[n / 2] = v[n / 3];  // a tie
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (QuantileMethod m : methods)
      for (double p : {0.0, 0.01, 0.025, 0.05, 0.5, 0.95, 0.99, 1.0}) {
        std::vector<double> scratch = v;
        EXPECT_EQ(quantile_select(scratch, p, m), quantile_sorted(sorted, p, m)) << "n " << n << " p " << p;
      }
  }
}

TEST(Distributions, InverseNormalIsAccurate) {
  EXPECT_NEAR(norm_ppf(0.05), -1.6448536269514729, 1e-15);
  EXPECT_NEAR(norm_ppf(0.01), -2.3263478740408408, 1e-15);
  EXPECT_NEAR(norm_ppf(0.5), 0.0, 1e-16);
  EXPECT_NEAR(norm_ppf(1e-10), -6.361340902404056, 1e-12);
  for (double p : {1e-6, 0.02, 0.3, 0.7, 0.99}) EXPECT_NEAR(norm_cdf(norm_ppf(p)), p, 1e-15 + 1e-13 * p);
  EXPECT_THROW(norm_ppf(0.0), Error);
}

TEST(Var, MatchesTheGoldenFile) {
  auto g = test::golden(kGolden);
  Matrix r = test::lpp_returns_x100();
  ASSERT_EQ(r.rows(), std::size_t(int64_t(g["rows"])));
  const char* qnames[] = {"linear", "inverted_cdf", "lower", "higher", "midpoint", "nearest"};
  for (const char* level : {"0.95", "0.99"}) {
    auto L = g["levels"][level];
    VarOptions opt;
    opt.confidence_levels = {std::stod(level)};
    opt.methods = {VarMethod::gaussian, VarMethod::modified};
    auto rep = calculate_var(r, kWeights, opt);
    const auto& gauss = rep.results[0][0].second;
    near_rel(gauss.var, double(L["gaussian_var"]), 1e-10, std::string("gaussian_var ") + level);
    near_rel(gauss.es, double(L["gaussian_es"]), 1e-10, std::string("gaussian_es ") + level);
    auto comp = test::numbers(L["component_gaussian_var"]);
    for (std::size_t i = 0; i < 6; ++i) near_rel(gauss.component_var[i], comp[i], 1e-10, "component " + std::to_string(i));
    near_rel(rep.results[0][1].second.var, double(L["modified_var"]), 1e-10, std::string("modified_var ") + level);
    for (const char* q : qnames) {
      VarOptions h;
      h.confidence_levels = {std::stod(level)};
      h.methods = {VarMethod::historical};
      h.quantile_method = parse_quantile_method(q);
      auto hr = calculate_var(r, kWeights, h).results[0][0].second;
      near_rel(hr.var, double(L[std::string("historical_var_") + q]), 1e-10, std::string("historical_var_") + q + " " + level);
      near_rel(hr.es, double(L[std::string("historical_es_") + q]), 1e-10, std::string("historical_es_") + q + " " + level);
    }
  }
}

TEST(Var, ComponentsSumToTheTotalForEveryMethod) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.methods = {VarMethod::gaussian, VarMethod::historical, VarMethod::modified, VarMethod::monte_carlo};
  opt.simulations = 20000;
  auto rep = calculate_var(r, kWeights, opt);
  for (const auto& level : rep.results)
    for (const auto& [m, f] : level) {
      double cv = std::accumulate(f.component_var.begin(), f.component_var.end(), 0.0);
      double ce = std::accumulate(f.component_es.begin(), f.component_es.end(), 0.0);
      EXPECT_NEAR(cv, f.var, 1e-12 * std::max(1.0, std::abs(f.var))) << var_method_name(m);
      EXPECT_NEAR(ce, f.es, 1e-12 * std::max(1.0, std::abs(f.es))) << var_method_name(m);
      EXPECT_GT(f.es, f.var) << var_method_name(m) << ": ES beyond VaR";
    }
}

TEST(Var, HistoricalMarginalIsTheTailMeanEvenForAnUnheldAsset) {
  // Marginal ES_i = -E[r_i | tail]: an asset with zero weight still has a marginal (adding it moves VaR).
  Matrix r = test::lpp_returns_x100();
  const std::vector<double> w{0.2, 0.3, 0.0, 0.3, 0.2, 0.0};
  VarOptions opt;
  opt.methods = {VarMethod::historical};
  opt.confidence_levels = {0.95};
  auto f = calculate_var(r, w, opt).results[0][0].second;
  std::vector<double> rp(r.rows());
  for (std::size_t t = 0; t < r.rows(); ++t)
    for (std::size_t i = 0; i < 6; ++i) rp[t] += w[i] * r(t, i);
  double tail2 = 0, count = 0;
  for (std::size_t t = 0; t < r.rows(); ++t)
    if (rp[t] <= -f.var) tail2 += r(t, 2), ++count;
  EXPECT_NEAR(f.marginal_var[2], -tail2 / count * f.var / f.es, 1e-12);
  EXPECT_NE(f.marginal_var[2], 0.0);
  EXPECT_EQ(f.component_var[2], 0.0);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(f.component_var[i], w[i] * f.marginal_var[i], 1e-15);
}

TEST(Var, MonteCarloNormalIsWithinThreeStandardErrorsOfGaussian) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.methods = {VarMethod::gaussian, VarMethod::monte_carlo};
  opt.simulations = 100000;
  opt.seed = 7;
  auto rep = calculate_var(r, kWeights, opt);
  for (std::size_t l = 0; l < rep.results.size(); ++l) {
    const double c = opt.confidence_levels[l];
    const double g = rep.results[l][0].second.var, mc = rep.results[l][1].second.var;
    // Standard error of a sample quantile: sqrt(p(1-p)/n) / f(q), f the normal density at the quantile.
    const double z = norm_ppf(1 - c), density = norm_pdf(z) / rep.portfolio_volatility;
    const double se = std::sqrt(c * (1 - c) / double(opt.simulations)) / density;
    EXPECT_LT(std::abs(mc - g), 3 * se) << "level " << c << ": MC " << mc << " vs gaussian " << g << " (se " << se << ")";
  }
  auto again = calculate_var(r, kWeights, opt);
  EXPECT_EQ(again.results[1][1].second.var, rep.results[1][1].second.var) << "same seed, same answer";
}

// Σ by Ledoit-Wolf and EWMA: σ_p² = wᵀΣw with scikit-learn's / the recursion's golden Σ for the Dow 30.
TEST(Var, CovarianceEstimatorsGiveTheGoldenPortfolioVolatility) {
  const Matrix x = test::dow_log_returns();
  const std::size_t n = x.cols();
  const std::vector<double> w(n, 1.0 / double(n));
  double mu_p = 0;
  for (std::size_t t = 0; t < x.rows(); ++t)
    for (std::size_t i = 0; i < n; ++i) mu_p += w[i] * x(t, i) / double(x.rows());
  auto g = test::golden("golden/dowjones30_analytics.json");
  const std::pair<analytics::CovarianceEstimator, const char*> cases[] = {
      {analytics::CovarianceEstimator::ledoit_wolf, "ledoit_wolf_covariance"},
      {analytics::CovarianceEstimator::ewma, "ewma_covariance_lambda_0.94_final"}};
  for (auto [estimator, key] : cases) {
    const std::vector<double> cov = test::numbers(g[key]);
    double var_p = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) var_p += w[i] * cov[i * n + j] * w[j];
    VarOptions opt;
    opt.methods = {VarMethod::gaussian, VarMethod::monte_carlo};
    opt.confidence_levels = {0.99};
    opt.simulations = 50000;
    opt.covariance.estimator = estimator;  // EWMA: λ 0.94 and 20 seed rows by default, as the golden file
    auto rep = calculate_var(x, w, opt);
    near_rel(rep.portfolio_volatility, std::sqrt(var_p), 1e-10, key);
    const double z = norm_ppf(0.01);
    near_rel(rep.results[0][0].second.var, -(mu_p + z * std::sqrt(var_p)), 1e-10, key);
    // Monte Carlo draws from the same Σ: within 3 standard errors of its Gaussian VaR.
    const double se = std::sqrt(0.01 * 0.99 / double(opt.simulations)) / (norm_pdf(z) / std::sqrt(var_p));
    EXPECT_LT(std::abs(rep.results[0][1].second.var - rep.results[0][0].second.var), 3 * se) << key;
  }
}

// A trade's figures are those of a second call on w + trade (same seed, same ν), for every method; for
// the location-scale methods the first-order estimate Σ marginal_i·trade_i agrees to second order.
TEST(Var, TradeFiguresAreTheSameMethodOnTheTradedPortfolio) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.methods = {VarMethod::gaussian, VarMethod::historical, VarMethod::modified, VarMethod::monte_carlo,
                 VarMethod::student_t};
  opt.simulations = 20000;
  opt.trade = {0.002, -0.002, 0.0, 0.0, 0.0, 0.0};  // Swiss equities (SPI) into bonds (SBI)
  auto rep = calculate_var(r, kWeights, opt);
  ASSERT_TRUE(rep.nu.has_value());
  std::vector<double> after_w = kWeights;
  for (std::size_t i = 0; i < after_w.size(); ++i) after_w[i] += opt.trade[i];
  VarOptions after_opt = opt;
  after_opt.trade.clear();
  after_opt.nu = rep.nu;
  auto after = calculate_var(r, after_w, after_opt);
  for (std::size_t l = 0; l < rep.results.size(); ++l)
    for (std::size_t k = 0; k < opt.methods.size(); ++k) {
      const auto& [m, f] = rep.results[l][k];
      const std::string name(var_method_name(m));
      ASSERT_TRUE(f.trade.has_value()) << name;
      EXPECT_EQ(f.trade->var_after, after.results[l][k].second.var) << name;
      EXPECT_EQ(f.trade->es_after, after.results[l][k].second.es) << name;
      EXPECT_EQ(f.trade->incremental_var, f.trade->var_after - f.var) << name;
      EXPECT_EQ(f.trade->incremental_es, f.trade->es_after - f.es) << name;
      ASSERT_TRUE(f.trade->first_order.has_value()) << name;
      if (m == VarMethod::gaussian || m == VarMethod::student_t) {
        EXPECT_NEAR(*f.trade->first_order, f.trade->incremental_var, 1e-2 * std::abs(f.trade->incremental_var)) << name;
      }
      if (m != VarMethod::monte_carlo) {
        EXPECT_LT(f.trade->incremental_var, 0.0) << name << ": equities into bonds";
      }
    }
}

// From given moments: the figures calculate_var computes from its own estimates, for gaussian and
// student_t (ν given); Monte Carlo within 3 standard errors; a trade as from a history.
TEST(Var, ParametricFromGivenMomentsMatchesTheHistoryPath) {
  Matrix r = test::lpp_returns_x100();
  const std::size_t t = r.rows(), n = r.cols();
  std::vector<double> mu(n, 0.0);
  for (std::size_t s = 0; s < t; ++s)
    for (std::size_t i = 0; i < n; ++i) mu[i] += r(s, i) / double(t);
  const Matrix cov = analytics::estimate_covariance(r, {}).covariance;
  VarOptions opt;
  opt.methods = {VarMethod::gaussian, VarMethod::student_t};
  opt.nu = 5.0;
  opt.horizon = 5;
  opt.trade = {0.01, -0.01, 0.0, 0.0, 0.0, 0.0};
  const auto hist = calculate_var(r, kWeights, opt), given = parametric_var(mu, cov, kWeights, opt);
  near_rel(given.portfolio_volatility, hist.portfolio_volatility, 1e-13, "sigma");
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t k = 0; k < 2; ++k) {
      const auto &a = given.results[l][k].second, &b = hist.results[l][k].second;
      const std::string what(var_method_name(given.results[l][k].first));
      near_rel(a.var, b.var, 1e-12, what + " var");
      near_rel(a.es, b.es, 1e-12, what + " es");
      for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(a.component_var[i], b.component_var[i], 1e-12) << what;
      ASSERT_TRUE(a.trade && b.trade) << what;
      near_rel(a.trade->incremental_var, b.trade->incremental_var, 1e-9, what + " incremental");
    }
  opt.methods = {VarMethod::gaussian, VarMethod::monte_carlo};
  opt.simulations = 100000;
  opt.trade.clear();
  const auto mc = parametric_var(mu, cov, kWeights, opt);
  for (std::size_t l = 0; l < 2; ++l) {
    const double c = opt.confidence_levels[l], z = norm_ppf(1 - c), sd = mc.portfolio_volatility * std::sqrt(5.0);
    const double se = std::sqrt(c * (1 - c) / double(opt.simulations)) / (norm_pdf(z) / sd);
    EXPECT_LT(std::abs(mc.results[l][1].second.var - mc.results[l][0].second.var), 3 * se) << c;
    const auto& f = mc.results[l][1].second;
    EXPECT_NEAR(std::accumulate(f.component_var.begin(), f.component_var.end(), 0.0), f.var, 1e-12 * std::abs(f.var));
  }
}

TEST(Var, ParametricRefusesWhatNeedsAHistory) {
  const std::vector<double> mu(6, 0.0);
  Matrix cov(6, 6);
  for (std::size_t i = 0; i < 6; ++i) cov(i, i) = 1.0;
  auto field_of = [&](const VarOptions& opt) {
    try {
      parametric_var(mu, cov, kWeights, opt);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("no error");
  };
  VarOptions hist;  // the default methods include historical
  EXPECT_EQ(field_of(hist), "methods");
  VarOptions t;
  t.methods = {VarMethod::student_t};
  EXPECT_EQ(field_of(t), "nu");
  t.nu = 4.0;
  EXPECT_EQ(field_of(t), "no error");
  EXPECT_EQ(field_of([] { VarOptions o; o.methods = {VarMethod::gaussian}; o.trade = {1.0}; return o; }()), "trade");
}

TEST(Var, HorizonScalesParametricBySqrtH) {
  Matrix r = test::lpp_returns_x100();
  VarOptions one, ten;
  one.methods = ten.methods = {VarMethod::gaussian};
  one.include_mean = ten.include_mean = false;
  ten.horizon = 10;
  double v1 = calculate_var(r, kWeights, one).results[0][0].second.var;
  double v10 = calculate_var(r, kWeights, ten).results[0][0].second.var;
  EXPECT_NEAR(v10, v1 * std::sqrt(10.0), 1e-12);
}

TEST(Var, BadInputNamesTheField) {
  Matrix r = test::lpp_returns_x100();
  auto field_of = [&](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of([&] { calculate_var(r, std::vector<double>{0.5, 0.5}, {}); }), "weights");
  EXPECT_EQ(field_of([&] { calculate_var(r, std::vector<double>{0.1, 0.2, NAN, 0.3, 0.2, 0.1}, {}); }), "weights");
  VarOptions bad;
  bad.confidence_levels = {1.2};
  EXPECT_EQ(field_of([&] { calculate_var(r, kWeights, bad); }), "confidence_levels");
  EXPECT_EQ(field_of([&] { parse_var_method("magic"); }), "methods");
  VarOptions semi;
  semi.covariance.estimator = analytics::CovarianceEstimator::semi;
  EXPECT_EQ(field_of([&] { calculate_var(r, kWeights, semi); }), "estimator");
  VarOptions lambda;
  lambda.covariance.estimator = analytics::CovarianceEstimator::ewma;
  lambda.covariance.lambda = 1.5;
  EXPECT_EQ(field_of([&] { calculate_var(r, kWeights, lambda); }), "ewma_lambda");
  VarOptions trade;
  trade.trade = {0.1, -0.1};
  EXPECT_EQ(field_of([&] { calculate_var(r, kWeights, trade); }), "trade");
  trade.trade = {-0.1, -0.2, -0.1, -0.3, -0.2, -0.1};  // sells everything: nothing left to have a variance
  EXPECT_EQ(field_of([&] { calculate_var(r, kWeights, trade); }), "trade");
  EXPECT_EQ(field_of([&] { parse_quantile_method("median"); }), "quantile_method");
  // A non-finite return anywhere, even under a zero weight, is named; the check reads the T portfolio
  // returns (0·Inf is NaN), so each kind and place is tried.
  std::vector<double> zero_first = kWeights;
  zero_first[0] = 0.0;
  for (double bad_value : {double(NAN), double(INFINITY), -double(INFINITY)})
    for (std::size_t row : {std::size_t(0), r.rows() / 2, r.rows() - 1}) {
      Matrix x = r;
      x(row, 0) = bad_value;
      EXPECT_EQ(field_of([&] { calculate_var(x, kWeights, {}); }), "returns") << bad_value << " at row " << row;
      EXPECT_EQ(field_of([&] { calculate_var(x, zero_first, {}); }), "returns") << bad_value << " at row " << row;
    }
}

}  // namespace
}  // namespace sextant::risk

#include "sextant/accel/ops.hpp"

namespace sextant::risk {
namespace {

TEST(StudentT, GivenNuMatchesScipyAndSums) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.confidence_levels = {0.99};
  opt.methods = {VarMethod::gaussian, VarMethod::student_t};
  opt.nu = 5.0;
  auto rep = calculate_var(r, kWeights, opt);
  ASSERT_TRUE(rep.nu.has_value());
  const double k = std::sqrt(3.0 / 5.0), q = -3.3649299989072747;  // scipy.stats.t.ppf(0.01, 5)
  const double sigma = rep.portfolio_volatility, mu = rep.portfolio_mean;
  const auto& t = rep.results[0][1].second;
  near_rel(t.var, -(mu + k * q * sigma), 1e-12, "student_t var");
  near_rel(t.es, -(mu - sigma * k * 4.452429111817762), 1e-12, "student_t es");  // pdf(q)/(1-c)·(ν+q²)/(ν-1)
  EXPECT_NEAR(std::accumulate(t.component_var.begin(), t.component_var.end(), 0.0), t.var, 1e-12);
  EXPECT_GT(t.var, rep.results[0][0].second.var) << "fatter tail at 99%";
  opt.nu = 1e6;  // t -> normal
  auto big = calculate_var(r, kWeights, opt);
  EXPECT_NEAR(big.results[0][1].second.var, big.results[0][0].second.var, 1e-5);
  opt.nu = 1.5;
  EXPECT_THROW(calculate_var(r, kWeights, opt), Error);
}

TEST(StudentT, MaximumLikelihoodRecoversNu) {
  accel::SampleSpec spec;
  spec.seed = 3;
  spec.nu = 5.0;
  Matrix x = accel::sample(spec, 20000, 1);  // t with ν = 5
  for (double& v : x.flat()) v *= 0.01;
  VarOptions opt;
  opt.methods = {VarMethod::student_t};
  auto rep = calculate_var(x, std::vector<double>{1.0}, opt);
  ASSERT_TRUE(rep.nu.has_value());
  EXPECT_NEAR(*rep.nu, 5.0, 0.6);
  // The fit maximises the likelihood, computed here the direct way: boost's density of the
  // unit-variance t at each standardised return.
  const double mu = rep.portfolio_mean, sigma = rep.portfolio_volatility;
  auto loglik = [&](double nu) {
    const double k = std::sqrt((nu - 2.0) / nu);
    boost::math::students_t t(nu);
    double ll = 0;
    for (double v : x.flat()) ll += std::log(boost::math::pdf(t, (v - mu) / sigma / k) / k);
    return ll;
  };
  const double best = loglik(*rep.nu);
  for (double step : {1e-3, 1e-2, 0.1, 0.5}) {
    EXPECT_GE(best, loglik(*rep.nu + step)) << "ν + " << step;
    EXPECT_GE(best, loglik(*rep.nu - step)) << "ν - " << step;
  }
}

TEST(StudentT, MonteCarloStudentTMatchesParametricT) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.confidence_levels = {0.95};
  opt.methods = {VarMethod::student_t, VarMethod::monte_carlo};
  opt.nu = 6.0;
  opt.mc_student_t = true;
  opt.simulations = 200000;
  auto rep = calculate_var(r, kWeights, opt);
  const double t = rep.results[0][0].second.var, mc = rep.results[0][1].second.var;
  EXPECT_NEAR(mc, t, 0.02 * t) << "multivariate t scenarios at the same covariance";
}

// Over h periods Student-t Monte Carlo sums h simulated one-period t steps: the sum keeps the
// variance h·σ² but its tails thin towards the normal's, so its 99% VaR lies between the Gaussian
// √h VaR and the parametric t's √h-scaled one (which keeps one period's tails). Components still sum.
TEST(StudentT, MonteCarloSimulatesEachStepOfTheHorizon) {
  Matrix r = test::lpp_returns_x100();
  VarOptions opt;
  opt.confidence_levels = {0.99};
  opt.methods = {VarMethod::gaussian, VarMethod::student_t, VarMethod::monte_carlo};
  opt.include_mean = false;
  opt.nu = 4.0;
  opt.mc_student_t = true;
  opt.horizon = 10;
  opt.simulations = 200001;  // odd: antithetic pairs must still pair at every step
  opt.antithetic = true;
  auto rep = calculate_var(r, kWeights, opt);
  const double g = rep.results[0][0].second.var, t = rep.results[0][1].second.var;
  const auto& mc = rep.results[0][2].second;
  EXPECT_GT(mc.var, 1.01 * g) << "fatter than normal after 10 steps";
  EXPECT_LT(mc.var, t - 0.5 * (t - g)) << "much thinner than one period's t tails";
  EXPECT_NEAR(std::accumulate(mc.component_var.begin(), mc.component_var.end(), 0.0), mc.var, 1e-12 * mc.var);
  EXPECT_NEAR(std::accumulate(mc.component_es.begin(), mc.component_es.end(), 0.0), mc.es, 1e-12 * mc.es);
}

}  // namespace
}  // namespace sextant::risk

namespace sextant::risk {
namespace {

TEST(HistoricalOptions, AgeWeightingByHand) {
  // Oldest to newest: -0.05, 0.01, -0.02, 0.03, -0.01; λ = 0.5: weights ∝ 1/16, 1/8, 1/4, 1/2, 1.
  Matrix x(5, 1);
  double v[] = {-0.05, 0.01, -0.02, 0.03, -0.01};
  std::copy(v, v + 5, x.data());
  VarOptions opt;
  opt.confidence_levels = {0.90};
  opt.methods = {VarMethod::historical};
  opt.age_weighting_lambda = 0.5;
  auto f = calculate_var(x, std::vector<double>{1.0}, opt).results[0][0].second;
  const double norm = 0.5 / (1.0 - std::pow(0.5, 5));
  const double w_old = norm / 16, w_mid = norm / 4;  // -0.05 and -0.02: cumulative 0.161 >= 0.10
  EXPECT_NEAR(f.var, 0.02, 1e-15);
  EXPECT_NEAR(f.es, -(w_old * -0.05 + w_mid * -0.02) / (w_old + w_mid), 1e-15);
  EXPECT_NEAR(f.component_es[0], f.es, 1e-15);
}

TEST(HistoricalOptions, ComponentsStillSumAndFilteringReactsToRecentVolatility) {
  Matrix r = test::lpp_returns_x100();
  for (auto lam : {0.97, 0.94}) {
    VarOptions opt;
    opt.methods = {VarMethod::historical};
    opt.age_weighting_lambda = lam;
    for (const auto& level : calculate_var(r, kWeights, opt).results) {
      const auto& f = level[0].second;
      EXPECT_NEAR(std::accumulate(f.component_var.begin(), f.component_var.end(), 0.0), f.var, 1e-12);
      EXPECT_NEAR(std::accumulate(f.component_es.begin(), f.component_es.end(), 0.0), f.es, 1e-12);
    }
  }
  // A calm first half and a turbulent second half: FHS scales history to today's (high) volatility.
  Matrix x(400, 1);
  accel::SampleSpec spec;
  spec.seed = 9;
  Matrix z = accel::sample(spec, 400, 1);
  for (std::size_t t = 0; t < 400; ++t) x(t, 0) = z(t, 0) * (t < 200 ? 0.005 : 0.02);
  VarOptions plain, fhs;
  plain.methods = fhs.methods = {VarMethod::historical};
  fhs.filtered_lambda = 0.94;
  const double v_plain = calculate_var(x, std::vector<double>{1.0}, plain).results[0][0].second.var;
  const double v_fhs = calculate_var(x, std::vector<double>{1.0}, fhs).results[0][0].second.var;
  EXPECT_GT(v_fhs, 1.2 * v_plain);
  fhs.filtered_lambda = 1.5;
  try {
    calculate_var(x, std::vector<double>{1.0}, fhs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "filtered");
  }
}

// Cornish-Fisher's skew and kurtosis come from standardised returns, so returns of ~1e150 (finite
// squares, fourth powers of 1e600) still give a modified VaR, 2^500 times that of the data at scale.
TEST(ModifiedVar, HugeReturnsScaleInsteadOfOverflowing) {
  Matrix x = test::random_returns(250, 4, 21);
  Matrix big = x;
  for (double& v : big.flat()) v = std::ldexp(v, 500);
  const std::vector<double> w{0.4, 0.3, 0.2, 0.1};
  VarOptions opt;
  opt.methods = {VarMethod::modified};
  opt.decompose = false;
  const double small_var = calculate_var(x, w, opt).results[0][0].second.var;
  const double big_var = calculate_var(big, w, opt).results[0][0].second.var;
  ASSERT_TRUE(std::isfinite(big_var));
  EXPECT_NEAR(big_var / std::ldexp(small_var, 500), 1.0, 1e-13);
}

// Monte Carlo draws in blocks of 2^18 scenarios so that a checkpoint (the service's deadline check)
// can run between them. Rows are keyed by their global index, so the VaR is that of the same
// scenarios drawn in one accel::sample_portfolio call (the block offsets are what keep it so).
TEST(MonteCarloVar, BlocksDrawTheScenariosOfOneCall) {
  Matrix x = test::random_returns(300, 4, 31);
  const std::vector<double> w{0.4, 0.3, 0.2, 0.1}, zero_mean(4, 0.0);
  const Matrix chol = accel::cholesky(accel::covariance(x));  // SampleSpec holds views
  for (bool antithetic : {false, true}) {
    VarOptions opt;
    opt.methods = {VarMethod::monte_carlo};
    opt.confidence_levels = {0.95};
    opt.include_mean = false;
    opt.decompose = false;
    opt.simulations = 600'000;  // three blocks, the last one partial
    opt.antithetic = antithetic;
    int calls = 0;
    opt.checkpoint = [&] { ++calls; };
    const double var = calculate_var(x, w, opt).results[0][0].second.var;
    EXPECT_EQ(calls, 3);
    accel::SampleSpec spec;  // as calculate_var builds it: h = 1, a zero mean
    spec.seed = opt.seed;
    spec.antithetic = antithetic;
    spec.chol = chol;
    spec.mean = zero_mean;
    std::vector<double> rp = accel::sample_portfolio(spec, opt.simulations, w);
    EXPECT_EQ(var, -quantile_select(rp, 1.0 - 0.95, QuantileMethod::linear)) << antithetic;  // as calculate_var selects
    opt.checkpoint = [] { throw Error(ErrorCode::timeout, "the request deadline passed"); };
    EXPECT_THROW(calculate_var(x, w, opt), Error);
  }
}

}  // namespace
}  // namespace sextant::risk
