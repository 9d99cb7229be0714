#include "sextant/analytics/covariance.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"

namespace sextant::analytics {

CovarianceEstimator parse_covariance_estimator(std::string_view s, std::string_view field) {
  if (s == "sample") return CovarianceEstimator::sample;
  if (s == "ledoit_wolf") return CovarianceEstimator::ledoit_wolf;
  if (s == "ewma") return CovarianceEstimator::ewma;
  if (s == "semi") return CovarianceEstimator::semi;
  fail(ErrorCode::invalid_argument, std::string(field),
       "'{}' must be \"sample\", \"ledoit_wolf\", \"ewma\" or \"semi\", got \"{}\"", field, s);
}

std::string_view estimator_name(CovarianceEstimator e) {
  switch (e) {
    case CovarianceEstimator::sample: return "sample";
    case CovarianceEstimator::ledoit_wolf: return "ledoit_wolf";
    case CovarianceEstimator::ewma: return "ewma";
    case CovarianceEstimator::semi: return "semi";
  }
  return "?";
}

namespace {

CovarianceResult ledoit_wolf(MatrixView x) {
  const std::size_t t = x.rows, p = x.cols;
  const double n = double(t);
  // Biased empirical covariance from the ddof-1 one: same centring, one syrk.
  Matrix emp = accel::covariance(x);
  for (double& v : emp.flat()) v *= (n - 1) / n;
  // The intensity is a ratio of fourth-order sums, unchanged when every variance is scaled by c. With
  // c a power of two near 1/mean variance the scaling is exact, and the sums stay finite for returns
  // whose squares are finite (1e150: Σd⁴ would be 1e600).
  double raw_trace = 0;
  for (std::size_t i = 0; i < p; ++i) raw_trace += emp(i, i);
  const double c = raw_trace > 0 ? std::ldexp(1.0, -std::ilogb(raw_trace / double(p))) : 1.0;
  const double trace = c * raw_trace;  // exact: c is a power of two
  double delta_sum = 0;
  for (double v : emp.flat()) delta_sum += (c * v) * (c * v);  // Σ (XᵀX)² / n², scaled by c²
  const double mu = trace / double(p);
  // Σ_ij (X²ᵀX²)_ij = Σ_t (Σ_i x_ti²)² on centred x: O(T·N), no N² product needed.
  std::vector<double> mean(p, 0.0);
  for (std::size_t r = 0; r < t; ++r)
    for (std::size_t j = 0; j < p; ++j) mean[j] += x(r, j);
  for (double& m : mean) m /= n;
  double beta_sum = 0;
  for (std::size_t r = 0; r < t; ++r) {
    double s = 0;
    for (std::size_t j = 0; j < p; ++j) {
      const double d = x(r, j) - mean[j];
      s += c * (d * d);
    }
    beta_sum += s * s;
  }
  double beta = (beta_sum / n - delta_sum) / (double(p) * n);
  double delta = (delta_sum - 2.0 * mu * trace + double(p) * mu * mu) / double(p);
  beta = std::min(beta, delta);
  const double shrinkage = beta == 0.0 ? 0.0 : beta / delta;
  for (std::size_t i = 0; i < p; ++i)
    for (std::size_t j = 0; j < p; ++j)
      emp(i, j) = (1.0 - shrinkage) * emp(i, j) + (i == j ? shrinkage * (mu / c) : 0.0);
  return {std::move(emp), shrinkage};
}

// S_T = λ^m S_0 + (1-λ) Σ_k λ^(m-1-k) r_k r_kᵀ over the m rows after the seed: the recursion in
// closed form, so the update is one gemm on rows scaled by sqrt((1-λ) λ^(m-1-k)).
CovarianceResult ewma(MatrixView x, double lambda, std::size_t seed_rows) {
  if (!(lambda > 0.0 && lambda < 1.0))
    fail(ErrorCode::invalid_argument, "ewma_lambda", "'ewma_lambda' must be in (0, 1), got {}", lambda);
  if (seed_rows < 2 || seed_rows > x.rows)
    fail(ErrorCode::invalid_argument, "ewma_seed_rows", "'ewma_seed_rows' must be in [2, {}] (the number of rows), got {}",
         x.rows, seed_rows);
  Matrix s = accel::covariance(MatrixView(x.data, seed_rows, x.cols, x.ld));
  const std::size_t m = x.rows - seed_rows;
  if (m == 0) return {std::move(s), std::nullopt};
  Matrix y(m, x.cols);
  for (std::size_t k = 0; k < m; ++k) {
    double w = std::sqrt((1.0 - lambda) * std::pow(lambda, double(m - 1 - k)));
    const double* r = x.row(seed_rows + k);
    for (std::size_t j = 0; j < x.cols; ++j) y(k, j) = w * r[j];
  }
  Matrix update = accel::gemm(y, y, accel::Trans::yes, accel::Trans::no);
  const double decay = std::pow(lambda, double(m));
  for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] = decay * s.data()[i] + update.data()[i];
  return {std::move(s), std::nullopt};
}

CovarianceResult semi(MatrixView x, double benchmark) {
  Matrix d(x.rows, x.cols);
  for (std::size_t r = 0; r < x.rows; ++r)
    for (std::size_t j = 0; j < x.cols; ++j) d(r, j) = std::min(x(r, j) - benchmark, 0.0);
  Matrix s = accel::gemm(d, d, accel::Trans::yes, accel::Trans::no);
  for (double& v : s.flat()) v /= double(x.rows);
  return {std::move(s), std::nullopt};
}

}  // namespace

