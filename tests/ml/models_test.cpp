// GARCH against R fGarch, the HMM against an independent forward algorithm and the 2008 crisis,
// isolation forest on injected outliers, and the linear, logistic and text models on known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <set>

#include "sextant/core/error.hpp"
#include "sextant/data/csv.hpp"
#include "sextant/ml/garch.hpp"
#include "sextant/ml/hmm.hpp"
#include "sextant/ml/isolation_forest.hpp"
#include "sextant/ml/linear.hpp"
#include "support/test_support.hpp"

namespace sextant::test {
namespace {

struct Sp500 {
  std::vector<std::string> dates;  // of each return
  std::vector<double> log_returns;
};

const Sp500& sp500() {
  static const Sp500 s = [] {
    const Panel p = data::read_csv_panel(data_path("sp500_2000_2020_ohlcv.csv"));
    const std::size_t close = std::size_t(std::find(p.symbols.begin(), p.symbols.end(), "close") - p.symbols.begin());
    Sp500 s;
    for (std::size_t t = 1; t < p.values.rows(); ++t) {
      s.log_returns.push_back(std::log(p.values(t, close) / p.values(t - 1, close)));
      s.dates.push_back(p.index[t]);
    }
    return s;
  }();
  return s;
}

TEST(Garch, MatchesFGarchOnTheSp500) {
  auto g = golden("golden/sp500_garch.json");
  std::vector<double> r;
  for (double v : sp500().log_returns) r.push_back(100 * v);
  const ml::Garch fit = ml::fit_garch(r);
  EXPECT_TRUE(fit.converged);
  EXPECT_NEAR(fit.omega, double(g["omega"]), 1e-3 * double(g["omega"]));
  EXPECT_NEAR(fit.alpha1, double(g["alpha1"]), 1e-3 * double(g["alpha1"]));
  EXPECT_NEAR(fit.beta1, double(g["beta1"]), 1e-3 * double(g["beta1"]));
  EXPECT_NEAR(fit.loglik, double(g["loglik"]), 1e-4 * std::fabs(double(g["loglik"])));
  // fGarch's own parameters score no better under our likelihood: the optimum is ours to find.
  EXPECT_GE(fit.loglik + 1e-6, ml::garch_loglik(r, g["omega"], g["alpha1"], g["beta1"]));
  // Forecasts revert to the unconditional variance ω / (1 - α - β).
  const auto f = fit.forecast_variance(2000);
  EXPECT_NEAR(f.back(), fit.omega / (1 - fit.alpha1 - fit.beta1), 1e-6);
  EXPECT_THROW(ml::fit_garch(std::vector<double>(10, 0.1)), Error);
}

TEST(Ewma, FollowsTheRiskMetricsRecursion) {
  const std::vector<double> r = {0.01, -0.02, 0.015, 0.0, -0.01};
  const ml::Ewma e = ml::fit_ewma(r, 0.9);
  double v = 0;
  for (double x : r) v += x * x;
  v /= 5;
  for (double x : r) v = 0.9 * v + 0.1 * x * x;
  EXPECT_DOUBLE_EQ(e.variance, v);
}

// An independent forward algorithm, in logs (log-sum-exp), without scaling.
double log_forward(const ml::GaussianHmm& m, const std::vector<double>& x) {
  const std::size_t K = m.states;
  auto logpdf = [&](double v, std::size_t k) {
    return -0.5 * std::log(2 * std::numbers::pi * m.variance[k]) - 0.5 * (v - m.mean[k]) * (v - m.mean[k]) / m.variance[k];
  };
  std::vector<double> a(K), n(K);
  for (std::size_t k = 0; k < K; ++k) a[k] = std::log(m.start[k]) + logpdf(x[0], k);
  for (std::size_t t = 1; t < x.size(); ++t) {
    for (std::size_t j = 0; j < K; ++j) {
      double top = -INFINITY;
      for (std::size_t i = 0; i < K; ++i) top = std::max(top, a[i] + std::log(m.transition[i * K + j]));
      double s = 0;
      for (std::size_t i = 0; i < K; ++i) s += std::exp(a[i] + std::log(m.transition[i * K + j]) - top);
      n[j] = top + std::log(s) + logpdf(x[t], j);
    }
    a = n;
  }
  const double top = *std::max_element(a.begin(), a.end());
  double s = 0;
  for (double v : a) s += std::exp(v - top);
  return top + std::log(s);
}

TEST(Hmm, FitsTheSp500RegimesAndTheCrisisIsTheVolatileOne) {
  const auto& s = sp500();
  const ml::GaussianHmm m = ml::fit_hmm(s.log_returns, 3);
  EXPECT_TRUE(m.converged);
  EXPECT_LT(m.mean[0], m.mean[1]);
  EXPECT_LT(m.mean[1], m.mean[2]);
  EXPECT_NEAR(m.loglik, log_forward(m, s.log_returns), 1e-8 * std::fabs(m.loglik));
  for (std::size_t i = 0; i < 3; ++i) {
    double row = 0;
    for (std::size_t j = 0; j < 3; ++j) row += m.transition[i * 3 + j];
    EXPECT_NEAR(row, 1.0, 1e-12);
  }
  const std::size_t volatile_state = std::size_t(std::max_element(m.variance.begin(), m.variance.end()) - m.variance.begin());
  const auto path = ml::hmm_viterbi(m, s.log_returns);
  const auto filtered = ml::hmm_filter(m, s.log_returns);
  std::size_t crisis = 0, in_state = 0, filtered_in = 0;
  for (std::size_t t = 0; t < s.dates.size(); ++t) {
    if (s.dates[t] < "2008-09-01" || s.dates[t] > "2009-03-31") continue;
    ++crisis;
    in_state += path[t] == volatile_state;
    const double* p = &filtered[t * 3];
    filtered_in += std::size_t(std::max_element(p, p + 3) - p) == volatile_state;
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
  }
  ASSERT_GT(crisis, 100u);
  EXPECT_GE(double(in_state) / double(crisis), 0.9) << "Viterbi: " << in_state << " of " << crisis << " crisis days";
  EXPECT_GE(double(filtered_in) / double(crisis), 0.85) << "filtered: " << filtered_in << " of " << crisis;
}

TEST(IsolationForest, RanksInjectedOutliersInTheTopPercent) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z;
  const std::size_t rows = 5000, cols = 4, outliers = 40;
  std::vector<double> x(rows * cols);
  for (double& v : x) v = z(rng);
  std::vector<std::size_t> planted;
  for (std::size_t k = 0; k < outliers; ++k) {
    const std::size_t r = k * (rows / outliers) + 7;
    planted.push_back(r);
    for (std::size_t j = 0; j < cols; ++j) x[r * cols + j] = (j % 2 ? -1 : 1) * (5.0 + z(rng) * 0.3);
  }
  const auto f = ml::fit_isolation_forest(x.data(), rows, cols, 200, 256, 1);
  std::vector<std::pair<double, std::size_t>> s;
  for (std::size_t r = 0; r < rows; ++r) s.emplace_back(ml::isolation_score(f, &x[r * cols]), r);
  std::sort(s.rbegin(), s.rend());
  std::set<std::size_t> top;
  for (std::size_t i = 0; i < rows / 100; ++i) top.insert(s[i].second);
  for (std::size_t r : planted) EXPECT_TRUE(top.count(r)) << "outlier row " << r << " is not in the top 1%";
  EXPECT_GT(s.front().first, 0.6);
  EXPECT_LT(s[rows / 2].first, 0.5);
}

TEST(Linear, OlsRecoversAKnownPlaneAndRidgeShrinks) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> z;
  const std::size_t n = 500;
  std::vector<double> x(n * 3), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 3; ++j) x[i * 3 + j] = z(rng) * double(j + 1);
    y[i] = 1.5 + 2 * x[i * 3] - 0.5 * x[i * 3 + 1] + 0.0 * x[i * 3 + 2];
  }
  const auto ols = ml::fit_linear(x.data(), n, 3, y.data(), 1, 0);
  EXPECT_NEAR(ols.intercept[0], 1.5, 1e-10);
  EXPECT_NEAR(ols.coef[0], 2, 1e-10);
  EXPECT_NEAR(ols.coef[1], -0.5, 1e-10);
  EXPECT_NEAR(ols.coef[2], 0, 1e-10);
  const auto imp = ols.importance();
  EXPECT_GT(imp[0], imp[1]);
  EXPECT_NEAR(imp[2], 0, 1e-9);
  const auto ridge = ml::fit_linear(x.data(), n, 3, y.data(), 1, 100);
  EXPECT_LT(std::fabs(ridge.coef[0]), 2);
  // The ridge normal equations hold: (XcᵀXc + λI) b = Xcᵀyc.
  double out;
  ml::predict_linear(ols, &x[0], &out);
  EXPECT_NEAR(out, y[0], 1e-9);
  // Multi-output ridge: each column is its own ridge.
  std::vector<double> y2(n * 2);
  for (std::size_t i = 0; i < n; ++i) y2[i * 2] = y[i], y2[i * 2 + 1] = -y[i];
  const auto multi = ml::fit_linear(x.data(), n, 3, y2.data(), 2, 100);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(multi.coef[j * 2], ridge.coef[j], 1e-12);
    EXPECT_NEAR(multi.coef[j * 2 + 1], -ridge.coef[j], 1e-12);
  }
  x[4] = std::nan("");
  try {
    ml::fit_linear(x.data(), n, 3, y.data(), 1, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "X[1][1]");
  }
}

