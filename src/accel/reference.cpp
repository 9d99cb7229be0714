// The reference backend: textbook loops, one thread, strictly sequential sums.
// It is the baseline `sextant validate` measures speedups against and what runs under
// SME_ACCELERATION=0. It is written for clarity and exactness, not speed; nothing here is tuned.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "shared.hpp"
#include "sextant/accel/device.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel {
namespace {


// Householder tridiagonalisation followed by the implicit QL method (the EISPACK tred2/tql2
// algorithm). v holds a on entry and the eigenvectors on exit; d gets the eigenvalues ascending.
void tridiagonal_ql(MutMatrixView v, std::vector<double>& d) {
  const std::size_t n = v.rows;
  std::vector<double> e(n, 0.0);
  d.assign(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) d[j] = v(n - 1, j);

  for (std::size_t i = n - 1; i > 0; --i) {
    double scale = 0.0, h = 0.0;
    for (std::size_t k = 0; k < i; ++k) scale += std::abs(d[k]);
    if (scale == 0.0) {
      e[i] = d[i - 1];
      for (std::size_t j = 0; j < i; ++j) {
        d[j] = v(i - 1, j);
        v(i, j) = 0.0;
        v(j, i) = 0.0;
      }
    } else {
      for (std::size_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (std::size_t j = 0; j < i; ++j) e[j] = 0.0;
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        v(j, i) = f;
        g = e[j] + v(j, j) * f;
        for (std::size_t k = j + 1; k < i; ++k) {
          g += v(k, j) * d[k];
          e[k] += v(k, j) * f;
        }
        e[j] = g;
      }
      f = 0.0;
      for (std::size_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      double hh = f / (h + h);
      for (std::size_t j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (std::size_t k = j; k < i; ++k) v(k, j) -= (f * e[k] + g * d[k]);
        d[j] = v(i - 1, j);
        v(i, j) = 0.0;
      }
    }
    d[i] = h;
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    v(n - 1, i) = v(i, i);
    v(i, i) = 1.0;
    double h = d[i + 1];
    if (h != 0.0) {
      for (std::size_t k = 0; k <= i; ++k) d[k] = v(k, i + 1) / h;
      for (std::size_t j = 0; j <= i; ++j) {
        double g = 0.0;
        for (std::size_t k = 0; k <= i; ++k) g += v(k, i + 1) * v(k, j);
        for (std::size_t k = 0; k <= i; ++k) v(k, j) -= g * d[k];
      }
    }
    for (std::size_t k = 0; k <= i; ++k) v(k, i + 1) = 0.0;
  }
  for (std::size_t j = 0; j < n; ++j) {
    d[j] = v(n - 1, j);
    v(n - 1, j) = 0.0;
  }
  v(n - 1, n - 1) = 1.0;
  e[0] = 0.0;

  // Implicit QL with shifts on the tridiagonal (d, e).
  for (std::size_t i = 1; i < n; ++i) e[i - 1] = e[i];
  e[n - 1] = 0.0;
  double f = 0.0, tst1 = 0.0;
  const double eps = std::ldexp(1.0, -52);
  for (std::size_t l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::abs(d[l]) + std::abs(e[l]));
    // e[n-1] is 0, so the search ends at n-1 at the latest (even when a NaN makes every test false).
    std::size_t m = l;
    while (m + 1 < n && !(std::abs(e[m]) <= eps * tst1)) ++m;
    if (m > l) {
      int iter = 0;
      do {
        if (++iter > 60) fail(ErrorCode::internal, "", "eigh (reference): QL did not converge");
        double g = d[l];
        double p = (d[l + 1] - g) / (2.0 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        double dl1 = d[l + 1];
        double h = g - d[l];
        for (std::size_t i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1.0, c2 = c, c3 = c;
        double el1 = e[l + 1];
        double s = 0.0, s2 = 0.0;
        for (std::size_t ii = m; ii-- > l;) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[ii];
          h = c * p;
          r = std::hypot(p, e[ii]);
          e[ii + 1] = s * r;
          s = e[ii] / r;
          c = p / r;
          p = c * d[ii] - s * g;
          d[ii + 1] = h + s * (c * g + s * d[ii]);
          for (std::size_t k = 0; k < n; ++k) {
            h = v(k, ii + 1);
            v(k, ii + 1) = s * v(k, ii) + c * h;
            v(k, ii) = c * v(k, ii) - s * h;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (std::abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0.0;
  }
}

// Raw centred cross-products Σ_t (x_ti - m_i)(x_tj - m_j), summed sequentially in Acc precision.
template <class Acc>
void cross_products(MatrixView x, MutMatrixView c) {
  const std::size_t t = x.rows, n = x.cols;
  std::vector<double> mean(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t r = 0; r < t; ++r) mean[j] += x(r, j);
    mean[j] /= static_cast<double>(t);
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      Acc s = 0;
      for (std::size_t r = 0; r < t; ++r) s += Acc(x(r, i) - mean[i]) * Acc(x(r, j) - mean[j]);
      c(i, j) = c(j, i) = double(s);
    }
}

// Turns raw centred cross-products into covariance (÷ (T-1)) or correlation, in fp64.
void finish_moment(MutMatrixView c, std::size_t t, bool correlation, const char* precision) {
  const std::size_t n = c.rows;
  detail::require_finite_moments(n, [&](std::size_t j) { return c(j, j); }, precision);
  std::vector<double> sd(n);
  for (std::size_t i = 0; i < n; ++i) sd[i] = std::sqrt(c(i, i));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      c(i, j) = correlation ? (i == j ? 1.0 : c(i, j) / (sd[i] * sd[j])) : c(i, j) / double(t - 1);
}

// LU with partial pivoting, in place; returns the row permutation. Throws on a zero pivot.
std::vector<std::size_t> lu(std::vector<double>& a, std::size_t n) {
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t p = k;
    for (std::size_t i = k + 1; i < n; ++i)
      if (std::abs(a[i * n + k]) > std::abs(a[p * n + k])) p = i;
    if (a[p * n + k] == 0.0) fail(ErrorCode::invalid_argument, "", "solve: matrix is singular");
    if (p != k) {
      for (std::size_t j = 0; j < n; ++j) std::swap(a[k * n + j], a[p * n + j]);
      std::swap(perm[k], perm[p]);
    }
    for (std::size_t i = k + 1; i < n; ++i) {
      double f = a[i * n + k] / a[k * n + k];
      a[i * n + k] = f;
      for (std::size_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return perm;
}

struct ReferenceDevice final : Device {
  Backend backend() const override { return Backend::reference; }
  bool supports(Op) const override { return true; }

  void gemm(Trans ta, Trans tb, double alpha, MatrixView a, MatrixView b, double beta, MutMatrixView c) override {
    // i-p-j order: the row of c accumulates a(i,p)·(row p of b), walking b and c contiguously.
    const std::size_t m = c.rows, n = c.cols, kk = ta == Trans::yes ? a.rows : a.cols;
    std::vector<double> acc(n);
    for (std::size_t i = 0; i < m; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::size_t p = 0; p < kk; ++p) {
        const double av = ta == Trans::yes ? a(p, i) : a(i, p);
        for (std::size_t j = 0; j < n; ++j) acc[j] += av * (tb == Trans::yes ? b(j, p) : b(p, j));
      }
      for (std::size_t j = 0; j < n; ++j) c(i, j) = alpha * acc[j] + (beta == 0.0 ? 0.0 : beta * c(i, j));
    }
  }

  void covariance(MatrixView x, MutMatrixView c) override {
    cross_products<double>(x, c);
    finish_moment(c, x.rows, false, "fp64");
  }

  void correlation(MatrixView x, MutMatrixView c) override {
    cross_products<double>(x, c);
    finish_moment(c, x.rows, true, "fp64");
  }

  void moment_fp32(MatrixView x, MutMatrixView c, bool correlation) override {
    cross_products<float>(x, c);
    finish_moment(c, x.rows, correlation, "fp32");
  }

  void cholesky(MatrixView a, MutMatrixView l) override {
    const std::size_t n = a.rows;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) l(i, j) = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      double s = a(j, j);
      for (std::size_t k = 0; k < j; ++k) s -= l(j, k) * l(j, k);
      if (!(s > 0.0))
        fail(ErrorCode::not_positive_definite, "", "cholesky: matrix is not positive definite (pivot {} is {})", j, s);
      l(j, j) = std::sqrt(s);
      for (std::size_t i = j + 1; i < n; ++i) {
        double v = a(i, j);
        for (std::size_t k = 0; k < j; ++k) v -= l(i, k) * l(j, k);
        l(i, j) = v / l(j, j);
      }
    }
  }

  void solve(MatrixView a, MatrixView b, MutMatrixView x) override {
    const std::size_t n = a.rows;
    std::vector<double> lu_a(n * n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) lu_a[i * n + j] = a(i, j);
    auto perm = lu(lu_a, n);
    for (std::size_t col = 0; col < b.cols; ++col) {
      std::vector<double> y(n);
      for (std::size_t i = 0; i < n; ++i) {
        double s = b(perm[i], col);
        for (std::size_t k = 0; k < i; ++k) s -= lu_a[i * n + k] * y[k];
        y[i] = s;
      }
      for (std::size_t i = n; i-- > 0;) {
        double s = y[i];
        for (std::size_t k = i + 1; k < n; ++k) s -= lu_a[i * n + k] * y[k];
        y[i] = s / lu_a[i * n + i];
      }
      for (std::size_t i = 0; i < n; ++i) x(i, col) = y[i];
    }
  }

  void inverse(MatrixView a, MutMatrixView out) override {
    Matrix eye = Matrix::identity(a.rows);
    solve(a, eye.view(), out);
  }

  void eigh(MatrixView a, std::span<double> w, MutMatrixView v) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> d;
    tridiagonal_ql(work.mut(), d);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t p, std::size_t q) { return d[p] > d[q]; });
    for (std::size_t j = 0; j < v.cols; ++j) {
      w[j] = d[order[j]];
      for (std::size_t i = 0; i < n; ++i) v(i, j) = work(i, order[j]);
    }
    detail::sign_normalise_columns(v);
  }

  void eigvalsh(MatrixView a, std::span<double> w) override {
    Matrix v(a.rows, a.rows);
    eigh(a, w, v.mut());
  }

  void eigh_topk(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v) override {
    eigh(a, w.first(k), v);  // v has k columns: the full decomposition, truncated
  }

  double quad_form(std::span<const double> x, MatrixView a) override {
    double s = 0.0;
    for (std::size_t i = 0; i < a.rows; ++i)
      for (std::size_t j = 0; j < a.cols; ++j) s += x[i] * a(i, j) * x[j];
    return s;
  }

  void symv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    for (std::size_t i = 0; i < a.rows; ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < a.cols; ++j) s += (j <= i ? a(i, j) : a(j, i)) * x[j];
      y[i] = s;
    }
  }

