// Statistic functions: STDDEV, VAR, AVGDEV, LINEARREG family, TSF, BETA, CORREL.
#include <cmath>
#include <vector>

#include "kernels.hpp"
#include "table.hpp"
#include "stream_kit.hpp"

namespace sextant::analytics::ta {
namespace {

constexpr double kBig = 100000;
int lb_period_minus_1(const double* p) { return std::max(0, int(p[0]) - 1); }

// VAR ignores optInNbDev, as TA-Lib does.
void var_fn(const Inputs& in, const double* p, double* const* out) { k::running_var(in.real.data(), in.size(), int(p[0]), out[0]); }
void stddev_fn(const Inputs& in, const double* p, double* const* out) {
  k::running_var(in.real.data(), in.size(), int(p[0]), out[0]);
  for (std::size_t t = lb_period_minus_1(p); t < in.size(); ++t)
    out[0][t] = out[0][t] > 0.00000001 ? std::sqrt(out[0][t]) * p[1] : 0.0;
}
void avgdev_fn(const Inputs& in, const double* p, double* const* out) {
  const int period = int(p[0]);
  const double* x = in.real.data();
  for (std::size_t t = period - 1; t < in.size(); ++t) {
    double s = 0;
    for (int i = 0; i < period; ++i) s += x[t - i];
    double mean = s / period, d = 0;
    for (int i = 0; i < period; ++i) d += std::fabs(x[t - i] - mean);
    out[0][t] = d / period;
  }
}

// Least squares of the last `period` values on x = 0..period-1 (oldest first).
enum class Reg { value, angle, intercept, slope, forecast };
template <Reg What>
void linreg_fn(const Inputs& in, const double* p, double* const* out) {
  const int n = int(p[0]);
  const double nd = n;  // in double: n·(n-1) overflows int past n = 46,341 (TA-Lib C has the same overflow)
  const double sum_x = nd * (nd - 1) * 0.5, sum_x2 = nd * (nd - 1) * (2.0 * nd - 1) / 6.0;
  const double divisor = sum_x * sum_x - n * sum_x2;
  const double* y = in.real.data();
  for (std::size_t t = n - 1; t < in.size(); ++t) {
    double sum_xy = 0, sum_y = 0;
    for (int i = 0; i < n; ++i) {  // i counts back from the newest bar, as TA-Lib does
      sum_y += y[t - i];
      sum_xy += double(i) * y[t - i];
    }
    double m = (n * sum_xy - sum_x * sum_y) / divisor;
    double b = (sum_y - m * sum_x) / n;
    double r;
    if (What == Reg::value) r = b + m * (n - 1);
    else if (What == Reg::angle) r = std::atan(m) * (180.0 / 3.14159265358979323846);
    else if (What == Reg::intercept) r = b;
    else if (What == Reg::slope) r = m;
    else r = b + m * n;
    out[0][t] = r;
  }
}

// BETA of real0 on real1 from one-period returns over `period` returns.
int lb_beta(const double* p) { return int(p[0]); }
void beta_fn(const Inputs& in, const double* p, double* const* out) {
  const int n = int(p[0]);
  const double *a = in.real.data(), *b = in.real1.data();
  std::vector<double> x(in.size()), y(in.size());
  for (std::size_t t = 1; t < in.size(); ++t) {
    x[t] = a[t - 1] != 0.0 ? (a[t] - a[t - 1]) / a[t - 1] : 0.0;
    y[t] = b[t - 1] != 0.0 ? (b[t] - b[t - 1]) / b[t - 1] : 0.0;
  }
  for (std::size_t t = n; t < in.size(); ++t) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; ++i) {
      double xi = x[t - i], yi = y[t - i];
      sx += xi;
      sy += yi;
      sxx += xi * xi;
      sxy += xi * yi;
    }
    double d = n * sxx - sx * sx;
    out[0][t] = d != 0.0 ? (n * sxy - sx * sy) / d : 0.0;
  }
}

void correl_fn(const Inputs& in, const double* p, double* const* out) {
  const int n = int(p[0]);
  const double *a = in.real.data(), *b = in.real1.data();
  for (std::size_t t = n - 1; t < in.size(); ++t) {
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; ++i) {
      sx += a[t - i];
      sy += b[t - i];
      sxx += a[t - i] * a[t - i];
      syy += b[t - i] * b[t - i];
      sxy += a[t - i] * b[t - i];
    }
    double d = (sxx - sx * sx / n) * (syy - sy * sy / n);
    out[0][t] = d > 0.0 ? (sxy - sx * sy / n) / std::sqrt(d) : 0.0;
  }
}

}  // namespace

void register_statistic(std::vector<FunctionDef>& fs) {
  const char* g = "Statistic Functions";
  const ParamDef p5{"optInTimePeriod", "timeperiod", 5, 2, kBig, true};
  const ParamDef p14{"optInTimePeriod", "timeperiod", 14, 2, kBig, true};
  const ParamDef nbdev{"optInNbDev", "nbdev", 1, -3e37, 3e37, false};
  fs.push_back({"STDDEV", g, {"real"}, {p5, nbdev}, {"outReal"}, false, lb_period_minus_1, stddev_fn, streams::stddev});
  fs.push_back({"VAR", g, {"real"}, {{"optInTimePeriod", "timeperiod", 5, 1, kBig, true}, nbdev}, {"outReal"}, false,
                lb_period_minus_1, var_fn, streams::var});
  fs.push_back({"AVGDEV", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, avgdev_fn, nullptr, finite_memory});
  const StreamFamily kLinearreg{"linearreg", streams::linearreg_set};
  fs.push_back({"LINEARREG", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, linreg_fn<Reg::value>, streams::linearreg, finite_memory, kLinearreg});
  fs.push_back({"LINEARREG_ANGLE", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, linreg_fn<Reg::angle>, streams::linearreg, finite_memory, kLinearreg});
  fs.push_back({"LINEARREG_INTERCEPT", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, linreg_fn<Reg::intercept>, streams::linearreg, finite_memory, kLinearreg});
  fs.push_back({"LINEARREG_SLOPE", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, linreg_fn<Reg::slope>, streams::linearreg, finite_memory, kLinearreg});
  fs.push_back({"TSF", g, {"real"}, {p14}, {"outReal"}, false, lb_period_minus_1, linreg_fn<Reg::forecast>, streams::linearreg, finite_memory, kLinearreg});
  fs.push_back({"BETA", g, {"real", "real1"}, {{"optInTimePeriod", "timeperiod", 5, 1, kBig, true}}, {"outReal"}, false,
                lb_beta, beta_fn, nullptr, finite_memory});
  fs.push_back({"CORREL", g, {"real", "real1"}, {{"optInTimePeriod", "timeperiod", 30, 1, kBig, true}}, {"outReal"},
                false, lb_period_minus_1, correl_fn, nullptr, finite_memory});
}

}  // namespace sextant::analytics::ta
