#include "sextant/risk/var.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <numeric>

#include <boost/math/constants/constants.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "sextant/accel/ops.hpp"
#include "sextant/core/dot.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"
#include "sextant/risk/distributions.hpp"
#include "sextant/risk/scenarios.hpp"

namespace sextant::risk {

namespace {

// Tail statistics of scenario (or historical) portfolio returns. `contribution(s, out)` adds the
// asset returns r_i of scenario s to out; it is called for the tail scenarios only (about (1-c) of
// them), so the full scenario × asset matrix is never copied. Marginal ES_i = -E[r_i | tail] (the
// derivative of ES in w_i), component ES_i = w_i · marginal ES_i; VaR's share ES's proportions.
void tail_decomposition(VarFigures& f, std::span<const double> w, const std::vector<double>& tail_sum, double mass) {
  const std::size_t n = w.size();
  f.component_es.resize(n), f.component_var.resize(n), f.marginal_var.resize(n);
  const double scale = f.es != 0.0 ? f.var / f.es : 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double marginal_es = -tail_sum[i] / mass;
    f.component_es[i] = w[i] * marginal_es;
    f.marginal_var[i] = marginal_es * scale;
    f.component_var[i] = w[i] * f.marginal_var[i];
  }
}

// `to_returns(sum, mass)`, when given, turns what the contributions added up into asset-return sums.
using ToReturns = std::function<void(std::vector<double>&, double)>;

template <class Contribution>
VarFigures tail_figures(std::span<const double> rp, std::span<const double> w, double c, QuantileMethod qm, bool decompose,
                        Contribution&& contribution, const ToReturns& to_returns = {}) {
  const std::size_t n = w.size();
  std::vector<double> scratch(rp.begin(), rp.end());
  const double q = quantile_select(scratch, 1.0 - c, qm);
  VarFigures f;
  f.var = -q;
  std::size_t m = 0;
  double sum = 0;
  std::vector<double> comp(decompose ? n : 0, 0.0);
  for (std::size_t s = 0; s < rp.size(); ++s)
    if (rp[s] <= q) {
      ++m;
      sum += rp[s];
      if (decompose) contribution(s, comp.data());
    }
  f.es = -sum / double(m);
  if (decompose && to_returns) to_returns(comp, double(m));
  if (decompose) tail_decomposition(f, w, comp, double(m));
  return f;
}

// Age-weighted tail: the worst scenario at which cumulative weight reaches 1-c is the quantile; ES and
// the components are weight-averaged over the scenarios at or below it (Euler: exact sums).
template <class Contribution>
VarFigures weighted_tail_figures(std::span<const double> rp, std::span<const double> weight, std::span<const double> w,
                                 double c, bool decompose, Contribution&& contribution) {
  const std::size_t n = w.size();
  std::vector<std::size_t> order(rp.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rp[a] < rp[b]; });
  double cum = 0, q = rp[order.back()];
  for (std::size_t s : order) {
    cum += weight[s];
    if (cum >= 1.0 - c) {
      q = rp[s];
      break;
    }
  }
  VarFigures f;
  f.var = -q;
  double wsum = 0, sum = 0;
  std::vector<double> comp(decompose ? n : 0, 0.0), tmp(decompose ? n : 0);
  for (std::size_t s = 0; s < rp.size(); ++s)
    if (rp[s] <= q) {
      wsum += weight[s];
      sum += weight[s] * rp[s];
      if (decompose) {
        std::fill(tmp.begin(), tmp.end(), 0.0);
        contribution(s, tmp.data());
        for (std::size_t i = 0; i < n; ++i) comp[i] += weight[s] * tmp[i];
      }
    }
  f.es = -sum / wsum;
  if (decompose) tail_decomposition(f, w, comp, wsum);
  return f;
}

// Location-scale figures for one level from μ, Σw and σ_p: VaR with quantile factor z (standardised),
// ES with tail factor `tail` (E[-Z | Z <= z] for the standardised distribution). Shared by gaussian and
// student_t, and by both entry points.
VarFigures location_scale_level(std::span<const double> mu, std::span<const double> sw, std::span<const double> w,
                                double mu_p, double sigma, double z, double tail, const VarOptions& opt) {
  const std::size_t n = w.size();
  const double h = opt.horizon, sqrt_h = std::sqrt(h), mean_on = opt.include_mean ? 1.0 : 0.0;
  VarFigures f;
  f.var = -(h * mu_p * mean_on + z * sqrt_h * sigma);
  f.es = -(h * mu_p * mean_on - sqrt_h * sigma * tail);
  if (opt.decompose) {
    f.component_var.resize(n), f.marginal_var.resize(n), f.component_es.resize(n);
    // No division per asset; three simple loops over restrict pointers, which GCC vectorises (one
    // fused loop it does not).
    const double var_scale = z * sqrt_h / sigma, es_scale = sqrt_h * tail / sigma, hm = h * mean_on;
    double* __restrict mv = f.marginal_var.data();
    double* __restrict cv = f.component_var.data();
    double* __restrict ce = f.component_es.data();
    const double *mup = mu.data(), *swp = sw.data(), *wp = w.data();
    for (std::size_t i = 0; i < n; ++i) mv[i] = -(hm * mup[i] + var_scale * swp[i]);
    for (std::size_t i = 0; i < n; ++i) cv[i] = wp[i] * mv[i];
    for (std::size_t i = 0; i < n; ++i) ce[i] = -(hm * wp[i] * mup[i] - es_scale * wp[i] * swp[i]);
  }
  return f;
}

