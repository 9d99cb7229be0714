// cs_pca_loading: rolling principal-component loadings through the accelerator (batched_gemm + eigh_topk).
//
// A window holds W rows of the m instruments with no NaN in it. Centred, it is X (W×m) and its
// covariance is C = XᵀX/(W-1). The loading of instrument i on component k is v_ik·sqrt(λ_k), the
// covariance of its return with the k-th standardised factor. When m > W the W×W Gram matrix
// G = XXᵀ/(W-1) has the same non-zero eigenvalues and v_k = Xᵀu_k/sqrt((W-1)λ_k), so the loadings are
// Xᵀu_k/sqrt(W-1): a W³ problem in place of an m³ one (a 60-day window over 500 stocks). Eigenvectors
// have no sign; loadings are signed so that they sum to >= 0 (the market factor loads positively), and
// by the largest |loading| where the sum is zero. Each row depends only on its window, so streaming
// (one row) and batch give the same bits.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.hpp"
#include "sextant/accel/ops.hpp"

namespace sextant::features::kernels {

void pca_loading_rows(std::size_t W, std::span<const std::size_t> ks, const double* window, std::size_t cols,
                      std::span<double* const> outs) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (double* out : outs) std::fill(out, out + cols, kNaN);
  // The instruments with a value on every row of the window, and their means (sums over t in order),
  // in passes along the rows: the window is row-major.
  std::vector<char> ok(cols, 1);
  std::vector<double> sum(cols, 0.0);
  for (std::size_t t = 0; t < W; ++t) {
    const double* row = window + t * cols;
    for (std::size_t c = 0; c < cols; ++c) ok[c] &= std::isfinite(row[c]), sum[c] += row[c];
  }
  std::vector<std::size_t> keep;
  for (std::size_t c = 0; c < cols; ++c)
    if (ok[c]) keep.push_back(c);
  const std::size_t m = keep.size();
  if (m < 2 || W < 2) return;
  std::vector<double> mean(m);
  for (std::size_t j = 0; j < m; ++j) mean[j] = sum[keep[j]] / double(W);
  Matrix X(W, m);
  for (std::size_t t = 0; t < W; ++t) {
    const double* row = window + t * cols;
    double* xt = &X(t, 0);
    if (m == cols) {
      for (std::size_t j = 0; j < m; ++j) xt[j] = row[j] - mean[j];
    } else {
      for (std::size_t j = 0; j < m; ++j) xt[j] = row[keep[j]] - mean[j];
    }
  }
  const double scale = 1.0 / double(W - 1);
  // The cross product on this thread, not a dgemm: X is W × m, a few MFLOP, and a threaded dgemm leaves
  // OpenBLAS's threads spinning for ~60 ms after it against the other nodes' TBB tasks (the stream of
  // the active set: p99 250 ms with it, 15 ms without). The W × W Gram matrix (the usual case, m > W)
  // by gram(): rows of X are contiguous, and one triangle is half the work; the m × m covariance as a
  // batch of one small product (Eigen).
  const bool small = m <= W;  // the m × m covariance, else the W × W Gram matrix
  Matrix P(small ? m : W, small ? m : W);
  if (small) {
    Matrix Xt(m, W);
    for (std::size_t t = 0; t < W; ++t)
      for (std::size_t j = 0; j < m; ++j) Xt(j, t) = X(t, j);
    P = accel::batched_gemm(1, m, m, W, Xt.flat(), X.flat());
  } else {
    gram(X.flat().data(), W, m, P.flat().data());
  }
  for (double& v : P.flat()) v *= scale;
  // Always the same number of eigenpairs (the most a factor asks for, or the matrix's order), so a
  // component's loadings do not depend on which others were asked for with it: streaming (the
  // components of a window together) and batch (one at a time) give the same bits.
  const std::size_t rank = std::min(m, W - 1), want = std::min(kMaxPcaComponents, P.rows());
  const accel::Eigh e = accel::eigh_topk(P.view(), want);
  // Xᵀu_k for every component asked for, a row of X at a time (contiguous), each sum over t in order.
  std::vector<double> xu;
  if (!small) {
    xu.assign(ks.size() * m, 0.0);
    for (std::size_t t = 0; t < W; ++t) {
      const double* xt = &X(t, 0);
      for (std::size_t q = 0; q < ks.size(); ++q) {
        if (ks[q] > rank) continue;
        const double u = e.vectors(t, ks[q] - 1);
        double* v = xu.data() + q * m;
        for (std::size_t j = 0; j < m; ++j) v[j] += xt[j] * u;
      }
    }
  }
  std::vector<double> load(m);
  for (std::size_t q = 0; q < ks.size(); ++q) {
    const std::size_t k = ks[q];
    if (k > rank || !(e.values[k - 1] > 0)) continue;  // the centred window's rank is at most min(m, W-1)
    if (small) {
      const double root = std::sqrt(e.values[k - 1]);
      for (std::size_t j = 0; j < m; ++j) load[j] = e.vectors(j, k - 1) * root;
    } else {
      const double s = std::sqrt(scale);
      for (std::size_t j = 0; j < m; ++j) load[j] = xu[q * m + j] * s;
    }
    double sum = 0, big = 0;
    for (double v : load) {
      sum += v;
      if (std::fabs(v) > std::fabs(big)) big = v;
    }
    const double sign = sum < 0 || (sum == 0 && big < 0) ? -1.0 : 1.0;
    for (std::size_t j = 0; j < m; ++j) outs[q][keep[j]] = sign * load[j];
  }
}

void pca_loading_row(const Node& n, const double* window, std::size_t cols, double* out) {
  const std::size_t k = std::size_t(n.params[1]);
  double* const outs[1] = {out};
  pca_loading_rows(window_of(n), std::span<const std::size_t>(&k, 1), window, cols, outs);
}

}  // namespace sextant::features::kernels
