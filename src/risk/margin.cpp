#include "sextant/risk/margin.hpp"

#include <algorithm>
#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::risk {

MarginResult calculate_margin(const MarginInput& in) {
  if (!(in.default_margin_rate >= 0 && std::isfinite(in.default_margin_rate)))
    fail(ErrorCode::invalid_argument, "default_margin_rate", "'default_margin_rate' must be >= 0");
  if (!(in.maintenance_ratio >= 0 && std::isfinite(in.maintenance_ratio)))
    fail(ErrorCode::invalid_argument, "maintenance_ratio", "'maintenance_ratio' must be >= 0");
  for (const auto& [sym, rate] : in.margin_rates) {
    if (!in.positions.count(sym))
      fail(ErrorCode::invalid_argument, "margin_rates." + sym, "margin rate given for '{}', which has no position", sym);
    if (!(rate >= 0 && std::isfinite(rate)))
      fail(ErrorCode::invalid_argument, "margin_rates." + sym, "margin rate of '{}' must be >= 0, got {}", sym, rate);
  }
  MarginResult r;
  double value = 0;
  for (const auto& [sym, qty] : in.positions) {
    if (!std::isfinite(qty)) fail(ErrorCode::non_finite, "positions." + sym, "quantity of '{}' is not finite", sym);
    auto p = in.prices.find(sym);
    if (p == in.prices.end()) fail(ErrorCode::invalid_argument, "prices." + sym, "no price for position '{}'", sym);
    if (!(p->second > 0 && std::isfinite(p->second)))
      fail(ErrorCode::invalid_argument, "prices." + sym, "price of '{}' must be positive, got {}", sym, p->second);
    MarginPosition m;
    m.instrument = sym;
    m.quantity = qty;
    m.price = p->second;
    auto rate = in.margin_rates.find(sym);
    m.rate = rate == in.margin_rates.end() ? in.default_margin_rate : rate->second;
    m.market_value = qty * m.price;
    m.requirement = std::fabs(m.market_value) * m.rate;
    r.initial_margin += m.requirement;
    value += m.market_value;
    r.positions.push_back(m);
  }
  r.maintenance_margin = in.maintenance_ratio * r.initial_margin;
  r.equity = in.cash ? *in.cash + value : value;
  r.excess_margin = r.equity - r.maintenance_margin;
  r.margin_utilization = r.equity <= 0 ? 1.0 : r.maintenance_margin / r.equity;
  r.risk_level = risk_level_of(r.margin_utilization);
  return r;
}

bool publish_margin_alert(const MarginResult& r, bus::Publisher& out) {
  if (r.risk_level < kAlertLevel) return false;
  out.publish(bus::RiskAlert{.kind = "margin",
                             .risk_level = std::string(kRiskLevelNames.name(r.risk_level)),
                             .margin_utilization = r.margin_utilization,
                             .equity = r.equity,
                             .maintenance_margin = r.maintenance_margin,
                             .excess_margin = r.excess_margin},
              bus::Priority::high);
  return true;
}

RiskLevel risk_level_of(double u) {
  return u >= MarginBands::critical ? RiskLevel::critical
         : u >= MarginBands::high   ? RiskLevel::high
         : u >= MarginBands::medium ? RiskLevel::medium
                                    : RiskLevel::low;
}

const std::vector<SpanScenario>& span_scenarios() {
  static const std::vector<SpanScenario> table = [] {
    std::vector<SpanScenario> t;
    for (double f : {0.0, 1.0 / 3, -1.0 / 3, 2.0 / 3, -2.0 / 3, 1.0, -1.0})
      for (int d : {1, -1}) t.push_back({f, d, 1.0});
    t.push_back({2.0, 0, 0.35});
    t.push_back({-2.0, 0, 0.35});
    return t;
  }();
  return table;
}

