// GARCH(1,1) maximum likelihood (garch.hpp states the conventions) and EWMA.
#include "sextant/ml/garch.hpp"

#include <cmath>
#include <numbers>

#include "lbfgs.hpp"
#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {

std::vector<double> demeaned(std::span<const double> r, const char* field, double& mean) {
  if (r.size() < 30) fail(ErrorCode::invalid_argument, field, "GARCH needs at least 30 returns, got {}", r.size());
  mean = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!std::isfinite(r[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}]", field, i), "returns must be finite");
    mean += r[i];
  }
  mean /= double(r.size());
  std::vector<double> z(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) z[i] = r[i] - mean;
  return z;
}

// Log-likelihood and the conditional variance of the last observation.
double loglik(const std::vector<double>& z, double omega, double alpha, double beta, double* last_h = nullptr) {
  double m = 0;
  for (double v : z) m += v * v;
  m /= double(z.size());
  double prev_z2 = m, h = m, ll = 0;
  for (double v : z) {
    h = omega + alpha * prev_z2 + beta * h;
    ll += std::log(h) + v * v / h;
    prev_z2 = v * v;
  }
  if (last_h) *last_h = h;
  return -0.5 * (ll + double(z.size()) * std::log(2 * std::numbers::pi));
}

double logistic(double u) { return 1.0 / (1.0 + std::exp(-u)); }

void unpack(const std::vector<double>& u, double& omega, double& alpha, double& beta) {
  omega = std::exp(u[0]);
  const double persistence = logistic(u[2]), share = logistic(u[1]);
  alpha = persistence * share, beta = persistence * (1 - share);
}

}  // namespace

double garch_loglik(std::span<const double> returns, double omega, double alpha1, double beta1) {
  double mean = 0;
  return loglik(demeaned(returns, "returns", mean), omega, alpha1, beta1);
}

Garch fit_garch(std::span<const double> returns, const char* field) {
  Garch g;
  const std::vector<double> z = demeaned(returns, field, g.mean);
  double var = 0;
  for (double v : z) var += v * v;
  var /= double(z.size());
  if (!(var > 0)) fail(ErrorCode::invalid_argument, field, "the returns are constant: no volatility to model");
  // Negative log-likelihood per observation in the unconstrained coordinates; central differences.
  const double n = double(z.size());
  auto nll = [&](const std::vector<double>& u) {
    double o, a, b;
    unpack(u, o, a, b);
    return -loglik(z, o, a, b) / n;
  };
  auto f = [&](const std::vector<double>& u, std::vector<double>& grad) {
    const double v = nll(u);
    std::vector<double> up = u;
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double h = 1e-6 * std::max(1.0, std::fabs(u[i]));
      up[i] = u[i] + h;
      const double fp = nll(up);
      up[i] = u[i] - h;
      const double fm = nll(up);
      up[i] = u[i];
      grad[i] = (fp - fm) / (2 * h);
    }
    return v;
  };
  // Start from α = 0.05, β = 0.90 with ω matching the sample variance; keep the best of a few starts.
  double best = INFINITY;
  for (auto [a0, b0] : {std::pair{0.05, 0.90}, std::pair{0.10, 0.80}, std::pair{0.15, 0.60}}) {
    std::vector<double> u = {std::log(var * (1 - a0 - b0)), std::log(a0 / b0), std::log((a0 + b0) / (1 - a0 - b0))};
    const LbfgsResult r = lbfgs(f, u, 1000, 1e-10);
    if (r.value < best) {
      best = r.value;
      unpack(u, g.omega, g.alpha1, g.beta1);
      g.converged = r.converged;
    }
  }
  g.loglik = loglik(z, g.omega, g.alpha1, g.beta1, &g.last_h);
  g.last_z = z.back();
  // h_{T+1} needs z_T and h_T: the recursion above ends at h_T.
  g.observations = z.size();
  return g;
}

std::vector<double> Garch::forecast_variance(std::size_t h) const {
  std::vector<double> v(h);
  double s = omega + alpha1 * last_z * last_z + beta1 * last_h;
  for (std::size_t k = 0; k < h; ++k) {
    v[k] = s;
    s = omega + (alpha1 + beta1) * s;
  }
  return v;
}

Ewma fit_ewma(std::span<const double> returns, double lambda, const char* field) {
  if (returns.size() < 2) fail(ErrorCode::invalid_argument, field, "EWMA needs at least 2 returns, got {}", returns.size());
  if (!(lambda > 0 && lambda < 1)) fail(ErrorCode::invalid_argument, "lambda", "must be in (0, 1), not {}", lambda);
  Ewma e;
  e.lambda = lambda;
  const std::size_t warm = std::min<std::size_t>(30, returns.size());
  for (std::size_t i = 0; i < warm; ++i) e.variance += returns[i] * returns[i];
  e.variance /= double(warm);
  for (std::size_t i = 0; i < returns.size(); ++i) {
    if (!std::isfinite(returns[i])) fail(ErrorCode::non_finite, fmt::format("{}[{}]", field, i), "returns must be finite");
    e.variance = lambda * e.variance + (1 - lambda) * returns[i] * returns[i];
  }
  e.observations = returns.size();
  return e;
}

}  // namespace sextant::ml
