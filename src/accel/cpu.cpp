// The cpu backend: OpenBLAS / LAPACKE for the O(n³) work, TBB for the O(T·N) passes around it.
//
// Fast paths, and why they are fast:
//  - covariance / correlation: centre once, then ONE dsyrk (half the flops of gemm, since only the
//    lower triangle is formed), then scale the N² result. See bench/accel/accel_bench.cpp.
//  - eigh_topk: dsyevr computes only the requested eigenpairs (MRRR), O(n²k) after tridiagonalisation.
//  - sample: scenarios are generated in fixed row blocks (independent Philox counters per row), then
//    correlated by one dgemm per block, so the result is identical whatever the thread count.
//
// Determinism: every TBB loop here writes disjoint outputs, and reductions (column means) run over
// fixed chunks combined in chunk order, so no result depends on how many threads ran.
#include <cblas.h>
#include <lapacke.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "shared.hpp"
#include "sextant/accel/device.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/eigen.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel {
namespace {

constexpr std::size_t kMeanChunkRows = 256;   // fixed reduction chunk: determinism, not tuning
constexpr std::size_t kSampleBlockRows = 4096;  // rows of Z held at once (4096×500 doubles = 16 MB)

CBLAS_TRANSPOSE cblas_trans(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }


class CpuDevice final : public Device {
 public:
  explicit CpuDevice(std::size_t parallel_threshold) : parallel_elems_(parallel_threshold * parallel_threshold) {}

  Backend backend() const override { return Backend::cpu; }
  bool supports(Op) const override { return true; }

