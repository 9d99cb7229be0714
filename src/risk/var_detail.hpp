#pragma once
// The parts of VaR (include/sextant/risk/var.hpp) its files share: var.cpp (checks, calculate_var and
// its history path), var_parametric.cpp (location-scale and Cornish-Fisher figures, ν, given moments),
// var_historical.cpp (tail statistics, filtering, age weighting, the prepared-scenario screen) and
// var_monte_carlo.cpp (simulation and its tail).
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sextant/accel/ops.hpp"
#include "sextant/core/dot.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/var.hpp"

namespace sextant::risk::detail {

// ---- checks (var.cpp)
void check_levels(const VarOptions& opt);
void check_methods(const VarOptions& opt, std::size_t assets);
void check_weights(std::span<const double> w);
void check_trade(const VarOptions& opt, std::size_t n, std::string_view columns);
// What calculate_var and historical_var both check of a T×N history, the weights and the options.
void check_history_inputs(MatrixView x, std::span<const double> w, const VarOptions& opt);
// An error naming the weights when a figure overflowed the double range.
void check_finite(const VarFigures& f);
VarReport checked(VarReport rep);

// What the figures take from the history or the given moments alone, not from the weights: filled
// on first use and reused by a trade's second pass (the same request on w + trade), which would
// otherwise estimate Σ, factor it and filter the panel again.
struct Estimates {
  std::vector<double> mu;  // asset means (empty until needed)
  Matrix cov;              // Σ by the chosen estimator (calculate_var's only)
  Matrix chol;             // its Cholesky factor (Monte Carlo)
  Matrix filtered;         // the volatility-rescaled panel (filtered historical simulation)
};

// ---- tail statistics (var_historical.cpp)
// Tail statistics of scenario (or historical) portfolio returns. `contribution(s, out)` adds the
// asset returns r_i of scenario s to out; it is called for the tail scenarios only (about (1-c) of
// them), so the full scenario × asset matrix is never copied. Marginal ES_i = -E[r_i | tail] (the
// derivative of ES in w_i), component ES_i = w_i · marginal ES_i; VaR's share ES's proportions.
void tail_decomposition(VarFigures& f, std::span<const double> w, const std::vector<double>& tail_sum, double mass);

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

// The filtered-historical panel (Hull-White) of x in est.filtered, made on first use.
const Matrix& filtered_panel(MatrixView x, std::span<const double> mu, double lambda, Estimates& est);
//! Sums of h consecutive entries: the overlapping h-period window returns.
std::vector<double> window_sums(std::span<const double> period, std::size_t h);
//! Historical figures of one level from window returns: plain or age-weighted.
template <class Contribution>
VarFigures historical_level(std::span<const double> rp, std::span<const double> w, double c, const VarOptions& opt,
                            Contribution&& contribution);

// ---- location-scale methods (var_parametric.cpp)
// Location-scale figures for one level from μ, Σw and σ_p: VaR with quantile factor z (standardised),
// ES with tail factor `tail` (E[-Z | Z <= z] for the standardised distribution). Shared by gaussian and
// student_t, and by both entry points.
VarFigures location_scale_level(std::span<const double> mu, std::span<const double> sw, std::span<const double> w,
                                double mu_p, double sigma, double z, double tail, const VarOptions& opt);
VarFigures gaussian_level(std::span<const double> mu, std::span<const double> sw, std::span<const double> w,
                          double mu_p, double sigma, double c, const VarOptions& opt);
// Student-t scaled to unit variance: standardised quantile k·q and tail factor.
std::pair<double, double> student_t_factors(double nu, double c);
// ν by maximum likelihood of the unit-variance t on standardised returns (golden-section on log(ν-2)).
// With k² = (ν-2)/ν, log(f_ν(v/k)/k) = C(ν) - (ν+1)/2·log1p(v²/(ν-2)), where
// C(ν) = lgamma((ν+1)/2) - lgamma(ν/2) - ½·log(π(ν-2)): one log1p per return and step, where a
// call of boost's pdf per return had cost ~1 µs (200 ms for 2,520 returns over the 82 steps).
double fit_nu(std::span<const double> z);
//! Cornish-Fisher figures of one level from the portfolio's population skew and excess kurtosis.
VarFigures modified_level(std::span<const double> mu, std::span<const double> sw, std::span<const double> w, double mu_p,
                          double sigma, double skew, double excess_kurtosis, double c, const VarOptions& opt);
VarReport parametric_var(std::span<const double> mean, MatrixView cov, std::span<const double> w, const VarOptions& opt,
                         Estimates& est);

// ---- Monte Carlo (var_monte_carlo.cpp)
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
                    std::optional<double> nu, const VarOptions& opt);
VarFigures monte_carlo_level(const MonteCarlo& mc, std::span<const double> w, double c, const VarOptions& opt);

// ---- a trade's second pass (every method)
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

// historical_var's figures wrapped as a one-method report, so the trade's pass reuses add_trade_figures.
VarReport as_report(std::vector<VarFigures> levels);

template <class Contribution>
VarFigures historical_level(std::span<const double> rp, std::span<const double> w, double c, const VarOptions& opt,
                            Contribution&& contribution) {
  if (!opt.age_weighting_lambda) return tail_figures(rp, w, c, opt.quantile_method, opt.decompose, contribution);
  const double lam = *opt.age_weighting_lambda;
  if (!(lam > 0.0 && lam < 1.0)) fail(ErrorCode::invalid_argument, "age_weighting", "the age-weighting λ must be in (0, 1), got {}", lam);
  const std::size_t m = rp.size();
  std::vector<double> weight(m);
  const double norm = (1.0 - lam) / (1.0 - std::pow(lam, double(m)));
  for (std::size_t s = 0; s < m; ++s) weight[s] = norm * std::pow(lam, double(m - 1 - s));
  return weighted_tail_figures(rp, weight, w, c, opt.decompose, contribution);
}

}  // namespace sextant::risk::detail
