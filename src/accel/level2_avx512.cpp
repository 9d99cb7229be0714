// The AVX-512 matrix-vector kernels (see include/sextant/accel/avx512.hpp).
//
// Both are bound by reading the matrix, so what matters is streaming it once at full width on every
// core, and keeping the vector traffic out of the way:
//  - symmetric_matvec reads the lower triangle once, four rows at a time: each 8-column step loads
//    four row vectors, x and y once, adds the four rows' dot products into eight accumulators (two
//    per row, so the FMA latency is covered) and their transposed contribution into y in a two-level
//    tree (not a chain of four FMAs).
//  - matvec takes four rows at a time the same way, without the transposed half.
// Threads: symmetric_matvec splits the rows into kParts ranges of equal triangle area, each summing
// into its own y, and adds those in part order; matvec's rows are independent. Either way the
// result does not depend on the number of threads.
//
// As in syrk_avx512.cpp, only functions marked SEXTANT_AVX512 contain AVX-512 code.
#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "sextant/accel/avx512.hpp"

#define SEXTANT_AVX512 __attribute__((target("avx512f")))

namespace sextant::accel {
namespace {

constexpr std::size_t kParts = 4;                          // fixed split of the triangle (determinism)
constexpr std::size_t kSerialElems = std::size_t(1) << 14;  // below this many entries read, one thread

// GCC 12's _mm512_extractf64x4_pd starts from an _mm256_undefined_pd() and warns about it.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

SEXTANT_AVX512 inline double hsum(__m512d v) {
  const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
  const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
  return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}

// y[0, r1) += the contributions of lower-triangle rows [r0, r1) of a: y_i += Σ_{k≤i} a_ik x_k and
// y_k += a_ik x_i for k < i.
SEXTANT_AVX512 void symv_rows(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                              std::size_t r1) {
  std::size_t i0 = r0;
  for (; i0 + 4 <= r1; i0 += 4) {
    const double* p0 = a.row(i0);
    const double* p1 = a.row(i0 + 1);
    const double* p2 = a.row(i0 + 2);
    const double* p3 = a.row(i0 + 3);
    const __m512d x0 = _mm512_set1_pd(x[i0]), x1 = _mm512_set1_pd(x[i0 + 1]);
    const __m512d x2 = _mm512_set1_pd(x[i0 + 2]), x3 = _mm512_set1_pd(x[i0 + 3]);
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    std::size_t j = 0;
    const std::size_t j16 = i0 & ~std::size_t(15), j8 = i0 & ~std::size_t(7);
    for (; j < j16; j += 16) {
      const __m512d xa = _mm512_loadu_pd(x + j), xb = _mm512_loadu_pd(x + j + 8);
      const __m512d v0 = _mm512_loadu_pd(p0 + j), v1 = _mm512_loadu_pd(p1 + j);
      const __m512d v2 = _mm512_loadu_pd(p2 + j), v3 = _mm512_loadu_pd(p3 + j);
      const __m512d u0 = _mm512_loadu_pd(p0 + j + 8), u1 = _mm512_loadu_pd(p1 + j + 8);
      const __m512d u2 = _mm512_loadu_pd(p2 + j + 8), u3 = _mm512_loadu_pd(p3 + j + 8);
      a0 = _mm512_fmadd_pd(v0, xa, a0), a1 = _mm512_fmadd_pd(v1, xa, a1);
      a2 = _mm512_fmadd_pd(v2, xa, a2), a3 = _mm512_fmadd_pd(v3, xa, a3);
      b0 = _mm512_fmadd_pd(u0, xb, b0), b1 = _mm512_fmadd_pd(u1, xb, b1);
      b2 = _mm512_fmadd_pd(u2, xb, b2), b3 = _mm512_fmadd_pd(u3, xb, b3);
      const __m512d s = _mm512_add_pd(_mm512_fmadd_pd(v1, x1, _mm512_mul_pd(v0, x0)),
                                      _mm512_fmadd_pd(v3, x3, _mm512_mul_pd(v2, x2)));
      const __m512d t = _mm512_add_pd(_mm512_fmadd_pd(u1, x1, _mm512_mul_pd(u0, x0)),
                                      _mm512_fmadd_pd(u3, x3, _mm512_mul_pd(u2, x2)));
      _mm512_storeu_pd(y + j, _mm512_add_pd(_mm512_loadu_pd(y + j), s));
      _mm512_storeu_pd(y + j + 8, _mm512_add_pd(_mm512_loadu_pd(y + j + 8), t));
    }
    for (; j < j8; j += 8) {
      const __m512d xa = _mm512_loadu_pd(x + j);
      const __m512d v0 = _mm512_loadu_pd(p0 + j), v1 = _mm512_loadu_pd(p1 + j);
      const __m512d v2 = _mm512_loadu_pd(p2 + j), v3 = _mm512_loadu_pd(p3 + j);
      a0 = _mm512_fmadd_pd(v0, xa, a0), a1 = _mm512_fmadd_pd(v1, xa, a1);
      a2 = _mm512_fmadd_pd(v2, xa, a2), a3 = _mm512_fmadd_pd(v3, xa, a3);
      const __m512d s = _mm512_add_pd(_mm512_fmadd_pd(v1, x1, _mm512_mul_pd(v0, x0)),
                                      _mm512_fmadd_pd(v3, x3, _mm512_mul_pd(v2, x2)));
      _mm512_storeu_pd(y + j, _mm512_add_pd(_mm512_loadu_pd(y + j), s));
    }
    if (j8 < i0) {  // the last partial vector of columns [j8, i0), masked
      const __mmask8 m = __mmask8((1u << (i0 - j8)) - 1u);
      const __m512d xa = _mm512_maskz_loadu_pd(m, x + j8);
      const __m512d v0 = _mm512_maskz_loadu_pd(m, p0 + j8), v1 = _mm512_maskz_loadu_pd(m, p1 + j8);
      const __m512d v2 = _mm512_maskz_loadu_pd(m, p2 + j8), v3 = _mm512_maskz_loadu_pd(m, p3 + j8);
      a0 = _mm512_fmadd_pd(v0, xa, a0), a1 = _mm512_fmadd_pd(v1, xa, a1);
      a2 = _mm512_fmadd_pd(v2, xa, a2), a3 = _mm512_fmadd_pd(v3, xa, a3);
      const __m512d s = _mm512_add_pd(_mm512_fmadd_pd(v1, x1, _mm512_mul_pd(v0, x0)),
                                      _mm512_fmadd_pd(v3, x3, _mm512_mul_pd(v2, x2)));
      _mm512_mask_storeu_pd(y + j8, m, _mm512_add_pd(_mm512_maskz_loadu_pd(m, y + j8), s));
    }
    const double dot[4] = {hsum(_mm512_add_pd(a0, b0)), hsum(_mm512_add_pd(a1, b1)),
                           hsum(_mm512_add_pd(a2, b2)), hsum(_mm512_add_pd(a3, b3))};
    // The 4 × 4 diagonal block.
    for (std::size_t r = 0; r < 4; ++r) {
      const std::size_t i = i0 + r;
      const double* p = a.row(i);
      double s = dot[r];
      for (std::size_t k = i0; k < i; ++k) s += p[k] * x[k], y[k] += p[k] * x[i];
      y[i] += s + p[i] * x[i];
    }
  }
  for (; i0 < r1; ++i0) {  // up to 3 rows left
    const double* p = a.row(i0);
    double s = 0;
    for (std::size_t k = 0; k < i0; ++k) s += p[k] * x[k], y[k] += p[k] * x[i0];
    y[i0] += s + p[i0] * x[i0];
  }
  _mm256_zeroupper();  // see syrk_avx512.cpp: GCC 12 emits none on the way back to baseline code
}

// y[r] = a.row(r) · x for r in [r0, r1).
SEXTANT_AVX512 void gemv_rows(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                              std::size_t r1) {
  const std::size_t n = a.cols, n8 = n & ~std::size_t(7);
  const __mmask8 tail = __mmask8((1u << (n - n8)) - 1u);
  std::size_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const double* p0 = a.row(r);
    const double* p1 = a.row(r + 1);
    const double* p2 = a.row(r + 2);
    const double* p3 = a.row(r + 3);
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    std::size_t j = 0;
    for (; j < n8; j += 8) {
      const __m512d xv = _mm512_loadu_pd(x + j);
      a0 = _mm512_fmadd_pd(_mm512_loadu_pd(p0 + j), xv, a0), a1 = _mm512_fmadd_pd(_mm512_loadu_pd(p1 + j), xv, a1);
      a2 = _mm512_fmadd_pd(_mm512_loadu_pd(p2 + j), xv, a2), a3 = _mm512_fmadd_pd(_mm512_loadu_pd(p3 + j), xv, a3);
    }
    if (tail) {
      const __m512d xv = _mm512_maskz_loadu_pd(tail, x + j);
      a0 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, p0 + j), xv, a0);
      a1 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, p1 + j), xv, a1);
      a2 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, p2 + j), xv, a2);
      a3 = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, p3 + j), xv, a3);
    }
    y[r] = hsum(a0), y[r + 1] = hsum(a1);
    y[r + 2] = hsum(a2), y[r + 3] = hsum(a3);
  }
  for (; r < r1; ++r) {
    const double* p = a.row(r);
    __m512d acc = _mm512_setzero_pd();
    std::size_t j = 0;
    for (; j < n8; j += 8) acc = _mm512_fmadd_pd(_mm512_loadu_pd(p + j), _mm512_loadu_pd(x + j), acc);
    if (tail) acc = _mm512_fmadd_pd(_mm512_maskz_loadu_pd(tail, p + j), _mm512_maskz_loadu_pd(tail, x + j), acc);
    y[r] = hsum(acc);
  }
  _mm256_zeroupper();
}

}  // namespace

