// The AVX-512 centred cross-product kernel (see include/sextant/accel/avx512.hpp).
//
// Layout, in the usual packed-GEMM way: the T rows are taken KC at a time; each block of KC rows of
// X − μ is packed into "slivers" of 8 columns ([sliver][row][8], contiguous, 64-byte aligned), which
// serve as both operands since C = XᵀX. An 8 × 24 tile of C (8 rows of C: one sliver broadcast
// element by element; 24 columns: three slivers loaded as vectors) keeps 24 accumulators in zmm
// registers for the KC steps, 24 FMAs per step. The float version is the same with 16-wide slivers
// (a tile is 8 × 48; a row sliver holds two tiles' rows). Column slivers are visited in blocks of kColBlock
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
#include <string_view>
#include <vector>

#include "sextant/accel/avx512.hpp"

#define SEXTANT_AVX512 __attribute__((target("avx512f")))

namespace sextant::accel {
namespace {

constexpr std::size_t kKc = 256;        // rows of X per packed block: a sliver is 16 KB
constexpr std::size_t kColBlock = 24;   // column slivers per L2 block (384 KB)
constexpr std::size_t kParts = 4;       // fixed work split (determinism), 2 per core here
constexpr std::size_t kSerialFlops = std::size_t(1) << 22;  // below this, one thread

// The two element types: a zmm holds kLanes of them, and a sliver is kLanes columns wide.
template <class T>
struct Zmm;
template <>
struct Zmm<double> {
  using V = __m512d;
  static constexpr std::size_t kLanes = 8;
  SEXTANT_AVX512 static V zero() { return _mm512_setzero_pd(); }
  SEXTANT_AVX512 static V load(const double* p) { return _mm512_load_pd(p); }
  SEXTANT_AVX512 static V loadu(const double* p) { return _mm512_loadu_pd(p); }
  SEXTANT_AVX512 static void storeu(double* p, V v) { _mm512_storeu_pd(p, v); }
  SEXTANT_AVX512 static V splat(double v) { return _mm512_set1_pd(v); }
  SEXTANT_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  SEXTANT_AVX512 static V add(V a, V b) { return _mm512_add_pd(a, b); }
};
template <>
struct Zmm<float> {
  using V = __m512;
  static constexpr std::size_t kLanes = 16;
  SEXTANT_AVX512 static V zero() { return _mm512_setzero_ps(); }
  SEXTANT_AVX512 static V load(const float* p) { return _mm512_load_ps(p); }
  SEXTANT_AVX512 static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  SEXTANT_AVX512 static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  SEXTANT_AVX512 static V splat(float v) { return _mm512_set1_ps(v); }
  SEXTANT_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  SEXTANT_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
};

// An 8-row tile: acc[r][w] += row[k·L + r] · col_w[k][0..L) over k < kc (L lanes), at c (stride ldc).
// `row` points at the tile's first row inside its sliver (a float sliver holds two tiles' rows).
template <class T, int W>
SEXTANT_AVX512 inline void tile(std::size_t kc, const T* __restrict row, const T* __restrict col, std::size_t stride,
                                T* __restrict c, std::size_t ldc, bool first) {
  using Z = Zmm<T>;
  constexpr std::size_t L = Z::kLanes;
  typename Z::V acc[8][W];
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r)
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w) acc[r][w] = Z::zero();
  for (std::size_t k = 0; k < kc; ++k) {
    typename Z::V a[W];
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w) a[w] = Z::load(col + w * stride + L * k);
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) {
      const typename Z::V b = Z::splat(row[L * k + r]);
#pragma GCC unroll 3
      for (int w = 0; w < W; ++w) acc[r][w] = Z::fma(a[w], b, acc[r][w]);
    }
  }
  // Each block of kc rows is summed from zero and then added to c: rounding grows with √kc + √(T/kc)
  // rather than √T (it matters for float: 2,520 rows in one running sum lose 6× more).
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r)
#pragma GCC unroll 3
    for (int w = 0; w < W; ++w)
      Z::storeu(c + r * ldc + L * w, first ? acc[r][w] : Z::add(Z::loadu(c + r * ldc + L * w), acc[r][w]));
}

template <class T>
struct Panel {
  const T* pack;  // kc rows of X − μ, as ceil(n/L) slivers
  std::size_t kc, stride, slivers, n;
};

// Slivers [s0, s1) of rows [pc, pc + kc) of x − mean, rounded to T; columns past n are packed as
// zeros. The centring is in double whatever T is. (The loops vectorise under the AVX-512 target.)
template <class T>
SEXTANT_AVX512 void pack_slivers(MatrixView x, const double* mean, std::size_t pc, std::size_t kc, T* pack,
                                 std::size_t s0, std::size_t s1) {
  constexpr std::size_t L = Zmm<T>::kLanes;
  for (std::size_t s = s0; s < s1; ++s) {
    T* p = pack + s * kc * L;
    const std::size_t j0 = s * L;
    if (j0 + L <= x.cols) {
      const double* m = mean + j0;
      for (std::size_t k = 0; k < kc; ++k) {
        const double* xr = x.row(pc + k) + j0;
        T* o = p + L * k;
#pragma GCC unroll 16
        for (std::size_t q = 0; q < L; ++q) o[q] = T(xr[q] - m[q]);
      }
    } else {
      for (std::size_t k = 0; k < kc; ++k)
        for (std::size_t q = 0; q < L; ++q) p[L * k + q] = j0 + q < x.cols ? T(x.row(pc + k)[j0 + q] - mean[j0 + q]) : T(0);
    }
  }
  // GCC 12 emits no vzeroupper when a target("avx512f") function returns to baseline code, and
  // legacy-SSE code (parts of LAPACK) may follow: leave the upper register state clean.
  _mm256_zeroupper();
}

