// The cuda backend: cuBLAS for the products (gemm, syrk, symv, gemv, batched gemm), cuSOLVER for the
// factorisations (Cholesky, LU for solve / inverse, the symmetric eigensolvers), Philox kernels for
// sampling. Every op of the Device interface is here.
// Compiled only when CMake finds the CUDA toolkit; used only when a GPU is visible at run time.
//
// Row-major data meets column-major cuBLAS by the transpose identity: a row-major M×N buffer is the
// column-major N×M transpose, so C = A·B (row-major) is computed as Cᵀ = Bᵀ·Aᵀ with no copies.
// Sampling uses the same Philox counters as the host backends (sextant/accel/philox.hpp), so a seed
// gives the same scenarios to within the last ulp of the GPU's log/sin/cos.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "sextant/accel/device.hpp"
#include "sextant/accel/philox.hpp"
#include "sextant/core/error.hpp"
#include "shared.hpp"

namespace sextant::accel {
namespace {

// fmt does not compile under nvcc, so messages here are built with std::string.
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw_error(ErrorCode::internal, "", std::string("cuda: ") + what + " failed: " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw_error(ErrorCode::internal, "", std::string("cublas: ") + what + " failed (status " + std::to_string(int(s)) + ")");
}
void check(cusolverStatus_t s, const char* what) {
  if (s != CUSOLVER_STATUS_SUCCESS)
    throw_error(ErrorCode::internal, "",
                std::string("cusolver: ") + what + " failed (status " + std::to_string(int(s)) + ")");
}

//! Owning device array.
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) { check(cudaMalloc(&p_, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMalloc"); }
  ~DeviceArray() { cudaFree(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return p_; }

  //! Uploads a (possibly strided) host view as a dense row-major block.
  void upload(MatrixView v) {
    check(cudaMemcpy2D(p_, v.cols * sizeof(double), v.data, v.ld * sizeof(double), v.cols * sizeof(double), v.rows,
                       cudaMemcpyHostToDevice), "upload");
  }
  void download(MutMatrixView v) const {
    check(cudaMemcpy2D(v.data, v.ld * sizeof(double), p_, v.cols * sizeof(double), v.cols * sizeof(double), v.rows,
                       cudaMemcpyDeviceToHost), "download");
  }
  void upload(std::span<const T> x) {
    check(cudaMemcpy(p_, x.data(), x.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  void download(std::span<T> y) const {
    check(cudaMemcpy(y.data(), p_, y.size() * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }

 private:
  T* p_ = nullptr;
};
using Buffer = DeviceArray<double>;

//! A device int for cuSOLVER's `info` output.
class InfoFlag {
 public:
  InfoFlag() { check(cudaMalloc(&p_, sizeof(int)), "cudaMalloc"); }
  ~InfoFlag() { cudaFree(p_); }
  InfoFlag(const InfoFlag&) = delete;
  InfoFlag& operator=(const InfoFlag&) = delete;
  int* get() const { return p_; }
  int read() const {
    int v = 0;
    check(cudaMemcpy(&v, p_, sizeof(int), cudaMemcpyDeviceToHost), "read info");
    return v;
  }

 private:
  int* p_ = nullptr;
};

__global__ void column_means(const double* x, int t, int n, double* mean) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= n) return;
  double s = 0.0;
  for (int r = 0; r < t; ++r) s += x[std::size_t(r) * n + j];
  mean[j] = s / t;
}

__global__ void subtract_means(double* x, std::size_t total, int n, const double* mean) {
  std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) x[i] -= mean[i % n];
}

// syrk left the lower triangle in column-major order; write the full symmetric matrix, scaled, in fp64
// (from an fp64 or, for moment_fp32, an fp32 product).
template <class T>
__global__ void finish_moment(const T* lower_cm, double* out, int n, double scale, bool correlation) {
  int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n || j >= n) return;
  int r = max(i, j), c = min(i, j);
  double v = lower_cm[std::size_t(c) * n + r];
  if (correlation) {
    double di = lower_cm[std::size_t(i) * n + i], dj = lower_cm[std::size_t(j) * n + j];
    v = (i == j) ? (isfinite(di) ? 1.0 : di) : v / sqrt(di * dj);  // a non-finite diagonal flags overflow
  } else {
    v *= scale;
  }
  out[std::size_t(i) * n + j] = v;
}

__global__ void row_scales(unsigned long long seed, unsigned long long first_row, int rows, double nu, bool antithetic,
                           double* scale) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  unsigned long long global = first_row + r;
  unsigned long long key_row = antithetic ? global / 2 : global;
  scale[r] = nu > 0.0 ? philox::t_scale(seed, key_row, nu) : 1.0;
}

__global__ void normals(unsigned long long seed, unsigned long long first_row, int rows, int d, bool antithetic,
                        const double* scale, double* z) {
  int pairs = (d + 1) / 2;
  std::size_t idx = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= std::size_t(rows) * pairs) return;
  int r = int(idx / pairs), b = int(idx % pairs);
  unsigned long long global = first_row + r;
  unsigned long long key_row = antithetic ? global / 2 : global;
  double sign = (antithetic && (global & 1ull)) ? -1.0 : 1.0;
  double z0, z1;
  philox::normal_pair(seed, key_row, unsigned(b), z0, z1);
  double s = sign * scale[r];
  double* zr = z + std::size_t(r) * d;
  zr[2 * b] = s * z0;
  if (2 * b + 1 < d) zr[2 * b + 1] = s * z1;
}

// One warp per scenario row: the row's normals are drawn pair by pair across the lanes and dotted with
// v = Lᵀw on the fly, so the rows × d scenario matrix never exists (the cpu backend's fast path).
__global__ void portfolio_returns(unsigned long long seed, unsigned long long first_row, int rows, int d,
                                  bool antithetic, double nu, const double* v, double base, double* rp) {
  const std::size_t warp = (std::size_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = int(threadIdx.x & 31u);
  if (warp >= std::size_t(rows)) return;
  const unsigned long long global = first_row + warp;
  const unsigned long long key_row = antithetic ? global / 2 : global;
  const int pairs = (d + 1) / 2;
  double s = 0.0;
  for (int b = lane; b < pairs; b += 32) {
    double z0, z1;
    philox::normal_pair(seed, key_row, unsigned(b), z0, z1);
    s += v[2 * b] * z0;
    if (2 * b + 1 < d) s += v[2 * b + 1] * z1;
  }
  for (int off = 16; off > 0; off /= 2) s += __shfl_down_sync(0xffffffffu, s, off);
  if (lane == 0) {
    const double sign = (antithetic && (global & 1ull)) ? -1.0 : 1.0;
    const double scale = nu > 0.0 ? philox::t_scale(seed, key_row, nu) : 1.0;
    rp[warp] = base + sign * scale * s;
  }
}

__global__ void to_float(const double* x, std::size_t total, float* out) {
  std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) out[i] = float(x[i]);
}

__global__ void add_mean(double* x, std::size_t total, int d, const double* mean) {
  std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) x[i] += mean[i % d];
}

unsigned blocks_for(std::size_t n, unsigned threads) { return unsigned((n + threads - 1) / threads); }

class CudaDevice final : public Device {
 public:
  CudaDevice() {
    check(cublasCreate(&blas_), "cublasCreate");
    check(cusolverDnCreate(&solver_), "cusolverDnCreate");
  }
  ~CudaDevice() override {
    cusolverDnDestroy(solver_);
    cublasDestroy(blas_);
  }

  Backend backend() const override { return Backend::cuda; }
  bool supports(Op) const override { return true; }

  void gemm(Trans ta, Trans tb, double alpha, MatrixView a, MatrixView b, double beta, MutMatrixView c) override {
    Buffer da(a.size()), db(b.size()), dc(c.size());
    da.upload(a);
    db.upload(b);
    if (beta != 0.0) dc.upload(c);
    const int k = int(ta == Trans::yes ? a.rows : a.cols);
    auto op = [](Trans t) { return t == Trans::yes ? CUBLAS_OP_T : CUBLAS_OP_N; };
    check(cublasDgemm(blas_, op(tb), op(ta), int(c.cols), int(c.rows), k, &alpha, db.get(), int(b.cols), da.get(),
                      int(a.cols), &beta, dc.get(), int(c.cols)), "dgemm");
    dc.download(c);
  }

  void covariance(MatrixView x, MutMatrixView c) override { moment(x, c, false); }
  void correlation(MatrixView x, MutMatrixView c) override { moment(x, c, true); }

  void cholesky(MatrixView a, MutMatrixView l) override {
    const int n = int(a.rows);
    Buffer da(a.size());
    da.upload(a);
    int lwork = 0;
    // Row-major lower L is column-major upper U = Lᵀ in the same memory.
    check(cusolverDnDpotrf_bufferSize(solver_, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, &lwork), "potrf_bufferSize");
    Buffer work(std::size_t(std::max(lwork, 1)));
    InfoFlag dinfo;
    cusolverStatus_t st = cusolverDnDpotrf(solver_, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, work.get(), lwork, dinfo.get());
    const int info = dinfo.read();
    check(st, "potrf");
    if (info > 0)
      throw_error(ErrorCode::not_positive_definite, "",
                  "cholesky: matrix is not positive definite (leading minor " + std::to_string(info) + " fails)");
    da.download(l);
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) l(i, j) = 0.0;
  }

  void sample(const SampleSpec& spec, MutMatrixView out) override {
    const int rows = int(out.rows), d = int(out.cols);
    Buffer scale(rows), z(out.size());
    row_scales<<<blocks_for(rows, 256), 256>>>(spec.seed, spec.first_row, rows, spec.nu, spec.antithetic, scale.get());
    normals<<<blocks_for(std::size_t(rows) * ((d + 1) / 2), 256), 256>>>(spec.seed, spec.first_row, rows, d,
                                                                        spec.antithetic, scale.get(), z.get());
    check(cudaGetLastError(), "sample kernels");
    Buffer* result = &z;
    Buffer x(spec.chol.empty() ? 0 : out.size());
    if (!spec.chol.empty()) {  // X = Z·Lᵀ  ->  column-major Xᵀ = L·Zᵀ
      Buffer dl(spec.chol.size());
      dl.upload(spec.chol);
      const double one = 1.0, zero = 0.0;
      check(cublasDgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, d, rows, d, &one, dl.get(), d, z.get(), d, &zero, x.get(), d),
            "dgemm");
      result = &x;
    }
    if (!spec.mean.empty()) {
      Buffer dm(spec.mean.size());
      dm.upload(spec.mean);
      add_mean<<<blocks_for(out.size(), 256), 256>>>(result->get(), out.size(), d, dm.get());
      check(cudaGetLastError(), "add_mean");
    }
    result->download(out);
  }

