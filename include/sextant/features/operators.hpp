#pragma once
// The operators of the expression language: one OpDef row per operator, with its canonical spelling,
// argument signature, class and conventions. docs/features.md lists them with their semantics.
//
// Names resolve in this order (so both Qlib's and the 101-alphas paper's spellings work):
//  1. Qlib's operators, exact case (Mean, Sum, Rank, Max...): rolling windows with min_periods = 1.
//  2. TA-Lib functions, upper case (RSI, SMA, SUM...); `TA_EMA`/`TA_WMA` reach the TA-Lib functions
//     whose names Qlib's EMA/WMA take.
//  3. Any case: the paper's operators (rank, delay, correlation, ts_rank, decay_linear, sum, stddev...),
//     whose windows are strict (NaN until the window is full) and floored when not integral, and the
//     cross-sectional cs_* operators.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sextant::analytics::ta {
struct FunctionDef;
}

namespace sextant::features {

enum class Op : std::uint8_t {
  constant, field,
  // elementwise
  add, sub, mul, div, gt, ge, eq, ne, logical_and, logical_or, logical_not, if_then_else,
  abs, sign, log, exp, sqrt, power, signed_power, greater, less,
  // Qlib rolling (min_periods = 1)
  ref, delta, mean, sum, std, var, skew, kurt, max, min, idxmax, idxmin, quantile, med, mad, rank, count,
  slope, rsquare, resi, wma, ema, corr, cov,
  // 101 Formulaic Alphas (strict windows)
  ts_sum, ts_mean, ts_std, ts_min, ts_max, ts_argmax, ts_argmin, ts_rank, ts_product, ts_corr, ts_cov, decay_linear,
  // cross-sectional (per row, across instruments)
  cs_rank, cs_zscore, cs_demean, cs_percentile, cs_decile, cs_scale, cs_neutralize,
  cs_pca_loading,  // windowed: reads the last W rows of every instrument
  // a TA-Lib function of the analytics engine, per instrument
  ta,
};

enum class OpClass { leaf, elementwise, rolling, cross_section, ta };

struct OpDef {
  Op op;
  std::string_view name;       //!< canonical spelling (parses back to this op)
  OpClass cls;
  //! One letter per argument: S a series, W a window (integer >= 1), L a lag (integer >= 0),
  //! C a constant, c an optional constant.
  std::string_view signature;
  bool commutative = false;
  bool strict = false;         //!< rolling: NaN until the window is full (else min_periods = 1)
  std::string_view description;
};

const OpDef& op_def(Op op);
std::span<const OpDef> op_defs();

//! What a name in an expression calls: an operator, or a TA-Lib function (op == Op::ta).
struct Callee {
  const OpDef* def = nullptr;
  const analytics::ta::FunctionDef* ta = nullptr;
  bool paper = false;  //!< matched by the paper's (any-case) spelling: non-integral windows are floored
};

//! Resolves a function name as written. `second_is_number`: whether the call's second argument is a
//! number (the paper's min/max are elementwise on two series, ts_min/ts_max with a window). Null def
//! when unknown.
Callee resolve(std::string_view name, bool second_is_number);

//! The canonical spelling of a TA-Lib function (TA_ prefixed where a Qlib operator has its name).
std::string ta_canonical_name(const analytics::ta::FunctionDef& f);

}  // namespace sextant::features