VarFigures gaussian_level(std::span<const double> mu, std::span<const double> sw, std::span<const double> w,
                          double mu_p, double sigma, double c, const VarOptions& opt) {
  const double z = norm_ppf(1.0 - c);
  return location_scale_level(mu, sw, w, mu_p, sigma, z, norm_pdf(z) / (1.0 - c), opt);
}

// Student-t scaled to unit variance: standardised quantile k·q and tail factor.
std::pair<double, double> student_t_factors(double nu, double c) {
  boost::math::students_t t(nu);
  const double q = boost::math::quantile(t, 1.0 - c), k = std::sqrt((nu - 2.0) / nu);
  return {k * q, k * boost::math::pdf(t, q) / (1.0 - c) * (nu + q * q) / (nu - 1.0)};
}

// ν by maximum likelihood of the unit-variance t on standardised returns (golden-section on log(ν-2)).
// With k² = (ν-2)/ν, log(f_ν(v/k)/k) = C(ν) - (ν+1)/2·log1p(v²/(ν-2)), where
// C(ν) = lgamma((ν+1)/2) - lgamma(ν/2) - ½·log(π(ν-2)): one log1p per return and step, where a
// call of boost's pdf per return had cost ~1 µs (200 ms for 2,520 returns over the 82 steps).
double fit_nu(std::span<const double> z) {
  const double pi = boost::math::constants::pi<double>();
  auto loglik = [&](double nu) {
    const double c =
        boost::math::lgamma((nu + 1.0) / 2.0) - boost::math::lgamma(nu / 2.0) - 0.5 * std::log(pi * (nu - 2.0));
    const double inv = 1.0 / (nu - 2.0);
    double tail = 0;
    for (double v : z) tail += std::log1p(v * v * inv);
    return double(z.size()) * c - (nu + 1.0) / 2.0 * tail;
  };
  double a = std::log(0.05), b = std::log(198.0);
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = loglik(2.0 + std::exp(c)), fd = loglik(2.0 + std::exp(d));
  for (int i = 0; i < 80; ++i) {
    if (fc > fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = loglik(2.0 + std::exp(c));
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = loglik(2.0 + std::exp(d));
  }
  return 2.0 + std::exp((a + b) / 2.0);
}

// Each level and method becomes a key of the response, so a repeat would write the same key twice.
// Index of the first entry equal to an earlier one, or v.size().
template <class T>
std::size_t first_repeat(const std::vector<T>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i)) return i;
  return v.size();
}

void check_levels(const VarOptions& opt) {
  const auto& levels = opt.confidence_levels;
  if (levels.empty()) fail(ErrorCode::invalid_argument, "confidence_levels", "'confidence_levels' is empty");
  for (double c : levels)
    if (!(c > 0.0 && c < 1.0))
      fail(ErrorCode::invalid_argument, "confidence_levels", "confidence levels must be in (0, 1), got {}", c);
  if (const std::size_t i = first_repeat(levels); i < levels.size())
    fail(ErrorCode::invalid_argument, "confidence_levels", "confidence level {} is listed twice", levels[i]);
}

void check_methods(const VarOptions& opt, std::size_t assets) {
  const auto& methods = opt.methods;
  if (methods.empty()) fail(ErrorCode::invalid_argument, "methods", "'methods' is empty");
  if (const std::size_t i = first_repeat(methods); i < methods.size())
    fail(ErrorCode::invalid_argument, "methods", "method {} is listed twice", var_method_name(methods[i]));
  // Three N-vectors per level and method, as doubles and then as JSON text (~24 bytes a number).
  const double values = double(opt.confidence_levels.size()) * double(methods.size()) * 3.0 * double(assets);
  accel::require_memory_pool(32.0 * values, "confidence_levels", "the decompositions for every level and method");
}

