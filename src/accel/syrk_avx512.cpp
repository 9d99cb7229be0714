// The AVX-512 centred cross-product kernel (see include/sextant/accel/syrk.hpp).
//
// Layout, in the usual packed-GEMM way: the T rows are taken KC at a time; each block of KC rows of
// X − μ is packed into "slivers" of 8 columns ([sliver][row][8], contiguous, 64-byte aligned), which
// serve as both operands since C = XᵀX. An 8 × 24 tile of C (8 rows of C: one sliver broadcast
// element by element; 24 columns: three slivers loaded as vectors) keeps 24 accumulators in zmm
// registers for the KC steps, 24 FMAs per step. Column slivers are visited in blocks of kColBlock
// (KC·8·8 bytes each, 384 KB a block: L2), row slivers (16 KB: L1) innermost-but-one. Only tiles on
// or below the diagonal are formed, so the flops are half of gemm's.
//
// Only the functions marked SEXTANT_AVX512 contain AVX-512 code, and they are called only after
// cpu_has_avx512(); the rest of this file (TBB, std::vector) compiles for the baseline ISA, so no
// AVX-512 instance of a shared inline function can leak into the rest of the program.
//
// Threads: row slivers are split into kParts ranges of equal triangle area, whatever the thread
// count; each C entry is summed over the same rows in the same order either way.
#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include "sextant/accel/syrk.hpp"

#define SEXTANT_AVX512 __attribute__((target("avx512f")))

namespace sextant::accel {
namespace {

constexpr std::size_t kKc = 256;        // rows of X per packed block: a sliver is 16 KB
constexpr std::size_t kColBlock = 24;   // column slivers per L2 block
constexpr std::size_t kParts = 4;       // fixed work split (determinism), 2 per core here
constexpr std::size_t kSerialFlops = std::size_t(1) << 22;  // below this, one thread

// acc[r][w] += sliver_r[k][r] * col_w[k][0..7] over k < kc, for an 8 × 8W tile at c (row stride ldc).
template <int W>
SEXTANT_AVX512 inline void tile(std::size_t kc, const double* __restrict row, const double* __restrict col,
                                std::size_t stride, double* __restrict c, std::size_t ldc, bool first) {
  __m512d acc[8][W];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r)
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w) acc[r][w] = first ? _mm512_setzero_pd() : _mm512_loadu_pd(c + r * ldc + 8 * w);
  for (std::size_t k = 0; k < kc; ++k) {
    __m512d a[W];
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w) a[w] = _mm512_load_pd(col + w * stride + 8 * k);
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) {
      const __m512d b = _mm512_set1_pd(row[8 * k + r]);
#pragma GCC unroll 3
      for (int w = 0; w < W; ++w) acc[r][w] = _mm512_fmadd_pd(a[w], b, acc[r][w]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r)
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w) _mm512_storeu_pd(c + r * ldc + 8 * w, acc[r][w]);
}

struct Panel {
  const double* pack;  // kc rows of X − μ, as ceil(n/8) slivers
  std::size_t kc, stride, slivers, n;
};

// Slivers [s0, s1) of rows [pc, pc + kc) of x − mean; columns past n are packed as zeros.
SEXTANT_AVX512 void pack_slivers(MatrixView x, const double* mean, std::size_t pc, std::size_t kc, double* pack,
                                 std::size_t s0, std::size_t s1) {
  const std::size_t stride = kc * 8;
  for (std::size_t s = s0; s < s1; ++s) {
    double* p = pack + s * stride;
    const std::size_t j0 = s * 8;
    if (j0 + 8 <= x.cols) {
      const __m512d m = _mm512_loadu_pd(mean + j0);
      for (std::size_t k = 0; k < kc; ++k) _mm512_store_pd(p + 8 * k, _mm512_sub_pd(_mm512_loadu_pd(x.row(pc + k) + j0), m));
    } else {
      for (std::size_t k = 0; k < kc; ++k)
        for (std::size_t q = 0; q < 8; ++q) p[8 * k + q] = j0 + q < x.cols ? x.row(pc + k)[j0 + q] - mean[j0 + q] : 0.0;
    }
  }
}