ScenarioMarginResult scenario_margin(const ScenarioMarginInput& in) {
  if (!(in.default_price_scan >= 0 && std::isfinite(in.default_price_scan)))
    fail(ErrorCode::invalid_argument, "portfolio_margin.default_price_scan", "'default_price_scan' must be >= 0");
  auto check_keys = [&](const std::map<std::string, double>& m, const std::string& field) {
    for (const auto& [sym, v] : m) {
      if (!in.positions.count(sym)) fail(ErrorCode::invalid_argument, field + "." + sym, "'{}' has no position", sym);
      if (!std::isfinite(v)) fail(ErrorCode::non_finite, field + "." + sym, "'{}' must be finite", field);
    }
  };
  check_keys(in.price_scan_ranges, "portfolio_margin.price_scan_ranges");
  check_keys(in.vol_scan_ranges, "portfolio_margin.vol_scan_ranges");
  check_keys(in.vegas, "portfolio_margin.vegas");
  std::vector<std::string> order = in.instruments;
  if (order.empty())
    for (const auto& [sym, q] : in.positions) order.push_back(sym);
  for (const auto& [sym, q] : in.positions)
    if (std::find(order.begin(), order.end(), sym) == order.end())
      fail(ErrorCode::invalid_argument, "portfolio_margin.instruments", "position '{}' is not among 'instruments'", sym);
  const std::size_t n = order.size();
  if (!in.correlation.empty()) {
    if (in.correlation.size() != n)
      fail(ErrorCode::dimension_mismatch, "portfolio_margin.correlation", "the correlation has {} rows for {} instruments", in.correlation.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      if (in.correlation[i].size() != n)
        fail(ErrorCode::dimension_mismatch, fmt::format("portfolio_margin.correlation[{}]", i), "row has {} entries for {} instruments",
             in.correlation[i].size(), n);
      for (std::size_t j = 0; j < n; ++j) {
        double v = in.correlation[i][j];
        if (!(v >= -1 && v <= 1) || std::abs(v - in.correlation[j][i]) > 1e-12 || (i == j && std::abs(v - 1) > 1e-12))
          fail(ErrorCode::invalid_argument, fmt::format("portfolio_margin.correlation[{}][{}]", i, j),
               "a correlation matrix is symmetric with a unit diagonal and entries in [-1, 1]");
      }
    }
  }
  ScenarioMarginResult r;
  std::vector<double> signed_risk(n, 0.0);
  const auto& table = span_scenarios();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& sym = order[i];
    ScenarioMarginInstrument m;
    m.instrument = sym;
    auto q = in.positions.find(sym);
    double qty = q == in.positions.end() ? 0.0 : q->second;
    if (!std::isfinite(qty)) fail(ErrorCode::non_finite, "positions." + sym, "quantity of '{}' is not finite", sym);
    if (qty != 0) {
      auto p = in.prices.find(sym);
      if (p == in.prices.end()) fail(ErrorCode::invalid_argument, "prices." + sym, "no price for position '{}'", sym);
      m.market_value = qty * p->second;
    }
    auto get = [&](const std::map<std::string, double>& mp, double dflt) {
      auto it = mp.find(sym);
      return it == mp.end() ? dflt : it->second;
    };
    m.price_scan = get(in.price_scan_ranges, in.default_price_scan);
    m.vol_scan = get(in.vol_scan_ranges, 0.0);
    m.vega = get(in.vegas, 0.0);
    if (m.price_scan < 0) fail(ErrorCode::invalid_argument, "portfolio_margin.price_scan_ranges." + sym, "scan ranges must be >= 0");
    if (m.vol_scan < 0) fail(ErrorCode::invalid_argument, "portfolio_margin.vol_scan_ranges." + sym, "scan ranges must be >= 0");
    double worst = 0;
    for (std::size_t k = 0; k < table.size(); ++k) {
      const auto& sc = table[k];
      double pnl = sc.cover * (m.market_value * sc.price_move * m.price_scan + m.vega * sc.vol_direction * m.vol_scan);
      m.scenario_pnl.push_back(pnl);
      if (-pnl > worst) worst = -pnl, m.worst_scenario = int(k) + 1;
    }
    m.scanning_risk = worst;
    if (worst > 0) {
      double move = table[std::size_t(m.worst_scenario - 1)].price_move;
      m.direction = move < 0 ? 1 : move > 0 ? -1 : (m.market_value >= 0 ? 1 : -1);
    }
    signed_risk[i] = m.direction * worst;
    r.undiversified += worst;
    r.instruments.push_back(std::move(m));
  }
  if (in.correlation.empty()) {
    r.diversified = r.undiversified;
  } else {
    double q = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) q += signed_risk[i] * in.correlation[i][j] * signed_risk[j];
    r.diversified = std::sqrt(std::max(q, 0.0));
  }
  r.offset = r.undiversified - r.diversified;
  return r;
}

}  // namespace sextant::risk
