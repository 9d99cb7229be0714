// The matrix-vector kernels (see include/sextant/accel/level2.hpp), AVX-512 and AVX2+FMA.
//
// Both are bound by reading the matrix, so what matters is streaming it once at full width on every
// core, and keeping the vector traffic out of the way:
//  - both take four rows at a time (FourRows; Avx2 below likewise): each column step loads the four
//    row vectors and x once and adds the four dot products; AVX-512 masks its last partial step,
//    AVX2 finishes the last columns in scalar code.
//  - symmetric_matvec reads the lower triangle once, and the same step adds the rows' transposed
//    contribution into y (one load and store of y per four rows, summed as a two-level tree). The
//    4 × 4 diagonal block is one more step with a mask per row in AVX-512, 10 scalar products in AVX2.
//  - the four dot products are reduced across lanes together (sums).
// Threads: symmetric_matvec splits the rows into kParts ranges of equal triangle area, each summing
// into its own y, and adds those in part order; matvec's rows are independent. Either way the
// result does not depend on the number of threads (it does on the ISA: lane counts differ).
//
// As in syrk_avx512.cpp, only functions marked SEXTANT_AVX512 / SEXTANT_AVX2 contain those
// instructions, and they run only after level2_kernels() says the CPU has them.
#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sextant/accel/avx512.hpp"
#include "sextant/accel/level2.hpp"

#define SEXTANT_AVX512 __attribute__((target("avx512f")))
#define SEXTANT_AVX2 __attribute__((target("avx2,fma")))

namespace sextant::accel {
namespace {

constexpr std::size_t kParts = 4;                          // fixed split of the triangle (determinism)
constexpr std::size_t kSerialElems = std::size_t(1) << 14;  // below this many entries read, one thread

// GCC 12's _mm512_extractf64x4_pd starts from an _mm256_undefined_pd() and warns about it.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Four rows of a at once, one 8-column step: the matrix is read once, x and y once per four rows.
struct FourRows {
  const double* p[4];
  __m512d acc[4];  // the four running dot products with x

  SEXTANT_AVX512 FourRows(MatrixView a, std::size_t r) {
    for (int k = 0; k < 4; ++k) p[k] = a.row(r + k), acc[k] = _mm512_setzero_pd();
  }
  // Columns [j, j + 8) under mask m: acc += row · x. With `xi` (the four rows' own x entries, as
  // splats) also y[j..] += Σ_k row_k · x_ik, summed as a tree rather than a chain of four FMAs:
  // symv's transposed half.
  SEXTANT_AVX512 void step(std::size_t j, __mmask8 m, const double* x, double* y = nullptr, const __m512d* xi = nullptr) {
    const __mmask8 mk[4] = {m, m, m, m};
    step(j, mk, mk, x, y, xi);
  }
  // The same with a mask per row: `dot[k]` selects row k's columns for its dot product, `below[k]`
  // those for its transposed update (symv's diagonal chunk: up to and strictly below the diagonal).
  SEXTANT_AVX512 void step(std::size_t j, const __mmask8* dot, const __mmask8* below, const double* x, double* y = nullptr,
                           const __m512d* xi = nullptr) {
    const __m512d xv = _mm512_maskz_loadu_pd(dot[3], x + j);  // row 3's columns include the others'
    __m512d v[4];
    for (int k = 0; k < 4; ++k) v[k] = _mm512_maskz_loadu_pd(dot[k], p[k] + j), acc[k] = _mm512_fmadd_pd(v[k], xv, acc[k]);
    if (!xi) return;
    for (int k = 0; k < 4; ++k) v[k] = _mm512_maskz_mov_pd(below[k], v[k]);
    const __m512d s = _mm512_add_pd(_mm512_fmadd_pd(v[1], xi[1], _mm512_mul_pd(v[0], xi[0])),
                                    _mm512_fmadd_pd(v[3], xi[3], _mm512_mul_pd(v[2], xi[2])));
    _mm512_mask_storeu_pd(y + j, below[3], _mm512_add_pd(_mm512_maskz_loadu_pd(below[3], y + j), s));
  }
  // The four dot products, {acc[0], ..., acc[3]} summed across lanes, in one register.
  SEXTANT_AVX512 __m256d sums() const {
    __m256d h[4];
    for (int k = 0; k < 4; ++k) h[k] = _mm256_add_pd(_mm512_castpd512_pd256(acc[k]), _mm512_extractf64x4_pd(acc[k], 1));
    const __m256d h01 = _mm256_hadd_pd(h[0], h[1]), h23 = _mm256_hadd_pd(h[2], h[3]);  // {0,1,0,1}, {2,3,2,3} halves
    return _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20), _mm256_permute2f128_pd(h01, h23, 0x31));
  }
};

