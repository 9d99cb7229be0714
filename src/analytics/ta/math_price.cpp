// Math operators (ADD ... SUM, MAX/MIN and their indexes), math transforms (ACOS ... TANH) and price
// transforms (AVGPRICE, MEDPRICE, TYPPRICE, WCLPRICE).
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

int lb_zero(const double*) { return 0; }
int lb_period_minus_1(const double* p) { return std::max(0, int(p[0]) - 1); }

template <class Op>
void binary(const Inputs& in, double* out, Op op) {
  for (std::size_t t = 0; t < in.size(); ++t) out[t] = op(in.real[t], in.real1[t]);
}
void add_fn(const Inputs& in, const double*, double* const* o) { binary(in, o[0], [](double a, double b) { return a + b; }); }
void sub_fn(const Inputs& in, const double*, double* const* o) { binary(in, o[0], [](double a, double b) { return a - b; }); }
void mult_fn(const Inputs& in, const double*, double* const* o) { binary(in, o[0], [](double a, double b) { return a * b; }); }
void div_fn(const Inputs& in, const double*, double* const* o) { binary(in, o[0], [](double a, double b) { return a / b; }); }

template <double (*F)(double)>
void unary(const Inputs& in, const double*, double* const* o) {
  for (std::size_t t = 0; t < in.size(); ++t) o[0][t] = F(in.real[t]);
}
double acos_(double x) { return std::acos(x); }
double asin_(double x) { return std::asin(x); }
double atan_(double x) { return std::atan(x); }
double ceil_(double x) { return std::ceil(x); }
double cos_(double x) { return std::cos(x); }
double cosh_(double x) { return std::cosh(x); }
double exp_(double x) { return std::exp(x); }
double floor_(double x) { return std::floor(x); }
double ln_(double x) { return std::log(x); }
double log10_(double x) { return std::log10(x); }
double sin_(double x) { return std::sin(x); }
double sinh_(double x) { return std::sinh(x); }
double sqrt_(double x) { return std::sqrt(x); }
double tan_(double x) { return std::tan(x); }
double tanh_(double x) { return std::tanh(x); }

// Window extremes with TA-Lib's index rule: a rescan (when the extreme leaves the window) keeps the
// earliest of equal values; a new bar equal to the current extreme takes over.
template <bool Max>
void extreme_index(const double* x, std::size_t n, int period, double* value, double* index) {
  std::size_t best = 0;
  bool have = false;
  for (std::size_t t = period - 1; t < n; ++t) {
    const std::size_t trailing = t + 1 - period;
    if (!have || best < trailing) {
      best = trailing;
      for (std::size_t i = trailing + 1; i <= t; ++i)
        if (Max ? x[i] > x[best] : x[i] < x[best]) best = i;
      have = true;
    } else if (Max ? x[t] >= x[best] : x[t] <= x[best]) {
      best = t;
    }
    if (value) value[t] = x[best];
    if (index) index[t] = double(best);
  }
}
void max_fn(const Inputs& in, const double* p, double* const* o) { extreme_index<true>(in.real.data(), in.size(), int(p[0]), o[0], nullptr); }
void min_fn(const Inputs& in, const double* p, double* const* o) { extreme_index<false>(in.real.data(), in.size(), int(p[0]), o[0], nullptr); }
void maxindex_fn(const Inputs& in, const double* p, double* const* o) { extreme_index<true>(in.real.data(), in.size(), int(p[0]), nullptr, o[0]); }
void minindex_fn(const Inputs& in, const double* p, double* const* o) { extreme_index<false>(in.real.data(), in.size(), int(p[0]), nullptr, o[0]); }
void minmax_fn(const Inputs& in, const double* p, double* const* o) {
  extreme_index<false>(in.real.data(), in.size(), int(p[0]), o[0], nullptr);
  extreme_index<true>(in.real.data(), in.size(), int(p[0]), o[1], nullptr);
}
void minmaxindex_fn(const Inputs& in, const double* p, double* const* o) {
  extreme_index<false>(in.real.data(), in.size(), int(p[0]), nullptr, o[0]);
  extreme_index<true>(in.real.data(), in.size(), int(p[0]), nullptr, o[1]);
}
void sum_fn(const Inputs& in, const double* p, double* const* o) {
  const int period = int(p[0]);
  for (std::size_t t = period - 1; t < in.size(); ++t) {
    double s = 0;
    for (int i = 0; i < period; ++i) s += in.real[t - i];
    o[0][t] = s;
  }
}

