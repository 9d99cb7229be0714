// Cross-sectional kernels (per row, across instruments) and TA-Lib functions (per instrument).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels.hpp"
#include "sextant/analytics/ta.hpp"

namespace sextant::features::kernels {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Radix sort order of a value: unsigned integers compare as the doubles do (-0.0 taken as 0.0).
inline std::uint64_t order_key(double x) {
  if (x == 0) x = 0.0;
  const auto b = std::bit_cast<std::uint64_t>(x);
  return b >> 63 ? ~b : b | (std::uint64_t(1) << 63);
}

// f(average rank, count) into rank[column] for words sorted by value in [i, j) (low 32 bits: the
// column), ties taking their average rank.
template <class Value, class F>
void assign_ranks(const std::uint64_t* sorted, std::size_t i, std::size_t j, std::size_t m, Value value, double* rank, F f) {
  while (i < j) {
    std::size_t k = i;
    const double v = value(sorted[i]);
    while (k + 1 < j && value(sorted[k + 1]) == v) ++k;
    const double r = f((double(i + 1) + double(k + 1)) / 2.0, m);
    for (std::size_t q = i; q <= k; ++q) rank[std::uint32_t(sorted[q])] = r;
    i = k + 1;
  }
}

// Sorts the non-NaN values of x[0..n) by the top 32 bits of their order-preserving keys, least
// significant digit first (Passes digits of Digit bits from bit 32), as words (key << 32 | i), and
// writes NaN ranks. Returns the buffer the m sorted words ended in (words or spare) and sets m. Words
// equal in those bits keep their column order.
template <int Digit, int Passes>
std::uint64_t* radix_sort_keys(const double* x, std::size_t n, double* rank, std::uint64_t* words, std::uint64_t* spare, std::size_t& m) {
  static_assert(Digit * Passes >= 32);
  constexpr std::size_t kBuckets = std::size_t(1) << Digit;
  auto digit = [](std::uint64_t w, int p) { return std::size_t(w >> (32 + Digit * p)) & (kBuckets - 1); };
  // The words and their digits' counts in one pass (one set of counts: two sets, alternating words,
  // spared repeated digits a wait on one counter but cost more to clear and merge than they saved).
  std::uint32_t hist[Passes][kBuckets] = {};
  m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != x[i]) {
      rank[i] = kNaN;
      continue;
    }
    const std::uint64_t w = (order_key(x[i]) & ~std::uint64_t(0xffffffff)) | i;
    for (int p = 0; p < Passes; ++p) ++hist[p][digit(w, p)];
    words[m++] = w;
  }
  std::uint64_t* src = words;
  std::uint64_t* dst = spare;
  for (int p = 0; p < Passes && m > 0; ++p) {
    std::uint32_t* h = hist[p];
    if (h[digit(src[0], p)] == m) continue;  // every word has this digit
    std::uint32_t start = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::uint32_t c = h[b];
      h[b] = start;
      start += c;
    }
    for (std::size_t i = 0; i < m; ++i) dst[h[digit(src[i], p)]++] = src[i];
    std::swap(src, dst);
  }
  return src;
}

// f(average rank, count of non-NaN values) for each non-NaN value of one row (ranks 1-based, ties
// averaged); NaN stays NaN.
//
// Fast path: a comparison sort of a row of random values mispredicts a branch per comparison (a
// 4,000-value row took ~230 us). Instead each value becomes one 64-bit word, the top 32 bits of its
// order key above its column, and LSD radix passes sort the words by those top bits (four of 8 bits up
// to 2,048 values, three of 11 above; a pass is skipped when every word shares its digit). Values that
// share the top 32 bits (ties, or values within ~1e-6 relative) are then ordered by value with a
// comparison sort of just that run, so the order, and so every rank, is exact; a word alone in its run
// is its own rank, with no value read.
template <class F>
void rank_row(const double* x, std::size_t n, double* rank, F f) {
  thread_local std::vector<std::uint64_t> words, spare;
  words.resize(n);
  spare.resize(n);
  auto value = [&](std::uint64_t w) { return x[std::uint32_t(w)]; };
  auto by_value = [&](std::uint64_t a, std::uint64_t b) { return value(a) < value(b); };
  if (n < 256) {  // clearing the counts would cost more than the sort
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] == x[i]) words[m++] = i;
      else rank[i] = kNaN;
    }
    std::sort(words.begin(), words.begin() + m, by_value);
    assign_ranks(words.data(), 0, m, m, value, rank, f);
    return;
  }
  // Rows up to 2,048 values in four 8-bit passes (1,024 counts to clear and sum), wider ones in three
  // 11-bit passes (6,144 counts, fewer passes over the words): a 500-value row ~2x faster than with 11.
  std::size_t m = 0;
  std::uint64_t* src = n < 2048 ? radix_sort_keys<8, 4>(x, n, rank, words.data(), spare.data(), m)
                                : radix_sort_keys<11, 3>(x, n, rank, words.data(), spare.data(), m);
  for (std::size_t i = 0; i < m;) {
    std::size_t j = i + 1;
    while (j < m && (src[j] >> 32) == (src[i] >> 32)) ++j;
    if (j - i == 1) {
      rank[std::uint32_t(src[i])] = f(double(i + 1), m);
    } else {
      const double first = value(src[i]);
      std::size_t k = i + 1;
      while (k < j && value(src[k]) == first) ++k;
      if (k < j) std::sort(src + i, src + j, by_value);  // not all ties: order the run by value
      assign_ranks(src, i, j, m, value, rank, f);
    }
    i = j;
  }
}