void check_weights(std::span<const double> w) {
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!std::isfinite(w[i])) fail(ErrorCode::non_finite, "weights", "'weights'[{}] is not finite", i);
}

void check_trade(const VarOptions& opt, std::size_t n, std::string_view columns) {
  if (opt.trade.empty()) return;
  if (opt.trade.size() != n)
    fail(ErrorCode::dimension_mismatch, "trade", "'trade' has {} entries, {} has {}", opt.trade.size(), columns, n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(opt.trade[i])) fail(ErrorCode::non_finite, "trade", "'trade'[{}] is not finite", i);
}

// What calculate_var and historical_var both check of a T×N history, the weights and the options.
void check_history_inputs(MatrixView x, std::span<const double> w, const VarOptions& opt) {
  const std::size_t t = x.rows, n = x.cols;
  if (w.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, 'returns' has {} columns", w.size(), n);
  check_weights(w);
  check_levels(opt);
  if (opt.horizon < 1 || std::size_t(opt.horizon) >= t)
    fail(ErrorCode::invalid_argument, "horizon", "'horizon' must be in [1, {}], got {}", t - 1, opt.horizon);
  check_methods(opt, n);
  check_trade(opt, n, "'returns' (columns)");
}

// What the figures take from the history or the given moments alone, not from the weights: filled
// on first use and reused by a trade's second pass (the same request on w + trade), which would
// otherwise estimate Σ, factor it and filter the panel again.
struct Estimates {
  std::vector<double> mu;  // asset means (empty until needed)
  Matrix cov;              // Σ by the chosen estimator (calculate_var's only)
  Matrix chol;             // its Cholesky factor (Monte Carlo)
  Matrix filtered;         // the volatility-rescaled panel (filtered historical simulation)
};

// Monte Carlo scenarios over h periods. Normal: one draw of N(h·μ, h·Σ), which is the sum of h
// one-period draws in distribution. Student-t: the sum of h one-period multivariate t draws (ν, scaled
// to keep Σ), simulated step by step, since a sum of t's is not a t (its tails thin as h grows).
// Only the portfolio returns are formed (accel::sample_portfolio); the tail scenarios are regenerated
// from their Philox rows for the decomposition, where the asset returns' tail sum is
// m·steps·μ_step + L·Σ_tail Σ_k (s·z)_k. Step k of path p is row k·stride + p (stride: the path count
// rounded up to even, so antithetic pairs stay pairs at every step).
struct MonteCarlo {
  Matrix chol;               // √(h/steps)·L (× the Student-t scale)
  std::vector<double> mean;  // (h/steps)·μ, or 0 without the mean
  accel::SampleSpec spec;
  std::size_t steps = 1, stride = 0;
  std::vector<double> rp;    // path portfolio returns
};

MonteCarlo simulate(std::span<const double> mu, MatrixView cov, Estimates& est, std::span<const double> w,
                    std::optional<double> nu, const VarOptions& opt) {
  if (opt.simulations < 100 || opt.simulations > 10'000'000)
    fail(ErrorCode::invalid_argument, "simulations", "'simulations' must be in [100, 10000000], got {}", opt.simulations);
  const std::size_t n = w.size();
  MonteCarlo mc;
  mc.steps = opt.mc_student_t ? std::size_t(opt.horizon) : 1;
  mc.stride = opt.simulations + (opt.simulations & 1);
  const double h = double(opt.horizon) / double(mc.steps);  // periods per step
  if (est.chol.empty()) est.chol = accel::cholesky(cov);
  mc.chol = est.chol;
  // Student-t scenarios have covariance Σ·ν/(ν-2): scale L so they keep Σ.
  const double t_scale = opt.mc_student_t ? std::sqrt((*nu - 2.0) / *nu) : 1.0;
  for (double& v : mc.chol.flat()) v *= std::sqrt(h) * t_scale;
  mc.mean.resize(n);
  for (std::size_t i = 0; i < n; ++i) mc.mean[i] = opt.include_mean ? h * mu[i] : 0.0;
  mc.spec.seed = opt.seed;
  mc.spec.chol = mc.chol;
  mc.spec.mean = mc.mean;
  mc.spec.antithetic = opt.antithetic;
  if (opt.mc_student_t) mc.spec.nu = *nu;
  // In blocks, so a checkpoint can stop 10^7 scenarios; rows are keyed by their global index, so
  // the draws are those of one call.
  constexpr std::size_t kBlock = std::size_t(1) << 18;
  for (std::size_t first = 0; first < opt.simulations; first += kBlock) {
    const std::size_t rows = std::min(kBlock, opt.simulations - first);
    std::vector<double> block;
    for (std::size_t k = 0; k < mc.steps; ++k) {
      if (opt.checkpoint) opt.checkpoint();
      accel::SampleSpec step = mc.spec;
      step.first_row = k * mc.stride + first;
      std::vector<double> part = accel::sample_portfolio(step, rows, w);
      if (k == 0) block = std::move(part);
      else
        for (std::size_t r = 0; r < rows; ++r) block[r] += part[r];
    }
    if (mc.rp.empty()) mc.rp = std::move(block);  // the only block up to 2^18 scenarios: no copy
    else mc.rp.insert(mc.rp.end(), block.begin(), block.end());
  }
  return mc;
}

VarFigures monte_carlo_level(const MonteCarlo& mc, std::span<const double> w, double c, const VarOptions& opt) {
  const std::size_t n = w.size();
  auto contribution = [&](std::size_t s, double* out) {  // adds Σ_k (s·z)_k of path s (uncorrelated draws)
    accel::SampleSpec row = mc.spec;
    row.chol = {};
    row.mean = {};
    for (std::size_t k = 0; k < mc.steps; ++k) {
      row.first_row = k * mc.stride + s;
      Matrix z = accel::sample(row, 1, n);
      for (std::size_t i = 0; i < n; ++i) out[i] += z(0, i);
    }
  };
  auto to_returns = [&](std::vector<double>& sum, double mass) {  // Σ s·z → Σ (steps·μ_step + L s·z)
    std::vector<double> r(n);
    const double paths_steps = mass * double(mc.steps);
    for (std::size_t i = 0; i < n; ++i) {
      double t = paths_steps * mc.mean[i];
      for (std::size_t k = 0; k <= i; ++k) t += mc.chol(i, k) * sum[k];
      r[i] = t;
    }
    sum = std::move(r);
  };
  return tail_figures(mc.rp, w, c, opt.quantile_method, opt.decompose, contribution, to_returns);
}

// The same request on w + trade (`after`), without decomposition: the same scenarios, seed and (for
// the Student-t methods) ν, so the difference is the trade's alone.
template <class After>
void add_trade_figures(std::span<const double> w, const VarOptions& opt, VarReport& rep, After&& after_of) {
  VarOptions after_opt = opt;
  after_opt.trade.clear();
  after_opt.decompose = false;
  if (rep.nu) after_opt.nu = rep.nu;
  std::vector<double> after_w(w.begin(), w.end());
  for (std::size_t i = 0; i < w.size(); ++i) after_w[i] += opt.trade[i];
  VarReport after;
  try {
    after = after_of(std::span<const double>(after_w), after_opt);
  } catch (const Error& e) {
    fail(e.code(), "trade", "the portfolio after 'trade': {}", e.what());
  }
  for (std::size_t l = 0; l < rep.results.size(); ++l)
    for (std::size_t k = 0; k < rep.results[l].size(); ++k) {
      VarFigures& f = rep.results[l][k].second;
      const VarFigures& a = after.results[l][k].second;
      TradeFigures t{a.var, a.es, a.var - f.var, a.es - f.es, std::nullopt};
      if (!f.marginal_var.empty()) t.first_order = dot(f.marginal_var.data(), opt.trade.data(), w.size());
      f.trade = t;
    }
}

}  // namespace

