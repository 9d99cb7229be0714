// Cross-sectional kernels (per row, across instruments) and TA-Lib functions (per instrument).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <vector>

#include "kernels.hpp"
#include "sextant/analytics/ta.hpp"

namespace sextant::features::kernels {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Average ranks (1-based, ties averaged) of the non-NaN values of one row; NaN stays NaN. Sorts
// (value, column) pairs: contiguous keys sort several times faster than indices compared through x.
void average_ranks(const double* x, std::size_t n, double* rank, std::size_t& count) {
  thread_local std::vector<std::pair<double, std::uint32_t>> v;
  v.clear();
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] == x[i]) v.emplace_back(x[i], std::uint32_t(i));
    else rank[i] = kNaN;
  std::sort(v.begin(), v.end());
  count = v.size();
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1].first == v[i].first) ++j;
    const double r = (double(i + 1) + double(j + 1)) / 2.0;
    for (std::size_t k = i; k <= j; ++k) rank[v[k].second] = r;
    i = j + 1;
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
      case Op::cs_rank:
      case Op::cs_percentile:
      case Op::cs_decile: {
        std::size_t cnt = 0;
        average_ranks(x, cols, y, cnt);
        for (std::size_t i = 0; i < cols; ++i) {
          if (y[i] != y[i]) continue;
          if (n.op == Op::cs_rank) {
            y[i] = y[i] / double(cnt);
          } else {
            const double pct = cnt > 1 ? (y[i] - 1.0) / double(cnt - 1) : kNaN;
            y[i] = n.op == Op::cs_percentile ? pct : (pct == pct ? std::min(10.0, std::floor(pct * 10.0) + 1.0) : kNaN);
          }
        }
        break;
      }
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
      case Op::cs_neutralize: {
        const double* g = in[1] + t * cols;
        std::unordered_map<double, std::pair<double, std::size_t>> groups;
        for (std::size_t i = 0; i < cols; ++i)
          if (x[i] == x[i] && g[i] == g[i]) {
            auto& [s, c] = groups[g[i]];
            s += x[i], ++c;
          }
        for (std::size_t i = 0; i < cols; ++i) {
          auto it = g[i] == g[i] ? groups.find(g[i]) : groups.end();
          y[i] = it == groups.end() ? kNaN : x[i] - it->second.first / double(it->second.second);
        }
        break;
      }
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