// One tile whose rows or columns run past n: formed in a local buffer, then the valid part copied.
template <class T, int W>
SEXTANT_AVX512 void edge_tile(const Panel<T>& p, const T* row, const T* col, BasicMatrixView<T> c, std::size_t i0,
                              std::size_t j0, bool first) {
  constexpr std::size_t L = Zmm<T>::kLanes, kCols = 3 * L;
  alignas(64) T buf[8 * kCols];
  const std::size_t rows = std::min<std::size_t>(8, p.n - i0), cols = std::min<std::size_t>(L * W, p.n - j0);
  for (std::size_t r = 0; r < 8; ++r)
    for (std::size_t q = 0; q < L * W; ++q) buf[r * kCols + q] = (!first && r < rows && q < cols) ? c(i0 + r, j0 + q) : T(0);
  tile<T, W>(p.kc, row, col, p.stride, buf, kCols, false);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t q = 0; q < cols; ++q) c(i0 + r, j0 + q) = buf[r * kCols + q];
}

// The tile of rows [i0, i0 + 8) (in row sliver r) by column slivers [s, s + W).
template <class T, int W>
SEXTANT_AVX512 inline void any_tile(const Panel<T>& p, std::size_t r, std::size_t i0, std::size_t s,
                                    BasicMatrixView<T> c, bool first) {
  constexpr std::size_t L = Zmm<T>::kLanes;
  const T* row = p.pack + r * p.stride + (i0 - r * L);
  const T* col = p.pack + s * p.stride;
  const std::size_t j0 = s * L;
  if (i0 + 8 <= p.n && j0 + L * W <= p.n)
    tile<T, W>(p.kc, row, col, p.stride, c.row(i0) + j0, c.ld, first);
  else
    edge_tile<T, W>(p, row, col, c, i0, j0, first);
}

// Tiles of row slivers [r0, r1), every column sliver up to and including the diagonal one.
template <class T>
SEXTANT_AVX512 void row_slivers(const Panel<T>& p, std::size_t r0, std::size_t r1, BasicMatrixView<T> c, bool first) {
  constexpr std::size_t L = Zmm<T>::kLanes;
  for (std::size_t cb = 0; cb < r1; cb += kColBlock) {
    const std::size_t cend = std::min(cb + kColBlock, p.slivers);
    for (std::size_t r = std::max(r0, cb); r < r1; ++r) {
      const std::size_t last = std::min(cend, r + 1);
      for (std::size_t i0 = r * L; i0 < std::min(r * L + L, p.n); i0 += 8) {
        std::size_t s = cb;
        for (; s + 3 <= last; s += 3) any_tile<T, 3>(p, r, i0, s, c, first);
        if (last - s == 2) any_tile<T, 2>(p, r, i0, s, c, first);
        else if (last - s == 1) any_tile<T, 1>(p, r, i0, s, c, first);
      }
    }
  }
  _mm256_zeroupper();  // see pack_slivers
}

struct AlignedBuffer {
  void* data = nullptr;
  std::size_t bytes = 0;
  ~AlignedBuffer() { std::free(data); }
  template <class T>
  T* get(std::size_t n) {
    if (n * sizeof(T) > bytes) {
      std::free(data);
      bytes = ((n * sizeof(T) + 63) / 64) * 64;
      data = std::aligned_alloc(64, bytes);
      if (!data) throw std::bad_alloc();
    }
    return static_cast<T*>(data);
  }
};

template <class T>
void cross_product(MatrixView x, const double* mean, BasicMatrixView<T> c) {
  constexpr std::size_t L = Zmm<T>::kLanes;
  const std::size_t t = x.rows, n = x.cols, slivers = (n + L - 1) / L;
  if (n == 0) return;
  if (t == 0) {
    for (std::size_t i = 0; i < n; ++i) std::fill_n(c.row(i), i + 1, T(0));
    return;
  }
  // Row-sliver ranges of equal area (row sliver r forms r + 1 blocks).
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
  const bool serial = double(n) * double(n) * double(t) < double(kSerialFlops);
  thread_local AlignedBuffer workspace;  // reused: a fresh 2 MB buffer costs page faults each call
  T* pack = workspace.get<T>(slivers * std::min(t, kKc) * L);
  for (std::size_t pc = 0; pc < t; pc += kKc) {
    const std::size_t kc = std::min(kKc, t - pc);
    const Panel<T> p{pack, kc, kc * L, slivers, n};
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

}  // namespace

bool cpu_has_avx512() {
  static const bool has = [] {
    // SME_AVX512=0 turns Sextant's own kernels off (OpenBLAS then does the work), for A/B runs.
    if (const char* v = std::getenv("SME_AVX512"); v && (std::string_view(v) == "0" || std::string_view(v) == "off"))
      return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;  // libgcc also checks the OS saves the zmm state
  }();
  return has;
}

void centred_cross_product(MatrixView x, const double* mean, MutMatrixView c) { cross_product<double>(x, mean, c); }

void centred_cross_product(MatrixView x, const double* mean, BasicMatrixView<float> c) {
  cross_product<float>(x, mean, c);
}

}  // namespace sextant::accel
