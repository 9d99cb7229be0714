// Prepared historical scenarios: the 8-bit screening copy and its integer portfolio returns
// (include/sextant/risk/scenarios.hpp). historical_var itself is in var.cpp, beside calculate_var.
//
// The screening sum A_t = Σ_i V_i·code_ti is exact integer arithmetic (int16 × int8 products summed in
// int32 lanes, flushed to int64 every 4,096 columns before they could overflow), so the AVX2 kernel and
// the scalar one give the same A_t, whatever the thread count. AVX2: per 16 columns one sign
// extension, one vpmaddwd and one add per row, four rows sharing each load of V.
#include "sextant/risk/scenarios.hpp"

#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "sextant/accel/level2.hpp"
#include "sextant/core/error.hpp"

#define SEXTANT_AVX2 __attribute__((target("avx2,fma")))

namespace sextant::risk {
namespace {

constexpr std::size_t kLanes = 16;       // codes per AVX2 step (one 128-bit load, widened to 16 × int16)
constexpr std::size_t kFlush = 4096;     // columns per int32 block: 256 steps × 2 × 127 × 32767 < 2^31
constexpr std::size_t kRowBlock = 64;    // rows per parallel task
constexpr double kMaxWeightCode = 32767;
constexpr double kRound = 6755399441055744.0;  // 1.5 · 2^52

void screen_rows_scalar(const std::int8_t* codes, std::size_t stride, const std::int16_t* v, std::int64_t* out,
                        std::size_t r0, std::size_t r1) {
  for (std::size_t r = r0; r < r1; ++r) {
    const std::int8_t* c = codes + r * stride;
    std::int64_t s = 0;
    for (std::size_t j = 0; j < stride; ++j) s += std::int32_t(c[j]) * std::int32_t(v[j]);
    out[r] = s;
  }
}

SEXTANT_AVX2 void screen_rows_avx2(const std::int8_t* codes, std::size_t stride, const std::int16_t* v,
                                   std::int64_t* out, std::size_t r0, std::size_t r1) {
  if (r1 - r0 < 4) return screen_rows_scalar(codes, stride, v, out, r0, r1);
  for (std::size_t r = r0; r < r1; r += 4) {
    r = std::min(r, r1 - 4);  // a last short block overlaps the previous one (same exact sums)
    std::int64_t total[4] = {0, 0, 0, 0};
    for (std::size_t j0 = 0; j0 < stride; j0 += kFlush) {
      const std::size_t j1 = std::min(stride, j0 + kFlush);
      __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
      for (std::size_t j = j0; j < j1; j += kLanes) {
        const __m256i vw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + j));
        for (int k = 0; k < 4; ++k) {
          const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + (r + k) * stride + j));
          acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(_mm256_cvtepi8_epi16(c), vw));
        }
      }
      for (int k = 0; k < 4; ++k) {
        alignas(32) std::int32_t lanes[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[k]);
        for (std::int32_t l : lanes) total[k] += l;
      }
    }
    for (int k = 0; k < 4; ++k) out[r + k] = total[k];
  }
  _mm256_zeroupper();
}

}  // namespace