void avgprice_fn(const Inputs& in, const double*, double* const* o) {
  for (std::size_t t = 0; t < in.size(); ++t) o[0][t] = (in.open[t] + in.high[t] + in.low[t] + in.close[t]) / 4.0;
}
void medprice_fn(const Inputs& in, const double*, double* const* o) {
  for (std::size_t t = 0; t < in.size(); ++t) o[0][t] = (in.high[t] + in.low[t]) / 2.0;
}
void typprice_fn(const Inputs& in, const double*, double* const* o) {
  for (std::size_t t = 0; t < in.size(); ++t) o[0][t] = (in.high[t] + in.low[t] + in.close[t]) / 3.0;
}
void wclprice_fn(const Inputs& in, const double*, double* const* o) {
  for (std::size_t t = 0; t < in.size(); ++t) o[0][t] = (in.high[t] + in.low[t] + in.close[t] * 2.0) / 4.0;
}

}  // namespace

void register_math_price(std::vector<FunctionDef>& fs) {
  const char* ops = "Math Operators";
  const char* tr = "Math Transform";
  const ParamDef p30{"optInTimePeriod", "timeperiod", 30, 2, 100000, true};
  fs.push_back({"ADD", ops, {"real", "real1"}, {}, {"outReal"}, false, lb_zero, add_fn, nullptr, finite_memory});
  fs.push_back({"DIV", ops, {"real", "real1"}, {}, {"outReal"}, false, lb_zero, div_fn, nullptr, finite_memory});
  fs.push_back({"MAX", ops, {"real"}, {p30}, {"outReal"}, false, lb_period_minus_1, max_fn, nullptr, finite_memory});
  fs.push_back({"MAXINDEX", ops, {"real"}, {p30}, {"outInteger"}, true, lb_period_minus_1, maxindex_fn, nullptr, finite_memory});
  fs.push_back({"MIN", ops, {"real"}, {p30}, {"outReal"}, false, lb_period_minus_1, min_fn, nullptr, finite_memory});
  fs.push_back({"MININDEX", ops, {"real"}, {p30}, {"outInteger"}, true, lb_period_minus_1, minindex_fn, nullptr, finite_memory});
  fs.push_back({"MINMAX", ops, {"real"}, {p30}, {"outMin", "outMax"}, false, lb_period_minus_1, minmax_fn, nullptr, finite_memory});
  fs.push_back({"MINMAXINDEX", ops, {"real"}, {p30}, {"outMinIdx", "outMaxIdx"}, true, lb_period_minus_1, minmaxindex_fn, nullptr, finite_memory});
  fs.push_back({"MULT", ops, {"real", "real1"}, {}, {"outReal"}, false, lb_zero, mult_fn, nullptr, finite_memory});
  fs.push_back({"SUB", ops, {"real", "real1"}, {}, {"outReal"}, false, lb_zero, sub_fn, nullptr, finite_memory});
  fs.push_back({"SUM", ops, {"real"}, {p30}, {"outReal"}, false, lb_period_minus_1, sum_fn, nullptr, finite_memory});
  fs.push_back({"ACOS", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<acos_>, nullptr, finite_memory});
  fs.push_back({"ASIN", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<asin_>, nullptr, finite_memory});
  fs.push_back({"ATAN", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<atan_>, nullptr, finite_memory});
  fs.push_back({"CEIL", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<ceil_>, nullptr, finite_memory});
  fs.push_back({"COS", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<cos_>, nullptr, finite_memory});
  fs.push_back({"COSH", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<cosh_>, nullptr, finite_memory});
  fs.push_back({"EXP", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<exp_>, nullptr, finite_memory});
  fs.push_back({"FLOOR", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<floor_>, nullptr, finite_memory});
  fs.push_back({"LN", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<ln_>, nullptr, finite_memory});
  fs.push_back({"LOG10", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<log10_>, nullptr, finite_memory});
  fs.push_back({"SIN", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<sin_>, nullptr, finite_memory});
  fs.push_back({"SINH", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<sinh_>, nullptr, finite_memory});
  fs.push_back({"SQRT", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<sqrt_>, nullptr, finite_memory});
  fs.push_back({"TAN", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<tan_>, nullptr, finite_memory});
  fs.push_back({"TANH", tr, {"real"}, {}, {"outReal"}, false, lb_zero, unary<tanh_>, nullptr, finite_memory});
  const char* pr = "Price Transform";
  fs.push_back({"AVGPRICE", pr, {"open", "high", "low", "close"}, {}, {"outReal"}, false, lb_zero, avgprice_fn, nullptr, finite_memory});
  fs.push_back({"MEDPRICE", pr, {"high", "low"}, {}, {"outReal"}, false, lb_zero, medprice_fn, nullptr, finite_memory});
  fs.push_back({"TYPPRICE", pr, {"high", "low", "close"}, {}, {"outReal"}, false, lb_zero, typprice_fn, nullptr, finite_memory});
  fs.push_back({"WCLPRICE", pr, {"high", "low", "close"}, {}, {"outReal"}, false, lb_zero, wclprice_fn, nullptr, finite_memory});
}

}  // namespace sextant::analytics::ta