TEST(Logistic, SeparatesTwoAndThreeClassesAndProbabilitiesSumToOne) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z;
  const std::size_t n = 1200;
  std::vector<double> x(n * 2);
  std::vector<std::int32_t> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = std::int32_t(i % 3);
    x[i * 2] = z(rng) + 3.0 * y[i];
    x[i * 2 + 1] = z(rng) - 2.0 * y[i];
  }
  const auto m = ml::fit_logistic(x.data(), n, 2, y, 3, 1e-4);
  std::size_t right = 0, bayes = 0;  // bayes: the nearest true class mean (equal unit variances)
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t best = 0;
    double dist = INFINITY;
    for (std::size_t k = 0; k < 3; ++k) {
      const double d = std::pow(x[i * 2] - 3.0 * double(k), 2) + std::pow(x[i * 2 + 1] + 2.0 * double(k), 2);
      if (d < dist) dist = d, best = k;
    }
    bayes += best == std::size_t(y[i]);
    double p[3];
    ml::logistic_probabilities(m, &x[i * 2], p);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
    right += std::size_t(std::max_element(p, p + 3) - p) == std::size_t(y[i]);
  }
  EXPECT_GE(double(right), double(bayes) - 0.01 * double(n)) << "logistic " << right << ", Bayes " << bayes << " of " << n;
  EXPECT_GT(double(right) / double(n), 0.9);
}