HistoricalScenarios prepare_scenarios(MatrixView x) {
  const std::size_t t = x.rows, n = x.cols;
  if (t < 2 || n == 0) fail(ErrorCode::dimension_mismatch, "returns", "'returns' needs at least 2 rows and 1 column, got {}×{}", t, n);
  HistoricalScenarios s;
  s.returns = x;
  s.stride = (n + kLanes - 1) / kLanes * kLanes;
  // Two passes over row blocks in parallel, each block keeping its own column maxima (merged after:
  // a maximum does not depend on the order). The first finds max |r| and any non-finite value.
  const std::size_t blocks = std::max<std::size_t>(1, t / kRowBlock);
  auto block_rows = [&](std::size_t b) {
    return std::pair(b * kRowBlock, b + 1 == blocks ? t : (b + 1) * kRowBlock);
  };
  std::vector<double> block_max(blocks * n, 0.0);
  std::vector<char> block_bad(blocks, 0);
  tbb::parallel_for(std::size_t(0), blocks, [&](std::size_t b) {
    double* mx = block_max.data() + b * n;
    auto [r0, r1] = block_rows(b);
    for (std::size_t r = r0; r < r1; ++r) {
      const double* xr = x.row(r);
      double bad = 0;  // v - v is NaN for NaN and ±Inf, 0 otherwise
      for (std::size_t i = 0; i < n; ++i) mx[i] = std::max(mx[i], std::abs(xr[i])), bad += xr[i] - xr[i];
      if (bad != 0.0) block_bad[b] = 1;
    }
  });
  for (std::size_t b = 0; b < blocks; ++b)
    if (block_bad[b]) {
      auto [r0, r1] = block_rows(b);
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t i = 0; i < n; ++i)
          if (!std::isfinite(x(r, i)))
            fail(ErrorCode::non_finite, "returns", "'returns' has a non-finite value at row {}, column {}", r, i);
    }
  s.max_abs.assign(n, 0.0);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t i = 0; i < n; ++i) s.max_abs[i] = std::max(s.max_abs[i], block_max[b * n + i]);
  s.scale.resize(n);
  std::vector<double> inv(n);
  for (std::size_t i = 0; i < n; ++i) {
    s.scale[i] = s.max_abs[i] / 127.0;
    inv[i] = s.max_abs[i] > 0 ? 127.0 / s.max_abs[i] : 0.0;
  }
  // The second writes the codes and each column's largest rounding error.
  s.codes.assign(t * s.stride, 0);
  std::fill(block_max.begin(), block_max.end(), 0.0);
  tbb::parallel_for(std::size_t(0), blocks, [&](std::size_t b) {
    double* err = block_max.data() + b * n;
    std::vector<double> q(n);
    auto [r0, r1] = block_rows(b);
    for (std::size_t r = r0; r < r1; ++r) {
      const double* xr = x.row(r);
      // Round to nearest by adding and subtracting 1.5·2^52 (|x·inv| ≤ 127 up to rounding): unlike
      // nearbyint, it vectorises without SSE4.1. The clamp only guards the last bit.
      for (std::size_t i = 0; i < n; ++i) q[i] = std::clamp((xr[i] * inv[i] + kRound) - kRound, -127.0, 127.0);
      for (std::size_t i = 0; i < n; ++i) err[i] = std::max(err[i], std::abs(xr[i] - s.scale[i] * q[i]));
      std::int8_t* c = s.codes.data() + r * s.stride;
      for (std::size_t i = 0; i < n; ++i) c[i] = std::int8_t(q[i]);
    }
  });
  s.max_error.assign(n, 0.0);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t i = 0; i < n; ++i) s.max_error[i] = std::max(s.max_error[i], block_max[b * n + i]);
  return s;
}

ScreenedReturns screen(const HistoricalScenarios& s, std::span<const double> w) {
  const std::size_t t = s.returns.rows, n = s.returns.cols;
  if (w.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, 'returns' has {} columns", w.size(), n);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(w[i])) fail(ErrorCode::non_finite, "weights", "'weights'[{}] is not finite", i);
  // 16-bit weight codes V_i = round(w_i·s_i / S) with S = max |w_i·s_i| / 32767.
  double top = 0;
  for (std::size_t i = 0; i < n; ++i) top = std::max(top, std::abs(w[i] * s.scale[i]));
  const double unit = top / kMaxWeightCode;
  ScreenedReturns out;
  out.approx.assign(t, 0.0);
  double magnitude = 0;
  for (std::size_t i = 0; i < n; ++i) magnitude += std::abs(w[i]) * s.max_abs[i];
  if (!std::isfinite(magnitude)) {  // weights near the double range: no screen (an infinite bound)
    out.bound = std::numeric_limits<double>::infinity();
    return out;
  }
  std::vector<std::int16_t> v(s.stride, 0);
  double quantisation = 0, weight_rounding = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double ws = w[i] * s.scale[i];
    const double code = unit > 0 ? std::clamp(std::nearbyint(ws / unit), -kMaxWeightCode, kMaxWeightCode) : 0.0;
    v[i] = std::int16_t(code);
    quantisation += std::abs(w[i]) * s.max_error[i];
    weight_rounding += std::abs(ws - unit * code);
  }
  std::vector<std::int64_t> sums(t);
  const bool avx2 = accel::level2_kernels() != accel::Level2Kernels::none;
  auto rows = [&](std::size_t r0, std::size_t r1) {
    if (avx2) screen_rows_avx2(s.codes.data(), s.stride, v.data(), sums.data(), r0, r1);
    else screen_rows_scalar(s.codes.data(), s.stride, v.data(), sums.data(), r0, r1);
  };
  if (t * s.stride < (std::size_t(1) << 16)) {
    rows(0, t);
  } else {
    const std::size_t blocks = std::max<std::size_t>(1, t / kRowBlock);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks), [&](const tbb::blocked_range<std::size_t>& b) {
      rows(b.begin() * kRowBlock, b.end() == blocks ? t : b.end() * kRowBlock);
    });
  }
  for (std::size_t r = 0; r < t; ++r) out.approx[r] = unit * double(sums[r]);
  // The two quantisations, then slack for every rounding in double: of w_i·s_i, of S·A_t, and of the
  // exact path's own sums (n terms, each at most |w_i|·max|r_i|).
  const double eps = std::ldexp(1.0, -52);
  out.bound = (quantisation + 127.0 * weight_rounding) * (1.0 + 1e-9) + 4.0 * double(n + 8) * eps * magnitude;
  return out;
}

}  // namespace sextant::risk
