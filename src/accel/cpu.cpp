// The cpu backend: OpenBLAS / LAPACKE for the O(n³) work, TBB for the O(T·N) passes around it.
//
// Fast paths, and why they are fast:
//  - covariance / correlation: one cross product of the centred panel forming only the lower triangle
//    (half the flops of gemm), then scale the N² result. Where the CPU has AVX-512 that is Sextant's
//    own kernel (syrk_avx512.cpp, centring while it packs), else centre + OpenBLAS dsyrk. See
//    bench/accel/accel_bench.cpp.
//  - eigh_topk: only the requested eigenpairs, O(n²k) after tridiagonalisation: bisection and inverse
//    iteration on the calling thread up to n = 160 (eigh_small.cpp), dsyevr (MRRR) above.
//  - sample: scenarios are generated in fixed row blocks (independent Philox counters per row), then
//    correlated by one dgemm per block, so the result is identical whatever the thread count.
//
// Determinism: every TBB loop here writes disjoint outputs, and reductions (column means) run over
// fixed chunks combined in chunk order, so no result depends on how many threads ran.
#include <cblas.h>
#include <lapacke.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <immintrin.h>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <vector>

#include "eigh_small.hpp"
#include "shared.hpp"
#include "sextant/accel/device.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/accel/avx512.hpp"
#include "sextant/accel/level2.hpp"
#include "sextant/core/dot.hpp"
#include "sextant/core/eigen.hpp"
#include "sextant/core/error.hpp"

