// The operator table (one row per operator) and name resolution.
#include "sextant/features/operators.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "sextant/analytics/ta.hpp"

namespace sextant::features {
namespace {

using C = OpClass;

// Order follows enum Op; op_def() checks it once.
constexpr OpDef kOps[] = {
    {Op::constant, "", C::leaf, "", false, false, "a number"},
    {Op::field, "", C::leaf, "", false, false, "an input field ($close)"},
    {Op::add, "Add", C::elementwise, "SS", true, false, "x + y"},
    {Op::sub, "Sub", C::elementwise, "SS", false, false, "x - y"},
    {Op::mul, "Mul", C::elementwise, "SS", true, false, "x * y"},
    {Op::div, "Div", C::elementwise, "SS", false, false, "x / y (IEEE: x/0 is ±inf or NaN)"},
    {Op::gt, "Gt", C::elementwise, "SS", false, false, "1 where x > y, else 0 (0 where either is NaN); x < y is Gt(y, x)"},
    {Op::ge, "Ge", C::elementwise, "SS", false, false, "1 where x >= y, else 0; x <= y is Ge(y, x)"},
    {Op::eq, "Eq", C::elementwise, "SS", true, false, "1 where x == y, else 0"},
    {Op::ne, "Ne", C::elementwise, "SS", true, false, "1 where x != y, else 0 (1 where either is NaN)"},
    {Op::logical_and, "And", C::elementwise, "SS", true, false, "1 where x and y are both non-zero (NaN counts as true, as in numpy)"},
    {Op::logical_or, "Or", C::elementwise, "SS", true, false, "1 where x or y is non-zero"},
    {Op::logical_not, "Not", C::elementwise, "S", false, false, "1 where x is 0"},
    {Op::if_then_else, "If", C::elementwise, "SSS", false, false, "a where c is non-zero, else b (numpy.where)"},
    {Op::abs, "Abs", C::elementwise, "S", false, false, "|x|"},
    {Op::sign, "Sign", C::elementwise, "S", false, false, "-1, 0 or 1 (NaN stays NaN)"},
    {Op::log, "Log", C::elementwise, "S", false, false, "natural logarithm"},
    {Op::exp, "Exp", C::elementwise, "S", false, false, "e^x"},
    {Op::sqrt, "Sqrt", C::elementwise, "S", false, false, "square root"},
    {Op::power, "Power", C::elementwise, "SS", false, false, "x^y (numpy.power)"},
    {Op::signed_power, "SignedPower", C::elementwise, "SS", false, false, "sign(x)·|x|^y (the paper's signedpower)"},
    {Op::greater, "Greater", C::elementwise, "SS", true, false, "elementwise maximum (NaN propagates)"},
    {Op::less, "Less", C::elementwise, "SS", true, false, "elementwise minimum (NaN propagates)"},
    {Op::ref, "Ref", C::rolling, "SL", false, false, "x N rows back (the paper's delay)"},
    {Op::delta, "Delta", C::rolling, "SL", false, false, "x - Ref(x, N)"},
    {Op::mean, "Mean", C::rolling, "SW", false, false, "rolling mean"},
    {Op::sum, "Sum", C::rolling, "SW", false, false, "rolling sum"},
    {Op::std, "Std", C::rolling, "SW", false, false, "rolling standard deviation, ddof 1"},
    {Op::var, "Var", C::rolling, "SW", false, false, "rolling variance, ddof 1"},
    {Op::skew, "Skew", C::rolling, "SW", false, false, "rolling skewness, bias-corrected (pandas), at least 3 values"},
    {Op::kurt, "Kurt", C::rolling, "SW", false, false, "rolling excess kurtosis, bias-corrected (pandas), at least 4 values"},
    {Op::max, "Max", C::rolling, "SW", false, false, "rolling maximum"},
    {Op::min, "Min", C::rolling, "SW", false, false, "rolling minimum"},
    {Op::idxmax, "IdxMax", C::rolling, "SW", false, false, "1-based position of the rolling maximum, counted from the window's oldest row"},
    {Op::idxmin, "IdxMin", C::rolling, "SW", false, false, "1-based position of the rolling minimum, counted from the window's oldest row"},
    {Op::quantile, "Quantile", C::rolling, "SWC", false, false, "rolling quantile q, linear interpolation"},
    {Op::med, "Med", C::rolling, "SW", false, false, "rolling median"},
    {Op::mad, "Mad", C::rolling, "SW", false, false, "rolling mean absolute deviation from the window's mean"},
    {Op::rank, "Rank", C::rolling, "SW", false, false, "percentile rank of the last value in its window (ties averaged), in (0, 1]"},
    {Op::count, "Count", C::rolling, "SW", false, false, "number of non-NaN values in the window"},
    {Op::slope, "Slope", C::rolling, "SW", false, false, "OLS slope of the window on x = 1..n"},
    {Op::rsquare, "Rsquare", C::rolling, "SW", false, false, "R² of the OLS fit of the window on x = 1..n"},
    {Op::resi, "Resi", C::rolling, "SW", false, false, "residual of the last value from the OLS fit of the window on x = 1..n"},
    {Op::wma, "WMA", C::rolling, "SW", false, false, "Qlib's weighted mean: nanmean(w·x), w = 1..n normalised to sum 1"},
    {Op::ema, "EMA", C::rolling, "SC", false, false, "exponential mean, pandas ewm(span=N, adjust=True); 0 < N < 1 is alpha"},
    {Op::corr, "Corr", C::rolling, "SSW", true, false, "rolling Pearson correlation; NaN where either side's rolling std <= 2e-5"},
    {Op::cov, "Cov", C::rolling, "SSW", true, false, "rolling covariance, ddof 1"},
    {Op::ts_sum, "ts_sum", C::rolling, "SW", false, true, "sum over the past d rows (the paper's sum)"},
    {Op::ts_mean, "ts_mean", C::rolling, "SW", false, true, "mean over the past d rows"},
    {Op::ts_std, "ts_std", C::rolling, "SW", false, true, "standard deviation over the past d rows, ddof 1 (the paper's stddev)"},
    {Op::ts_min, "ts_min", C::rolling, "SW", false, true, "minimum over the past d rows"},
    {Op::ts_max, "ts_max", C::rolling, "SW", false, true, "maximum over the past d rows"},
    {Op::ts_argmax, "ts_argmax", C::rolling, "SW", false, true, "1-based position of the maximum, counted from the window's oldest row"},
    {Op::ts_argmin, "ts_argmin", C::rolling, "SW", false, true, "1-based position of the minimum, counted from the window's oldest row"},
    {Op::ts_rank, "ts_rank", C::rolling, "SW", false, true, "rank of the last value in its window, 1..d (ties averaged)"},
    {Op::ts_product, "ts_product", C::rolling, "SW", false, true, "product over the past d rows (the paper's product)"},
    {Op::ts_corr, "ts_corr", C::rolling, "SSW", true, true, "correlation over the past d rows (the paper's correlation); 0 where a side is constant"},
    {Op::ts_cov, "ts_cov", C::rolling, "SSW", true, true, "covariance over the past d rows, ddof 1 (the paper's covariance)"},
    {Op::decay_linear, "decay_linear", C::rolling, "SW", false, true, "weighted mean with weights d, d-1, ..., 1 (newest heaviest), summing to 1"},
    {Op::cs_rank, "cs_rank", C::cross_section, "S", false, false, "rank across instruments / count, in (0, 1], ties averaged (the paper's rank)"},
    {Op::cs_zscore, "cs_zscore", C::cross_section, "S", false, false, "(x - mean) / std across instruments, ddof 1"},
    {Op::cs_demean, "cs_demean", C::cross_section, "S", false, false, "x - mean across instruments"},
    {Op::cs_percentile, "cs_percentile", C::cross_section, "S", false, false, "(rank - 1) / (count - 1) across instruments, in [0, 1]"},
    {Op::cs_decile, "cs_decile", C::cross_section, "S", false, false, "decile 1..10 of cs_percentile"},
    {Op::cs_scale, "cs_scale", C::cross_section, "Sc", false, false, "a·x / sum|x| across instruments, a = 1 by default (the paper's scale)"},
    {Op::cs_neutralize, "cs_neutralize", C::cross_section, "SS", false, false, "x minus its mean over the instruments of the same group (the paper's indneutralize)"},
    {Op::cs_pca_loading, "cs_pca_loading", C::cross_section, "SWC", false, true,
     "loading of each instrument on the k-th principal component of x over the last W rows: eigenvector · sqrt(eigenvalue) of the window's covariance, signed so the loadings sum >= 0"},
    {Op::ta, "", C::ta, "", false, false, "a TA-Lib function"},
};

struct Alias {
  std::string_view name;
  Op op;
};

// Qlib's spellings, exact case.
constexpr Alias kQlib[] = {
    {"Add", Op::add}, {"Sub", Op::sub}, {"Mul", Op::mul}, {"Div", Op::div}, {"Gt", Op::gt}, {"Ge", Op::ge},
    {"Eq", Op::eq}, {"Ne", Op::ne}, {"And", Op::logical_and}, {"Or", Op::logical_or}, {"Not", Op::logical_not},
    {"If", Op::if_then_else}, {"Abs", Op::abs}, {"Sign", Op::sign}, {"Log", Op::log}, {"Exp", Op::exp},
    {"Sqrt", Op::sqrt}, {"Power", Op::power}, {"SignedPower", Op::signed_power}, {"Greater", Op::greater},
    {"Less", Op::less}, {"Ref", Op::ref}, {"Delta", Op::delta}, {"Mean", Op::mean}, {"Sum", Op::sum},
    {"Std", Op::std}, {"Var", Op::var}, {"Skew", Op::skew}, {"Kurt", Op::kurt}, {"Max", Op::max}, {"Min", Op::min},
    {"IdxMax", Op::idxmax}, {"IdxMin", Op::idxmin}, {"Quantile", Op::quantile}, {"Med", Op::med}, {"Mad", Op::mad},
    {"Rank", Op::rank}, {"Count", Op::count}, {"Slope", Op::slope}, {"Rsquare", Op::rsquare}, {"Resi", Op::resi},
    {"WMA", Op::wma}, {"EMA", Op::ema}, {"Corr", Op::corr}, {"Cov", Op::cov},
};

// The paper's spellings and the cs_ operators, matched in lower case.
constexpr Alias kLower[] = {
    {"rank", Op::cs_rank}, {"scale", Op::cs_scale}, {"indneutralize", Op::cs_neutralize}, {"delay", Op::ref},
    {"delta", Op::delta}, {"correlation", Op::ts_corr}, {"covariance", Op::ts_cov}, {"stddev", Op::ts_std},
    {"sum", Op::ts_sum}, {"product", Op::ts_product}, {"ts_sum", Op::ts_sum}, {"ts_mean", Op::ts_mean},
    {"ts_std", Op::ts_std}, {"ts_min", Op::ts_min}, {"ts_max", Op::ts_max}, {"ts_argmax", Op::ts_argmax},
    {"ts_argmin", Op::ts_argmin}, {"ts_rank", Op::ts_rank}, {"ts_product", Op::ts_product},
    {"ts_corr", Op::ts_corr}, {"ts_cov", Op::ts_cov}, {"decay_linear", Op::decay_linear},
    {"signedpower", Op::signed_power}, {"abs", Op::abs}, {"log", Op::log}, {"sign", Op::sign}, {"exp", Op::exp},
    {"sqrt", Op::sqrt}, {"power", Op::power}, {"if", Op::if_then_else}, {"where", Op::if_then_else},
    {"cs_rank", Op::cs_rank}, {"cs_zscore", Op::cs_zscore}, {"cs_demean", Op::cs_demean},
    {"cs_percentile", Op::cs_percentile}, {"cs_decile", Op::cs_decile}, {"cs_scale", Op::cs_scale},
    {"cs_neutralize", Op::cs_neutralize}, {"cs_pca_loading", Op::cs_pca_loading},
};

const OpDef* find(std::span<const Alias> table, std::string_view name) {
  for (const Alias& a : table)
    if (a.name == name) return &op_def(a.op);
  return nullptr;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_upper(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

const OpDef& op_def(Op op) {
  static const bool ordered = [] {
    for (std::size_t i = 0; i < std::size(kOps); ++i)
      if (std::size_t(kOps[i].op) != i) return false;
    return true;
  }();
  if (!ordered) std::abort();  // a row out of enum order is a build mistake
  return kOps[std::size_t(op)];
}

std::span<const OpDef> op_defs() { return kOps; }

Callee resolve(std::string_view name, bool second_is_number) {
  if (const OpDef* d = find(kQlib, name)) return {d, nullptr};
  const analytics::ta::FunctionDef* ta = nullptr;
  if (name.size() > 3 && name.substr(0, 3) == "TA_") ta = analytics::ta::find(name.substr(3));
  else if (all_upper(name)) ta = analytics::ta::find(name);
  if (ta) return {&op_def(Op::ta), ta};
  const std::string l = lower(name);
  if (l == "min") return {&op_def(second_is_number ? Op::ts_min : Op::less), nullptr, true};
  if (l == "max") return {&op_def(second_is_number ? Op::ts_max : Op::greater), nullptr, true};
  if (const OpDef* d = find(kLower, l)) return {d, nullptr, true};
  return {};
}

std::string ta_canonical_name(const analytics::ta::FunctionDef& f) {
  return (find(kQlib, f.name) ? "TA_" : "") + std::string(f.name);
}

}  // namespace sextant::features