// x minus the mean of its group's non-NaN values (NaN where the group is NaN or has none). Groups are
// found by open addressing on the group value's bits (-0.0 taken as 0.0), sums added in column order.
void neutralize_row(const double* x, const double* g, std::size_t n, double* y) {
  std::size_t bits = 4;
  while ((std::size_t(1) << bits) < 2 * n) ++bits;
  const std::size_t cap = std::size_t(1) << bits;
  thread_local std::vector<std::uint64_t> keys;
  thread_local std::vector<double> sums, counts;  // counts 0: the slot is free
  keys.resize(cap);
  sums.resize(cap);
  counts.assign(cap, 0.0);
  auto slot = [&](double group) {  // the group's slot, or the free one where it would go
    const auto k = std::bit_cast<std::uint64_t>(group == 0 ? 0.0 : group);
    std::size_t h = std::size_t((k * 0x9E3779B97F4A7C15ull) >> (64 - bits));
    while (counts[h] != 0 && keys[h] != k) h = (h + 1) & (cap - 1);
    keys[h] = k;
    return h;
  };
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] == x[i] && g[i] == g[i]) {
      const std::size_t h = slot(g[i]);
      sums[h] = (counts[h] == 0 ? 0.0 : sums[h]) + x[i];
      counts[h] += 1.0;
    }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t h = g[i] == g[i] ? slot(g[i]) : cap;
    y[i] = h == cap || counts[h] == 0 ? kNaN : x[i] - sums[h] / counts[h];
  }
}

}  // namespace

void cross_section(const Node& n, std::span<const double* const> in, double* out, std::size_t rows, std::size_t cols,
                   std::size_t r0, std::size_t r1) {
  (void)rows;
  for (std::size_t t = r0; t < r1; ++t) {
    const double* x = in[0] + t * cols;
    double* y = out + t * cols;
    switch (n.op) {
      case Op::cs_rank: rank_row(x, cols, y, [](double r, std::size_t cnt) { return r / double(cnt); }); break;
      case Op::cs_percentile:
        rank_row(x, cols, y, [](double r, std::size_t cnt) { return cnt > 1 ? (r - 1.0) / double(cnt - 1) : kNaN; });
        break;
      case Op::cs_decile:
        rank_row(x, cols, y, [](double r, std::size_t cnt) {
          const double pct = cnt > 1 ? (r - 1.0) / double(cnt - 1) : kNaN;
          return pct == pct ? std::min(10.0, std::floor(pct * 10.0) + 1.0) : kNaN;
        });
        break;
      case Op::cs_zscore:
      case Op::cs_demean: {
        double s = 0;
        std::size_t cnt = 0;
        for (std::size_t i = 0; i < cols; ++i)
          if (x[i] == x[i]) s += x[i], ++cnt;
        const double m = cnt ? s / double(cnt) : kNaN;
        double ss = 0;
        for (std::size_t i = 0; i < cols; ++i)
          if (x[i] == x[i]) ss += (x[i] - m) * (x[i] - m);
        const double sd = cnt > 1 ? std::sqrt(ss / double(cnt - 1)) : kNaN;
        for (std::size_t i = 0; i < cols; ++i) y[i] = n.op == Op::cs_demean ? x[i] - m : (sd > 0 ? (x[i] - m) / sd : kNaN);
        break;
      }
      case Op::cs_scale: {
        double s = 0;
        for (std::size_t i = 0; i < cols; ++i)
          if (x[i] == x[i]) s += std::fabs(x[i]);
        for (std::size_t i = 0; i < cols; ++i) y[i] = s > 0 ? n.params[0] * x[i] / s : kNaN;
        break;
      }
      case Op::cs_neutralize: neutralize_row(x, in[1] + t * cols, cols, y); break;
      default: std::fill(y, y + cols, kNaN);
    }
  }
}

void ta_function(const Node& n, std::span<const double* const> in, double* out, const Block& b) {
  const auto& f = *n.ta;
  std::vector<std::vector<double>> cols(in.size(), std::vector<double>(b.rows));
  for (std::size_t c = b.c0; c < b.c1; ++c) {
    for (std::size_t k = 0; k < in.size(); ++k)
      for (std::size_t t = 0; t < b.rows; ++t) cols[k][t] = in[k][t * b.stride + c];
    analytics::ta::Inputs ti;
    for (std::size_t k = 0; k < in.size(); ++k) ti.set(f.inputs[k], cols[k]);
    const analytics::ta::Result r = analytics::ta::run(f, ti, n.params);
    for (std::size_t t = b.first; t < b.rows; ++t) out[(t - b.first) * b.stride + c] = r.outputs[0][t];
  }
}

}  // namespace sextant::features::kernels