namespace sextant::accel {
namespace {

constexpr std::size_t kMeanChunkRows = 256;   // fixed reduction chunk: determinism, not tuning
constexpr std::size_t kSampleBlockRows = 4096;  // rows of Z held at once (4096×500 doubles = 16 MB)
constexpr std::size_t kCallerThreadEigh = 160;  // eigh_topk up to this order: eigh_small on the calling thread

// sextant::dot, built for each CPU level (its lanes fill a zmm register on AVX-512).
__attribute__((target_clones("avx512f", "avx2", "default"))) double dot_lanes(const double* a, const double* b,
                                                                            std::size_t n) {
  return dot(a, b, n);
}

CBLAS_TRANSPOSE cblas_trans(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }

// Rows of Z·Lᵀ over L's lower triangle (as the reference backend reads it), `lt` holding Lᵀ row-major:
// out[r][j] = Σ_{k ≤ j} z[r][k]·L[j][k], k in order, four rows at a time so each row of Lᵀ is loaded
// once for four. Not OpenBLAS's dgemm: on its AVX-512 kernels one thread and two round differently
// (the split puts edge tiles elsewhere), and the scenarios must not depend on the thread count. With
// no contraction in this file every CPU level gives the same bits; half the flops of a full product.
__attribute__((target_clones("avx512f", "avx2", "default"))) void correlate_rows(const double* z, std::size_t d,
                                                                                 const double* lt, std::size_t rows,
                                                                                 double* out, std::size_t ld) {
  std::size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const double *z0 = z + r * d, *z1 = z0 + d, *z2 = z1 + d, *z3 = z2 + d;
    double *o0 = out + r * ld, *o1 = o0 + ld, *o2 = o1 + ld, *o3 = o2 + ld;
    std::fill(o0, o0 + d, 0.0), std::fill(o1, o1 + d, 0.0), std::fill(o2, o2 + d, 0.0), std::fill(o3, o3 + d, 0.0);
    for (std::size_t k = 0; k < d; ++k) {
      const double a0 = z0[k], a1 = z1[k], a2 = z2[k], a3 = z3[k];
      const double* l = lt + k * d;
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
      for (std::size_t j = k; j < d; ++j) {
        o0[j] += a0 * l[j];
        o1[j] += a1 * l[j];
        o2[j] += a2 * l[j];
        o3[j] += a3 * l[j];
      }
    }
  }
  for (; r < rows; ++r) {
    const double* zr = z + r * d;
    double* o = out + r * ld;
    std::fill(o, o + d, 0.0);
    for (std::size_t k = 0; k < d; ++k) {
      const double a = zr[k];
      const double* l = lt + k * d;
      for (std::size_t j = k; j < d; ++j) o[j] += a * l[j];
    }
  }
}

// Philox blocks 0..pairs-1 of one row (stream 0) into struct-of-arrays words: philox::draw, batched.
// GCC vectorises the generic loop over 32-bit lanes and widens each 32×32→64 product through
// cross-lane shuffles, which cost more than the multiplies on AVX2 (vperm2i128 is slow on Zen 1/2).
// The AVX2 version keeps each word in a 64-bit lane, where vpmuludq multiplies the low halves as they
// lie; a lane's high half may hold junk, which only the low-half multiply and the final store see
// past, so no masking is needed. Integer arithmetic: every version gives the same words.
[[gnu::always_inline]] inline void philox_blocks_loop(std::uint64_t seed, std::uint64_t row, std::size_t first,
                                                      std::size_t pairs, std::uint32_t* c0, std::uint32_t* c1,
                                                      std::uint32_t* c2, std::uint32_t* c3) {
  for (std::size_t k = first; k < pairs; ++k) {
    const philox::U4 u = philox::draw(seed, row, static_cast<std::uint32_t>(k), 0);
    c0[k] = u.x[0], c1[k] = u.x[1], c2[k] = u.x[2], c3[k] = u.x[3];
  }
}
[[gnu::target("default")]] void philox_blocks(std::uint64_t seed, std::uint64_t row, std::size_t pairs,
                                              std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2,
                                              std::uint32_t* c3) {
  philox_blocks_loop(seed, row, 0, pairs, c0, c1, c2, c3);
}
[[gnu::target("avx512f")]] void philox_blocks(std::uint64_t seed, std::uint64_t row, std::size_t pairs,
                                              std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2,
                                              std::uint32_t* c3) {
  philox_blocks_loop(seed, row, 0, pairs, c0, c1, c2, c3);
}
[[gnu::target("avx2"), gnu::always_inline]] inline void store_low_dwords(std::uint32_t* dst, __m256i v,
                                                                        __m256i even_dwords) {
  const __m256i packed = _mm256_permutevar8x32_epi32(v, even_dwords);  // low dwords into the low 128 bits
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(packed));
}
[[gnu::target("avx2")]] void philox_blocks(std::uint64_t seed, std::uint64_t row, std::size_t pairs,
                                           std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2,
                                           std::uint32_t* c3) {
  __m256i key0[philox::kRounds], key1[philox::kRounds];
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 0; r < philox::kRounds; ++r, k0 += philox::kW0, k1 += philox::kW1)
    key0[r] = _mm256_set1_epi64x(k0), key1[r] = _mm256_set1_epi64x(k1);
  const __m256i m0 = _mm256_set1_epi64x(philox::kM0), m1 = _mm256_set1_epi64x(philox::kM1);
  const __m256i row_lo = _mm256_set1_epi64x(static_cast<std::uint32_t>(row));
  const __m256i row_hi = _mm256_set1_epi64x(static_cast<std::uint32_t>(row >> 32));
  const __m256i even_dwords = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  // G groups of 4 blocks per pass: a round is a chain of multiply, shift and xors, so one group alone
  // leaves the pipes waiting on its latency; independent groups fill them.
  std::size_t k = 0;
  constexpr int G = 2;
  for (; k + 4 * G <= pairs; k += 4 * G) {
    __m256i x0[G], x1[G], x2[G], x3[G];
    for (int g = 0; g < G; ++g) {
      const auto kk = static_cast<long long>(k + 4 * std::size_t(g));
      x0[g] = row_lo, x1[g] = row_hi, x2[g] = _mm256_setr_epi64x(kk, kk + 1, kk + 2, kk + 3), x3[g] = _mm256_setzero_si256();
    }
    for (int r = 0; r < philox::kRounds; ++r)
      for (int g = 0; g < G; ++g) {
        const __m256i p0 = _mm256_mul_epu32(x0[g], m0), p1 = _mm256_mul_epu32(x2[g], m1);
        x0[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1[g]), key0[r]);
        x1[g] = p1;
        x2[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3[g]), key1[r]);
        x3[g] = p0;
      }
    for (int g = 0; g < G; ++g) {
      const std::size_t at = k + 4 * std::size_t(g);
      store_low_dwords(c0 + at, x0[g], even_dwords), store_low_dwords(c1 + at, x1[g], even_dwords);
      store_low_dwords(c2 + at, x2[g], even_dwords), store_low_dwords(c3 + at, x3[g], even_dwords);
    }
  }
  philox_blocks_loop(seed, row, k, pairs, c0, c1, c2, c3);
}