TEST(TextLogistic, LearnsSentimentFromLabelledText) {
  const std::vector<std::string> texts = {
      "Shares surge after record earnings beat", "Profit jumps as revenue beats forecasts", "Stock rallies on strong guidance",
      "Company raises dividend after strong quarter", "Shares plunge after earnings miss", "Profit falls as revenue misses forecasts",
      "Stock tumbles on weak guidance", "Company cuts dividend after weak quarter", "Regulator opens probe, shares slump",
      "Upgrade lifts shares to record high"};
  const std::vector<std::string> labels = {"positive", "positive", "positive", "positive", "negative",
                                           "negative", "negative", "negative", "negative", "positive"};
  const auto m = ml::fit_text_logistic(texts, labels, 1e-3, 1 << 12);
  ASSERT_EQ(m.labels, (std::vector<std::string>{"negative", "positive"}));
  double p[2];
  ml::text_probabilities(m, "earnings beat, shares surge", p);
  EXPECT_GT(p[1], 0.6);
  ml::text_probabilities(m, "weak quarter, shares plunge", p);
  EXPECT_GT(p[0], 0.6);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
  EXPECT_THROW(ml::fit_text_logistic(texts, std::vector<std::string>(3, "x"), 1e-3), Error);
}

}  // namespace
}  // namespace sextant::test