// One tile whose rows or columns run past n: formed in a local buffer, then the valid part copied.
template <int W>
SEXTANT_AVX512 void edge_tile(const Panel& p, const double* row, const double* col, MutMatrixView c, std::size_t i0,
                              std::size_t j0, bool first) {
  alignas(64) double buf[8 * 24];
  const std::size_t rows = std::min<std::size_t>(8, p.n - i0), cols = std::min<std::size_t>(8 * W, p.n - j0);
  for (std::size_t r = 0; r < 8; ++r)
    for (std::size_t q = 0; q < 8 * W; ++q) buf[r * 24 + q] = (!first && r < rows && q < cols) ? c(i0 + r, j0 + q) : 0.0;
  tile<W>(p.kc, row, col, p.stride, buf, 24, false);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t q = 0; q < cols; ++q) c(i0 + r, j0 + q) = buf[r * 24 + q];
}

template <int W>
SEXTANT_AVX512 inline void any_tile(const Panel& p, std::size_t r, std::size_t s, MutMatrixView c, bool first) {
  const double* row = p.pack + r * p.stride;
  const double* col = p.pack + s * p.stride;
  const std::size_t i0 = r * 8, j0 = s * 8;
  if (i0 + 8 <= p.n && j0 + 8 * W <= p.n)
    tile<W>(p.kc, row, col, p.stride, c.row(i0) + j0, c.ld, first);
  else
    edge_tile<W>(p, row, col, c, i0, j0, first);
}

// Tiles of row slivers [r0, r1), every column sliver up to and including the diagonal one.
SEXTANT_AVX512 void row_slivers(const Panel& p, std::size_t r0, std::size_t r1, MutMatrixView c, bool first) {
  for (std::size_t cb = 0; cb < r1; cb += kColBlock) {
    const std::size_t cend = std::min(cb + kColBlock, p.slivers);
    for (std::size_t r = std::max(r0, cb); r < r1; ++r) {
      const std::size_t last = std::min(cend, r + 1);
      std::size_t s = cb;
      for (; s + 3 <= last; s += 3) any_tile<3>(p, r, s, c, first);
      if (last - s == 2) any_tile<2>(p, r, s, c, first);
      else if (last - s == 1) any_tile<1>(p, r, s, c, first);
    }
  }
}

struct AlignedBuffer {
  double* data = nullptr;
  std::size_t size = 0;
  ~AlignedBuffer() { std::free(data); }
  double* get(std::size_t n) {
    if (n > size) {
      std::free(data);
      data = static_cast<double*>(std::aligned_alloc(64, ((n * sizeof(double) + 63) / 64) * 64));
      if (!data) throw std::bad_alloc();
      size = n;
    }
    return data;
  }
};

}  // namespace

bool cpu_has_avx512() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;  // libgcc also checks the OS saves the zmm state
  }();
  return has;
}

void centred_cross_product(MatrixView x, const double* mean, MutMatrixView c) {
  const std::size_t t = x.rows, n = x.cols, slivers = (n + 7) / 8;
  if (n == 0) return;
  // Row-sliver ranges of equal area (row sliver r forms r + 1 tiles' worth of 8 × 8 blocks).
  std::vector<std::size_t> bounds{0};
  {
    const double total = double(slivers) * double(slivers + 1) / 2;
    double area = 0;
    std::size_t r = 0;
    for (std::size_t part = 1; part < kParts; ++part) {
      while (r < slivers && area < total * double(part) / double(kParts)) area += double(++r);
      bounds.push_back(r);
    }
    bounds.push_back(slivers);
  }
  if (t == 0) {
    for (std::size_t i = 0; i < n; ++i) std::fill_n(c.row(i), i + 1, 0.0);
    return;
  }
  const bool serial = double(n) * double(n) * double(t) < double(kSerialFlops);
  thread_local AlignedBuffer workspace;  // reused: a fresh 2 MB buffer costs page faults each call
  double* pack = workspace.get(slivers * std::min(t, kKc) * 8);
  for (std::size_t pc = 0; pc < t; pc += kKc) {
    const std::size_t kc = std::min(kKc, t - pc);
    const Panel p{pack, kc, kc * 8, slivers, n};
    const bool first = pc == 0;
    if (serial) {
      pack_slivers(x, mean, pc, kc, pack, 0, slivers);
      row_slivers(p, 0, slivers, c, first);
      continue;
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, slivers, 8), [&](const tbb::blocked_range<std::size_t>& b) {
      pack_slivers(x, mean, pc, kc, pack, b.begin(), b.end());
    });
    tbb::parallel_for(
        std::size_t(0), bounds.size() - 1,
        [&](std::size_t part) { row_slivers(p, bounds[part], bounds[part + 1], c, first); },
        tbb::simple_partitioner());
  }
}

}  // namespace sextant::accel
