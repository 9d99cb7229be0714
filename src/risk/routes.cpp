// Risk engine HTTP adapter: /calculate-var, /calculate-margin, /backtest-var.
#include "sextant/risk/routes.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>

#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"
#include "sextant/risk/backtest.hpp"
#include "sextant/risk/margin.hpp"
#include "sextant/risk/var.hpp"

namespace sextant::risk {
namespace {

using net::JsonWriter;
using net::od::value;

std::map<std::string, double> read_number_map(value v, const std::string& field) {
  std::map<std::string, double> out;
  for (auto kv : v.get_object()) {
    std::string k(std::string_view(kv.unescaped_key()));
    out[k] = net::read_number(kv.value(), field + "." + k);
  }
  return out;
}

void write_figures(JsonWriter& w, const VarFigures& f, std::optional<double> value) {
  w.begin_object().field("var", f.var).field("es", f.es);
  if (value) w.field("var_currency", f.var * *value).field("es_currency", f.es * *value);
  if (!f.component_var.empty()) {
    w.key("component_var").array(f.component_var);
    w.key("marginal_var").array(f.marginal_var);
    w.key("component_es").array(f.component_es);
  }
  w.end_object();
}

net::Response calculate_var_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  std::optional<Matrix> returns;
  std::vector<double> weights;
  std::vector<std::string> symbols;
  std::map<std::string, double> positions, prices;
  std::optional<double> portfolio_value;
  VarOptions opt;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "returns") returns = net::read_matrix(v, "returns");
    else if (k == "weights") weights = net::read_vector(v, "weights");
    else if (k == "symbols") symbols = net::read_strings(v, "symbols");
    else if (k == "positions") positions = read_number_map(v, "positions");
    else if (k == "prices") prices = read_number_map(v, "prices");
    else if (k == "confidence_levels") opt.confidence_levels = net::read_vector(v, "confidence_levels");
    else if (k == "methods") {
      opt.methods.clear();
      for (const auto& m : net::read_strings(v, "methods")) opt.methods.push_back(parse_var_method(m));
    } else if (k == "quantile_method") opt.quantile_method = parse_quantile_method(net::read_string(v, "quantile_method"));
    else if (k == "horizon") opt.horizon = int(net::read_int(v, "horizon", 1, 100000));
    else if (k == "include_mean") opt.include_mean = net::read_bool(v, "include_mean");
    else if (k == "decompose") opt.decompose = net::read_bool(v, "decompose");
    else if (k == "simulations") opt.simulations = std::size_t(net::read_int(v, "simulations", 100, 10'000'000));
    else if (k == "seed") opt.seed = std::uint64_t(net::read_int(v, "seed", 0, INT64_MAX));
    else if (k == "antithetic") opt.antithetic = net::read_bool(v, "antithetic");
    else if (k == "portfolio_value") portfolio_value = net::read_number(v, "portfolio_value");
    else if (k == "nu") opt.nu = net::read_number(v, "nu");
    else if (k == "mc_distribution") {
      std::string d = net::read_string(v, "mc_distribution");
      if (d != "normal" && d != "student_t")
        fail(ErrorCode::invalid_argument, "mc_distribution", "'mc_distribution' must be \"normal\" or \"student_t\", got \"{}\"", d);
      opt.mc_student_t = d == "student_t";
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /calculate-var", k);
  }
  if (!returns) fail(ErrorCode::invalid_argument, "returns", "'returns' (T×N) is required");
  if (!positions.empty()) {
    if (!weights.empty()) fail(ErrorCode::invalid_argument, "weights", "send 'weights' or 'positions', not both");
    if (symbols.size() != returns->cols())
      fail(ErrorCode::dimension_mismatch, "symbols", "with 'positions', 'symbols' must name the {} columns of 'returns'",
           returns->cols());
    double value = 0;
    std::vector<double> exposure;
    for (const auto& s : symbols) {
      double q = positions.count(s) ? positions[s] : 0.0;
      if (q != 0.0 && !prices.count(s)) fail(ErrorCode::invalid_argument, "prices." + s, "no price for position '{}'", s);
      exposure.push_back(q == 0.0 ? 0.0 : q * prices[s]);
      value += exposure.back();
    }
    for (const auto& [s, q] : positions)
      if (std::find(symbols.begin(), symbols.end(), s) == symbols.end())
        fail(ErrorCode::invalid_argument, "positions." + s, "position '{}' is not among 'symbols'", s);
    if (!(value != 0.0)) fail(ErrorCode::invalid_argument, "positions", "the positions have zero net value");
    for (double e : exposure) weights.push_back(e / value);
    portfolio_value = value;
  }
  if (weights.empty()) fail(ErrorCode::invalid_argument, "weights", "'weights' (or 'positions' with 'prices') is required");
  auto rep = calculate_var(*returns, weights, opt);
  req.check_deadline();
  JsonWriter w(2048);
  w.begin_object().field("portfolio_volatility", rep.portfolio_volatility).field("portfolio_mean", rep.portfolio_mean);
  if (rep.nu) w.field("nu", *rep.nu);
  if (portfolio_value) w.field("portfolio_value", *portfolio_value);
  w.key("results").begin_object();
  for (std::size_t l = 0; l < rep.results.size(); ++l) {
    w.key(fmt::format("{}", opt.confidence_levels[l])).begin_object();
    for (const auto& [m, f] : rep.results[l]) {
      w.key(var_method_name(m));
      write_figures(w, f, portfolio_value);
    }
    w.end_object();
  }
  w.end_object().field("horizon", std::int64_t(opt.horizon));
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

net::Response backtest_var_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  std::vector<double> returns, var;
  double confidence = 0.99;
  bool have_r = false, have_v = false;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "returns") returns = net::read_vector(v, "returns"), have_r = true;
    else if (k == "var") var = net::read_vector(v, "var"), have_v = true;
    else if (k == "confidence") confidence = net::read_number(v, "confidence");
    else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /backtest-var", k);
  }
  if (!have_r) fail(ErrorCode::invalid_argument, "returns", "'returns' (realised portfolio returns) is required");
  if (!have_v) fail(ErrorCode::invalid_argument, "var", "'var' (the VaR series, positive losses) is required");
  auto b = backtest_var(returns, var, confidence);
  JsonWriter w(512 + 8 * b.exception_rows.size());
  w.begin_object().field("observations", std::uint64_t(b.observations)).field("exceptions", std::uint64_t(b.exceptions));
  w.field("expected_exceptions", b.expected_exceptions).field("exception_rate", b.exception_rate);
  w.key("exception_rows").begin_array();
  for (auto r : b.exception_rows) w.value(std::uint64_t(r));
  w.end_array();
  w.key("kupiec").begin_object().field("lr", b.kupiec_lr).field("p_value", b.kupiec_p_value).end_object();
  w.key("christoffersen").begin_object().field("lr_independence", b.independence_lr);
  w.field("p_value_independence", b.independence_p_value).field("lr_conditional_coverage", b.conditional_coverage_lr);
  w.field("p_value_conditional_coverage", b.conditional_coverage_p_value);
  w.key("transitions").begin_object().field("n00", std::uint64_t(b.n00)).field("n01", std::uint64_t(b.n01));
  w.field("n10", std::uint64_t(b.n10)).field("n11", std::uint64_t(b.n11)).end_object().end_object();
  w.field("zone", std::string_view(b.zone)).field("zone_cumulative_probability", b.zone_cumulative_probability);
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

