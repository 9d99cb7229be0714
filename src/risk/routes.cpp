// Risk engine HTTP adapter: /calculate-var, /calculate-margin, /backtest-var, /stress-test, /pretrade-check,
// and the stored histories of /scenario-sets (scenario_sets.cpp).
#include "sextant/risk/routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "sextant/accel/ops.hpp"
#include "sextant/bus/bus.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"
#include "sextant/risk/backtest.hpp"
#include "sextant/risk/margin.hpp"
#include "sextant/risk/pretrade.hpp"
#include "sextant/risk/stress.hpp"
#include "sextant/risk/var.hpp"
#include "scenario_sets.hpp"

namespace sextant::risk {
namespace {

using net::JsonWriter;
using net::od::value;

std::map<std::string, double> read_number_map(value v, const std::string& field) {
  std::map<std::string, double> out;
  for (auto kv : net::read_object(v, field)) {
    std::string k(std::string_view(kv.unescaped_key()));
    out[k] = net::read_number(kv.value(), field + "." + k);
  }
  return out;
}

// The book fields /calculate-var and /stress-test share: period returns (T×N), weights, asset names.
struct Book {
  std::optional<Matrix> returns;
  std::vector<double> weights;
  std::vector<std::string> symbols;
};

bool read_book_field(std::string_view k, value v, Book& b) {
  if (k == "returns") b.returns = net::read_matrix(v, "returns");
  else if (k == "weights") b.weights = net::read_vector(v, "weights");
  else if (k == "symbols") b.symbols = net::read_strings(v, "symbols");
  else return false;
  return true;
}

// estimator / ewma_lambda / ewma_seed_rows: how Σ is estimated from 'returns' (/calculate-var's
// parametric methods, /stress-test's shocks). `first` keeps the first of them sent, for errors.
bool read_estimator_field(std::string_view k, value v, analytics::CovarianceOptions& opt, std::string& first) {
  if (k != "estimator" && k != "ewma_lambda" && k != "ewma_seed_rows") return false;
  if (first.empty()) first = k;
  if (k == "estimator") opt.estimator = analytics::parse_covariance_estimator(net::read_string(v, "estimator"));
  else if (k == "ewma_lambda") opt.lambda = net::read_number(v, "ewma_lambda");
  else opt.seed_rows = std::size_t(net::read_int(v, "ewma_seed_rows", 2, INT32_MAX));
  return true;
}

// Exactly one of 'returns' and 'covariance' (`covariance_serves`: what a covariance alone is enough
// for). A given covariance is checked (symmetric PSD), and no estimator field may come with it.
void require_returns_or_covariance(const std::optional<Matrix>& returns, const std::optional<Matrix>& covariance,
                                   std::string_view covariance_serves, const std::string& estimator_field) {
  if (returns && covariance) fail(ErrorCode::invalid_argument, "covariance", "send 'returns' or 'covariance', not both");
  if (!returns && !covariance)
    fail(ErrorCode::invalid_argument, "returns", "'returns' (T×N) is required, or 'covariance' (N×N) for {}", covariance_serves);
  if (!covariance) return;
  if (!estimator_field.empty())
    fail(ErrorCode::invalid_argument, estimator_field, "'{}' says how to estimate Σ from 'returns'; 'covariance' is Σ itself",
         estimator_field);
  analytics::check_covariance(*covariance);
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

net::Response calculate_var_route(const net::Request& req, const ScenarioStore& store) {
  Stopwatch sw;
  net::Body body(req);
  Book book;
  auto& [returns, weights, symbols] = book;
  std::map<std::string, double> positions, prices;
  std::optional<double> portfolio_value;
  std::optional<Matrix> covariance;  // instead of returns: the parametric methods from given moments
  std::vector<double> expected_returns;
  bool methods_given = false;
  std::string estimator_field;  // the first of estimator / ewma_lambda / ewma_seed_rows sent
  VarOptions opt;
  opt.covariance.field_prefix = "ewma_";
  std::shared_ptr<const ScenarioSet> set;  // instead of returns: a stored history
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (read_book_field(k, v, book)) continue;
    if (k == "covariance") covariance = net::read_matrix(v, "covariance");
    else if (k == "scenario_set") set = store.get(net::read_string(v, "scenario_set"), "scenario_set");
    else if (k == "expected_returns") expected_returns = net::read_vector(v, "expected_returns");
    else if (k == "positions") positions = read_number_map(v, "positions");
    else if (k == "prices") prices = read_number_map(v, "prices");
    else if (k == "confidence_levels") opt.confidence_levels = net::read_vector(v, "confidence_levels");
    else if (k == "methods") {
      methods_given = true;
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
    else if (k == "trade") opt.trade = net::read_vector(v, "trade");
    else if (read_estimator_field(k, v, opt.covariance, estimator_field)) continue;
    else if (k == "age_weighting") opt.age_weighting_lambda = net::read_number(v, "age_weighting");
    else if (k == "filtered") opt.filtered_lambda = net::read_number(v, "filtered");
    else if (k == "mc_distribution") {
      std::string d = net::read_string(v, "mc_distribution");
      if (d != "normal" && d != "student_t")
        fail(ErrorCode::invalid_argument, "mc_distribution", "'mc_distribution' must be \"normal\" or \"student_t\", got \"{}\"", d);
      opt.mc_student_t = d == "student_t";
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /calculate-var", k);
  }
  if (set) {
    if (returns || covariance)
      fail(ErrorCode::invalid_argument, "scenario_set", "send one of 'returns', 'covariance' and 'scenario_set'");
    if (!symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "a scenario set's symbols are those it was stored with");
    symbols = set->symbols;
  } else {
    require_returns_or_covariance(returns, covariance, "the parametric methods", estimator_field);
  }
  const MatrixView history = set ? set->returns.view() : returns ? returns->view() : MatrixView{};
  if (history.data && !expected_returns.empty())
    fail(ErrorCode::invalid_argument, "expected_returns", "'expected_returns' goes with 'covariance'; with 'returns' the means are estimated");
  if (covariance && !methods_given) opt.methods = {VarMethod::gaussian};
  const std::size_t assets = history.data ? history.cols : covariance->cols();
  if (!positions.empty()) {
    if (!weights.empty()) fail(ErrorCode::invalid_argument, "weights", "send 'weights' or 'positions', not both");
    if (symbols.size() != assets)
      fail(ErrorCode::dimension_mismatch, "symbols", "with 'positions', 'symbols' must name the {} assets of '{}'", assets,
           set ? "scenario_set" : returns ? "returns" : "covariance");
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
  const bool uses_sigma = std::any_of(opt.methods.begin(), opt.methods.end(), [](VarMethod m) { return m != VarMethod::historical; });
  if (history.data && uses_sigma) w.field("estimator", analytics::estimator_name(opt.covariance.estimator));
  if (set) w.field("scenario_set", set->name);
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

net::Response stress_test_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  Book book;
  auto& [returns, weights, symbols] = book;
  std::vector<std::string> dates;
  double value_ = 1.0;
  struct RawRange {
    std::string name, start, end;
    std::optional<std::int64_t> start_row, end_row;
  };
  std::vector<RawRange> ranges;
  std::optional<std::pair<std::int64_t, std::int64_t>> worst;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, double>>>> raw_shocks;
  std::optional<Matrix> covariance;  // for the shocks, instead of estimating it from returns
  analytics::CovarianceOptions cov_opt;
  cov_opt.field_prefix = "ewma_";
  std::string estimator_field;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (read_book_field(k, v, book) || read_estimator_field(k, v, cov_opt, estimator_field)) continue;
    if (k == "covariance") covariance = net::read_matrix(v, "covariance");
    else if (k == "dates") dates = net::read_strings(v, "dates");
    else if (k == "portfolio_value") value_ = net::read_number(v, "portfolio_value");
    else if (k == "scenarios") {
      for (auto e : net::read_array(v, "scenarios")) {
        RawRange r;
        for (auto f : net::read_object(e.value(), "scenarios")) {
          std::string_view fk = f.unescaped_key();
          if (fk == "name") r.name = net::read_string(f.value(), "scenarios.name");
          else if (fk == "start") r.start = net::read_string(f.value(), "scenarios.start");
          else if (fk == "end") r.end = net::read_string(f.value(), "scenarios.end");
          else if (fk == "start_row") r.start_row = net::read_int(f.value(), "scenarios.start_row", 0, INT32_MAX);
          else if (fk == "end_row") r.end_row = net::read_int(f.value(), "scenarios.end_row", 0, INT32_MAX);
          else fail(ErrorCode::invalid_argument, "scenarios." + std::string(fk), "unknown scenario field '{}'", fk);
        }
        ranges.push_back(r);
      }
    } else if (k == "worst_windows") {
      std::int64_t count = 3, length = 5;
      for (auto f : net::read_object(v, "worst_windows")) {
        std::string_view fk = f.unescaped_key();
        if (fk == "count") count = net::read_int(f.value(), "worst_windows.count", 1, 1000);
        else if (fk == "length") length = net::read_int(f.value(), "worst_windows.length", 1, INT32_MAX);
        else fail(ErrorCode::invalid_argument, "worst_windows." + std::string(fk), "unknown field '{}'", fk);
      }
      worst = {count, length};
    } else if (k == "shocks") {
      for (auto e : net::read_array(v, "shocks")) {
        std::string name = "shock";
        std::vector<std::pair<std::string, double>> moves;
        for (auto f : net::read_object(e.value(), "shocks")) {
          std::string_view fk = f.unescaped_key();
          if (fk == "name") name = net::read_string(f.value(), "shocks.name");
          else if (fk == "shocks")
            for (auto m : net::read_object(f.value(), "shocks.shocks")) {
              std::string asset(std::string_view(m.unescaped_key()));
              moves.emplace_back(asset, net::read_number(m.value(), "shocks." + asset));
            }
          else fail(ErrorCode::invalid_argument, "shocks." + std::string(fk), "unknown field '{}'", fk);
        }
        raw_shocks.emplace_back(name, moves);
      }
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /stress-test", k);
  }
  require_returns_or_covariance(returns, covariance, "shocks alone", estimator_field);
  if (covariance) {
    if (!ranges.empty()) fail(ErrorCode::invalid_argument, "scenarios", "historical scenarios need 'returns'");
    if (worst) fail(ErrorCode::invalid_argument, "worst_windows", "the worst windows need 'returns'");
    if (!dates.empty()) fail(ErrorCode::invalid_argument, "dates", "'dates' label the rows of 'returns'");
  }
  const std::size_t n = returns ? returns->cols() : covariance->cols();
  if (weights.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries for {} assets", weights.size(), n);
  if (returns && !dates.empty() && dates.size() != returns->rows())
    fail(ErrorCode::dimension_mismatch, "dates", "'dates' has {} entries, 'returns' has {} rows", dates.size(), returns->rows());
  // Each scenario is N P&L values and N asset returns out of a few bytes in: refuse what the memory
  // pool cannot hold before computing any of it.
  const double scenario_count = double(ranges.size() + raw_shocks.size()) + (worst ? double(worst->first) : 0.0);
  accel::require_memory_pool(2.0 * 32.0 * scenario_count * double(n), "scenarios", "the scenario results");
  std::unordered_map<std::string_view, std::size_t> date_row;  // the first row of each date, as a scan finds it
  for (std::size_t r = dates.size(); r-- > 0;) date_row[dates[r]] = r;
  auto row_of = [&](const std::string& d, const std::string& field) {
    auto it = date_row.find(d);
    if (it == date_row.end()) fail(ErrorCode::invalid_argument, field, "date '{}' is not in 'dates'", d);
    return it->second;
  };
  std::vector<RangeScenario> rs;
  for (const auto& r : ranges) {
    RangeScenario s{r.name, 0, 0};
    if (r.start_row && r.end_row) s.start_row = std::size_t(*r.start_row), s.end_row = std::size_t(*r.end_row);
    else if (!r.start.empty() && !r.end.empty()) s.start_row = row_of(r.start, "scenarios.start"), s.end_row = row_of(r.end, "scenarios.end");
    else fail(ErrorCode::invalid_argument, "scenarios", "scenario '{}' needs start/end dates (with 'dates') or start_row/end_row", r.name);
    rs.push_back(s);
  }
  std::vector<ShockScenario> ss;
  for (const auto& [name, moves] : raw_shocks) {
    ShockScenario s{name, {}};
    for (const auto& [asset, move] : moves) {
      auto it = std::find(symbols.begin(), symbols.end(), asset);
      std::size_t idx;
      if (it != symbols.end()) idx = std::size_t(it - symbols.begin());
      else {
        char* end = nullptr;
        long v = std::strtol(asset.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || std::size_t(v) >= n)
          fail(ErrorCode::invalid_argument, "shocks." + asset, "'{}' is neither a symbol nor a column index below {}", asset, n);
        idx = std::size_t(v);
      }
      s.shocks.emplace_back(idx, move);
    }
    ss.push_back(s);
  }
  const std::function<void()> checkpoint = [&req] { req.check_deadline(); };
  std::vector<ScenarioResult> results;
  if (returns) results = historical_ranges(*returns, weights, value_, rs, checkpoint);
  if (worst) {
    auto wr = worst_windows(*returns, weights, value_, std::size_t(worst->first), std::size_t(worst->second));
    results.insert(results.end(), wr.begin(), wr.end());
  }
  if (!ss.empty()) {
    const Matrix sigma = covariance ? std::move(*covariance) : analytics::estimate_covariance(*returns, cov_opt).covariance;
    auto hr = hypothetical_shocks(sigma, weights, value_, ss, checkpoint);
    results.insert(results.end(), hr.begin(), hr.end());
  }
  JsonWriter w(1024);
  w.begin_object();
  if (returns && !ss.empty()) w.field("estimator", analytics::estimator_name(cov_opt.estimator));
  w.key("scenarios").begin_array();
  for (const auto& r : results) {
    w.begin_object().field("name", std::string_view(r.name)).field("total_pnl", r.total);
    w.key("pnl").array(r.pnl).key("asset_returns").array(r.asset_returns);
    if (r.end_row > 0 || r.start_row > 0) w.field("start_row", std::uint64_t(r.start_row)).field("end_row", std::uint64_t(r.end_row));
    w.end_object();
  }
  w.end_array().field("portfolio_value", value_);
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

// Order-rate windows per account: the one piece of pre-trade state kept between requests.
struct RateWindows {
  std::mutex mu;
  std::unordered_map<std::string, std::deque<std::int64_t>> recent;
};
RateWindows& rate_windows() {
  static RateWindows w;
  return w;
}

net::Response pretrade_route(const net::Request& req) {
  Stopwatch sw;
  net::Body body(req);
  std::vector<std::string> symbols;
  std::map<std::string, double> positions, prices;
  std::optional<Matrix> cov, returns;
  PretradeLimits limits;
  TradingState state = TradingState::active;
  std::string account = "default", instrument, side, type = "new";
  double quantity = 0, price = 0;
  bool have_order = false;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "symbols") symbols = net::read_strings(v, "symbols");
    else if (k == "positions") positions = read_number_map(v, "positions");
    else if (k == "prices") prices = read_number_map(v, "prices");
    else if (k == "covariance") cov = net::read_matrix(v, "covariance");
    else if (k == "returns") returns = net::read_matrix(v, "returns");
    else if (k == "trading_state") state = parse_trading_state(net::read_string(v, "trading_state"));
    else if (k == "account") account = net::read_string(v, "account");
    else if (k == "limits") {
      for (auto f : net::read_object(v, "limits")) {
        std::string_view fk = f.unescaped_key();
        std::string field = "limits." + std::string(fk);
        if (fk == "max_order_notional") limits.max_order_notional = net::read_number(f.value(), field);
        else if (fk == "max_position") limits.max_position = net::read_number(f.value(), field);
        else if (fk == "max_gross_exposure") limits.max_gross_exposure = net::read_number(f.value(), field);
        else if (fk == "max_net_exposure") limits.max_net_exposure = net::read_number(f.value(), field);
        else if (fk == "max_var") limits.max_var = net::read_number(f.value(), field);
        else if (fk == "max_orders_per_second") limits.max_orders_per_second = std::uint32_t(net::read_int(f.value(), field, 1, 1'000'000'000));
        else if (fk == "var_confidence") limits.var_confidence = net::read_number(f.value(), field);
        else fail(ErrorCode::invalid_argument, field, "unknown limit '{}'", fk);
      }
    } else if (k == "order") {
      have_order = true;
      for (auto f : net::read_object(v, "order")) {
        std::string_view fk = f.unescaped_key();
        std::string field = "order." + std::string(fk);
        if (fk == "instrument") instrument = net::read_string(f.value(), field);
        else if (fk == "side") side = net::read_string(f.value(), field);
        else if (fk == "quantity") quantity = net::read_number(f.value(), field);
        else if (fk == "price") price = net::read_number(f.value(), field);
        else if (fk == "type") type = net::read_string(f.value(), field);
        else fail(ErrorCode::invalid_argument, field, "unknown order field '{}'", fk);
      }
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /pretrade-check", k);
  }
  if (!have_order) fail(ErrorCode::invalid_argument, "order", "'order' is required");
  if (symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "'symbols' (the portfolio's instruments) is required");
  auto it = std::find(symbols.begin(), symbols.end(), instrument);
  if (it == symbols.end()) fail(ErrorCode::invalid_argument, "order.instrument", "'{}' is not among 'symbols'", instrument);
  if (side != "buy" && side != "sell") fail(ErrorCode::invalid_argument, "order.side", "'side' must be \"buy\" or \"sell\"");
  if (type != "new" && type != "cancel") fail(ErrorCode::invalid_argument, "order.type", "'type' must be \"new\" or \"cancel\"");
  if (!(quantity > 0)) fail(ErrorCode::invalid_argument, "order.quantity", "'quantity' must be positive");
  if (!(price > 0)) fail(ErrorCode::invalid_argument, "order.price", "'price' must be positive");
  const std::size_t n = symbols.size();
  std::vector<double> pos(n, 0.0), px(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    pos[i] = positions.count(symbols[i]) ? positions[symbols[i]] : 0.0;
    if (!prices.count(symbols[i])) fail(ErrorCode::invalid_argument, "prices." + symbols[i], "no price for '{}'", symbols[i]);
    px[i] = prices[symbols[i]];
  }
  Matrix sigma;
  if (cov) {
    analytics::check_covariance(*cov);  // a non-PSD Σ could make eᵀΣe negative, and VaR limits pass
    sigma = std::move(*cov);
  } else if (returns) sigma = accel::covariance(*returns);
  else if (limits.max_var) fail(ErrorCode::invalid_argument, "covariance", "'max_var' needs 'covariance' or 'returns'");
  else sigma = Matrix(n, n);
  // The rate limit is checked against the account's window; the rest by a checker built for this request.
  auto rate = limits.max_orders_per_second;
  limits.max_orders_per_second.reset();
  PretradeChecker checker(std::move(sigma), pos, px, limits);
  checker.set_state(state);
  Order o{std::size_t(it - symbols.begin()), side == "buy" ? quantity : -quantity, price, type == "cancel"};
  auto d = checker.check(o, 0);
  if (d.accepted && !o.cancel && rate) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch()).count();
    auto& w = rate_windows();
    std::lock_guard lock(w.mu);
    auto& q = w.recent[account];
    while (!q.empty() && q.front() <= now - 1'000'000'000) q.pop_front();
    if (q.size() >= *rate) d.accepted = false, d.reason = "ORDER_RATE";
    else q.push_back(now);
  }
  JsonWriter w(256);
  w.begin_object().field("decision", d.accepted ? "accept" : "reject").field("reason", std::string_view(d.reason));
  w.field("var_before", checker.var()).field("var_after", d.var_after);
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

net::Response calculate_margin_route(const net::Request& req, bus::Bus* bus) {
  Stopwatch sw;
  net::Body body(req);
  MarginInput in;
  bool have_positions = false;
  std::optional<ScenarioMarginInput> scen;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    value v = kv.value();
    if (k == "positions") in.positions = read_number_map(v, "positions"), have_positions = true;
    else if (k == "prices") in.prices = read_number_map(v, "prices");
    else if (k == "margin_rates") in.margin_rates = read_number_map(v, "margin_rates");
    else if (k == "default_margin_rate") in.default_margin_rate = net::read_number(v, "default_margin_rate");
    else if (k == "maintenance_ratio") in.maintenance_ratio = net::read_number(v, "maintenance_ratio");
    else if (k == "cash") in.cash = net::read_number(v, "cash");
    else if (k == "portfolio_margin") {
      scen.emplace();
      for (auto f : net::read_object(v, "portfolio_margin")) {
        std::string_view fk = f.unescaped_key();
        std::string field = "portfolio_margin." + std::string(fk);
        if (fk == "instruments") scen->instruments = net::read_strings(f.value(), field);
        else if (fk == "price_scan_ranges") scen->price_scan_ranges = read_number_map(f.value(), field);
        else if (fk == "vol_scan_ranges") scen->vol_scan_ranges = read_number_map(f.value(), field);
        else if (fk == "vegas") scen->vegas = read_number_map(f.value(), field);
        else if (fk == "default_price_scan") scen->default_price_scan = net::read_number(f.value(), field);
        else if (fk == "correlation") {
          Matrix c = net::read_matrix(f.value(), field);
          for (std::size_t i = 0; i < c.rows(); ++i) scen->correlation.emplace_back(c.row(i), c.row(i) + c.cols());
        } else fail(ErrorCode::invalid_argument, field, "unknown portfolio_margin field '{}'", fk);
      }
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /calculate-margin", k);
  }
  if (!have_positions) fail(ErrorCode::invalid_argument, "positions", "'positions' is required");
  auto r = calculate_margin(in);
  std::optional<ScenarioMarginResult> sm;
  if (scen) {
    scen->positions = in.positions, scen->prices = in.prices;
    sm = scenario_margin(*scen);
  }
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
  bool published = false;
  if (bus && (r.risk_level == "HIGH" || r.risk_level == "CRITICAL")) {  // DESIGN §5: risk_alert on risk.alerts
    JsonWriter p(256);
    p.begin_object().field("kind", "margin").field("risk_level", std::string_view(r.risk_level));
    p.field("margin_utilization", r.margin_utilization).field("equity", r.equity);
    p.field("maintenance_margin", r.maintenance_margin).field("excess_margin", r.excess_margin).end_object();
    bus->publish({.type = bus::MessageType::risk_alert, .topic = "risk.alerts", .source = "risk", .priority = 3, .payload = p.take()});
    published = true;
  }
  w.field("alert_published", published);
  net::write_stamp(w, sw.elapsed_ms());
  return net::Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table, std::shared_ptr<bus::Bus> bus) {
  auto store = std::make_shared<ScenarioStore>();
  table.add("POST", "/calculate-var", [store](const net::Request& req) { return calculate_var_route(req, *store); });
  add_scenario_set_routes(table, store);
  table.add("POST", "/calculate-margin", [bus](const net::Request& req) { return calculate_margin_route(req, bus.get()); });
  table.add("POST", "/backtest-var", backtest_var_route);
  table.add("POST", "/stress-test", stress_test_route);
  table.add("POST", "/pretrade-check", pretrade_route);
}

}  // namespace sextant::risk
