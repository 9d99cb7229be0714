// Portfolio engine HTTP adapter: /optimize, /frontier, /rebalance, /attribution.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "analytics/performance_json.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"
#include "sextant/portfolio/attribution.hpp"
#include "sextant/portfolio/optimize.hpp"
#include "sextant/portfolio/live.hpp"
#include "sextant/portfolio/rebalance.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"

namespace sextant::portfolio {
namespace {

using net::JsonWriter;
using net::od::value;
using service::Fields;
using service::IntRange;
using service::Reply;
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

void declare_constraints(Fields& f, OptimizeRequest& r) {
  auto& c = r.in.constraints;
  f.opt("long_only", c.long_only).add("bounds", [&c](value v, const std::string&) { read_bounds(v, c); });
  f.opt("budget", c.budget).opt("leverage", c.leverage).opt("max_turnover", c.max_turnover);
  f.opt("current_weights", c.current_weights).opt("max_assets", c.max_assets, IntRange{1, 1'000'000});
  f.objects("groups", [&r](Fields& g, std::size_t i) {
    auto& grp = r.groups.emplace_back();
    g.opt("name", grp.name).opt("min", grp.min).opt("max", grp.max);
    g.add("assets", [&grp](value v, const std::string& field) {
      for (auto a : net::read_array(v, field)) {
        value av = a.value();
        if (av.type() == simdjson::ondemand::json_type::string) grp.names.push_back(net::read_string(av, field));
        else grp.indices.push_back(net::read_int(av, field, 0, INT32_MAX));
      }
    });
  });
}

void declare_views(Fields& f, Views& views) {
  f.opt("P", views.P).opt("Q", views.Q).opt("omega", views.omega).opt("tau", views.tau);
  f.opt("market_weights", views.market_weights).opt("delta", views.delta).opt("objective", views.objective, parse_objective);
}

OptimizeRequest read_optimize_request(const net::Request& req, bool frontier) {
  OptimizeRequest r;
  std::string range = "efficient";
  Fields in;
  in.opt("returns", r.returns).opt("expected_returns", r.expected_returns).opt("covariance", r.covariance).opt("symbols", r.symbols);
  in.opt("estimator", r.cov_opt.estimator, analytics::parse_covariance_estimator)
      .opt("ewma_lambda", r.cov_opt.lambda)
      .opt("ewma_seed_rows", r.cov_opt.seed_rows, IntRange{2, INT32_MAX});
  in.opt("objective", r.in.objective, parse_objective).opt("risk_free_rate", r.in.risk_free_rate);
  in.opt("target_return", r.in.target_return).opt("target_volatility", r.in.target_volatility);
  in.opt("risk_aversion", r.in.risk_aversion).opt("risk_budgets", r.in.risk_budgets).opt("cvar_confidence", r.in.cvar_confidence);
  in.object("views", [&r](Fields& f) { declare_views(f, r.in.views.emplace()); });
  in.object("constraints", [&r](Fields& f) { declare_constraints(f, r); });
  if (frontier) in.opt("points", r.points, IntRange{2, 1000}).opt("range", range);
  in.read(req, frontier ? "/frontier" : "/optimize");
  if (range != "efficient" && range != "full")
    fail(ErrorCode::invalid_argument, "range", "'range' must be \"efficient\" (from min-variance) or \"full\" (from the lowest return)");
  r.full_range = range == "full";
  // μ and Σ: given, or estimated from returns.
  if (r.covariance) {
    if (r.expected_returns.empty() && !r.returns)
      fail(ErrorCode::invalid_argument, "expected_returns", "'covariance' needs 'expected_returns' (or send 'returns')");
    r.in.sigma = std::move(*r.covariance);
  }
  if (r.returns) {
    const Matrix& x = *r.returns;
    if (x.rows() < 2) fail(ErrorCode::invalid_argument, "returns", "'returns' needs at least 2 rows");
    if (r.expected_returns.empty()) r.expected_returns = column_means(x);
    if (r.cov_opt.seed_rows && *r.cov_opt.seed_rows > x.rows())
      fail(ErrorCode::invalid_argument, "ewma_seed_rows", "'ewma_seed_rows' is {} but 'returns' has {} rows", *r.cov_opt.seed_rows, x.rows());
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

void optimize_route(const net::Request& req, Reply& out) {
  auto r = read_optimize_request(req, false);
  r.in.checkpoint = [&req] { req.check_deadline(); };
  r.in.deadline = req.deadline;
  auto res = optimize(r.in);
  JsonWriter& w = out.json;
  w.field("objective", objective_name(r.in.objective));
  if (!r.symbols.empty()) w.key("symbols").array(r.symbols);
  w.key("weights").array(res.weights);
  w.field("expected_return", res.expected_return).field("volatility", res.volatility).field("sharpe_ratio", res.sharpe_ratio);
  w.key("risk_contributions").array(res.risk_contributions);
  w.field("status", kOptimizeStatusNames.name(res.status)).field("heuristic", res.status == OptimizeStatus::heuristic);
  w.field("iterations", std::int64_t(res.iterations)).field("regularization", res.regularization);
  if (res.cvar) w.field("cvar", *res.cvar).field("cvar_confidence", r.in.cvar_confidence);
  if (!res.posterior_mu.empty()) {
    w.key("posterior_expected_returns").array(res.posterior_mu);
    w.key("posterior_covariance").matrix(res.posterior_sigma);
  }
}

void frontier_route(const net::Request& req, Reply& out) {
  auto r = read_optimize_request(req, true);
  r.in.checkpoint = [&req] { req.check_deadline(); };
  r.in.deadline = req.deadline;
  auto pts = efficient_frontier(r.in, r.points, r.full_range);
  JsonWriter& w = out.json;
  if (!r.symbols.empty()) w.key("symbols").array(r.symbols);
  w.key("points").begin_array();
  for (const auto& p : pts) {
    w.begin_object().field("expected_return", p.expected_return).field("volatility", p.volatility);
    w.field("sharpe_ratio", p.volatility > 0 ? (p.expected_return - r.in.risk_free_rate) / p.volatility : 0.0);
    w.key("weights").array(p.weights);
    w.end_object();
  }
  w.end_array().field("range", r.full_range ? "full" : "efficient");
}

void rebalance_route(const net::Request& req, Reply& out, bus::Publisher& publisher) {
  RebalanceInput in;
  Fields f;
  f.opt("assets", in.assets).opt("prices", in.prices).opt("current_shares", in.current_shares);
  f.opt("current_weights", in.current_weights).opt("target_weights", in.target_weights);
  f.opt("portfolio_value", in.portfolio_value).opt("cash", in.cash).opt("lot_sizes", in.lot_sizes);
  f.opt("min_trade_value", in.min_trade_value).opt("cash_buffer", in.cash_buffer).opt("cost_bps", in.cost_bps);
  f.opt("fixed_cost", in.fixed_cost).opt("no_trade_band", in.no_trade_band);
  f.add("half_spread_bps", [&in](value v, const std::string& field) {  // one number, or one per asset
    if (v.type() == simdjson::ondemand::json_type::array) in.half_spreads_bps = net::read_vector(v, field);
    else in.half_spread_bps = net::read_number(v, field);
  });
  f.read(req, "/rebalance");
  if (in.current_shares.empty() && in.current_weights.empty())
    fail(ErrorCode::invalid_argument, "current_shares", "send 'current_shares' (with 'cash') or 'current_weights' (with 'portfolio_value')");
  auto r = rebalance(in);
  JsonWriter& w = out.json;
  w.field("portfolio_value", r.portfolio_value).field("cash_before", r.cash_before);
  w.field("cash_after", r.cash_after).field("total_cost", r.total_cost).field("turnover", r.turnover);
  w.key("current_weights").array(r.current_weights);
  w.key("drift").array(r.drift);
  w.field("max_drift", r.max_drift).field("urgency", kUrgencyNames.name(r.urgency));
  w.key("weights_after").array(r.weights_after);
  w.key("trades").begin_array();
  for (const auto& t : r.trades) {
    w.begin_object().field("asset", t.asset).field("side", kSideNames.name(t.side)).field("shares", t.shares).field("price", t.price);
    w.field("value", t.value).field("cost", t.cost).end_object();
  }
  w.end_array();
  w.field("update_published", publish_rebalance_update(r, publisher));
}

void declare_brinson(Fields& f, BrinsonInput& in) {
  f.opt("sectors", in.sectors).opt("portfolio_weights", in.portfolio_weights).opt("benchmark_weights", in.benchmark_weights);
  f.opt("portfolio_returns", in.portfolio_returns).opt("benchmark_returns", in.benchmark_returns);
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

void attribution_route(const net::Request& req, Reply& out) {
  std::optional<BrinsonInput> single;
  std::vector<BrinsonInput> periods;
  std::vector<double> exposures, factor_returns, weights;
  std::optional<Matrix> asset_exposures;
  std::optional<double> portfolio_return;
  std::optional<std::vector<double>> perf_returns;
  std::vector<double> perf_benchmark;
  analytics::PerformanceOptions perf_opt;
  Fields in;
  in.object("brinson", [&](Fields& f) { declare_brinson(f, single.emplace()); });
  in.objects("periods", [&](Fields& f, std::size_t) { declare_brinson(f, periods.emplace_back()); });
  in.object("factor", [&](Fields& f) {
    f.opt("exposures", exposures).opt("asset_exposures", asset_exposures).opt("weights", weights);
    f.opt("factor_returns", factor_returns).opt("portfolio_return", portfolio_return);
  });
  in.object("performance", [&](Fields& f) {  // the analytics engine's statistics of a return series
    f.req("returns", perf_returns).opt("benchmark", perf_benchmark);
    analytics::declare_performance_options(f, perf_opt);
  });
  in.read(req, "/attribution (brinson, periods, factor, performance)");
  const bool factor = in.has("factor");
  if (!single && periods.empty() && !factor && !perf_returns)
    fail(ErrorCode::invalid_argument, "brinson", "send 'brinson' (one period), 'periods' (several, Carino-linked), 'factor' or 'performance'");
  JsonWriter& w = out.json;
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
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  using service::json_route;
  auto publisher = std::make_shared<bus::BusPublisher>(ctx.bus, std::string(ctx.name));
  auto& t = ctx.routes;
  t.add("POST", "/optimize", json_route(optimize_route));
  t.add("POST", "/frontier", json_route(frontier_route));
  t.add("POST", "/rebalance", json_route([publisher](const net::Request& req, Reply& out) { rebalance_route(req, out, *publisher); }));
  t.add("POST", "/attribution", json_route(attribution_route));

  // Live: drift of the book against its targets. The book comes from the file of config key
  // portfolio_book: {"assets":[...], "shares":[...], "target_weights":[...], "cash", "cost_bps"};
  // without one, the simulator's demo book.
  LiveDriftConfig live_cfg;
  LiveBook book;
  if (!ctx.config.portfolio_book.empty()) {
    service::read_json_file(ctx.config.portfolio_book, "portfolio_book", [&book](Fields& f) {
      f.req("assets", book.assets).req("shares", book.shares).req("target_weights", book.target_weights);
      f.opt("cash", book.cash).opt("cost_bps", book.cost_bps);
    }, [&book] { validate_book(book); });
    live_cfg.demo_assets = 0;
  }
  if (ctx.config.market_data != "sim") live_cfg.demo_assets = 0;
  auto live = std::make_shared<LiveDrift>(live_cfg, std::move(book), *publisher);
  ctx.bus->subscribe(std::string(bus::patterns::all_bars), [live, publisher](const bus::Envelope& e) {
    try {
      live->on_bar(std::get<bus::MarketBar>(bus::decode(e)));
    } catch (const Error&) {
    }
  });
  t.add("GET", "/portfolio/live", json_route([live](const net::Request&, Reply& out) {
    const auto s = live->stats();
    out.json.field("rows", s.rows).field("rebalances", s.rebalances).field("max_drift", s.max_drift);
    out.json.field("urgency", std::string_view(s.urgency));
  }, service::Stamp::no), net::Lane::io);
}

}  // namespace sextant::portfolio