void check_covariance(MatrixView sigma, std::string_view field) {
  const std::size_t n = sigma.rows;
  if (!sigma.square() || n == 0)
    fail(ErrorCode::dimension_mismatch, std::string(field), "'{}' must be a non-empty square matrix, got {}×{}", field, n, sigma.cols);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double v = sigma(i, j);
      if (!std::isfinite(v)) fail(ErrorCode::non_finite, fmt::format("{}[{}][{}]", field, i, j), "'{}' must be finite", field);
      if (j < i && std::abs(v - sigma(j, i)) > 1e-10 * (std::abs(v) + std::abs(sigma(j, i))) + 1e-300)
        fail(ErrorCode::invalid_argument, fmt::format("{}[{}][{}]", field, i, j), "'{}' must be symmetric", field);
    }
    if (sigma(i, i) < 0)
      fail(ErrorCode::not_positive_definite, fmt::format("{}[{}][{}]", field, i, i), "a variance is negative");
  }
  // PSD: a Cholesky factor proves it; when there is none, the smallest eigenvalue decides.
  try {
    (void)accel::cholesky(sigma);
  } catch (const Error&) {
    auto ev = accel::eigvalsh(sigma);
    if (ev.back() < -1e-10 * std::max(std::abs(ev.front()), 1e-300))
      fail(ErrorCode::not_positive_definite, std::string(field), "'{}' is not positive semi-definite (smallest eigenvalue {:.3g})",
           field, ev.back());
  }
}

CovarianceResult estimate_covariance(MatrixView x, const CovarianceOptions& opt) {
  if (x.rows < 2 || x.cols == 0)
    fail(ErrorCode::dimension_mismatch, "returns", "covariance needs at least 2 rows and 1 column, got {}×{}", x.rows,
         x.cols);
  switch (opt.estimator) {
    case CovarianceEstimator::sample: return {accel::covariance(x), std::nullopt};
    case CovarianceEstimator::ledoit_wolf: return ledoit_wolf(x);
    case CovarianceEstimator::ewma: return ewma(x, opt.lambda, effective_seed_rows(opt, x.rows));
    case CovarianceEstimator::semi: return semi(x, opt.benchmark);
  }
  return {};
}

}  // namespace sextant::analytics