constexpr __mmask8 kAll = 0xFF;
inline __mmask8 first_lanes(std::size_t k) { return __mmask8((1u << k) - 1u); }  // k < 8

// y[0, r1) += the contributions of lower-triangle rows [r0, r1) of a: y_i += Σ_{k≤i} a_ik x_k and
// y_k += a_ik x_i for k < i. The 4 × 4 diagonal block goes through the same vector step with a mask
// per row, so no scalar loop runs per block.
SEXTANT_AVX512 void symv_rows(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                              std::size_t r1) {
  std::size_t i0 = r0;
  for (; i0 + 4 <= r1; i0 += 4) {
    FourRows rows(a, i0);
    __m512d xi[4];
    for (int k = 0; k < 4; ++k) xi[k] = _mm512_set1_pd(x[i0 + k]);
    const std::size_t j8 = i0 & ~std::size_t(7);
    for (std::size_t j = 0; j < j8; j += 8) rows.step(j, kAll, x, y, xi);
    for (std::size_t j = j8; j < i0 + 4; j += 8) {  // columns [j8, i0 + 4): one or two chunks
      __mmask8 dot[4], below[4];
      for (std::size_t k = 0; k < 4; ++k) {
        const std::size_t diag = i0 + k;  // row k's diagonal column
        dot[k] = diag < j ? 0 : diag - j >= 7 ? kAll : first_lanes(diag - j + 1);
        below[k] = diag <= j ? 0 : diag - j >= 8 ? kAll : first_lanes(diag - j);
      }
      rows.step(j, dot, below, x, y, xi);
    }
    _mm256_storeu_pd(y + i0, _mm256_add_pd(_mm256_loadu_pd(y + i0), rows.sums()));
  }
  for (; i0 < r1; ++i0) {  // up to 3 rows left
    const double* p = a.row(i0);
    double s = 0;
    for (std::size_t k = 0; k < i0; ++k) s += p[k] * x[k], y[k] += p[k] * x[i0];
    y[i0] += s + p[i0] * x[i0];
  }
  _mm256_zeroupper();  // see syrk_avx512.cpp: GCC 12 emits none on the way back to baseline code
}

// y[r] = a.row(r) · x for r in [r0, r1), r1 - r0 ≥ 4. A last block of fewer than four rows is taken
// as the four rows ending at r1 (rows computed twice get the same value).
SEXTANT_AVX512 void gemv_rows(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                              std::size_t r1) {
  const std::size_t n = a.cols, n8 = n & ~std::size_t(7);
  for (std::size_t r = r0; r < r1; r += 4) {
    r = std::min(r, r1 - 4);
    FourRows rows(a, r);
    for (std::size_t j = 0; j < n8; j += 8) rows.step(j, kAll, x);
    if (n8 < n) rows.step(n8, first_lanes(n - n8), x);
    _mm256_storeu_pd(y + r, rows.sums());
  }
  _mm256_zeroupper();
}

// ---- AVX2 + FMA: the same structure in 4-lane steps. ----