namespace {

VarReport parametric_var(std::span<const double> mean, MatrixView cov, std::span<const double> w, const VarOptions& opt,
                         Estimates& est) {
  const std::size_t n = w.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "weights", "'weights' is empty");
  if (!cov.square() || cov.rows != n)
    fail(ErrorCode::dimension_mismatch, "covariance", "'covariance' is {}×{}, 'weights' has {} entries", cov.rows, cov.cols, n);
  if (mean.size() != n)
    fail(ErrorCode::dimension_mismatch, "expected_returns", "'expected_returns' has {} entries, 'weights' has {}", mean.size(), n);
  check_weights(w);
  check_levels(opt);
  if (opt.horizon < 1) fail(ErrorCode::invalid_argument, "horizon", "'horizon' must be at least 1");
  check_methods(opt, n);
  check_trade(opt, n, "'weights'");
  bool student_t = false;
  for (VarMethod m : opt.methods) {
    if (m == VarMethod::historical || m == VarMethod::modified)
      fail(ErrorCode::invalid_argument, "methods", "method {} needs 'returns' (a history), not a covariance", var_method_name(m));
    student_t = student_t || m == VarMethod::student_t || (m == VarMethod::monte_carlo && opt.mc_student_t);
  }
  if (student_t && !opt.nu) fail(ErrorCode::invalid_argument, "nu", "with a given covariance, the Student-t methods need 'nu'");
  if (opt.nu && !(*opt.nu > 2.0 && std::isfinite(*opt.nu)))
    fail(ErrorCode::invalid_argument, "nu", "'nu' must be greater than 2, got {}", *opt.nu);
  const std::vector<double> sw = accel::symv(cov, w);
  const double var_p = dot(w.data(), sw.data(), n), mu_p = dot(w.data(), mean.data(), n);
  if (!(var_p > 0.0)) fail(ErrorCode::not_positive_definite, "covariance", "the portfolio variance wᵀΣw is not positive");
  const double sigma = std::sqrt(var_p);
  VarReport rep;
  rep.portfolio_volatility = sigma;
  rep.portfolio_mean = mu_p;
  if (student_t) rep.nu = opt.nu;
  MonteCarlo mc;
  if (std::find(opt.methods.begin(), opt.methods.end(), VarMethod::monte_carlo) != opt.methods.end())
    mc = simulate(mean, cov, est, w, opt.nu, opt);
  for (double c : opt.confidence_levels) {
    std::vector<std::pair<VarMethod, VarFigures>> row;
    for (VarMethod m : opt.methods) {
      if (m == VarMethod::gaussian) {
        row.emplace_back(m, gaussian_level(mean, sw, w, mu_p, sigma, c, opt));
      } else if (m == VarMethod::student_t) {
        auto [zt, tail] = student_t_factors(*opt.nu, c);
        row.emplace_back(m, location_scale_level(mean, sw, w, mu_p, sigma, zt, tail, opt));
      } else {
        row.emplace_back(m, monte_carlo_level(mc, w, c, opt));
      }
    }
    rep.results.push_back(std::move(row));
  }
  if (!opt.trade.empty())
    add_trade_figures(w, opt, rep,
                      [&](std::span<const double> wa, const VarOptions& o) { return parametric_var(mean, cov, wa, o, est); });
  return rep;
}

