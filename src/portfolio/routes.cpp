// Portfolio engine HTTP adapter: /optimize, /frontier, /rebalance, /attribution.
#include "sextant/portfolio/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/routes.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"
#include "sextant/portfolio/attribution.hpp"
#include "sextant/portfolio/optimize.hpp"
#include "sextant/portfolio/rebalance.hpp"

namespace sextant::portfolio {
namespace {

using net::JsonWriter;
using net::od::value;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Raw request fields shared by /optimize and /frontier; assets may be named by index or symbol.
struct RawGroup {
  std::string name;
  std::vector<std::string> names;
  std::vector<std::int64_t> indices;
  double min = -kInf, max = kInf;
};

struct OptimizeRequest {
  OptimizeInput in;
  std::optional<Matrix> returns, covariance;
  std::vector<double> expected_returns;
  std::vector<std::string> symbols;
  analytics::CovarianceOptions cov_opt;
  std::vector<RawGroup> groups;
  std::size_t points = 50;
  bool full_range = false;
};

std::pair<double, double> read_pair(value v, const std::string& field) {
  auto x = net::read_vector(v, field);
  if (x.size() != 2) fail(ErrorCode::invalid_argument, field, "'{}' must be [lower, upper]", field);
  return {x[0], x[1]};
}

void read_bounds(value v, Constraints& c) {
  auto arr = net::read_array(v, "constraints.bounds");
  std::vector<std::pair<double, double>> per_asset;
  std::vector<double> flat;
  std::size_t k = 0;
  for (auto e : arr) {
    value x = e.value();
    if (x.type() == simdjson::ondemand::json_type::array) {
      per_asset.push_back(read_pair(x, fmt::format("constraints.bounds[{}]", k)));
    } else {
      flat.push_back(net::read_number(x, fmt::format("constraints.bounds[{}]", k)));
    }
    ++k;
  }
  if (!per_asset.empty() && !flat.empty())
    fail(ErrorCode::invalid_argument, "constraints.bounds", "'bounds' mixes numbers and pairs");
  if (!per_asset.empty()) c.asset_bounds = std::move(per_asset);
  else if (flat.size() == 2) c.bounds = std::pair{flat[0], flat[1]};
  else fail(ErrorCode::invalid_argument, "constraints.bounds", "'bounds' must be [lo, hi] or [[lo, hi], ...]");
}

void read_constraints(value v, OptimizeRequest& r) {
  auto& c = r.in.constraints;
  for (auto kv : net::read_object(v, "constraints")) {
    std::string_view k = kv.unescaped_key();
    value x = kv.value();
    std::string field = "constraints." + std::string(k);
    if (k == "long_only") c.long_only = net::read_bool(x, field);
    else if (k == "bounds") read_bounds(x, c);
    else if (k == "budget") c.budget = net::read_number(x, field);
    else if (k == "leverage") c.leverage = net::read_number(x, field);
    else if (k == "max_turnover") c.max_turnover = net::read_number(x, field);
    else if (k == "current_weights") c.current_weights = net::read_vector(x, field);
    else if (k == "max_assets") c.max_assets = std::size_t(net::read_int(x, field, 1, 1'000'000));
    else if (k == "groups") {
      std::size_t g = 0;
      for (auto e : net::read_array(x, field)) {
        RawGroup grp;
        std::string gf = fmt::format("constraints.groups[{}]", g++);
        for (auto f : net::read_object(e.value(), gf)) {
          std::string_view fk = f.unescaped_key();
          if (fk == "name") grp.name = net::read_string(f.value(), gf + ".name");
          else if (fk == "min") grp.min = net::read_number(f.value(), gf + ".min");
          else if (fk == "max") grp.max = net::read_number(f.value(), gf + ".max");
          else if (fk == "assets") {
            for (auto a : net::read_array(f.value(), gf + ".assets")) {
              value av = a.value();
              if (av.type() == simdjson::ondemand::json_type::string) grp.names.push_back(net::read_string(av, gf + ".assets"));
              else grp.indices.push_back(net::read_int(av, gf + ".assets", 0, INT32_MAX));
            }
          } else fail(ErrorCode::invalid_argument, gf + "." + std::string(fk), "unknown group field '{}'", fk);
        }
        r.groups.push_back(std::move(grp));
      }
    } else fail(ErrorCode::invalid_argument, field, "unknown constraint '{}'", k);
  }
}

void read_views(value v, OptimizeRequest& r) {
  Views views;
  for (auto kv : net::read_object(v, "views")) {
    std::string_view k = kv.unescaped_key();
    std::string field = "views." + std::string(k);
    if (k == "P") views.P = net::read_matrix(kv.value(), field);
    else if (k == "Q") views.Q = net::read_vector(kv.value(), field);
    else if (k == "omega") views.omega = net::read_matrix(kv.value(), field);
    else if (k == "tau") views.tau = net::read_number(kv.value(), field);
    else if (k == "market_weights") views.market_weights = net::read_vector(kv.value(), field);
    else if (k == "delta") views.delta = net::read_number(kv.value(), field);
    else if (k == "objective") views.objective = parse_objective(net::read_string(kv.value(), field), field);
    else fail(ErrorCode::invalid_argument, field, "unknown views field '{}'", k);
  }
  r.in.views = std::move(views);
}

OptimizeRequest read_optimize_request(const net::Request& req, bool frontier) {
  net::Body body(req);
  OptimizeRequest r;
  r.cov_opt.field_prefix = "ewma_";  // errors name the request's ewma_lambda / ewma_seed_rows
  std::optional<std::size_t> ewma_seed_rows;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "returns") r.returns = net::read_matrix(v, "returns");
    else if (k == "expected_returns") r.expected_returns = net::read_vector(v, "expected_returns");
    else if (k == "covariance") r.covariance = net::read_matrix(v, "covariance");
    else if (k == "symbols") r.symbols = net::read_strings(v, "symbols");
    else if (k == "estimator") r.cov_opt.estimator = analytics::parse_covariance_estimator(net::read_string(v, "estimator"));
    else if (k == "ewma_lambda") r.cov_opt.lambda = net::read_number(v, "ewma_lambda");
    else if (k == "ewma_seed_rows") ewma_seed_rows = std::size_t(net::read_int(v, "ewma_seed_rows", 2, INT32_MAX));
    else if (k == "objective") r.in.objective = parse_objective(net::read_string(v, "objective"));
    else if (k == "risk_free_rate") r.in.risk_free_rate = net::read_number(v, "risk_free_rate");
    else if (k == "target_return") r.in.target_return = net::read_number(v, "target_return");
    else if (k == "target_volatility") r.in.target_volatility = net::read_number(v, "target_volatility");
    else if (k == "risk_aversion") r.in.risk_aversion = net::read_number(v, "risk_aversion");
    else if (k == "risk_budgets") r.in.risk_budgets = net::read_vector(v, "risk_budgets");
    else if (k == "cvar_confidence") r.in.cvar_confidence = net::read_number(v, "cvar_confidence");
    else if (k == "views") read_views(v, r);
    else if (k == "constraints") read_constraints(v, r);
    else if (frontier && k == "points") r.points = std::size_t(net::read_int(v, "points", 2, 1000));
    else if (frontier && k == "range") {
      std::string s = net::read_string(v, "range");
      if (s != "efficient" && s != "full")
        fail(ErrorCode::invalid_argument, "range", "'range' must be \"efficient\" (from min-variance) or \"full\" (from the lowest return)");
      r.full_range = s == "full";
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for {}", k, frontier ? "/frontier" : "/optimize");
  }
  // μ and Σ: given, or estimated from returns.
  if (r.covariance) {
    if (r.expected_returns.empty() && !r.returns)
      fail(ErrorCode::invalid_argument, "expected_returns", "'covariance' needs 'expected_returns' (or send 'returns')");
    r.in.sigma = std::move(*r.covariance);
  }
  if (r.returns) {
    const Matrix& x = *r.returns;
    if (x.rows() < 2) fail(ErrorCode::invalid_argument, "returns", "'returns' needs at least 2 rows");
    if (r.expected_returns.empty()) {
      r.expected_returns.assign(x.cols(), 0.0);
      for (std::size_t t = 0; t < x.rows(); ++t)
        for (std::size_t j = 0; j < x.cols(); ++j) r.expected_returns[j] += x(t, j) / double(x.rows());
    }
    r.cov_opt.seed_rows = ewma_seed_rows;  // else the estimator's default, min(20, T)
    if (ewma_seed_rows && *ewma_seed_rows > x.rows())
      fail(ErrorCode::invalid_argument, "ewma_seed_rows", "'ewma_seed_rows' is {} but 'returns' has {} rows", *ewma_seed_rows, x.rows());
    if (r.in.sigma.empty()) r.in.sigma = analytics::estimate_covariance(x, r.cov_opt).covariance;
    r.in.scenarios = *r.returns;
  }
  if (r.expected_returns.empty())
    fail(ErrorCode::invalid_argument, "returns", "send 'returns' (T×N), or 'expected_returns' with 'covariance'");
  r.in.mu = std::move(r.expected_returns);
  const std::size_t n = r.in.mu.size();
  if (!r.symbols.empty() && r.symbols.size() != n)
    fail(ErrorCode::dimension_mismatch, "symbols", "'symbols' has {} names for {} assets", r.symbols.size(), n);
  for (std::size_t g = 0; g < r.groups.size(); ++g) {
    auto& raw = r.groups[g];
    Group grp;
    grp.name = raw.name, grp.min = raw.min, grp.max = raw.max;
    std::string gf = fmt::format("constraints.groups[{}].assets", g);
    for (auto i : raw.indices) {
      if (std::size_t(i) >= n) fail(ErrorCode::invalid_argument, gf, "asset index {} is not among the {} assets", i, n);
      grp.assets.push_back(std::size_t(i));
    }
    for (const auto& s : raw.names) {
      auto it = std::find(r.symbols.begin(), r.symbols.end(), s);
      if (it == r.symbols.end())
        fail(ErrorCode::invalid_argument, gf, "unknown asset '{}'{}", s, r.symbols.empty() ? " (send 'symbols' to name assets)" : "");
      grp.assets.push_back(std::size_t(it - r.symbols.begin()));
    }
    r.in.constraints.groups.push_back(std::move(grp));
  }
  return r;
}

net::Response optimize_route(const net::Request& req) {
  Stopwatch sw;
  auto r = read_optimize_request(req, false);
  r.in.checkpoint = [&req] { req.check_deadline(); };
  auto res = optimize(r.in);
  req.check_deadline();
  JsonWriter w(1024);
  w.begin_object().field("objective", objective_name(r.in.objective));
  if (!r.symbols.empty()) w.key("symbols").array(r.symbols);
  w.key("weights").array(res.weights);
  w.field("expected_return", res.expected_return).field("volatility", res.volatility).field("sharpe_ratio", res.sharpe_ratio);
  w.key("risk_contributions").array(res.risk_contributions);
  w.field("status", res.status).field("heuristic", res.status == "heuristic");
  w.field("iterations", std::int64_t(res.iterations)).field("regularization", res.regularization);
  if (res.cvar) w.field("cvar", *res.cvar).field("cvar_confidence", r.in.cvar_confidence);
  if (!res.posterior_mu.empty()) {
    w.key("posterior_expected_returns").array(res.posterior_mu);
    w.key("posterior_covariance").matrix(res.posterior_sigma);
  }
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

net::Response frontier_route(const net::Request& req) {
  Stopwatch sw;
  auto r = read_optimize_request(req, true);
  r.in.checkpoint = [&req] { req.check_deadline(); };
  auto pts = efficient_frontier(r.in, r.points, r.full_range);
  req.check_deadline();
  JsonWriter w(4096);
  w.begin_object();
  if (!r.symbols.empty()) w.key("symbols").array(r.symbols);
  w.key("points").begin_array();
  for (const auto& p : pts) {
    w.begin_object().field("expected_return", p.expected_return).field("volatility", p.volatility);
    w.field("sharpe_ratio", p.volatility > 0 ? (p.expected_return - r.in.risk_free_rate) / p.volatility : 0.0);
    w.key("weights").array(p.weights);
    w.end_object();
  }
  w.end_array().field("range", r.full_range ? "full" : "efficient");
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

net::Response rebalance_route(const net::Request& req, bus::Bus* bus) {
  Stopwatch sw;
  net::Body body(req);
  RebalanceInput in;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    std::string f(k);
    if (k == "assets") in.assets = net::read_strings(v, f);
    else if (k == "prices") in.prices = net::read_vector(v, f);
    else if (k == "current_shares") in.current_shares = net::read_vector(v, f);
    else if (k == "current_weights") in.current_weights = net::read_vector(v, f);
    else if (k == "target_weights") in.target_weights = net::read_vector(v, f);
    else if (k == "portfolio_value") in.portfolio_value = net::read_number(v, f);
    else if (k == "cash") in.cash = net::read_number(v, f);
    else if (k == "lot_sizes") in.lot_sizes = net::read_vector(v, f);
    else if (k == "min_trade_value") in.min_trade_value = net::read_number(v, f);
    else if (k == "cash_buffer") in.cash_buffer = net::read_number(v, f);
    else if (k == "cost_bps") in.cost_bps = net::read_number(v, f);
    else if (k == "fixed_cost") in.fixed_cost = net::read_number(v, f);
    else if (k == "half_spread_bps") {
      if (v.type() == simdjson::ondemand::json_type::array) in.half_spreads_bps = net::read_vector(v, f);
      else in.half_spread_bps = net::read_number(v, f);
    } else if (k == "no_trade_band") in.no_trade_band = net::read_number(v, f);
    else fail(ErrorCode::invalid_argument, f, "unknown field '{}' for /rebalance", k);
  }
  if (in.current_shares.empty() && in.current_weights.empty())
    fail(ErrorCode::invalid_argument, "current_shares", "send 'current_shares' (with 'cash') or 'current_weights' (with 'portfolio_value')");
  auto r = rebalance(in);
  JsonWriter w(1024);
  w.begin_object().field("portfolio_value", r.portfolio_value).field("cash_before", r.cash_before);
  w.field("cash_after", r.cash_after).field("total_cost", r.total_cost).field("turnover", r.turnover);
  w.key("current_weights").array(r.current_weights);
  w.key("drift").array(r.drift);
  w.field("max_drift", r.max_drift).field("urgency", r.urgency);
  w.key("weights_after").array(r.weights_after);
  w.key("trades").begin_array();
  for (const auto& t : r.trades) {
    w.begin_object().field("asset", t.asset).field("side", t.side).field("shares", t.shares).field("price", t.price);
    w.field("value", t.value).field("cost", t.cost).end_object();
  }
  w.end_array();
  bool published = false;
  if (bus && (r.urgency == "HIGH" || r.urgency == "CRITICAL")) {  // DESIGN §5: portfolio_update on portfolio.rebalance
    JsonWriter p(512);
    p.begin_object().field("kind", "rebalance").field("urgency", r.urgency).field("max_drift", r.max_drift);
    p.field("portfolio_value", r.portfolio_value).field("trades", std::uint64_t(r.trades.size()));
    p.field("turnover", r.turnover).field("total_cost", r.total_cost).end_object();
    bus->publish({.type = bus::MessageType::portfolio_update, .topic = "portfolio.rebalance", .source = "portfolio",
                  .priority = r.urgency == "CRITICAL" ? 3 : 2, .payload = p.take()});
    published = true;
  }
  w.field("update_published", published);
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

BrinsonInput read_brinson(value v, const std::string& prefix) {
  BrinsonInput in;
  for (auto kv : net::read_object(v, prefix.substr(0, prefix.size() - 1))) {
    std::string_view k = kv.unescaped_key();
    std::string f = prefix + std::string(k);
    if (k == "sectors") in.sectors = net::read_strings(kv.value(), f);
    else if (k == "portfolio_weights") in.portfolio_weights = net::read_vector(kv.value(), f);
    else if (k == "benchmark_weights") in.benchmark_weights = net::read_vector(kv.value(), f);
    else if (k == "portfolio_returns") in.portfolio_returns = net::read_vector(kv.value(), f);
    else if (k == "benchmark_returns") in.benchmark_returns = net::read_vector(kv.value(), f);
    else fail(ErrorCode::invalid_argument, f, "unknown field '{}'", k);
  }
  return in;
}

void write_sector(JsonWriter& w, const SectorEffect& s, bool with_weights) {
  w.begin_object().field("sector", s.sector);
  if (with_weights) {
    w.field("portfolio_weight", s.portfolio_weight).field("benchmark_weight", s.benchmark_weight);
    w.field("portfolio_return", s.portfolio_return).field("benchmark_return", s.benchmark_return);
  }
  w.field("allocation", s.allocation).field("selection", s.selection).field("interaction", s.interaction);
  w.field("total", s.total).end_object();
}

void write_brinson(JsonWriter& w, const BrinsonResult& r) {
  w.begin_object().field("portfolio_return", r.portfolio_return).field("benchmark_return", r.benchmark_return);
  w.field("active_return", r.active_return).field("allocation", r.allocation).field("selection", r.selection);
  w.field("interaction", r.interaction).key("sectors").begin_array();
  for (const auto& s : r.sectors) write_sector(w, s, true);
  w.end_array().end_object();
}

net::Response attribution_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  std::optional<BrinsonInput> single;
  std::vector<BrinsonInput> periods;
  std::vector<double> exposures, factor_returns, weights;
  std::optional<Matrix> asset_exposures;
  std::optional<double> portfolio_return;
  bool factor = false;
  std::optional<std::vector<double>> perf_returns;
  std::vector<double> perf_benchmark;
  analytics::PerformanceOptions perf_opt;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "brinson") single = read_brinson(v, "brinson.");
    else if (k == "periods") {
      std::size_t p = 0;
      for (auto e : net::read_array(v, "periods")) periods.push_back(read_brinson(e.value(), fmt::format("periods[{}].", p++)));
    } else if (k == "factor") {
      factor = true;
      for (auto f : net::read_object(v, "factor")) {
        std::string_view fk = f.unescaped_key();
        std::string field = "factor." + std::string(fk);
        if (fk == "exposures") exposures = net::read_vector(f.value(), field);
        else if (fk == "asset_exposures") asset_exposures = net::read_matrix(f.value(), field);
        else if (fk == "weights") weights = net::read_vector(f.value(), field);
        else if (fk == "factor_returns") factor_returns = net::read_vector(f.value(), field);
        else if (fk == "portfolio_return") portfolio_return = net::read_number(f.value(), field);
        else fail(ErrorCode::invalid_argument, field, "unknown factor field '{}'", fk);
      }
    } else if (k == "performance") {  // the analytics engine's statistics of a return series
      for (auto f : net::read_object(v, "performance")) {
        std::string_view fk = f.unescaped_key();
        std::string field = "performance." + std::string(fk);
        if (fk == "returns") perf_returns = net::read_vector(f.value(), field);
        else if (fk == "benchmark") perf_benchmark = net::read_vector(f.value(), field);
        else if (!analytics::read_performance_option(fk, f.value(), perf_opt))
          fail(ErrorCode::invalid_argument, field, "unknown performance field '{}'", fk);
      }
      if (!perf_returns) fail(ErrorCode::invalid_argument, "performance.returns", "'performance' needs 'returns' (a return series)");
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /attribution (brinson, periods, factor, performance)", k);
  }
  if (!single && periods.empty() && !factor && !perf_returns)
    fail(ErrorCode::invalid_argument, "brinson",
         "send 'brinson' (one period), 'periods' (several, Carino-linked), 'factor' or 'performance'");
  JsonWriter w(2048);
  w.begin_object();
  if (single) {
    w.key("brinson");
    write_brinson(w, brinson_fachler(*single));
  }
  if (!periods.empty()) {
    auto l = brinson_carino(periods);
    w.key("linked").begin_object().field("portfolio_return", l.portfolio_return).field("benchmark_return", l.benchmark_return);
    w.field("active_return", l.active_return).field("allocation", l.allocation).field("selection", l.selection);
    w.field("interaction", l.interaction).key("sectors").begin_array();
    for (const auto& s : l.sectors) write_sector(w, s, false);
    w.end_array().key("periods").begin_array();
    for (const auto& p : l.periods) write_brinson(w, p);
    w.end_array().end_object();
  }
  if (factor) {
    if (asset_exposures) {
      if (!exposures.empty()) fail(ErrorCode::invalid_argument, "factor.exposures", "send 'exposures' or 'asset_exposures' with 'weights', not both");
      if (weights.size() != asset_exposures->rows())
        fail(ErrorCode::dimension_mismatch, "factor.weights", "'weights' has {} entries for {} rows of 'asset_exposures'", weights.size(),
             asset_exposures->rows());
      exposures = portfolio_exposures(*asset_exposures, weights);
    }
    if (!portfolio_return) fail(ErrorCode::invalid_argument, "factor.portfolio_return", "'portfolio_return' is required");
    auto f = factor_attribution(exposures, factor_returns, *portfolio_return);
    w.key("factor").begin_object().key("exposures").array(f.exposures).key("contributions").array(f.contributions);
    w.field("factor_return", f.factor_return).field("specific_return", f.specific_return).field("total_return", f.total_return);
    w.end_object();
  }
  if (perf_returns) {
    w.key("performance");
    analytics::write_performance(w, analytics::performance(*perf_returns, perf_benchmark, perf_opt));
  }
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table, std::shared_ptr<bus::Bus> bus) {
  table.add("POST", "/optimize", optimize_route);
  table.add("POST", "/frontier", frontier_route);
  table.add("POST", "/rebalance", [bus](const net::Request& req) { return rebalance_route(req, bus.get()); });
  table.add("POST", "/attribution", attribution_route);
}

}  // namespace sextant::portfolio
