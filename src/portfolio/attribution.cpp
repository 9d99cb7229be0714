#include "sextant/portfolio/attribution.hpp"

#include <cmath>
#include <map>

#include "checks.hpp"
#include "sextant/core/error.hpp"

namespace sextant::portfolio {

namespace {
using detail::check_vector;

double carino_k(double r, double b) {
  if (!(r > -1 && b > -1)) fail(ErrorCode::invalid_argument, "portfolio_returns", "returns must exceed -100% to be linked");
  return std::abs(r - b) < 1e-15 ? 1.0 / (1.0 + r) : (std::log1p(r) - std::log1p(b)) / (r - b);
}
}  // namespace

BrinsonResult brinson_fachler(const BrinsonInput& in) {
  const std::size_t n = in.sectors.size();
  if (n == 0) fail(ErrorCode::invalid_argument, "sectors", "'sectors' (one per asset) is required");
  check_vector(in.portfolio_weights, n, "portfolio_weights");
  check_vector(in.benchmark_weights, n, "benchmark_weights");
  check_vector(in.portfolio_returns, n, "portfolio_returns");
  check_vector(in.benchmark_returns, n, "benchmark_returns");
  double sw = 0, sb = 0;
  for (std::size_t i = 0; i < n; ++i) sw += in.portfolio_weights[i], sb += in.benchmark_weights[i];
  if (std::abs(sw - sb) > 1e-8 * std::max(1.0, std::abs(sb)))
    fail(ErrorCode::invalid_argument, "portfolio_weights",
         "portfolio weights sum to {} and benchmark weights to {}; they must match (hold cash as its own sector)", sw, sb);
  BrinsonResult r;
  std::map<std::string, std::size_t> index;
  std::vector<double> wr, br;  // Σ w·r per sector
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, fresh] = index.try_emplace(in.sectors[i], r.sectors.size());
    if (fresh) {
      r.sectors.push_back({});
      r.sectors.back().sector = in.sectors[i];
      wr.push_back(0), br.push_back(0);
    }
    auto& s = r.sectors[it->second];
    s.portfolio_weight += in.portfolio_weights[i];
    s.benchmark_weight += in.benchmark_weights[i];
    wr[it->second] += in.portfolio_weights[i] * in.portfolio_returns[i];
    br[it->second] += in.benchmark_weights[i] * in.benchmark_returns[i];
    r.portfolio_return += in.portfolio_weights[i] * in.portfolio_returns[i];
    r.benchmark_return += in.benchmark_weights[i] * in.benchmark_returns[i];
  }
  for (std::size_t k = 0; k < r.sectors.size(); ++k) {
    auto& s = r.sectors[k];
    s.benchmark_return = s.benchmark_weight != 0 ? br[k] / s.benchmark_weight : r.benchmark_return;
    s.portfolio_return = s.portfolio_weight != 0 ? wr[k] / s.portfolio_weight : s.benchmark_return;
    const double dw = s.portfolio_weight - s.benchmark_weight;
    s.allocation = dw * (s.benchmark_return - r.benchmark_return);
    s.selection = s.benchmark_weight * (s.portfolio_return - s.benchmark_return);
    s.interaction = dw * (s.portfolio_return - s.benchmark_return);
    s.total = s.allocation + s.selection + s.interaction;
    r.allocation += s.allocation, r.selection += s.selection, r.interaction += s.interaction;
  }
  r.active_return = r.portfolio_return - r.benchmark_return;
  return r;
}

LinkedAttribution brinson_carino(const std::vector<BrinsonInput>& periods) {
  if (periods.empty()) fail(ErrorCode::invalid_argument, "periods", "'periods' is empty");
  LinkedAttribution out;
  double gr = 1, gb = 1;
  for (const auto& p : periods) {
    out.periods.push_back(brinson_fachler(p));
    gr *= 1 + out.periods.back().portfolio_return;
    gb *= 1 + out.periods.back().benchmark_return;
  }
  out.portfolio_return = gr - 1, out.benchmark_return = gb - 1;
  out.active_return = out.portfolio_return - out.benchmark_return;
  const double K = carino_k(out.portfolio_return, out.benchmark_return);
  std::map<std::string, std::size_t> index;
  for (const auto& p : out.periods) {
    const double k = carino_k(p.portfolio_return, p.benchmark_return) / K;
    for (const auto& s : p.sectors) {
      auto [it, fresh] = index.try_emplace(s.sector, out.sectors.size());
      if (fresh) out.sectors.push_back({}), out.sectors.back().sector = s.sector;
      auto& l = out.sectors[it->second];
      l.allocation += k * s.allocation, l.selection += k * s.selection, l.interaction += k * s.interaction;
    }
  }
  for (auto& l : out.sectors) {
    l.total = l.allocation + l.selection + l.interaction;
    out.allocation += l.allocation, out.selection += l.selection, out.interaction += l.interaction;
  }
  return out;
}

std::vector<double> portfolio_exposures(MatrixView x, const std::vector<double>& w) {
  check_vector(w, x.rows, "weights");
  std::vector<double> e(x.cols, 0.0);
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t k = 0; k < x.cols; ++k) e[k] += x(i, k) * w[i];
  return e;
}

FactorAttribution factor_attribution(const std::vector<double>& exposures, const std::vector<double>& factor_returns,
                                     double portfolio_return) {
  const std::size_t k = factor_returns.size();
  if (k == 0) fail(ErrorCode::invalid_argument, "factor_returns", "'factor_returns' is required");
  check_vector(factor_returns, k, "factor_returns");
  if (exposures.size() != k)
    fail(ErrorCode::dimension_mismatch, "exposures", "{} exposures for {} factor returns", exposures.size(), k);
  check_vector(exposures, k, "exposures");
  if (!std::isfinite(portfolio_return)) fail(ErrorCode::non_finite, "portfolio_return", "'portfolio_return' must be finite");
  FactorAttribution f;
  f.exposures = exposures;
  f.total_return = portfolio_return;
  for (std::size_t j = 0; j < k; ++j) {
    f.contributions.push_back(exposures[j] * factor_returns[j]);
    f.factor_return += f.contributions.back();
  }
  f.specific_return = portfolio_return - f.factor_return;
  return f;
}

}  // namespace sextant::portfolio
