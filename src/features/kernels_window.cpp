// Window kernels that compute each window on its own: Corr/Cov (pair), the scans of window_row, and
// the running extremes of extremes(). A row's value depends only on its window, so the stream and the
// last-row evaluator reproduce batch's bits. They run across instruments, eight to a register, and are
// built for AVX-512, AVX2 and the baseline, picked by the CPU at the call (by hand, as
// analytics/rolling.cpp does: inside target_clones GCC 12 lowers vector operations lane by lane). The
// levels give the same bits: IEEE operations in the same order per instrument, and the features
// library is compiled without contraction.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "rolling_state.hpp"

namespace sextant::features::kernels {
namespace {

using V8 = double __attribute__((vector_size(64)));
template <std::size_t L>
using Lane = std::conditional_t<L == 1, double, V8>;
constexpr std::size_t kLanes = 8;

bool is_position(Op op) { return op == Op::idxmax || op == Op::idxmin || op == Op::ts_argmax || op == Op::ts_argmin; }

// Calls KERNEL<8>(...) on each full group of 8 of BLOCK's instruments and KERNEL<1>(...) on the rest,
// `lanes_` being the group's block. A macro rather than a function taking a lambda: the lambda's body
// would be compiled for the baseline CPU, not for the calling kernel's target.
#define SEXTANT_IN_LANES(KERNEL, BLOCK, ...)                                                       \
  do {                                                                                              \
    Block lanes_ = BLOCK;                                                                           \
    for (lanes_.c0 = BLOCK.c0; lanes_.c0 + kLanes <= BLOCK.c1; lanes_.c0 += kLanes)                  \
      lanes_.c1 = lanes_.c0 + kLanes, KERNEL<kLanes>(__VA_ARGS__);                                  \
    for (; lanes_.c0 < BLOCK.c1; ++lanes_.c0) lanes_.c1 = lanes_.c0 + 1, KERNEL<1>(__VA_ARGS__);       \
  } while (0)

// Every function of the included file is built for the level's target.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif
namespace avx512 {
#include "kernels_window_impl.hpp"
}  // namespace avx512
#if defined(__clang__)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace avx2 {
#include "kernels_window_impl.hpp"
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
namespace baseline {
#include "kernels_window_impl.hpp"
}  // namespace baseline

// 2: AVX-512, 1: AVX2, 0: neither.
int cpu_level() {
  static const int level = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
  return level;
}

}  // namespace

void pair(const Node& n, const double* x, const double* y, double* out, const Block& b, bool corr) {
  const int level = cpu_level();
  (level == 2 ? avx512::pair : level == 1 ? avx2::pair : baseline::pair)(n, x, y, out, b, corr);
}

void window_row(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b, std::size_t t) {
  const int level = cpu_level();
  (level == 2 ? avx512::window_row : level == 1 ? avx2::window_row : baseline::window_row)(nodes, x, outs, b, t);
}

void mean_or_sum(const Node& n, const double* x, double* out, const Block& b, bool mean) {
  const int level = cpu_level();
  (level == 2 ? avx512::mean_or_sum : level == 1 ? avx2::mean_or_sum : baseline::mean_or_sum)(n, x, out, b, mean);
}

void variance(const Node& n, const double* x, double* out, const Block& b, bool sd) {
  const int level = cpu_level();
  (level == 2 ? avx512::variance : level == 1 ? avx2::variance : baseline::variance)(n, x, out, b, sd);
}

void mean_or_sum_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool mean) {
  const int level = cpu_level();
  (level == 2 ? avx512::mean_or_sum_step : level == 1 ? avx2::mean_or_sum_step : baseline::mean_or_sum_step)(n, state, leaving, x, out, N, mean);
}

void variance_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool sd) {
  const int level = cpu_level();
  (level == 2 ? avx512::variance_step : level == 1 ? avx2::variance_step : baseline::variance_step)(n, state, leaving, x, out, N, sd);
}

std::vector<double> recurrence_state(std::size_t N) {
  std::vector<double> s(kRecurrenceFields * N, 0.0);
  std::fill(s.begin() + 3 * N, s.begin() + 4 * N, kNaN);  // the last value seen: none yet
  return s;
}

void gram(const double* x, std::size_t rows, std::size_t cols, double* g) {
  const int level = cpu_level();
  (level == 2 ? avx512::gram : level == 1 ? avx2::gram : baseline::gram)(x, rows, cols, g);
}

void extremes(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b) {
  const int level = cpu_level();
  (level == 2 ? avx512::extremes : level == 1 ? avx2::extremes : baseline::extremes)(nodes, x, outs, b);
}

}  // namespace sextant::features::kernels