VarReport calculate_var(MatrixView x, std::span<const double> w, const VarOptions& opt, Estimates& est) {
  const std::size_t t = x.rows, n = x.cols;
  if (t < 2 || n == 0) fail(ErrorCode::dimension_mismatch, "returns", "'returns' needs at least 2 rows and 1 column, got {}×{}", t, n);
  check_history_inputs(x, w, opt);
  if (opt.covariance.estimator == analytics::CovarianceEstimator::semi)
    fail(ErrorCode::invalid_argument, "estimator", "'estimator' must be \"sample\", \"ledoit_wolf\" or \"ewma\" for VaR, got \"semi\"");

  // Period portfolio returns by one gemv. A NaN or Inf anywhere in the panel makes its row's return
  // non-finite (0·Inf is NaN too), so finiteness is checked on the T results; the panel is scanned
  // only to name the bad cell.
  std::vector<double> period = accel::gemv(x, w);
  // Inf - Inf and NaN - NaN are NaN, and v - v is 0 otherwise: one vectorised sum tests all T.
  const bool finite = lane_sum(t, [&](std::size_t r) { return period[r] - period[r]; }) == 0.0;
  if (!finite) {
    for (std::size_t r = 0; r < t; ++r)
      for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(x(r, i)))
          fail(ErrorCode::non_finite, "returns", "'returns' has a non-finite value at row {}, column {}", r, i);
    fail(ErrorCode::non_finite, "weights", "the portfolio returns overflow the double range: scale 'weights' down");
  }
  // The covariance (an O(N²T) product) only when a method needs it; otherwise σ_p comes from the
  // portfolio return series, which is the same quantity (ddof 1) at O(N·T).
  auto uses = [&](VarMethod m) { return std::find(opt.methods.begin(), opt.methods.end(), m) != opt.methods.end(); };
  // Asset means: for the parametric methods, Monte Carlo and the filter; μ_p itself is mean(period).
  const bool need_mu = !(opt.methods.size() == 1 && uses(VarMethod::historical) && !opt.filtered_lambda);
  if (need_mu && est.mu.empty()) est.mu = column_means(x);
  const std::vector<double> no_mu(need_mu ? 0 : n, 0.0);
  const std::vector<double>& mu = need_mu ? est.mu : no_mu;
  const bool need_cov = uses(VarMethod::gaussian) || uses(VarMethod::modified) || uses(VarMethod::monte_carlo) ||
                        uses(VarMethod::student_t);
  if (opt.nu && !(*opt.nu > 2.0 && std::isfinite(*opt.nu)))
    fail(ErrorCode::invalid_argument, "nu", "'nu' must be greater than 2, got {}", *opt.nu);
  // μ_p = Σ w_i μ_i, as the mean of the period returns (defined whether or not μ was needed).
  const double mu_p = lane_sum(t, [&](std::size_t r) { return period[r]; }) / double(t);
  const Matrix& cov = est.cov;
  Matrix sw(n, 1);
  double var_p = 0;
  if (need_cov) {
    if (est.cov.empty()) est.cov = analytics::estimate_covariance(x, opt.covariance).covariance;
    const std::vector<double> s = accel::symv(cov, w);  // Σw, one pass over half of Σ; σ_p² = wᵀ(Σw)
    std::copy(s.begin(), s.end(), sw.data());
    var_p = dot(w.data(), s.data(), n);
  } else {
    var_p = lane_sum(t, [&](std::size_t r) { return (period[r] - mu_p) * (period[r] - mu_p); }) / double(t - 1);
  }
  if (!(var_p > 0.0)) fail(ErrorCode::invalid_argument, "weights", "the portfolio has zero variance");
  const double sigma = std::sqrt(var_p);

  VarReport rep;
  rep.portfolio_volatility = sigma;
  rep.portfolio_mean = mu_p;
  if (uses(VarMethod::student_t) || (uses(VarMethod::monte_carlo) && opt.mc_student_t)) {
    if (opt.nu) {
      rep.nu = *opt.nu;
    } else {
      // Standardised by the sample σ_p, whatever Σ's estimator: ν describes the shape of the history.
      double s = sigma;
      if (opt.covariance.estimator != analytics::CovarianceEstimator::sample)
        s = std::sqrt(lane_sum(t, [&](std::size_t r) { return (period[r] - mu_p) * (period[r] - mu_p); }) / double(t - 1));
      std::vector<double> z(t);
      for (std::size_t r = 0; r < t; ++r) z[r] = (period[r] - mu_p) / s;
      rep.nu = fit_nu(z);
    }
  }

  // Filtered historical simulation: a volatility-rescaled copy of the panel replaces it for historical.
  const bool need_hist = std::find(opt.methods.begin(), opt.methods.end(), VarMethod::historical) != opt.methods.end();
  MatrixView hx = x;
  std::vector<double> hist_period = period;
  if (need_hist && opt.filtered_lambda && est.filtered.empty()) {
    const double lam = *opt.filtered_lambda;
    if (!(lam > 0.0 && lam < 1.0)) fail(ErrorCode::invalid_argument, "filtered", "the filtering λ must be in (0, 1), got {}", lam);
    Matrix& filtered = est.filtered;
    filtered = Matrix(t, n);
    std::vector<double> var_t(t + 1);  // var_t[r]: the EWMA variance forecast for row r from rows < r
    for (std::size_t i = 0; i < n; ++i) {
      double v0 = 0;
      for (std::size_t r = 0; r < t; ++r) v0 += (x(r, i) - mu[i]) * (x(r, i) - mu[i]);
      var_t[0] = v0 / double(t - 1);
      for (std::size_t r = 0; r < t; ++r) var_t[r + 1] = lam * var_t[r] + (1.0 - lam) * x(r, i) * x(r, i);
      const double now = std::sqrt(var_t[t]);
      for (std::size_t r = 0; r < t; ++r) filtered(r, i) = var_t[r] > 0 ? x(r, i) * now / std::sqrt(var_t[r]) : x(r, i);
    }
  }
  if (need_hist && opt.filtered_lambda) {
    hx = est.filtered.view();
    for (std::size_t r = 0; r < t; ++r) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += w[i] * hx(r, i);
      hist_period[r] = s;
    }
  }
  // Portfolio returns summed over overlapping h-period windows (contributions come later, tail only).
  std::vector<double> hist_rp;
  if (need_hist) {
    const std::size_t windows = t - std::size_t(opt.horizon) + 1;
    hist_rp.assign(windows, 0.0);
    for (std::size_t s = 0; s < windows; ++s)
      for (std::size_t k = 0; k < std::size_t(opt.horizon); ++k) hist_rp[s] += hist_period[s + k];
  }
  auto hist_contribution = [&](std::size_t s, double* out) {
    for (std::size_t k = 0; k < std::size_t(opt.horizon); ++k) {
      const double* xr = hx.row(s + k);
      for (std::size_t i = 0; i < n; ++i) out[i] += xr[i];
    }
  };
  MonteCarlo mc;
  if (std::find(opt.methods.begin(), opt.methods.end(), VarMethod::monte_carlo) != opt.methods.end())
    mc = simulate(mu, cov, est, w, rep.nu, opt);
  // Population skew and excess kurtosis of the period portfolio returns (Cornish-Fisher only).
  double skew = 0, kurt = 0;
  if (uses(VarMethod::modified)) {
    const Moments m = standardised_moments(period, mu_p);
    if (!std::isfinite(m.m2))
      fail(ErrorCode::non_finite, "returns", "the portfolio returns overflow: their variance is not finite");
    skew = m.skew;
    kurt = m.kurt - 3.0;
  }
  auto cornish_fisher = [&](double z) {
    return z + (z * z - 1) * skew / 6 + (z * z * z - 3 * z) * kurt / 24 - (2 * z * z * z - 5 * z) * skew * skew / 36;
  };

  for (double c : opt.confidence_levels) {
    std::vector<std::pair<VarMethod, VarFigures>> row;
    const double z = norm_ppf(1.0 - c);
    for (VarMethod m : opt.methods) {
      VarFigures f;
      switch (m) {
        case VarMethod::gaussian:
          f = gaussian_level(mu, sw.flat(), w, mu_p, sigma, c, opt);
          break;
        case VarMethod::student_t: {
          auto [zt, tail] = student_t_factors(*rep.nu, c);
          f = location_scale_level(mu, sw.flat(), w, mu_p, sigma, zt, tail, opt);
          break;
        }
        case VarMethod::modified: {
          // ES: the mean of the Cornish-Fisher quantile over the tail (u in (0, 1-c)), midpoint rule;
          // then the location-scale form with quantile z_cf and tail factor -E[z_cf].
          constexpr int kSteps = 20000;
          double acc = 0;
          for (int s = 0; s < kSteps; ++s) acc += cornish_fisher(norm_ppf((1.0 - c) * (s + 0.5) / kSteps));
          f = location_scale_level(mu, sw.flat(), w, mu_p, sigma, cornish_fisher(z), -acc / kSteps, opt);
          break;
        }
        case VarMethod::historical:
          if (opt.age_weighting_lambda) {
            const double lam = *opt.age_weighting_lambda;
            if (!(lam > 0.0 && lam < 1.0))
              fail(ErrorCode::invalid_argument, "age_weighting", "the age-weighting λ must be in (0, 1), got {}", lam);
            const std::size_t m = hist_rp.size();
            std::vector<double> weight(m);
            const double norm = (1.0 - lam) / (1.0 - std::pow(lam, double(m)));
            for (std::size_t s = 0; s < m; ++s) weight[s] = norm * std::pow(lam, double(m - 1 - s));
            f = weighted_tail_figures(hist_rp, weight, w, c, opt.decompose, hist_contribution);
          } else {
            f = tail_figures(hist_rp, w, c, opt.quantile_method, opt.decompose, hist_contribution);
          }
          break;
        case VarMethod::monte_carlo:
          f = monte_carlo_level(mc, w, c, opt);
          break;
      }
      row.emplace_back(m, std::move(f));
    }
    rep.results.push_back(std::move(row));
  }
  if (!opt.trade.empty())
    add_trade_figures(w, opt, rep, [&](std::span<const double> wa, const VarOptions& o) { return calculate_var(x, wa, o, est); });
  return rep;
}

}  // namespace

