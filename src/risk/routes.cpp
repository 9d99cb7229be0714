// Risk engine HTTP adapter: /calculate-var, /calculate-margin, /backtest-var, /stress-test, /pretrade-check
// and the stored histories of /scenario-sets. Each handler reads its request, calls the library and
// writes the answer.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sextant/analytics/returns.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/backtest.hpp"
#include "sextant/risk/margin.hpp"
#include "sextant/risk/live.hpp"
#include "sextant/risk/pretrade.hpp"
#include "sextant/risk/scenario_sets.hpp"
#include "sextant/risk/stress.hpp"
#include "sextant/risk/var.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"
#include "sextant/service/store.hpp"

namespace sextant::risk {
namespace {

using net::JsonWriter;
using service::Fields;
using service::IntRange;
using service::Reply;

constexpr auto kMcDistributionNames = enum_names<bool>({{false, "normal"}, {true, "student_t"}});

// The book fields /calculate-var and /stress-test share: period returns (T×N), or a covariance (N×N),
// weights, asset names, and how Σ is estimated from the returns.
struct Book {
  std::optional<Matrix> returns, covariance;
  std::vector<double> weights;
  std::vector<std::string> symbols;
};

void declare_book(Fields& in, Book& b, analytics::CovarianceOptions& cov) {
  in.opt("returns", b.returns).opt("covariance", b.covariance).opt("weights", b.weights).opt("symbols", b.symbols);
  in.opt("estimator", cov.estimator, analytics::parse_covariance_estimator)
      .opt("ewma_lambda", cov.lambda)
      .opt("ewma_seed_rows", cov.seed_rows, IntRange{2, INT32_MAX});
}

// Exactly one of 'returns' and 'covariance' (`covariance_serves`: what a covariance alone is enough
// for). A given covariance is checked (symmetric PSD), and no estimator field may come with it.
void require_returns_or_covariance(const Book& b, const Fields& in, std::string_view covariance_serves) {
  if (b.returns && b.covariance) fail(ErrorCode::invalid_argument, "covariance", "send 'returns' or 'covariance', not both");
  if (!b.returns && !b.covariance)
    fail(ErrorCode::invalid_argument, "returns", "'returns' (T×N) is required, or 'covariance' (N×N) for {}", covariance_serves);
  if (!b.covariance) return;
  const std::string_view est = in.first_present({"estimator", "ewma_lambda", "ewma_seed_rows"});
  if (!est.empty())
    fail(ErrorCode::invalid_argument, std::string(est), "'{}' says how to estimate Σ from 'returns'; 'covariance' is Σ itself", est);
  analytics::check_covariance(*b.covariance);
}

void write_figures(JsonWriter& w, const VarFigures& f, std::optional<double> value) {
  w.begin_object().field("var", f.var).field("es", f.es);
  if (value) w.field("var_currency", f.var * *value).field("es_currency", f.es * *value);
  if (!f.component_var.empty()) {
    w.key("component_var").array(f.component_var);
    w.key("marginal_var").array(f.marginal_var);
    w.key("component_es").array(f.component_es);
  }
  if (f.trade) {
    w.field("var_after", f.trade->var_after).field("es_after", f.trade->es_after);
    w.field("incremental_var", f.trade->incremental_var).field("incremental_es", f.trade->incremental_es);
    if (f.trade->first_order) w.field("incremental_var_first_order", *f.trade->first_order);
    if (value) w.field("incremental_var_currency", f.trade->incremental_var * *value);
  }
  w.end_object();
}

void calculate_var_route(const net::Request& req, Reply& out, const ScenarioStore& store, const data::BarStore& bars_store) {
  Book book;
  std::optional<std::int64_t> bars;  // with symbols: the returns come from the market data store
  VarOptions opt;
  std::map<std::string, double> positions, prices;
  std::optional<double> portfolio_value;
  std::vector<double> expected_returns;  // with a covariance: the parametric methods from given moments
  std::optional<std::string> set_name;   // instead of returns: a stored history
  Fields in;
  declare_book(in, book, opt.covariance);
  in.opt("scenario_set", set_name).opt("expected_returns", expected_returns).opt("positions", positions).opt("prices", prices);
  in.opt("bars", bars, IntRange{2, service::kMaxStoreBars});
  in.opt("confidence_levels", opt.confidence_levels)
      .opt("methods", opt.methods, kVarMethodNames)
      .opt("quantile_method", opt.quantile_method, kQuantileMethodNames)
      .opt("horizon", opt.horizon, IntRange{1, 100000})
      .opt("include_mean", opt.include_mean)
      .opt("decompose", opt.decompose)
      .opt("simulations", opt.simulations, IntRange{100, 10'000'000})
      .opt("seed", opt.seed, IntRange{0, INT64_MAX})
      .opt("antithetic", opt.antithetic)
      .opt("portfolio_value", portfolio_value)
      .opt("nu", opt.nu)
      .opt("trade", opt.trade)
      .opt("age_weighting", opt.age_weighting_lambda)
      .opt("filtered", opt.filtered_lambda)
      .opt("mc_distribution", opt.mc_student_t, kMcDistributionNames);
  in.read(req, "/calculate-var");
  auto& [returns, covariance, weights, symbols] = book;
  if (bars) {  // {"symbols","bars"}: simple returns of the store's closes; their last closes price the positions
    if (returns || covariance || set_name)
      fail(ErrorCode::invalid_argument, "bars", "'bars' reads the market data store: send it instead of 'returns', 'covariance' or 'scenario_set'");
    if (symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "'bars' needs the 'symbols' to read from the market data store");
    const Matrix closes = service::store_closes(bars_store, symbols, *bars);
    returns = analytics::returns_from_prices(closes.view(), analytics::ReturnsType::simple);
    if (!positions.empty() && prices.empty())
      for (std::size_t j = 0; j < symbols.size(); ++j) prices[symbols[j]] = closes(closes.rows() - 1, j);
  }
  std::shared_ptr<const ScenarioSet> set;
  if (set_name) {
    set = store.get(*set_name, "scenario_set");
    if (returns || covariance)
      fail(ErrorCode::invalid_argument, "scenario_set", "send one of 'returns', 'covariance' and 'scenario_set'");
    if (!symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "a scenario set's symbols are those it was stored with");
    symbols = set->symbols;
  } else {
    require_returns_or_covariance(book, in, "the parametric methods");
  }
  const MatrixView history = set ? set->returns.view() : returns ? returns->view() : MatrixView{};
  if (history.data && !expected_returns.empty())
    fail(ErrorCode::invalid_argument, "expected_returns", "'expected_returns' goes with 'covariance'; with 'returns' the means are estimated");
  if (covariance && !in.has("methods")) opt.methods = {VarMethod::gaussian};
  if (!positions.empty()) {
    if (!weights.empty()) fail(ErrorCode::invalid_argument, "weights", "send 'weights' or 'positions', not both");
    const std::size_t assets = history.data ? history.cols : covariance->cols();
    if (symbols.size() != assets)
      fail(ErrorCode::dimension_mismatch, "symbols", "with 'positions', 'symbols' must name the {} assets of '{}'", assets,
           set ? "scenario_set" : returns ? "returns" : "covariance");
    auto pw = weights_from_positions(symbols, positions, prices);
    weights = std::move(pw.weights);
    portfolio_value = pw.value;
  }
  if (weights.empty()) fail(ErrorCode::invalid_argument, "weights", "'weights' (or 'positions' with 'prices') is required");
  opt.checkpoint = [&req] { req.check_deadline(); };
  VarReport rep;
  if (set) {
    rep = calculate_var_on(*set, weights, opt);
  } else if (returns) {
    rep = calculate_var(*returns, weights, opt);
  } else {
    if (expected_returns.empty()) expected_returns.assign(covariance->cols(), 0.0);  // zero mean, as is usual
    rep = parametric_var(expected_returns, *covariance, weights, opt);
  }
  JsonWriter& w = out.json;
  w.field("portfolio_volatility", rep.portfolio_volatility).field("portfolio_mean", rep.portfolio_mean);
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
  const bool uses_sigma = std::any_of(opt.methods.begin(), opt.methods.end(), [](VarMethod m) { return m != VarMethod::historical; });
  if (history.data && uses_sigma) w.field("estimator", analytics::estimator_name(opt.covariance.estimator));
  if (set) w.field("scenario_set", set->name);
}

void stress_test_route(const net::Request& req, Reply& out) {
  Book book;
  StressRequest s;
  std::optional<std::pair<std::int64_t, std::int64_t>> worst;
  Fields in;
  declare_book(in, book, s.covariance_options);
  in.opt("dates", s.dates).opt("portfolio_value", s.value);
  in.objects(
      "scenarios",
      [&](Fields& f, std::size_t) {
        auto& r = s.ranges.emplace_back();
        f.opt("name", r.name).opt("start", r.start).opt("end", r.end);
        f.opt("start_row", r.start_row, IntRange{0, INT32_MAX}).opt("end_row", r.end_row, IntRange{0, INT32_MAX});
      },
      false);
  in.object("worst_windows", [&](Fields& f) {
    auto& w = worst.emplace(3, 5);
    f.opt("count", w.first, IntRange{1, 1000}).opt("length", w.second, IntRange{1, INT32_MAX});
  });
  in.objects(
      "shocks",
      [&](Fields& f, std::size_t) {
        auto& sh = s.shocks.emplace_back();
        f.opt("name", sh.name).add("shocks", [&sh](net::od::value v, const std::string& field) {
          for (auto m : net::read_object(v, field)) {
            std::string asset(std::string_view(m.unescaped_key()));
            sh.moves.emplace_back(asset, net::read_number(m.value(), "shocks." + asset));
          }
        });
      },
      false);
  in.read(req, "/stress-test");
  require_returns_or_covariance(book, in, "shocks alone");
  s.returns = std::move(book.returns), s.covariance = std::move(book.covariance);
  s.weights = std::move(book.weights), s.symbols = std::move(book.symbols);
  if (worst) s.worst = std::pair{std::size_t(worst->first), std::size_t(worst->second)};
  const bool estimated = s.returns && !s.shocks.empty();
  const auto estimator = s.covariance_options.estimator;
  const double value = s.value;
  auto results = stress_test(std::move(s), [&req] { req.check_deadline(); });
  JsonWriter& w = out.json;
  if (estimated) w.field("estimator", analytics::estimator_name(estimator));
  w.key("scenarios").begin_array();
  for (const auto& r : results) {
    w.begin_object().field("name", std::string_view(r.name)).field("total_pnl", r.total);
    w.key("pnl").array(r.pnl).key("asset_returns").array(r.asset_returns);
    if (r.end_row > 0 || r.start_row > 0) w.field("start_row", std::uint64_t(r.start_row)).field("end_row", std::uint64_t(r.end_row));
    w.end_object();
  }
  w.end_array().field("portfolio_value", value);
}

void pretrade_route(const net::Request& req, Reply& out, OrderRateWindows& windows) {
  PretradeRequest p;
  Fields in;
  in.opt("symbols", p.symbols).opt("positions", p.positions).opt("prices", p.prices);
  in.opt("covariance", p.covariance).opt("returns", p.returns).opt("account", p.account);
  in.opt("trading_state", p.state, kTradingStateNames);
  in.object("limits", [&](Fields& f) {
    auto& l = p.limits;
    f.opt("max_order_notional", l.max_order_notional).opt("max_position", l.max_position);
    f.opt("max_gross_exposure", l.max_gross_exposure).opt("max_net_exposure", l.max_net_exposure).opt("max_var", l.max_var);
    f.opt("max_orders_per_second", l.max_orders_per_second, IntRange{1, 1'000'000'000}).opt("var_confidence", l.var_confidence);
  });
  in.object(
      "order",
      [&](Fields& f) {
        f.req("instrument", p.instrument).req("side", p.side, kSideNames).req("quantity", p.quantity).req("price", p.price);
        f.opt("type", p.type, kOrderTypeNames);
      },
      true);
  in.read(req, "/pretrade-check");
  const auto a = check_order(std::move(p), windows);
  out.json.field("decision", a.decision.accepted ? "accept" : "reject").field("reason", kPretradeReasonNames.name(a.decision.reason));
  out.json.field("var_before", a.var_before).field("var_after", a.decision.var_after);
}

void backtest_var_route(const net::Request& req, Reply& out) {
  std::vector<double> returns, var;
  double confidence = 0.99;
  Fields in;
  in.req("returns", returns).req("var", var).opt("confidence", confidence);
  in.read(req, "/backtest-var");
  auto b = backtest_var(returns, var, confidence);
  JsonWriter& w = out.json;
  w.field("observations", std::uint64_t(b.observations)).field("exceptions", std::uint64_t(b.exceptions));
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
  w.field("zone", kZoneNames.name(b.zone)).field("zone_cumulative_probability", b.zone_cumulative_probability);
}

void calculate_margin_route(const net::Request& req, Reply& out, bus::Publisher& publisher) {
  MarginInput in;
  std::optional<ScenarioMarginInput> scen;
  Fields f;
  f.req("positions", in.positions).opt("prices", in.prices).opt("margin_rates", in.margin_rates);
  f.opt("default_margin_rate", in.default_margin_rate).opt("maintenance_ratio", in.maintenance_ratio).opt("cash", in.cash);
  f.object("portfolio_margin", [&](Fields& p) {
    auto& s = scen.emplace();
    p.opt("instruments", s.instruments).opt("price_scan_ranges", s.price_scan_ranges).opt("vol_scan_ranges", s.vol_scan_ranges);
    p.opt("vegas", s.vegas).opt("default_price_scan", s.default_price_scan);
    p.add("correlation", [&s](net::od::value v, const std::string& field) {
      Matrix c = net::read_matrix(v, field);
      for (std::size_t i = 0; i < c.rows(); ++i) s.correlation.emplace_back(c.row(i), c.row(i) + c.cols());
    });
  });
  f.read(req, "/calculate-margin");
  auto r = calculate_margin(in);
  std::optional<ScenarioMarginResult> sm;
  if (scen) {
    scen->positions = in.positions, scen->prices = in.prices;
    sm = scenario_margin(*scen);
  }
  JsonWriter& w = out.json;
  w.field("total_margin", r.initial_margin).field("initial_margin", r.initial_margin);
  w.field("maintenance_margin", r.maintenance_margin).field("equity", r.equity).field("excess_margin", r.excess_margin);
  w.field("margin_utilization", r.margin_utilization).field("risk_level", kRiskLevelNames.name(r.risk_level));
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
  if (sm) {
    w.key("portfolio_margin").begin_object().field("undiversified", sm->undiversified).field("diversified", sm->diversified);
    w.field("offset", sm->offset).key("instruments").begin_array();
    for (const auto& m : sm->instruments) {
      w.begin_object().field("instrument", std::string_view(m.instrument)).field("market_value", m.market_value);
      w.field("price_scan", m.price_scan).field("vol_scan", m.vol_scan).field("vega", m.vega);
      w.field("scanning_risk", m.scanning_risk).field("worst_scenario", m.worst_scenario).field("direction", m.direction);
      w.key("scenario_pnl").array(m.scenario_pnl).end_object();
    }
    w.end_array().end_object();
  }
  w.field("alert_published", publish_margin_alert(r, publisher));
}

void write_set_summary(JsonWriter& w, const ScenarioSet& s) {
  w.field("name", s.name).field("rows", std::int64_t(s.returns.rows())).field("cols", std::int64_t(s.returns.cols()));
  if (!s.symbols.empty()) w.key("symbols").array(s.symbols);
  w.field("bytes", std::int64_t(s.bytes));
}

void put_set_route(const net::Request& req, Reply& out, ScenarioStore& store) {
  std::string name = checked_set_name(req.param("name"));
  Matrix returns;
  std::vector<std::string> symbols;
  Fields in;
  in.req("returns", returns).opt("symbols", symbols);
  in.read(req, "PUT /scenario-sets/{name}");
  auto set = make_scenario_set(std::move(name), std::move(returns), std::move(symbols), [&req] { req.check_deadline(); });
  out.status = store.put(set) ? 201 : 200;
  out.json.key("scenario_set").begin_object();
  write_set_summary(out.json, *set);
  out.json.end_object();
}

void add_scenario_set_routes(net::RouteTable& table, std::shared_ptr<ScenarioStore> store) {
  using service::json_route;
  using service::Stamp;
  table.add("PUT", "/scenario-sets/{name}", json_route([store](const net::Request& req, Reply& out) { put_set_route(req, out, *store); }));
  table.add("GET", "/scenario-sets/{name}", json_route([store](const net::Request& req, Reply& out) {
    write_set_summary(out.json, *store->get(checked_set_name(req.param("name")), "name"));
  }, Stamp::no));
  table.add("DELETE", "/scenario-sets/{name}", json_route([store](const net::Request& req, Reply& out) {
    const std::string name = checked_set_name(req.param("name"));
    if (!store->erase(name)) store->get(name, "name");  // the 404
    out.json.field("deleted", name);
  }, Stamp::no));
  table.add("GET", "/scenario-sets", json_route([store](const net::Request&, Reply& out) {
    out.json.key("scenario_sets").begin_array();
    for (const auto& set : store->list()) {
      out.json.begin_object();
      write_set_summary(out.json, *set);
      out.json.end_object();
    }
    out.json.end_array().field("bytes", std::int64_t(store->bytes()));
    out.json.field("limit_bytes", std::int64_t(ScenarioStore::limit_bytes()));
  }, Stamp::no));
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  using service::json_route;
  auto store = std::make_shared<ScenarioStore>();
  auto windows = std::make_shared<OrderRateWindows>(ctx.clock);
  auto publisher = std::make_shared<bus::BusPublisher>(ctx.bus, std::string(ctx.name));
  auto& t = ctx.routes;
  t.add("POST", "/calculate-var", json_route([store, bars = ctx.stores.bars](const net::Request& req, Reply& out) {
    calculate_var_route(req, out, *store, *bars);
  }));
  add_scenario_set_routes(t, store);
  t.add("POST", "/calculate-margin",
        json_route([publisher](const net::Request& req, Reply& out) { calculate_margin_route(req, out, *publisher); }));
  t.add("POST", "/backtest-var", json_route(backtest_var_route));
  t.add("POST", "/stress-test", json_route(stress_test_route));
  t.add("POST", "/pretrade-check", json_route([windows](const net::Request& req, Reply& out) { pretrade_route(req, out, *windows); }));

  // Live: margin, alerts and VaR of the accounts. They come from the file of config key risk_accounts:
  // {"accounts":[{"name", "positions":{SYM: quantity}, "cash", "default_margin_rate", "maintenance_ratio"}]};
  // without one, the simulator's demo account.
  LiveRiskConfig live_cfg;
  std::vector<Account> accounts;
  if (!ctx.config.risk_accounts.empty()) {
    service::read_json_file(ctx.config.risk_accounts, "risk_accounts", [&accounts](Fields& f) {
      f.objects("accounts", [&accounts](Fields& a, std::size_t) {
        Account& acc = accounts.emplace_back();
        a.req("name", acc.name).req("positions", acc.positions).opt("cash", acc.cash);
        a.opt("default_margin_rate", acc.default_margin_rate).opt("maintenance_ratio", acc.maintenance_ratio);
      });
    }, [&accounts] { validate_accounts(accounts); });
    live_cfg.demo_positions = 0;
  }
  if (ctx.config.market_data != "sim") live_cfg.demo_positions = 0;
  auto live = std::make_shared<LiveRisk>(live_cfg, std::move(accounts), *ctx.stores.bars, *publisher);
  ctx.bus->subscribe(std::string(bus::patterns::all_bars), [live, publisher, bars = ctx.stores.bars](const bus::Envelope& e) {
    try {
      live->on_bar(std::get<bus::MarketBar>(bus::decode(e)));
    } catch (const Error&) {
      // a malformed bar: the store counts it
    }
  });
  t.add("GET", "/risk/live", json_route([live](const net::Request&, Reply& out) {
    const auto s = live->stats();
    out.json.field("bars", s.bars).field("rows", s.rows).field("accounts", std::uint64_t(s.accounts));
    out.json.field("margin_updates", s.margin_updates).field("alerts", s.alerts).field("statuses", s.statuses);
    out.json.field("var_updates", s.var_updates).field("top_ups", s.top_ups);
  }, service::Stamp::no), net::Lane::io);
}

}  // namespace sextant::risk