// {Σ a[0], Σ a[1], Σ a[2], Σ a[3]}: the four accumulators summed across lanes, in one register.
SEXTANT_AVX2 inline __m256d sums4(const __m256d* acc) {
  const __m256d h01 = _mm256_hadd_pd(acc[0], acc[1]), h23 = _mm256_hadd_pd(acc[2], acc[3]);
  return _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20), _mm256_permute2f128_pd(h01, h23, 0x31));
}

// As symv_rows; rows start at multiples of 4 (the part bounds are), so the columns left of a block's
// diagonal are whole 4-lane steps, and the 4 × 4 diagonal block is scalar.
SEXTANT_AVX2 void symv_rows_avx2(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                                 std::size_t r1) {
  std::size_t i0 = r0;
  for (; i0 + 4 <= r1; i0 += 4) {
    const double* p[4];
    __m256d acc[4], xi[4];
    for (int k = 0; k < 4; ++k) p[k] = a.row(i0 + k), acc[k] = _mm256_setzero_pd(), xi[k] = _mm256_set1_pd(x[i0 + k]);
    for (std::size_t j = 0; j < i0; j += 4) {
      const __m256d xv = _mm256_loadu_pd(x + j);
      __m256d v[4];
      for (int k = 0; k < 4; ++k) {
        v[k] = _mm256_loadu_pd(p[k] + j);
        // In a register: GCC would otherwise fold the load into both of its uses, and two 256-bit
        // loads per element is what limits Zen 1 (each is two µops on its two load ports).
        __asm__("" : "+x"(v[k]));
        acc[k] = _mm256_fmadd_pd(v[k], xv, acc[k]);
      }
      const __m256d s = _mm256_add_pd(_mm256_fmadd_pd(v[1], xi[1], _mm256_mul_pd(v[0], xi[0])),
                                      _mm256_fmadd_pd(v[3], xi[3], _mm256_mul_pd(v[2], xi[2])));
      _mm256_storeu_pd(y + j, _mm256_add_pd(_mm256_loadu_pd(y + j), s));
    }
    alignas(32) double d[4];
    _mm256_store_pd(d, sums4(acc));
    for (std::size_t k = 0; k < 4; ++k) {  // row i0 + k: columns i0 .. i0 + k, and their transposes
      for (std::size_t j = 0; j < k; ++j) d[k] += p[k][i0 + j] * x[i0 + j], y[i0 + j] += p[k][i0 + j] * x[i0 + k];
      d[k] += p[k][i0 + k] * x[i0 + k];
    }
    for (std::size_t k = 0; k < 4; ++k) y[i0 + k] += d[k];
  }
  for (; i0 < r1; ++i0) {  // up to 3 rows left
    const double* p = a.row(i0);
    double s = 0;
    for (std::size_t k = 0; k < i0; ++k) s += p[k] * x[k], y[k] += p[k] * x[i0];
    y[i0] += s + p[i0] * x[i0];
  }
  _mm256_zeroupper();
}

// As gemv_rows: blocks of four rows (a last short block overlaps the previous one), scalar last columns.
SEXTANT_AVX2 void gemv_rows_avx2(MatrixView a, const double* __restrict x, double* __restrict y, std::size_t r0,
                                 std::size_t r1) {
  const std::size_t n = a.cols, n4 = n & ~std::size_t(3);
  for (std::size_t r = r0; r < r1; r += 4) {
    r = std::min(r, r1 - 4);
    const double* p[4];
    __m256d acc[4];
    for (int k = 0; k < 4; ++k) p[k] = a.row(r + k), acc[k] = _mm256_setzero_pd();
    for (std::size_t j = 0; j < n4; j += 4) {
      const __m256d xv = _mm256_loadu_pd(x + j);
      for (int k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_pd(_mm256_loadu_pd(p[k] + j), xv, acc[k]);
    }
    alignas(32) double d[4];
    _mm256_store_pd(d, sums4(acc));
    for (std::size_t k = 0; k < 4; ++k) {
      for (std::size_t j = n4; j < n; ++j) d[k] += p[k][j] * x[j];
      y[r + k] = d[k];
    }
  }
  _mm256_zeroupper();
}

// Fewer than four rows (a product this small is not worth a vector kernel): one at a time.
void gemv_few_rows(MatrixView a, const double* __restrict x, double* __restrict y) {
  for (std::size_t r = 0; r < a.rows; ++r) {
    const double* p = a.row(r);
    double s = 0;
    for (std::size_t j = 0; j < a.cols; ++j) s += p[j] * x[j];
    y[r] = s;
  }
}

bool env_off(const char* name) {
  const char* v = std::getenv(name);
  return v && (std::string_view(v) == "0" || std::string_view(v) == "off");
}

using RowsKernel = void (*)(MatrixView, const double*, double*, std::size_t, std::size_t);

RowsKernel symv_kernel() { return level2_kernels() == Level2Kernels::avx512 ? symv_rows : symv_rows_avx2; }
RowsKernel gemv_kernel() { return level2_kernels() == Level2Kernels::avx512 ? gemv_rows : gemv_rows_avx2; }

}  // namespace