net::Response calculate_margin_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  MarginInput in;
  bool have_positions = false;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "positions") in.positions = read_number_map(v, "positions"), have_positions = true;
    else if (k == "prices") in.prices = read_number_map(v, "prices");
    else if (k == "margin_rates") in.margin_rates = read_number_map(v, "margin_rates");
    else if (k == "default_margin_rate") in.default_margin_rate = net::read_number(v, "default_margin_rate");
    else if (k == "maintenance_ratio") in.maintenance_ratio = net::read_number(v, "maintenance_ratio");
    else if (k == "cash") in.cash = net::read_number(v, "cash");
    else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /calculate-margin", k);
  }
  if (!have_positions) fail(ErrorCode::invalid_argument, "positions", "'positions' is required");
  auto r = calculate_margin(in);
  JsonWriter w(512);
  w.begin_object().field("total_margin", r.initial_margin).field("initial_margin", r.initial_margin);
  w.field("maintenance_margin", r.maintenance_margin).field("equity", r.equity).field("excess_margin", r.excess_margin);
  w.field("margin_utilization", r.margin_utilization).field("risk_level", std::string_view(r.risk_level));
  w.key("positions").begin_array();
  for (const auto& p : r.positions)
    w.begin_object()
        .field("instrument", std::string_view(p.instrument))
        .field("quantity", p.quantity)
        .field("price", p.price)
        .field("market_value", p.market_value)
        .field("margin_rate", p.rate)
        .field("requirement", p.requirement)
        .end_object();
  w.end_array();
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table) {
  table.add("POST", "/calculate-var", calculate_var_route);
  table.add("POST", "/calculate-margin", calculate_margin_route);
  table.add("POST", "/backtest-var", backtest_var_route);
}

}  // namespace sextant::risk