// One scenario row of standard normals (times its Student-t scale), the values detail::scenario_row
// gives, in three loops over Philox blocks that the compiler vectorises (the blocks into
// struct-of-arrays, the uniforms, then branch-free Box-Muller), with AVX-512 and AVX2 clones picked
// at run time where the CPU has them (cpu.cpp is built unfused, so all clones draw the same bits).
// z needs room for d rounded up to even; `work` for 4·⌈d/2⌉ values.
__attribute__((target_clones("avx512f", "avx2", "default"))) double normal_row(const SampleSpec& spec, std::uint64_t row,
                                                                     std::size_t d, double* z, double* work) {
  const std::uint64_t global = spec.first_row + row;
  const std::uint64_t key_row = spec.antithetic ? global / 2 : global;
  const double sign = (spec.antithetic && (global & 1)) ? -1.0 : 1.0;
  const std::size_t pairs = (d + 1) / 2;
  auto* c = reinterpret_cast<std::uint32_t*>(work);  // 4 lanes × pairs, then the two uniforms
  std::uint32_t *c0 = c, *c1 = c + pairs, *c2 = c + 2 * pairs, *c3 = c + 3 * pairs;
  double *u1 = work + 2 * pairs, *u2 = work + 3 * pairs;
  philox_blocks(spec.seed, key_row, pairs, c0, c1, c2, c3);
  for (std::size_t k = 0; k < pairs; ++k) u1[k] = philox::uniform53(c0[k], c1[k]), u2[k] = philox::uniform53(c2[k], c3[k]);
  for (std::size_t k = 0; k < pairs; ++k) {
    const double r = sign * std::sqrt(-2.0 * philox::log_unit(u1[k]));
    double sn, cs;
    philox::sincos_2pi(u2[k], sn, cs);
    z[2 * k] = r * cs;
    z[2 * k + 1] = r * sn;
  }
  return spec.nu > 0.0 ? philox::t_scale(spec.seed, key_row, spec.nu) : 1.0;
}

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
    const double scale = 1.0 / double(x.rows - 1);
    cross_product(x, c);
    detail::require_finite_moments(x.cols, [&](std::size_t j) { return c(j, j); }, "fp64");
    finish_symmetric(c, [&](std::size_t i, std::size_t j) { return c(i, j) * scale; });
  }

  void correlation(MatrixView x, MutMatrixView c) override {
    const int n = int(x.cols);
    cross_product(x, c);
    detail::require_finite_moments(x.cols, [&](std::size_t j) { return c(j, j); }, "fp64");
    std::vector<double> inv_sd(n);
    for (int i = 0; i < n; ++i) inv_sd[i] = 1.0 / std::sqrt(c(i, i));
    finish_symmetric(c, [&](std::size_t i, std::size_t j) { return i == j ? 1.0 : c(i, j) * inv_sd[i] * inv_sd[j]; });
  }

  // fp32 fast path: single-precision products run at twice the double rate. Means, centring and the
  // final scaling stay in fp64; only the O(N²T) cross-products are single precision. See bench/peers/analytics/correlation.py.
  void moment_fp32(MatrixView x, MutMatrixView c, bool correlation) override {
    const std::size_t t = x.rows, n = x.cols;
    // Workspaces are per calling thread; the parallel loops below must use these pointers, since a
    // thread_local named inside a TBB lambda would be the worker thread's own (empty) instance.
    thread_local std::vector<float> xf_ws, cf_ws;
    if (cf_ws.size() < n * n) cf_ws.resize(n * n);
    float* cf = cf_ws.data();
    if (cpu_has_avx512()) {
      const std::vector<double> mean = column_means(x);
      centred_cross_product(x, mean.data(), BasicMatrixView<float>(cf, n, n));
    } else {
      const double* centred = centre(x);
      if (xf_ws.size() < t * n) xf_ws.resize(t * n);
      float* xf = xf_ws.data();
      for_rows(t, t * n, [&](std::size_t r) {
        for (std::size_t j = 0; j < n; ++j) xf[r * n + j] = float(centred[r * n + j]);
      });
      cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, int(n), int(t), 1.0f, xf, int(n), 0.0f, cf, int(n));
    }
    detail::require_finite_moments(n, [&](std::size_t j) { return cf[j * n + j]; }, "fp32");
    std::vector<double> inv_sd(n);
    for (std::size_t i = 0; i < n; ++i) inv_sd[i] = 1.0 / std::sqrt(double(cf[i * n + i]));
    const double scale = 1.0 / double(t - 1);
    finish_symmetric(c, [&](std::size_t i, std::size_t j) {
      if (!correlation) return double(cf[i * n + j]) * scale;
      return i == j ? 1.0 : double(cf[i * n + j]) * inv_sd[i] * inv_sd[j];
    });
  }

  void cholesky(MatrixView a, MutMatrixView l) override {
    const std::size_t n = a.rows;
    copy(a, l);
    // Row-major lower triangle = column-major upper triangle of the transpose, which for a symmetric
    // matrix is the matrix itself; and column-major U with A = UᵀU, read row-major, is L with A = LLᵀ.
    // So the column-major call factors in place. LAPACK_ROW_MAJOR would make LAPACKE transpose into
    // a fresh N×N buffer and back (2 × 8 MB at N = 1,000), whose page faults made cholesky's time
    // depend on the allocator's history: 4.5 or 10 ms for the same call inside `sextant validate`.
    int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', int(n), l.data, int(l.ld));
    if (info > 0)
      fail(ErrorCode::not_positive_definite, "", "cholesky: matrix is not positive definite (leading minor {} fails)",
           info);
    if (info < 0) fail(ErrorCode::internal, "", "dpotrf: argument {} invalid", -info);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) l(i, j) = 0.0;
  }

  // Row-major A is column-major Aᵀ, so both factor that in place (no transposed copy of A, which
  // LAPACKE's row-major path makes): solve with trans 'T', and inv(Aᵀ) read row-major is inv(A).
  void solve(MatrixView a, MatrixView b, MutMatrixView x) override {
    const std::size_t n = a.rows, m = b.cols;
    Matrix lu = Matrix::copy_of(a);
    std::vector<lapack_int> piv(n);
    int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, int(n), int(n), lu.data(), int(n), piv.data());
    if (info > 0) fail(ErrorCode::invalid_argument, "", "solve: matrix is singular (U({0},{0}) is zero)", info);
    std::vector<double> bx(n * m);  // B column-major
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j) bx[j * n + i] = b(i, j);
    LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', int(n), int(m), lu.data(), int(n), piv.data(), bx.data(), int(n));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < m; ++j) x(i, j) = bx[j * n + i];
  }

  void inverse(MatrixView a, MutMatrixView out) override {
    copy(a, out);
    std::vector<lapack_int> piv(a.rows);
    int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, int(a.rows), int(a.rows), out.data, int(out.ld), piv.data());
    if (info > 0) fail(ErrorCode::invalid_argument, "", "inverse: matrix is singular (U({0},{0}) is zero)", info);
    LAPACKE_dgetri(LAPACK_COL_MAJOR, int(a.rows), out.data, int(out.ld), piv.data());
  }

  // The symmetric eigensolvers take the row-major lower triangle as LAPACK's column-major upper one
  // (see cholesky), so LAPACKE makes no transposed copy of the input; the column-major eigenvectors are
  // transposed in the loop that reorders them to descending order anyway.
  void eigh(MatrixView a, std::span<double> w, MutMatrixView v) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', int(n), work.data(), int(n), asc.data());
    if (info != 0) fail(ErrorCode::internal, "", "eigh: dsyevd failed to converge (info {})", info);
    const double* vectors = work.data();  // column-major: vector k is vectors[k·n, (k+1)·n)
    for (std::size_t j = 0; j < n; ++j) {  // ascending -> descending
      w[j] = asc[n - 1 - j];
      const double* col = vectors + (n - 1 - j) * n;
      for (std::size_t i = 0; i < n; ++i) v(i, j) = col[i];
    }
    detail::sign_normalise_columns(v);
  }

  void eigvalsh(MatrixView a, std::span<double> w) override {
    const std::size_t n = a.rows;
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', int(n), work.data(), int(n), asc.data());
    if (info != 0) fail(ErrorCode::internal, "", "eigvalsh: dsyevd failed to converge (info {})", info);
    for (std::size_t j = 0; j < n; ++j) w[j] = asc[n - 1 - j];
  }

  void eigh_topk(MatrixView a, std::size_t k, std::span<double> w, MutMatrixView v) override {
    const std::size_t n = a.rows;
    if (n <= kCallerThreadEigh) {
      // On the calling thread, only the k vectors asked for (eigh_small.cpp: 0.25 ms at n = 120, k = 10,
      // where Eigen's full solve took 1.6): dsyevr's threaded BLAS calls leave OpenBLAS's threads
      // spinning ~60 ms after them, against the TBB tasks of callers that solve many small problems in
      // parallel (the features stream's rolling PCA: p99 250 ms, 15 without).
      detail::eigh_topk_small(a, k, w, v);
      detail::sign_normalise_columns(v);
      return;
    }
    Matrix work = Matrix::copy_of(a);
    std::vector<double> asc(n);
    std::vector<double> z(n * k);  // column-major n × k
    std::vector<lapack_int> support(2 * n);
    lapack_int found = 0;
    int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'U', int(n), work.data(), int(n), 0.0, 0.0,
                              int(n - k + 1), int(n), 0.0, &found, asc.data(), z.data(), int(n), support.data());
    if (info != 0 || std::size_t(found) != k)
      fail(ErrorCode::internal, "", "eigh_topk: dsyevr failed (info {}, found {} of {})", info, found, k);
    for (std::size_t j = 0; j < k; ++j) {
      w[j] = asc[k - 1 - j];
      const double* col = z.data() + (k - 1 - j) * n;
      for (std::size_t i = 0; i < n; ++i) v(i, j) = col[i];
    }
    detail::sign_normalise_columns(v);
  }

  double quad_form(std::span<const double> x, MatrixView a) override {
    std::vector<double> y(a.rows);
    symv(a, x, y);
    return cblas_ddot(int(a.rows), x.data(), 1, y.data(), 1);
  }

  // Both read only the lower triangle: half the memory traffic of a gemv on the full matrix. Sextant's
  // kernels keep the risk engine's hot path on TBB's threads alone (level2.hpp).
  void symv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    if (level2_kernels() != Level2Kernels::none) return symmetric_matvec(a, x.data(), y.data());
    cblas_dsymv(CblasRowMajor, CblasLower, int(a.rows), 1.0, a.data, int(a.ld), x.data(), 1, 0.0, y.data(), 1);
  }

  void gemv(MatrixView a, std::span<const double> x, std::span<double> y) override {
    if (level2_kernels() != Level2Kernels::none) return matvec(a, x.data(), y.data());
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
    AlignedVector z(correlate ? std::min(kSampleBlockRows, out.rows) * d : 0), lt(correlate ? d * d : 0);
    for (std::size_t j = 0; correlate && j < d; ++j)  // Lᵀ, its lower triangle's transpose
      for (std::size_t k = 0; k <= j; ++k) lt[k * d + j] = spec.chol(j, k);
    for (std::size_t r0 = 0; r0 < out.rows; r0 += kSampleBlockRows) {
      const std::size_t rows = std::min(kSampleBlockRows, out.rows - r0);
      // Uncorrelated draws go straight into the output; correlated ones through Z then one dgemm.
      MutMatrixView target = correlate ? MutMatrixView(z.data(), rows, d) : MutMatrixView(out.row(r0), rows, d, out.ld);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 64), [&](const tbb::blocked_range<std::size_t>& rr) {
        AlignedVector row(d + 1), work(3 * (d + 1) + 8);
        for (std::size_t r = rr.begin(); r != rr.end(); ++r) {
          double scale = normal_row(spec, r0 + r, d, row.data(), work.data());
          double* zr = target.row(r);
          for (std::size_t j = 0; j < d; ++j) zr[j] = scale * row[j];
        }
      });
      if (correlate)  // out_block = Z · Lᵀ, in fixed chunks of rows
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 64), [&](const tbb::blocked_range<std::size_t>& rr) {
          correlate_rows(z.data() + rr.begin() * d, d, lt.data(), rr.size(), out.row(r0 + rr.begin()), out.ld);
        });
      if (!spec.mean.empty())
        for (std::size_t r = 0; r < rows; ++r) {
          double* o = out.row(r0 + r);
          for (std::size_t j = 0; j < d; ++j) o[j] += spec.mean[j];
        }
    }
  }

  // Fast path: wᵀ(μ + s·L z) = wᵀμ + s·(Lᵀw)·z, so fold v = Lᵀw once (O(d²)) and each scenario costs
  // one d-vector of normals and a dot product (O(d)) instead of the O(d²) product L z.
  void sample_portfolio(const SampleSpec& spec, std::span<const double> w, std::span<double> rp) override {
    const std::size_t d = w.size();
    std::vector<double> v;
    const double base = detail::fold_weights(spec, w, v);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rp.size(), 256), [&](const tbb::blocked_range<std::size_t>& rr) {
      AlignedVector z(d + 1), work(3 * (d + 1) + 8);
      for (std::size_t r = rr.begin(); r != rr.end(); ++r) {
        double scale = normal_row(spec, r, d, z.data(), work.data());
        rp[r] = base + scale * dot_lanes(v.data(), z.data(), d);
      }
    });
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

  // Column means over fixed row chunks, combined in chunk order (so independent of thread count).
  std::vector<double> column_means(MatrixView x) {
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
    return mean;
  }

  // x - mean into a per-thread workspace that is reused across calls (a fresh 20 MB buffer costs
  // ~5,000 page faults a call).
  double* centre(MatrixView x) {
    const std::size_t t = x.rows, n = x.cols;
    const std::vector<double> mean = column_means(x);
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

  // Lower triangle of (x − 1μᵀ)ᵀ(x − 1μᵀ) into c: Sextant's AVX-512 kernel where the CPU has it (it
  // centres while packing, and runs 2.2× OpenBLAS's dsyrk here: avx512.hpp), else centre + dsyrk.
  void cross_product(MatrixView x, MutMatrixView c) {
    if (cpu_has_avx512()) {
      const std::vector<double> mean = column_means(x);
      centred_cross_product(x, mean.data(), c);
      return;
    }
    const double* centred = centre(x);
    const int t = int(x.rows), n = int(x.cols);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, n, t, 1.0, centred, n, 0.0, c.data, int(c.ld));
  }

  // c(i, j) = c(j, i) = value(i, j) for j <= i, where `value` may read c's lower triangle (each entry
  // is read before it is written). In 64×64 tiles, since a plain row loop would read a column
  // (stride N) per row and miss cache on every element for large N; tile rows in parallel, each
  // writing its own rows of the lower triangle and its own columns of the upper.
  template <class F>
  void finish_symmetric(MutMatrixView c, F&& value) {
    constexpr std::size_t B = 64;
    const std::size_t n = c.rows, blocks = (n + B - 1) / B;
    auto tile_row = [&](std::size_t b) {
      const std::size_t ib = b * B, iend = std::min(ib + B, n);
      for (std::size_t jb = 0; jb <= ib; jb += B)
        for (std::size_t i = ib; i < iend; ++i)
          for (std::size_t j = jb, jend = std::min(jb + B, i + 1); j < jend; ++j) c(j, i) = c(i, j) = value(i, j);
    };
    if (n * n < parallel_elems_) {
      for (std::size_t b = 0; b < blocks; ++b) tile_row(b);
      return;
    }
    tbb::parallel_for(std::size_t(0), blocks, tile_row, tbb::simple_partitioner());
  }

  static void copy(MatrixView from, MutMatrixView to) {
    for (std::size_t i = 0; i < from.rows; ++i) std::copy_n(from.row(i), from.cols, to.row(i));
  }

  std::size_t parallel_elems_;
};

}  // namespace

std::unique_ptr<Device> make_cpu_device(std::size_t parallel_threshold) {
  return std::make_unique<CpuDevice>(std::max<std::size_t>(1, parallel_threshold));
}

}  // namespace sextant::accel

namespace sextant::accel {
std::string blas_info() {
  return std::string(openblas_get_config()) + " (core " + openblas_get_corename() + ", " +
         std::to_string(openblas_get_num_threads()) + " threads)";
}
}  // namespace sextant::accel
