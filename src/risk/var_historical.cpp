// Historical VaR: tail statistics, filtering (Hull-White), and the prepared-scenario screen
// (historical_var, risk/scenarios.hpp).
#include <limits>

#include "sextant/risk/scenarios.hpp"
#include "var_detail.hpp"

namespace sextant::risk {
namespace detail {

// Tail statistics of scenario (or historical) portfolio returns. `contribution(s, out)` adds the
// asset returns r_i of scenario s to out; it is called for the tail scenarios only (about (1-c) of
// them), so the full scenario × asset matrix is never copied. Marginal ES_i = -E[r_i | tail] (the
// derivative of ES in w_i), component ES_i = w_i · marginal ES_i; VaR's share ES's proportions.
void tail_decomposition(VarFigures& f, std::span<const double> w, const std::vector<double>& tail_sum, double mass) {
  const std::size_t n = w.size();
  f.component_es.resize(n), f.component_var.resize(n), f.marginal_var.resize(n);
  const double scale = f.es != 0.0 ? f.var / f.es : 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double marginal_es = -tail_sum[i] / mass;
    f.component_es[i] = w[i] * marginal_es;
    f.marginal_var[i] = marginal_es * scale;
    f.component_var[i] = w[i] * f.marginal_var[i];
  }
}

const Matrix& filtered_panel(MatrixView x, std::span<const double> mu, double lam, Estimates& est) {
  if (!est.filtered.empty()) return est.filtered;
  if (!(lam > 0.0 && lam < 1.0)) fail(ErrorCode::invalid_argument, "filtered", "the filtering λ must be in (0, 1), got {}", lam);
  const std::size_t t = x.rows, n = x.cols;
  Matrix& filtered = est.filtered;
  filtered = Matrix(t, n);
  std::vector<double> var_t(t + 1);  // var_t[r]: the EWMA variance forecast for row r from rows < r
  for (std::size_t i = 0; i < n; ++i) {
    double v0 = 0;
    for (std::size_t r = 0; r < t; ++r) v0 += (x(r, i) - mu[i]) * (x(r, i) - mu[i]);
    var_t[0] = v0 / double(t - 1);
    for (std::size_t r = 0; r < t; ++r) var_t[r + 1] = lam * var_t[r] + (1.0 - lam) * x(r, i) * x(r, i);
    const double now = std::sqrt(var_t[t]);
    for (std::size_t r = 0; r < t; ++r) filtered(r, i) = var_t[r] > 0 ? x(r, i) * now / std::sqrt(var_t[r]) : x(r, i);
  }
  return filtered;
}

std::vector<double> window_sums(std::span<const double> period, std::size_t h) {
  const std::size_t windows = period.size() - h + 1;
  std::vector<double> out(windows, 0.0);
  for (std::size_t s = 0; s < windows; ++s)
    for (std::size_t k = 0; k < h; ++k) out[s] += period[s + k];
  return out;
}

// historical_var's figures wrapped as a one-method report, so the trade's pass reuses add_trade_figures.
VarReport as_report(std::vector<VarFigures> levels) {
  VarReport rep;
  for (VarFigures& f : levels) rep.results.push_back({{VarMethod::historical, std::move(f)}});
  return rep;
}

}  // namespace detail

using namespace detail;

std::vector<VarFigures> historical_var(const HistoricalScenarios& s, std::span<const double> w, const VarOptions& opt) {
  const MatrixView x = s.returns;
  const std::size_t t = x.rows, n = x.cols;
  VarOptions hist = opt;
  hist.methods = {VarMethod::historical};
  check_history_inputs(x, w, hist);
  std::vector<VarFigures> out;
  auto full_pass = [&] {
    for (auto& level : calculate_var(x, w, hist).results) out.push_back(std::move(level[0].second));
    return out;
  };
  if (opt.age_weighting_lambda || opt.filtered_lambda) return full_pass();  // the weights or the panel change
  if (std::all_of(w.begin(), w.end(), [](double v) { return v == 0.0; }))
    fail(ErrorCode::invalid_argument, "weights", "the portfolio has zero variance");

  // Approximate h-period window sums and the K smallest any level reads (quantile_from reads order
  // statistics first and first + 1 at most; the tail {r ≤ q} lies within them).
  const ScreenedReturns sc = screen(s, w);
  if (!std::isfinite(sc.bound)) return full_pass();  // weights near the double range
  const std::size_t h = std::size_t(opt.horizon), m = t - h + 1;
  std::vector<double> approx(m, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t k = 0; k < h; ++k) approx[i] += sc.approx[i + k];
  const double bound = double(h) * sc.bound * (1.0 + 1e-12);
  std::size_t need = 1;
  for (double c : opt.confidence_levels)
    need = std::max(need, std::min(quantile_first_index(m, 1.0 - c, opt.quantile_method) + 1, m - 1) + 1);
  std::vector<double> sorted(approx);
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(need - 1), sorted.end());
  const double cut = sorted[need - 1] + 2.0 * bound;

  // Exact window returns of the candidates, from exact period returns computed once per row.
  std::vector<double> period(t, std::numeric_limits<double>::quiet_NaN());
  auto period_at = [&](std::size_t r) {
    if (std::isnan(period[r])) period[r] = dot(x.row(r), w.data(), n);
    return period[r];
  };
  std::vector<std::size_t> cand;  // ascending window index
  std::vector<double> exact;
  for (std::size_t i = 0; i < m; ++i)
    if (approx[i] <= cut) {
      double v = 0;
      for (std::size_t k = 0; k < h; ++k) v += period_at(i + k);
      cand.push_back(i), exact.push_back(v);
    }
  sorted.assign(exact.begin(), exact.end());
  std::partial_sort(sorted.begin(), sorted.begin() + std::ptrdiff_t(need), sorted.end());

  for (double c : opt.confidence_levels) {
    const double q = quantile_from(m, 1.0 - c, opt.quantile_method, [&](std::size_t k) { return sorted[k]; });
    VarFigures f;
    f.var = -q;
    std::size_t tail = 0;
    double sum = 0;
    std::vector<double> comp(opt.decompose ? n : 0, 0.0);
    for (std::size_t j = 0; j < cand.size(); ++j)
      if (exact[j] <= q) {
        ++tail;
        sum += exact[j];
        if (opt.decompose)
          for (std::size_t k = 0; k < h; ++k) {
            const double* xr = x.row(cand[j] + k);
            for (std::size_t i = 0; i < n; ++i) comp[i] += xr[i];
          }
      }
    f.es = -sum / double(tail);
    if (opt.decompose) tail_decomposition(f, w, comp, double(tail));
    out.push_back(std::move(f));
  }
  if (!opt.trade.empty()) {
    VarReport rep = as_report(std::move(out));
    add_trade_figures(w, opt, rep, [&](std::span<const double> wa, const VarOptions& o) { return as_report(historical_var(s, wa, o)); });
    out.clear();
    for (auto& level : rep.results) out.push_back(std::move(level[0].second));
  }
  for (const VarFigures& f : out) check_finite(f);
  return out;
}

}  // namespace sextant::risk