namespace {

// Weights near the double range can overflow a tail sum or a component though every input is
// finite: an error naming the weights, not an Inf in the answer.
void check_finite(const VarFigures& f) {
  auto all_finite = [](const std::vector<double>& v) { return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }); };
  bool ok = std::isfinite(f.var) && std::isfinite(f.es) && all_finite(f.component_var) && all_finite(f.marginal_var) &&
            all_finite(f.component_es);
  if (f.trade) ok = ok && std::isfinite(f.trade->var_after) && std::isfinite(f.trade->es_after);
  if (!ok) fail(ErrorCode::non_finite, "weights", "the figures overflow the double range: scale 'weights' down");
}

VarReport checked(VarReport rep) {
  for (const auto& level : rep.results)
    for (const auto& [m, f] : level) check_finite(f);
  return rep;
}

}  // namespace

VarReport parametric_var(std::span<const double> mean, MatrixView cov, std::span<const double> w, const VarOptions& opt) {
  Estimates est;
  return checked(parametric_var(mean, cov, w, opt, est));
}

VarReport calculate_var(MatrixView x, std::span<const double> w, const VarOptions& opt) {
  Estimates est;
  return checked(calculate_var(x, w, opt, est));
}

namespace {

// historical_var's figures wrapped as a one-method report, so the trade's pass reuses add_trade_figures.
VarReport as_report(std::vector<VarFigures> levels) {
  VarReport rep;
  for (VarFigures& f : levels) rep.results.push_back({{VarMethod::historical, std::move(f)}});
  return rep;
}

}  // namespace

