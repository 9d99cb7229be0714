// VaR and ES (include/sextant/risk/var.hpp): the checks, calculate_var on a history, and the entry points.
#include "sextant/risk/var.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <numeric>

#include "sextant/core/moments.hpp"
#include "var_detail.hpp"

namespace sextant::risk {
namespace detail {
namespace {

// Each level and method becomes a key of the response, so a repeat would write the same key twice.
// Index of the first entry equal to an earlier one, or v.size().
template <class T>
std::size_t first_repeat(const std::vector<T>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i)) return i;
  return v.size();
}

}  // namespace

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

namespace {

// Period portfolio returns by one gemv. A NaN or Inf anywhere in the panel makes its row's return
// non-finite (0·Inf is NaN too), so finiteness is checked on the T results; the panel is scanned only
// to name the bad cell.
std::vector<double> portfolio_returns(MatrixView x, std::span<const double> w) {
  std::vector<double> period = accel::gemv(x, w);
  // Inf - Inf and NaN - NaN are NaN, and v - v is 0 otherwise: one vectorised sum tests all T.
  const bool finite = lane_sum(x.rows, [&](std::size_t r) { return period[r] - period[r]; }) == 0.0;
  if (finite) return period;
  for (std::size_t r = 0; r < x.rows; ++r)
    for (std::size_t i = 0; i < x.cols; ++i)
      if (!std::isfinite(x(r, i))) fail(ErrorCode::non_finite, "returns", "'returns' has a non-finite value at row {}, column {}", r, i);
  fail(ErrorCode::non_finite, "weights", "the portfolio returns overflow the double range: scale 'weights' down");
}

// Sample variance (ddof 1) of the period returns around mu_p.
double sample_variance(std::span<const double> period, double mu_p) {
  return lane_sum(period.size(), [&](std::size_t r) { return (period[r] - mu_p) * (period[r] - mu_p); }) /
         double(period.size() - 1);
}

// ν for the Student-t methods: given, or fitted to the period returns standardised by the sample σ_p,
// whatever Σ's estimator (ν describes the shape of the history).
double student_t_nu(std::span<const double> period, double mu_p, double sigma, const VarOptions& opt) {
  if (opt.nu) return *opt.nu;
  const double s = opt.covariance.estimator == analytics::CovarianceEstimator::sample ? sigma : std::sqrt(sample_variance(period, mu_p));
  std::vector<double> z(period.size());
  for (std::size_t r = 0; r < period.size(); ++r) z[r] = (period[r] - mu_p) / s;
  return fit_nu(z);
}

}  // namespace