  void gemm(Trans ta, Trans tb, double alpha, MatrixView a, MatrixView b, double beta, MutMatrixView c) override {
    const int k = static_cast<int>(ta == Trans::yes ? a.rows : a.cols);
    cblas_dgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), int(c.rows), int(c.cols), k, alpha, a.data,
                int(a.ld), b.data, int(b.ld), beta, c.data, int(c.ld));
  }

  void covariance(MatrixView x, MutMatrixView c) override {
    const double* centred = centre(x);
    const int t = int(x.rows), n = int(x.cols);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, n, t, 1.0 / (t - 1), centred, n, 0.0, c.data, int(c.ld));
    mirror_lower(c);
  }

  void correlation(MatrixView x, MutMatrixView c) override {
    const double* centred = centre(x);
    const int t = int(x.rows), n = int(x.cols);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, n, t, 1.0, centred, n, 0.0, c.data, int(c.ld));
    std::vector<double> inv_sd(n);
    for (int i = 0; i < n; ++i) inv_sd[i] = 1.0 / std::sqrt(c(i, i));
    for_rows(n, std::size_t(n) * n, [&](std::size_t i) {
      double* ci = c.row(i);
      for (std::size_t j = 0; j < i; ++j) ci[j] *= inv_sd[i] * inv_sd[j];
      ci[i] = 1.0;
    });
    mirror_lower(c);
  }

  // fp32 fast path: SSYRK runs at about twice DSYRK's rate. Means and the final scaling stay in fp64;
  // only the O(N²T) cross-products are single precision. See bench/peers/analytics/correlation.py.
  void moment_fp32(MatrixView x, MutMatrixView c, bool correlation) override {
    const std::size_t t = x.rows, n = x.cols;
    const double* centred = centre(x);
    // Workspaces are per calling thread; the parallel loops below must use these pointers, since a
    // thread_local named inside a TBB lambda would be the worker thread's own (empty) instance.
    thread_local std::vector<float> xf_ws, cf_ws;
    if (xf_ws.size() < t * n) xf_ws.resize(t * n);
    if (cf_ws.size() < n * n) cf_ws.resize(n * n);
    float* xf = xf_ws.data();
    float* cf = cf_ws.data();
    for_rows(t, t * n, [&](std::size_t r) {
      for (std::size_t j = 0; j < n; ++j) xf[r * n + j] = float(centred[r * n + j]);
    });
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, int(n), int(t), 1.0f, xf, int(n), 0.0f, cf, int(n));
    std::vector<double> inv_sd(n);
    for (std::size_t i = 0; i < n; ++i) inv_sd[i] = 1.0 / std::sqrt(double(cf[i * n + i]));
    const double scale = 1.0 / double(t - 1);
    for_rows(n, n * n, [&](std::size_t i) {
      double* ci = c.row(i);
      for (std::size_t j = 0; j < i; ++j)
        ci[j] = correlation ? double(cf[i * n + j]) * inv_sd[i] * inv_sd[j] : double(cf[i * n + j]) * scale;
      ci[i] = correlation ? 1.0 : double(cf[i * n + i]) * scale;
    });
    mirror_lower(c);
  }

  void cholesky(MatrixView a, MutMatrixView l) override {
    const std::size_t n = a.rows;
    copy(a, l);
    int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', int(n), l.data, int(l.ld));
    if (info > 0)
      fail(ErrorCode::not_positive_definite, "", "cholesky: matrix is not positive definite (leading minor {} fails)",
           info);
    if (info < 0) fail(ErrorCode::internal, "", "dpotrf: argument {} invalid", -info);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) l(i, j) = 0.0;
  }

  void solve(MatrixView a, MatrixView b, MutMatrixView x) override {
    Matrix lu = Matrix::copy_of(a);
    copy(b, x);
    std::vector<lapack_int> piv(a.rows);
    int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, int(a.rows), int(b.cols), lu.data(), int(a.rows), piv.data(), x.data,
                             int(x.ld));
    if (info > 0) fail(ErrorCode::invalid_argument, "", "solve: matrix is singular (U({0},{0}) is zero)", info);
  }

  void inverse(MatrixView a, MutMatrixView out) override {
    copy(a, out);
    std::vector<lapack_int> piv(a.rows);
    int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, int(a.rows), int(a.rows), out.data, int(out.ld), piv.data());
    if (info > 0) fail(ErrorCode::invalid_argument, "", "inverse: matrix is singular (U({0},{0}) is zero)", info);
    LAPACKE_dgetri(LAPACK_ROW_MAJOR, int(a.rows), out.data, int(out.ld), piv.data());
  }

  void eigh(MatrixView a, std::span<double> w, MutMatrixView v) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', int(n), work.data(), int(n), asc.data());
    if (info != 0) fail(ErrorCode::internal, "", "eigh: dsyevd failed to converge (info {})", info);
    for (std::size_t j = 0; j < n; ++j) {  // ascending -> descending
      w[j] = asc[n - 1 - j];
      for (std::size_t i = 0; i < n; ++i) v(i, j) = work(i, n - 1 - j);
    }
    detail::sign_normalise_columns(v);
  }

  void eigvalsh(MatrixView a, std::span<double> w) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'L', int(n), work.data(), int(n), asc.data());
    if (info != 0) fail(ErrorCode::internal, "", "eigvalsh: dsyevd failed to converge (info {})", info);
    for (std::size_t j = 0; j < n; ++j) w[j] = asc[n - 1 - j];
  }

  void eigh_topk(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    Matrix z(n, k);
    std::vector<lapack_int> support(2 * n);
    lapack_int found = 0;
    int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'L', int(n), work.data(), int(n), 0.0, 0.0,
                              int(n - k + 1), int(n), 0.0, &found, asc.data(), z.data(), int(k), support.data());
    if (info != 0 || std::size_t(found) != k)
      fail(ErrorCode::internal, "", "eigh_topk: dsyevr failed (info {}, found {} of {})", info, found, k);
    for (std::size_t j = 0; j < k; ++j) {
      w[j] = asc[k - 1 - j];
      for (std::size_t i = 0; i < n; ++i) v(i, j) = z(i, k - 1 - j);
    }
    detail::sign_normalise_columns(v);
  }

  double quad_form(std::span<const double> x, MatrixView a) override {
    std::vector<double> y(a.rows);
    cblas_dsymv(CblasRowMajor, CblasLower, int(a.rows), 1.0, a.data, int(a.ld), x.data(), 1, 0.0, y.data(), 1);
    return cblas_ddot(int(a.rows), x.data(), 1, y.data(), 1);
  }

  // dsymv reads only the lower triangle: half the memory traffic of a gemv on the full matrix.
  void symv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    cblas_dsymv(CblasRowMajor, CblasLower, int(a.rows), 1.0, a.data, int(a.ld), x.data(), 1, 0.0, y.data(), 1);
  }

  void gemv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    cblas_dgemv(CblasRowMajor, CblasNoTrans, int(a.rows), int(a.cols), 1.0, a.data, int(a.ld), x.data(), 1, 0.0, y.data(), 1);
  }

  void batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b,
                    double* c) override {
    // Small products: Eigen's fixed loops beat a BLAS call's dispatch, and TBB spreads the batch.
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 16), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t q = r.begin(); q != r.end(); ++q) {
        auto am = as_eigen(MatrixView(a + q * m * k, m, k));
        auto bm = as_eigen(MatrixView(b + q * k * n, k, n));
        auto cm = as_eigen(MutMatrixView(c + q * m * n, m, n));
        cm.noalias() = am * bm;
      }
    });
  }

  void sample(const SampleSpec& spec, MutMatrixView out) override {
    const std::size_t d = out.cols;
    const bool correlate = !spec.chol.empty();
    AlignedVector z(correlate ? std::min(kSampleBlockRows, out.rows) * d : 0);
    for (std::size_t r0 = 0; r0 < out.rows; r0 += kSampleBlockRows) {
      const std::size_t rows = std::min(kSampleBlockRows, out.rows - r0);
      // Uncorrelated draws go straight into the output; correlated ones through Z then one dgemm.
      MutMatrixView target = correlate ? MutMatrixView(z.data(), rows, d) : MutMatrixView(out.row(r0), rows, d, out.ld);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 64), [&](const tbb::blocked_range<std::size_t>& rr) {
        for (std::size_t r = rr.begin(); r != rr.end(); ++r) {
          double* zr = target.row(r);
          double scale = detail::scenario_row(spec, r0 + r, d, zr);
          if (scale != 1.0)
            for (std::size_t j = 0; j < d; ++j) zr[j] *= scale;
        }
      });
      if (correlate)  // out_block = Z · Lᵀ
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(d), int(d), 1.0, z.data(), int(d),
                    spec.chol.data, int(spec.chol.ld), 0.0, out.row(r0), int(out.ld));
      if (!spec.mean.empty())
        for (std::size_t r = 0; r < rows; ++r) {
          double* o = out.row(r0 + r);
          for (std::size_t j = 0; j < d; ++j) o[j] += spec.mean[j];
        }
    }
  }

 private:
  template <class F>
  void for_rows(std::size_t rows, std::size_t work, F&& f) {
    if (work < parallel_elems_) {
      for (std::size_t i = 0; i < rows; ++i) f(i);
      return;
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 16), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t i = r.begin(); i != r.end(); ++i) f(i);
    });
  }

  // Column means over fixed row chunks (combined in order), then x - mean into a per-thread
  // workspace that is reused across calls (a fresh 20 MB buffer costs ~5,000 page faults a call).
  double* centre(MatrixView x) {
    const std::size_t t = x.rows, n = x.cols;
    const std::size_t chunks = (t + kMeanChunkRows - 1) / kMeanChunkRows;
    std::vector<double> partial(chunks * n, 0.0);
    auto sum_chunk = [&](std::size_t ch) {
      double* p = partial.data() + ch * n;
      const std::size_t end = std::min(t, (ch + 1) * kMeanChunkRows);
      for (std::size_t r = ch * kMeanChunkRows; r < end; ++r) {
        const double* xr = x.row(r);
        for (std::size_t j = 0; j < n; ++j) p[j] += xr[j];
      }
    };
    for_rows(chunks, t * n, sum_chunk);
    std::vector<double> mean(n, 0.0);
    for (std::size_t ch = 0; ch < chunks; ++ch)
      for (std::size_t j = 0; j < n; ++j) mean[j] += partial[ch * n + j];
    for (double& m : mean) m /= static_cast<double>(t);

    thread_local AlignedVector workspace;
    if (workspace.size() < t * n) workspace.resize(t * n);
    double* out = workspace.data();
    for_rows(t, t * n, [&](std::size_t r) {
      const double* xr = x.row(r);
      double* o = out + r * n;
      for (std::size_t j = 0; j < n; ++j) o[j] = xr[j] - mean[j];
    });
    return out;
  }

  // Copies the lower triangle to the upper in 64×64 tiles: a plain row loop would read a column
  // (stride N) per row and miss cache on every element for large N.
  static void mirror_lower(MutMatrixView c) {
    constexpr std::size_t B = 64;
    const std::size_t n = c.rows;
    for (std::size_t ib = 0; ib < n; ib += B)
      for (std::size_t jb = ib; jb < n; jb += B)
        for (std::size_t i = ib; i < std::min(ib + B, n); ++i)
          for (std::size_t j = std::max(jb, i + 1); j < std::min(jb + B, n); ++j) c(i, j) = c(j, i);
  }

  static void copy(MatrixView from, MutMatrixView to) {
    for (std::size_t i = 0; i < from.rows; ++i) std::copy_n(from.row(i), from.cols, to.row(i));
  }

  std::size_t parallel_elems_;
};

}  // namespace

std::unique_ptr<Device> make_cpu_device() {
  const char* env = std::getenv("SME_JIT_THRESHOLD");
  std::size_t threshold = 512;
  if (env && *env) threshold = std::max<long>(1, std::strtol(env, nullptr, 10));
  return std::make_unique<CpuDevice>(threshold);
}

}  // namespace sextant::accel

namespace sextant::accel {
std::string blas_info() {
  return std::string(openblas_get_config()) + " (core " + openblas_get_corename() + ", " +
         std::to_string(openblas_get_num_threads()) + " threads)";
}
}  // namespace sextant::accel