  // Centred in fp64, multiplied in fp32 (cublasSsyrk; cuBLAS's default math mode keeps TF32 off, so the
  // product is true fp32 as on the host), scaled in fp64.
  void moment_fp32(MatrixView x, MutMatrixView c, bool corr) override { moment(x, c, corr, true); }

  // Row-major A is column-major Aᵀ: getrf factors Aᵀ in place, and getrs with op T solves A·X = B for a
  // column-major B, which row-major B becomes through one geam transpose each way.
  void solve(MatrixView a, MatrixView b, MutMatrixView x) override {
    const int n = int(a.rows), m = int(b.cols);
    Buffer lu(a.size()), db(b.size()), bt(b.size());
    lu.upload(a);
    db.upload(b);
    DeviceArray<int> piv(n);
    factor_lu(lu, n, piv, "solve");
    transpose(db.get(), m, n, bt.get());  // row-major n×m -> column-major n×m
    InfoFlag dinfo;
    check(cusolverDnDgetrs(solver_, CUBLAS_OP_T, n, m, lu.get(), n, piv.get(), bt.get(), n, dinfo.get()), "getrs");
    transpose(bt.get(), n, m, db.get());
    db.download(x);
  }

  // getrs on the identity gives inv(Aᵀ) column-major, which read row-major is inv(A).
  void inverse(MatrixView a, MutMatrixView out) override {
    const int n = int(a.rows);
    Buffer lu(a.size()), inv(a.size());
    lu.upload(a);
    DeviceArray<int> piv(n);
    factor_lu(lu, n, piv, "inverse");
    Matrix eye = Matrix::identity(a.rows);
    inv.upload(eye);
    InfoFlag dinfo;
    check(cusolverDnDgetrs(solver_, CUBLAS_OP_N, n, n, lu.get(), n, piv.get(), inv.get(), n, dinfo.get()), "getrs");
    inv.download(out);
  }
  void eigh(MatrixView a, std::span<double> w, MutMatrixView v) override { symmetric_eigen(a, a.rows, w, &v); }
  void eigvalsh(MatrixView a, std::span<double> w) override { symmetric_eigen(a, a.rows, w, nullptr); }
  void eigh_topk(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v) override {
    symmetric_eigen(a, k, w, &v);
  }
  double quad_form(std::span<const double> x, MatrixView a) override {
    std::vector<double> y(a.rows);
    symv(a, x, y);
    double s = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) s += x[i] * y[i];
    return s;
  }

  // The row-major lower triangle is the column-major upper one.
  void symv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    const int n = int(a.rows);
    Buffer da(a.size()), dx(x.size()), dy(y.size());
    da.upload(a);
    dx.upload(x);
    const double one = 1.0, zero = 0.0;
    check(cublasDsymv(blas_, CUBLAS_FILL_MODE_UPPER, n, &one, da.get(), n, dx.get(), 1, &zero, dy.get(), 1), "dsymv");
    dy.download(y);
  }

  // Row-major m×n A is column-major Aᵀ (n×m): y = A·x is gemv with op T.
  void gemv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    Buffer da(a.size()), dx(x.size()), dy(y.size());
    da.upload(a);
    dx.upload(x);
    const double one = 1.0, zero = 0.0;
    check(cublasDgemv(blas_, CUBLAS_OP_T, int(a.cols), int(a.rows), &one, da.get(), int(a.cols), dx.get(), 1, &zero,
                      dy.get(), 1),
          "dgemv");
    dy.download(y);
  }
  // wᵀ(μ + s·L z) = wᵀμ + s·(Lᵀw)·z: v = Lᵀw is folded on the host (O(d²)), the O(rows·d) draws on the GPU.
  void sample_portfolio(const SampleSpec& spec, std::span<const double> w, std::span<double> rp) override {
    const std::size_t d = w.size();
    std::vector<double> v;
    const double base = detail::fold_weights(spec, w, v);
    Buffer dv(d), drp(rp.size());
    dv.upload(std::span<const double>(v));
    constexpr unsigned kThreads = 256;  // 8 rows per block
    portfolio_returns<<<blocks_for(rp.size() * 32, kThreads), kThreads>>>(
        spec.seed, spec.first_row, int(rp.size()), int(d), spec.antithetic, spec.nu, dv.get(), base, drp.get());
    check(cudaGetLastError(), "portfolio_returns");
    drp.download(rp);
  }
  // Each row-major c_i = a_i·b_i is column-major c_iᵀ = b_iᵀ·a_iᵀ: one strided batched call.
  void batched_gemm(std::size_t count, std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b,
                    double* c) override {
    const std::size_t sa = m * k, sb = k * n, sc = m * n;
    Buffer da(count * sa), db(count * sb), dc(count * sc);
    da.upload(std::span<const double>(a, count * sa));
    db.upload(std::span<const double>(b, count * sb));
    const double one = 1.0, zero = 0.0;
    check(cublasDgemmStridedBatched(blas_, CUBLAS_OP_N, CUBLAS_OP_N, int(n), int(m), int(k), &one, db.get(), int(n),
                                    (long long)sb, da.get(), int(k), (long long)sa, &zero, dc.get(), int(n),
                                    (long long)sc, int(count)),
          "dgemmStridedBatched");
    dc.download(std::span<double>(c, count * sc));
  }

 private:
  //! LU with partial pivoting of the n×n column-major block in place; a zero pivot is the cpu backend's error.
  void factor_lu(Buffer& lu, int n, DeviceArray<int>& piv, const char* what) {
    int lwork = 0;
    check(cusolverDnDgetrf_bufferSize(solver_, n, n, lu.get(), n, &lwork), "getrf_bufferSize");
    Buffer work(std::size_t(std::max(lwork, 1)));
    InfoFlag dinfo;
    const cusolverStatus_t st = cusolverDnDgetrf(solver_, n, n, lu.get(), n, work.get(), piv.get(), dinfo.get());
    const int info = dinfo.read();
    check(st, "getrf");
    if (info > 0)
      throw_error(ErrorCode::invalid_argument, "",
                  std::string(what) + ": matrix is singular (U(" + std::to_string(info) + "," + std::to_string(info) +
                      ") is zero)");
  }

  //! out (column-major cols×rows) = the transpose of in (column-major rows×cols).
  void transpose(const double* in, int rows, int cols, double* out) {
    const double one = 1.0, zero = 0.0;
    check(cublasDgeam(blas_, CUBLAS_OP_T, CUBLAS_OP_N, cols, rows, &one, in, rows, &zero, out, cols, out, cols), "dgeam");
  }

  // cuSOLVER syevd (all pairs) or syevdx (the k largest) on the column-major upper triangle, which is
  // the row-major lower one. Eigenvalues come ascending; eigenvector m is column m of the column-major
  // result, i.e. row m of the downloaded buffer. Output as the cpu backend's: descending, vectors in
  // v's columns, signs normalised.
  void symmetric_eigen(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView* v) {
    const int n = int(a.rows);
    const bool subset = k < a.rows;
    const cusolverEigMode_t jobz = v ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
    const int il = n - int(k) + 1, iu = n;  // 1-based, ascending order
    Buffer da(a.size()), dw(a.rows);
    da.upload(a);
    int lwork = 0, found = n;
    if (subset)
      check(cusolverDnDsyevdx_bufferSize(solver_, jobz, CUSOLVER_EIG_RANGE_I, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, 0.0,
                                         0.0, il, iu, &found, dw.get(), &lwork),
            "syevdx_bufferSize");
    else
      check(cusolverDnDsyevd_bufferSize(solver_, jobz, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, dw.get(), &lwork),
            "syevd_bufferSize");
    Buffer work(std::size_t(std::max(lwork, 1)));
    InfoFlag dinfo;
    const cusolverStatus_t st =
        subset ? cusolverDnDsyevdx(solver_, jobz, CUSOLVER_EIG_RANGE_I, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, 0.0, 0.0,
                                   il, iu, &found, dw.get(), work.get(), lwork, dinfo.get())
               : cusolverDnDsyevd(solver_, jobz, CUBLAS_FILL_MODE_UPPER, n, da.get(), n, dw.get(), work.get(), lwork,
                                  dinfo.get());
    const int info = dinfo.read();
    check(st, subset ? "syevdx" : "syevd");
    if (info != 0 || std::size_t(found) != k)
      throw_error(ErrorCode::internal, "",
                  "cusolver: the symmetric eigensolver failed (info " + std::to_string(info) + ", found " +
                      std::to_string(found) + " of " + std::to_string(k) + " eigenpairs)");
    std::vector<double> asc(k);
    dw.download(std::span<double>(asc));
    for (std::size_t j = 0; j < k; ++j) w[j] = asc[k - 1 - j];
    if (!v) return;
    Matrix vectors(k, a.rows);  // row m: eigenvector m (ascending)
    da.download(std::span<double>(vectors.data(), vectors.size()));
    for (std::size_t j = 0; j < k; ++j)
      for (std::size_t i = 0; i < a.rows; ++i) (*v)(i, j) = vectors(k - 1 - j, i);
    detail::sign_normalise_columns(*v);
  }

  void moment(MatrixView x, MutMatrixView c, bool corr, bool fp32 = false) {
    const int t = int(x.rows), n = int(x.cols);
    const std::size_t nn = std::size_t(n) * n;
    Buffer dx(x.size()), mean(n), result(nn);
    dx.upload(x);
    column_means<<<blocks_for(n, 128), 128>>>(dx.get(), t, n, mean.get());
    subtract_means<<<blocks_for(x.size(), 256), 256>>>(dx.get(), x.size(), n, mean.get());
    dim3 threads(16, 16), grid(blocks_for(n, 16), blocks_for(n, 16));
    // Row-major X (T×N) is column-major Xᵀ (N×T, ld N): C = Xᵀ·X is syrk with op N. The fp64 product
    // or the fp32 copy of X and its product; all stay allocated until the download below has synchronised.
    Buffer lower(fp32 ? 0 : nn);
    DeviceArray<float> xf(fp32 ? x.size() : 0), lower_f(fp32 ? nn : 0);
    if (fp32) {
      to_float<<<blocks_for(x.size(), 256), 256>>>(dx.get(), x.size(), xf.get());
      const float one = 1.0f, zero = 0.0f;
      check(cublasSsyrk(blas_, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, n, t, &one, xf.get(), n, &zero, lower_f.get(), n),
            "ssyrk");
      finish_moment<<<grid, threads>>>(lower_f.get(), result.get(), n, 1.0 / (t - 1), corr);
    } else {
      const double one = 1.0, zero = 0.0;
      check(cublasDsyrk(blas_, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, n, t, &one, dx.get(), n, &zero, lower.get(), n),
            "dsyrk");
      finish_moment<<<grid, threads>>>(lower.get(), result.get(), n, 1.0 / (t - 1), corr);
    }
    check(cudaGetLastError(), "finish_moment");
    result.download(c);
    for (int j = 0; j < n; ++j)  // the same check as detail::require_finite_moments (fmt is host-only)
      if (!std::isfinite(c(j, j)))
        throw_error(ErrorCode::non_finite, "returns",
                    "column " + std::to_string(j) + " of 'returns' overflows " + (fp32 ? "fp32" : "fp64") +
                        ": its sum of squared deviations is not finite");
  }

  cublasHandle_t blas_ = nullptr;
  cusolverDnHandle_t solver_ = nullptr;
};

}  // namespace

bool cuda_compiled() noexcept { return true; }

std::unique_ptr<Device> make_cuda_device(std::string* why) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why) *why = e != cudaSuccess ? std::string("no usable GPU: ") + cudaGetErrorString(e) : "no GPU visible";
    return nullptr;
  }
  try {
    return std::make_unique<CudaDevice>();
  } catch (const std::exception& ex) {
    if (why) *why = ex.what();
    return nullptr;
  }
}

}  // namespace sextant::accel