std::vector<VarFigures> historical_var(const HistoricalScenarios& s, std::span<const double> w, const VarOptions& opt) {
  const MatrixView x = s.returns;
  const std::size_t t = x.rows, n = x.cols;
  VarOptions hist = opt;
  hist.methods = {VarMethod::historical};
  check_history_inputs(x, w, hist);
  std::vector<VarFigures> out;
  auto full_pass = [&] {
    for (auto& level : calculate_var(x, w, hist).results) out.push_back(std::move(level[0].second));
    return out;
  };
  if (opt.age_weighting_lambda || opt.filtered_lambda) return full_pass();  // the weights or the panel change
  if (std::all_of(w.begin(), w.end(), [](double v) { return v == 0.0; }))
    fail(ErrorCode::invalid_argument, "weights", "the portfolio has zero variance");

  // Approximate h-period window sums and the K smallest any level reads (quantile_from reads order
  // statistics first and first + 1 at most; the tail {r ≤ q} lies within them).
  const ScreenedReturns sc = screen(s, w);
  if (!std::isfinite(sc.bound)) return full_pass();  // weights near the double range
  const std::size_t h = std::size_t(opt.horizon), m = t - h + 1;
  std::vector<double> approx(m, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t k = 0; k < h; ++k) approx[i] += sc.approx[i + k];
  const double bound = double(h) * sc.bound * (1.0 + 1e-12);
  std::size_t need = 1;
  for (double c : opt.confidence_levels)
    need = std::max(need, std::min(quantile_first_index(m, 1.0 - c, opt.quantile_method) + 1, m - 1) + 1);
  std::vector<double> sorted(approx);
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(need - 1), sorted.end());
  const double cut = sorted[need - 1] + 2.0 * bound;

  // Exact window returns of the candidates, from exact period returns computed once per row.
  std::vector<double> period(t, std::numeric_limits<double>::quiet_NaN());
  auto period_at = [&](std::size_t r) {
    if (std::isnan(period[r])) period[r] = dot(x.row(r), w.data(), n);
    return period[r];
  };
  std::vector<std::size_t> cand;  // ascending window index
  std::vector<double> exact;
  for (std::size_t i = 0; i < m; ++i)
    if (approx[i] <= cut) {
      double v = 0;
      for (std::size_t k = 0; k < h; ++k) v += period_at(i + k);
      cand.push_back(i), exact.push_back(v);
    }
  sorted.assign(exact.begin(), exact.end());
  std::partial_sort(sorted.begin(), sorted.begin() + std::ptrdiff_t(need), sorted.end());

  for (double c : opt.confidence_levels) {
    const double q = quantile_from(m, 1.0 - c, opt.quantile_method, [&](std::size_t k) { return sorted[k]; });
    VarFigures f;
    f.var = -q;
    std::size_t tail = 0;
    double sum = 0;
    std::vector<double> comp(opt.decompose ? n : 0, 0.0);
    for (std::size_t j = 0; j < cand.size(); ++j)
      if (exact[j] <= q) {
        ++tail;
        sum += exact[j];
        if (opt.decompose)
          for (std::size_t k = 0; k < h; ++k) {
            const double* xr = x.row(cand[j] + k);
            for (std::size_t i = 0; i < n; ++i) comp[i] += xr[i];
          }
      }
    f.es = -sum / double(tail);
    if (opt.decompose) tail_decomposition(f, w, comp, double(tail));
    out.push_back(std::move(f));
  }
  if (!opt.trade.empty()) {
    VarReport rep = as_report(std::move(out));
    add_trade_figures(w, opt, rep, [&](std::span<const double> wa, const VarOptions& o) { return as_report(historical_var(s, wa, o)); });
    out.clear();
    for (auto& level : rep.results) out.push_back(std::move(level[0].second));
  }
  for (const VarFigures& f : out) check_finite(f);
  return out;
}

PositionWeights weights_from_positions(const std::vector<std::string>& symbols, const std::map<std::string, double>& positions,
                                       const std::map<std::string, double>& prices) {
  PositionWeights out;
  std::vector<double> exposure;
  for (const auto& s : symbols) {
    auto q = positions.find(s);
    const double qty = q == positions.end() ? 0.0 : q->second;
    auto p = prices.find(s);
    if (qty != 0.0 && p == prices.end()) fail(ErrorCode::invalid_argument, "prices." + s, "no price for position '{}'", s);
    exposure.push_back(qty == 0.0 ? 0.0 : qty * p->second);
    out.value += exposure.back();
  }
  for (const auto& [s, q] : positions)
    if (std::find(symbols.begin(), symbols.end(), s) == symbols.end())
      fail(ErrorCode::invalid_argument, "positions." + s, "position '{}' is not among 'symbols'", s);
  if (!(out.value != 0.0)) fail(ErrorCode::invalid_argument, "positions", "the positions have zero net value");
  for (double e : exposure) out.weights.push_back(e / out.value);
  return out;
}

}  // namespace sextant::risk