Level2Kernels level2_kernels() {
  static const Level2Kernels k = [] {
    if (cpu_has_avx512()) return Level2Kernels::avx512;  // itself honours SME_AVX512=0
    __builtin_cpu_init();
    if (!env_off("SME_AVX2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Level2Kernels::avx2;
    return Level2Kernels::none;
  }();
  return k;
}

void symmetric_matvec(MatrixView a, const double* x, double* y) {
  const std::size_t n = a.rows;
  const RowsKernel symv_rows = symv_kernel();
  if (n * n / 2 < kSerialElems) {
    std::fill_n(y, n, 0.0);
    symv_rows(a, x, y, 0, n);
    return;
  }
  // Row ranges of equal triangle area: part p ends at n·√(p/kParts), rounded to a 4-row block. Not
  // equal time: rows have a fixed cost, so the short-row first half takes ~8% longer alone. But
  // TBB's second thread steals the second half ~1.7 µs late, and the two effects about cancel:
  // splitting by a cost model that balanced the halves run alone made the whole call ~0.7 µs slower.
  std::size_t bounds[kParts + 1] = {0};
  for (std::size_t p = 1; p < kParts; ++p)
    bounds[p] = std::min(n, std::size_t(std::lround(double(n) * std::sqrt(double(p) / double(kParts)) / 4.0)) * 4);
  bounds[kParts] = n;
  // kParts y vectors; part p touches only [0, bounds[p + 1]), and only that prefix is zeroed and added.
  const auto partial = std::make_unique_for_overwrite<double[]>(kParts * n);
  double* buf = partial.get();
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, kParts, kParts / 2),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t p = r.begin(); p != r.end(); ++p) {
          std::fill_n(buf + p * n, bounds[p + 1], 0.0);
          symv_rows(a, x, buf + p * n, bounds[p], bounds[p + 1]);
        }
      },
      tbb::simple_partitioner());
  // Added in a fixed order (last part first), as plain loops that vectorise.
  std::copy_n(buf + (kParts - 1) * n, n, y);
  for (std::size_t p = kParts - 1; p-- > 0;) {
    const double* b = buf + p * n;
    for (std::size_t i = 0; i < bounds[p + 1]; ++i) y[i] += b[i];
  }
}

void matvec(MatrixView a, const double* x, double* y) {
  const std::size_t rows = a.rows;
  const RowsKernel gemv_rows = gemv_kernel();
  if (rows < 4) return gemv_few_rows(a, x, y);
  if (rows * a.cols < kSerialElems) return gemv_rows(a, x, y, 0, rows);
  // Blocks of 64 rows; the last block takes whatever is left (at least 4 rows when rows ≥ 68).
  constexpr std::size_t kBlock = 64;
  const std::size_t blocks = std::max<std::size_t>(1, rows / kBlock);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks), [&](const tbb::blocked_range<std::size_t>& b) {
    gemv_rows(a, x, y, b.begin() * kBlock, b.end() == blocks ? rows : b.end() * kBlock);
  });
}

}  // namespace sextant::accel