void symmetric_matvec(MatrixView a, const double* x, double* y) {
  const std::size_t n = a.rows;
  if (n * n / 2 < kSerialElems) {
    std::fill_n(y, n, 0.0);
    symv_rows(a, x, y, 0, n);
    return;
  }
  // Row ranges of equal triangle area: part p ends at n·√((p+1)/kParts), rounded to a 4-row block.
  std::size_t bounds[kParts + 1] = {0};
  for (std::size_t p = 1; p < kParts; ++p)
    bounds[p] = std::min(n, std::size_t(std::lround(double(n) * std::sqrt(double(p) / double(kParts)) / 4.0)) * 4);
  bounds[kParts] = n;
  std::vector<double> partial(kParts * n, 0.0);  // kParts y vectors; part p touches [0, bounds[p + 1])
  double* buf = partial.data();
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, kParts, kParts / 2),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t p = r.begin(); p != r.end(); ++p) symv_rows(a, x, buf + p * n, bounds[p], bounds[p + 1]);
      },
      tbb::simple_partitioner());
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t p = 0; p < kParts; ++p) s += buf[p * n + i];  // zeros past a part's rows
    y[i] = s;
  }
}

void matvec(MatrixView a, const double* x, double* y) {
  const std::size_t rows = a.rows;
  if (rows * a.cols < kSerialElems) {
    gemv_rows(a, x, y, 0, rows);
    return;
  }
  constexpr std::size_t kBlock = 64;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (rows + kBlock - 1) / kBlock), [&](const tbb::blocked_range<std::size_t>& b) {
    gemv_rows(a, x, y, b.begin() * kBlock, std::min(rows, b.end() * kBlock));
  });
}

}  // namespace sextant::accel