  void gemv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    for (std::size_t i = 0; i < a.rows; ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < a.cols; ++j) s += a(i, j) * x[j];
      y[i] = s;
    }
  }

  void batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b,
                    double* c) override {
    for (std::size_t q = 0; q < count; ++q)
      gemm(Trans::no, Trans::no, 1.0, MatrixView(a + q * m * k, m, k), MatrixView(b + q * k * n, k, n), 0.0,
           MutMatrixView(c + q * m * n, m, n));
  }

  void sample(const SampleSpec& spec, MutMatrixView out) override {
    const std::size_t d = out.cols;
    std::vector<double> z(d);
    for (std::size_t r = 0; r < out.rows; ++r) {
      double scale = detail::scenario_row(spec, r, d, z.data());
      for (std::size_t i = 0; i < d; ++i) {
        double s = 0.0;
        if (spec.chol.empty()) s = z[i];
        else
          for (std::size_t k = 0; k <= i; ++k) s += spec.chol(i, k) * z[k];
        out(r, i) = (spec.mean.empty() ? 0.0 : spec.mean[i]) + scale * s;
      }
    }
  }

  void sample_portfolio(const SampleSpec& spec, std::span<const double> w, std::span<double> rp) override {
    const std::size_t d = w.size();
    Matrix row(1, d);
    for (std::size_t r = 0; r < rp.size(); ++r) {  // each scenario formed in full, then weighted
      SampleSpec one = spec;
      one.first_row = spec.first_row + r;
      sample(one, row.mut());
      double s = 0.0;
      for (std::size_t i = 0; i < d; ++i) s += w[i] * row(0, i);
      rp[r] = s;
    }
  }
};

}  // namespace

std::unique_ptr<Device> make_reference_device() { return std::make_unique<ReferenceDevice>(); }

}  // namespace sextant::accel
