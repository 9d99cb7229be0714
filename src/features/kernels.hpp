#pragma once
// Kernels of the batch evaluator. Every buffer is T×N row-major (stride N). A kernel fills the columns
// [c0, c1) of its output for every row (cross-sectional ones: the rows [r0, r1) for every column), so
// the evaluator can split a node across threads without locks.
#include <cstddef>
#include <span>
#include <vector>

#include "sextant/features/compiler.hpp"

namespace sextant::features::kernels {

//! An input of a kernel: a T×N buffer, or one value broadcast to every cell (a constant).
struct Arg {
  const double* p = nullptr;
  bool scalar = false;
};

//! A kernel reads `rows` input rows (row-major, stride N) and fills the columns [c0, c1) of output rows
//! first..rows-1, written from the output's row 0: the rows before `first` only feed the windows (the
//! last-row evaluator computes each node over just the rows its readers need).
struct Block {
  std::size_t rows, stride, c0, c1;
  std::size_t first = 0;
};

//! Elementwise operators (b.first is 0: a row reads only its own row).
void elementwise(const Node& n, std::span<const Arg> in, double* out, const Block& b);

//! A rolling node's window (or lag), and the values its window needs before it answers: 1 for Qlib's
//! operators (min_periods = 1), the whole window for the paper's.
inline std::size_t window_of(const Node& n) { return std::size_t(n.params[0]); }
inline long min_periods(const Node& n) { return op_def(n.op).strict ? long(window_of(n)) : 1; }
//! Rolling operators computed by a running state (rolling_state.hpp) rather than a scan of the window.
inline bool is_recurrence(Op op) {
  return op == Op::mean || op == Op::ts_mean || op == Op::sum || op == Op::ts_sum || op == Op::std || op == Op::ts_std ||
         op == Op::var || op == Op::ema;
}
//! Rolling operators (Qlib's and the paper's); inputs are buffers, never scalars.
void rolling(const Node& n, std::span<const double* const> in, double* out, const Block& b);
//! Window kernels (kernels_window.cpp), each row from its window alone. Corr (corr) or Cov of x and y:
void pair(const Node& n, const double* x, const double* y, double* out, const Block& b, bool corr);
//! Output row t of Count, Max/Min, IdxMax/IdxMin, Rank, decay_linear, WMA, product, Mad, Skew, Kurt,
//! Slope/Rsquare/Resi (nodes of one shared_window_family together).
void window_row(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b, std::size_t t);
//! Sum/Mean (mean) and Var/Std (sd) over the block's rows: pandas' roll_sum/roll_mean and roll_var
//! states (MeanLanes and VarLanes in kernels_window_impl.hpp), eight instruments at once.
void mean_or_sum(const Node& n, const double* x, double* out, const Block& b, bool mean);
void variance(const Node& n, const double* x, double* out, const Block& b, bool sd);
//! The same states stepped one bar for the stream, N instruments: `state` (recurrence_state(N)) is
//! carried from bar to bar, `leaving` is the row leaving a full window (null before the window fills),
//! x this bar's row. Each bar's value has the bits batch gives its row.
inline constexpr std::size_t kRecurrenceFields = 7;
std::vector<double> recurrence_state(std::size_t N);
void mean_or_sum_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool mean);
void variance_step(const Node& n, double* state, const double* leaving, const double* x, double* out, std::size_t N, bool sd);
//! Max/Min/IdxMax/IdxMin (and the paper's) over the block's rows, in O(1) a value; window_row()'s bits.
void extremes(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b);
//! Rolling operators that one pass over a window answers together: Max with IdxMax (1), Min with
//! IdxMin (2), the paper's and Qlib's alike; Slope, Rsquare and Resi (3); Quantiles and Med (4); Skew and
//! Kurt (5). 0: none.
int shared_window_family(Op op);
//! The most nodes rolling_shared() takes at once.
inline constexpr std::size_t kMaxShared = 8;
//! Nodes of one shared_window_family() over the same input and window, each into its own output (the
//! bits rolling() gives each alone).
void rolling_shared(std::span<const Node* const> nodes, const double* x, std::span<double* const> outs, const Block& b);
//! A TA-Lib function per instrument (first output).
void ta_function(const Node& n, std::span<const double* const> in, double* out, const Block& b);
//! Cross-sectional operators over rows [r0, r1).
void cross_section(const Node& n, std::span<const double* const> in, double* out, std::size_t rows, std::size_t cols,
                   std::size_t r0, std::size_t r1);

//! g = x·xᵀ (rows × rows) for x row-major rows × cols (kernels_window.cpp).
void gram(const double* x, std::size_t rows, std::size_t cols, double* g);
//! The most components cs_pca_loading takes (k in [1, 10]).
inline constexpr std::size_t kMaxPcaComponents = 10;
//! cs_pca_loading for one row: `window` holds its last W rows (oldest first, stride `cols`); fills the
//! row `out` (NaN for an instrument with a NaN in the window, and for every one when fewer than two
//! instruments are complete or component k exceeds the window's rank).
void pca_loading_row(const Node& n, const double* window, std::size_t cols, double* out);
//! The same for several components of one window from one decomposition: outs[i] gets component ks[i].
void pca_loading_rows(std::size_t W, std::span<const std::size_t> ks, const double* window, std::size_t cols,
                      std::span<double* const> outs);

}  // namespace sextant::features::kernels