VarReport calculate_var(MatrixView x, std::span<const double> w, const VarOptions& opt, Estimates& est) {
  const std::size_t t = x.rows, n = x.cols;
  if (t < 2 || n == 0) fail(ErrorCode::dimension_mismatch, "returns", "'returns' needs at least 2 rows and 1 column, got {}×{}", t, n);
  check_history_inputs(x, w, opt);
  if (opt.covariance.estimator == analytics::CovarianceEstimator::semi)
    fail(ErrorCode::invalid_argument, "estimator", "'estimator' must be \"sample\", \"ledoit_wolf\" or \"ewma\" for VaR, got \"semi\"");
  if (opt.nu && !(*opt.nu > 2.0 && std::isfinite(*opt.nu)))
    fail(ErrorCode::invalid_argument, "nu", "'nu' must be greater than 2, got {}", *opt.nu);
  const std::vector<double> period = portfolio_returns(x, w);
  auto uses = [&](VarMethod m) { return std::find(opt.methods.begin(), opt.methods.end(), m) != opt.methods.end(); };
  // Asset means: for the parametric methods, Monte Carlo and the filter; μ_p itself is mean(period).
  const bool need_mu = !(opt.methods.size() == 1 && uses(VarMethod::historical) && !opt.filtered_lambda);
  if (need_mu && est.mu.empty()) est.mu = column_means(x);
  const std::vector<double> no_mu(need_mu ? 0 : n, 0.0);
  const std::vector<double>& mu = need_mu ? est.mu : no_mu;
  const double mu_p = lane_sum(t, [&](std::size_t r) { return period[r]; }) / double(t);

  // Σ (an O(N²T) product) only when a method needs it; otherwise σ_p comes from the portfolio return
  // series, which is the same quantity (ddof 1) at O(N·T).
  const bool need_cov = uses(VarMethod::gaussian) || uses(VarMethod::modified) || uses(VarMethod::monte_carlo) ||
                        uses(VarMethod::student_t);
  std::vector<double> sw(n, 0.0);  // Σw
  double var_p = 0;
  if (need_cov) {
    if (est.cov.empty()) est.cov = analytics::estimate_covariance(x, opt.covariance).covariance;
    sw = accel::symv(est.cov, w);  // one pass over half of Σ; σ_p² = wᵀ(Σw)
    var_p = dot(w.data(), sw.data(), n);
  } else {
    var_p = sample_variance(period, mu_p);
  }
  if (!(var_p > 0.0)) fail(ErrorCode::invalid_argument, "weights", "the portfolio has zero variance");
  const double sigma = std::sqrt(var_p);

  VarReport rep;
  rep.portfolio_volatility = sigma;
  rep.portfolio_mean = mu_p;
  if (uses(VarMethod::student_t) || (uses(VarMethod::monte_carlo) && opt.mc_student_t))
    rep.nu = student_t_nu(period, mu_p, sigma, opt);

  // Historical: window returns of the panel, or of its volatility-rescaled copy with filtering.
  MatrixView hx = x;
  std::vector<double> hist_rp;
  if (uses(VarMethod::historical)) {
    std::vector<double> hist_period = period;
    if (opt.filtered_lambda) {
      hx = filtered_panel(x, mu, *opt.filtered_lambda, est).view();
      for (std::size_t r = 0; r < t; ++r) {
        double v = 0;
        for (std::size_t i = 0; i < n; ++i) v += w[i] * hx(r, i);
        hist_period[r] = v;
      }
    }
    hist_rp = window_sums(hist_period, std::size_t(opt.horizon));
  }
  auto hist_contribution = [&](std::size_t s, double* out) {  // the tail scenarios' asset returns, on demand
    for (std::size_t k = 0; k < std::size_t(opt.horizon); ++k) {
      const double* xr = hx.row(s + k);
      for (std::size_t i = 0; i < n; ++i) out[i] += xr[i];
    }
  };
  MonteCarlo mc;
  if (uses(VarMethod::monte_carlo)) mc = simulate(mu, est.cov, est, w, rep.nu, opt);
  Moments moments;  // population skew and kurtosis of the period returns (Cornish-Fisher only)
  if (uses(VarMethod::modified)) {
    moments = standardised_moments(period, mu_p);
    if (!std::isfinite(moments.m2)) fail(ErrorCode::non_finite, "returns", "the portfolio returns overflow: their variance is not finite");
  }

  for (double c : opt.confidence_levels) {
    std::vector<std::pair<VarMethod, VarFigures>> row;
    for (VarMethod m : opt.methods) {
      switch (m) {
        case VarMethod::gaussian: row.emplace_back(m, gaussian_level(mu, sw, w, mu_p, sigma, c, opt)); break;
        case VarMethod::student_t: {
          auto [zt, tail] = student_t_factors(*rep.nu, c);
          row.emplace_back(m, location_scale_level(mu, sw, w, mu_p, sigma, zt, tail, opt));
          break;
        }
        case VarMethod::modified:
          row.emplace_back(m, modified_level(mu, sw, w, mu_p, sigma, moments.skew, moments.kurt - 3.0, c, opt));
          break;
        case VarMethod::historical: row.emplace_back(m, historical_level(hist_rp, w, c, opt, hist_contribution)); break;
        case VarMethod::monte_carlo: row.emplace_back(m, monte_carlo_level(mc, w, c, opt)); break;
      }
    }
    rep.results.push_back(std::move(row));
  }
  if (!opt.trade.empty())
    add_trade_figures(w, opt, rep, [&](std::span<const double> wa, const VarOptions& o) { return calculate_var(x, wa, o, est); });
  return rep;
}
}  // namespace detail

VarReport calculate_var(MatrixView x, std::span<const double> w, const VarOptions& opt) {
  detail::Estimates est;
  return detail::checked(detail::calculate_var(x, w, opt, est));
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
