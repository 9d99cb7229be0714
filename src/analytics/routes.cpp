// Analytics engine HTTP adapter: /correlation, /covariance, /factor-loading, /indicators, /rolling,
// /performance, /analytics. Each handler reads its request, calls the library and writes the answer.
#include <cmath>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/correlation.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/analytics/indicators.hpp"
#include "sextant/analytics/live.hpp"
#include "sextant/analytics/pca.hpp"
#include "sextant/analytics/performance.hpp"
#include "sextant/analytics/returns.hpp"
#include "sextant/analytics/rolling.hpp"
#include "sextant/core/error.hpp"
#include "sextant/bus/codec.hpp"
#include "sextant/service/engine.hpp"
#include "sextant/service/fields.hpp"
#include "sextant/service/route.hpp"
#include "sextant/service/store.hpp"
#include "analytics/performance_json.hpp"

namespace sextant::analytics {
namespace {

using net::JsonWriter;
using net::Request;
using service::Fields;
using service::IntRange;
using service::Reply;

constexpr auto kMissingNames = enum_names<Missing>({{Missing::reject, "reject"}, {Missing::pairwise, "pairwise"}});

// The return panel every matrix endpoint takes: "returns" directly (nulls are NaN, refused below unless
// "missing":"pairwise"), or "prices" made into returns.
struct PanelFields {
  std::optional<Matrix> returns, prices;
  ReturnsType returns_type = ReturnsType::log;
  net::MatrixFormat matrix_format = net::MatrixFormat::rows;
  std::vector<std::string> symbols;      // with bars: the closes come from the market data store
  std::optional<std::int64_t> bars;
  const data::BarStore* store = nullptr;
};

void declare_panel(Fields& in, PanelFields& p) {
  in.opt("returns", p.returns, net::Nulls::as_nan).opt("prices", p.prices);
  in.opt("returns_type", p.returns_type, parse_returns_type).opt("matrix_format", p.matrix_format, net::parse_matrix_format);
  if (p.store) in.opt("symbols", p.symbols).opt("bars", p.bars, IntRange{2, service::kMaxStoreBars});
}

Matrix panel(PanelFields& f, bool allow_missing) {
  if (f.bars || !f.symbols.empty()) {  // {"symbols","bars"}: the store's closes stand for "prices"
    if (!f.bars) fail(ErrorCode::invalid_argument, "bars", "'symbols' reads the market data store: say how many 'bars'");
    if (f.returns || f.prices) fail(ErrorCode::invalid_argument, "symbols", "send data ('returns' or 'prices') or 'symbols' with 'bars', not both");
    f.prices = service::store_closes(*f.store, f.symbols, *f.bars);
  }
  if (f.returns && f.prices) fail(ErrorCode::invalid_argument, "returns", "send either 'returns' or 'prices', not both");
  if (!f.returns && !f.prices) fail(ErrorCode::invalid_argument, "returns", "'returns' (or 'prices', or 'symbols' with 'bars') is required");
  const char* field = f.returns ? "returns" : "prices";
  Matrix r = f.returns ? std::move(*f.returns) : returns_from_prices(*f.prices, f.returns_type);
  if (r.rows() < 2 || r.cols() == 0)
    fail(ErrorCode::dimension_mismatch, field, "'{}' needs at least 2 return rows and 1 column, got {}×{}", field, r.rows(), r.cols());
  for (std::size_t i = 0; i < r.rows(); ++i)
    for (std::size_t j = 0; j < r.cols(); ++j)
      if (!std::isfinite(r(i, j)) && !(allow_missing && std::isnan(r(i, j))))
        fail(ErrorCode::non_finite, field,
             "'{}' has a missing or non-finite value at row {}, column {} (send \"missing\":\"pairwise\" to allow "
             "missing values)",
             field, i, j);
  return r;
}

void write_summary(JsonWriter& w, const CorrelationSummary& s) {
  w.key("eigenvalues").array(s.eigenvalues).key("condition_number");
  if (s.condition_number) w.value(*s.condition_number);
  else w.null();
  w.field("average_correlation", s.average_correlation);
}

// Columns whose correlations are undefined (a constant column, or too few pairwise observations): their
// entries are null, and so are the eigenvalues and the condition number of the matrix.
void warn_undefined_correlations(const Matrix& c, Reply& out) {
  // A column whose every correlation is undefined is constant (or shares no observations with the
  // others); where none is, the columns holding an undefined pair are named.
  std::vector<std::size_t> every, some;
  for (std::size_t i = 0; i < c.rows(); ++i) {
    std::size_t undefined = 0;
    for (std::size_t j = 0; j < c.cols(); ++j) undefined += j != i && std::isnan(c(i, j));
    if (undefined > 0) some.push_back(i);
    if (undefined > 0 && undefined == c.cols() - 1) every.push_back(i);
  }
  if (some.empty()) return;
  const bool constant = !every.empty();
  out.warnings.push_back({"undefined_correlations",
                          constant ? "these columns have zero variance (constant), or no observations in common with the "
                                     "others: their correlations are null, and so are the eigenvalues, the condition "
                                     "number and the average"
                                   : "these columns have too few observations in common with another column: those "
                                     "correlations are null, and so are the eigenvalues, the condition number and the average",
                          constant ? std::move(every) : std::move(some),
                          {"correlation_matrix", "eigenvalues", "condition_number", "average_correlation"}});
}

void correlation_route(const Request& req, Reply& out, std::uint64_t response_limit, const data::BarStore* store) {
  PanelFields p;
  p.store = store;
  std::string method = "pearson", precision_name = "fp64";
  Missing missing = Missing::reject;
  std::optional<std::int64_t> window;
  std::int64_t step = 1;
  Fields in;
  declare_panel(in, p);
  in.opt("method", method).opt("precision", precision_name).opt("missing", missing, kMissingNames);
  in.opt("window", window, IntRange{2, 1ll << 31}).opt("step", step, IntRange{1, 1ll << 31});
  in.read(req, req.path);
  const Precision precision = parse_precision(precision_name);
  const auto m = parse_correlation_method(method);
  Matrix x = panel(p, missing == Missing::pairwise);
  if (window && std::size_t(*window) > x.rows())
    fail(ErrorCode::invalid_argument, "window", "'window' ({}) is longer than the {} return rows", *window, x.rows());
  if (window)
    service::require_response_size(double(rolling_windows(x.rows(), std::size_t(*window), std::size_t(step))) * double(x.cols()) *
                              double(x.cols()),
                          p.matrix_format, response_limit, "window", "the rolling correlation matrices");
  Matrix c = correlation(x, m, missing, precision, [&req] { req.check_deadline(); });
  auto summary = summarize(c);
  req.check_deadline();
  JsonWriter& w = out.json;
  w.set_matrix_format(p.matrix_format);
  w.reserve(256 + c.size() * 22);
  w.key("correlation_matrix").matrix(c);
  write_summary(w, summary);
  if (window) {
    if (missing == Missing::pairwise)
      fail(ErrorCode::invalid_argument, "window", "rolling correlation needs complete data ('missing' \"reject\")");
    auto rolling = rolling_correlation(x, std::size_t(*window), std::size_t(step), m, [&req] { req.check_deadline(); });
    w.key("rolling").begin_array();
    for (std::size_t i = 0; i < rolling.end_rows.size(); ++i) {
      w.begin_object().field("end_row", std::uint64_t(rolling.end_rows[i]));
      w.key("correlation_matrix").matrix(rolling.matrices[i]).end_object();
    }
    w.end_array();
  }
  w.field("method", method).field("precision", precision_name);
  if (precision == Precision::fp32) {
    auto d = fp32_deviation(x, c, m, false);
    w.field("fp32_max_abs_deviation", d.max_abs_deviation).field("fp32_deviation_sample_columns", std::uint64_t(d.sample_columns));
  }
  w.field("n_assets", std::uint64_t(c.rows())).field("n_observations", std::uint64_t(x.rows()));
  warn_undefined_correlations(c, out);
}

void covariance_route(const Request& req, Reply& out, const data::BarStore* store) {
  PanelFields p;
  p.store = store;
  CovarianceOptions opt;
  std::string precision_name = "fp64";
  std::optional<double> benchmark;
  Fields in;
  declare_panel(in, p);
  in.opt("estimator", opt.estimator, parse_covariance_estimator).opt("precision", precision_name).opt("benchmark", benchmark);
  in.opt("ewma_lambda", opt.lambda).opt("ewma_seed_rows", opt.seed_rows, IntRange{2, 1ll << 31});
  in.alias("lambda", "ewma_lambda").alias("seed_rows", "ewma_seed_rows");  // the names of OpenAPI 1.0
  in.read(req, req.path);
  if (benchmark) opt.benchmark = *benchmark;
  const Precision precision = parse_precision(precision_name);
  Matrix x = panel(p, false);
  if (precision == Precision::fp32 && opt.estimator != CovarianceEstimator::sample)
    fail(ErrorCode::invalid_argument, "precision", "\"fp32\" applies to the sample estimator only");
  auto r = precision == Precision::fp32 ? CovarianceResult{accel::covariance_fp32(x), std::nullopt} : estimate_covariance(x, opt);
  JsonWriter& w = out.json;
  w.set_matrix_format(p.matrix_format);
  w.reserve(128 + r.covariance.size() * 22);
  w.key("covariance_matrix").matrix(r.covariance);
  if (precision == Precision::fp32) {
    auto d = fp32_deviation(x, r.covariance, CorrelationMethod::pearson, true);
    w.field("fp32_max_abs_deviation", d.max_abs_deviation).field("fp32_deviation_sample_columns", std::uint64_t(d.sample_columns));
  }
  w.field("estimator", estimator_name(opt.estimator));
  if (r.shrinkage) w.field("shrinkage", *r.shrinkage);
  if (opt.estimator == CovarianceEstimator::ewma)
    w.field("ewma_lambda", opt.lambda).field("ewma_seed_rows", std::uint64_t(effective_seed_rows(opt, x.rows())));
  w.field("n_assets", std::uint64_t(r.covariance.rows())).field("n_observations", std::uint64_t(x.rows()));
}

void factor_loading_route(const Request& req, Reply& out) {
  PanelFields p;
  PcaOptions opt;
  std::string method = "pca";
  Fields in;
  declare_panel(in, p);
  in.opt("n_factors", opt.n_factors, IntRange{1, 1ll << 31}).opt("method", method).opt("factor_returns", opt.factor_returns);
  in.read(req, req.path);
  if (method != "pca" && method != "pca_correlation")
    fail(ErrorCode::invalid_argument, "method", "'method' must be \"pca\" or \"pca_correlation\", got \"{}\"", method);
  opt.use_correlation = method == "pca_correlation";
  Matrix x = panel(p, false);
  if (opt.n_factors > x.cols())
    fail(ErrorCode::invalid_argument, "n_factors", "'n_factors' ({}) exceeds the number of assets ({})", opt.n_factors, x.cols());
  auto r = pca(x, opt);
  JsonWriter& w = out.json;
  w.set_matrix_format(p.matrix_format);
  w.reserve(256 + r.loadings.size() * 22);
  w.key("loadings").matrix(r.loadings);
  w.key("eigenvalues").array(r.eigenvalues);
  w.key("explained_variance_ratio").array(r.explained_variance_ratio);
  w.key("cumulative_variance_ratio").array(r.cumulative_variance_ratio);
  if (r.factor_returns) w.key("factor_returns").matrix(*r.factor_returns);
  w.field("method", method).field("n_assets", std::uint64_t(x.cols())).field("n_observations", std::uint64_t(x.rows()));
}

void rolling_route(const Request& req, Reply& out) {
  std::optional<Matrix> data;
  RollingOptions opt;
  std::string stat = "mean";
  net::MatrixFormat format = net::MatrixFormat::rows;
  auto panel_field = [&data](net::od::value v, const std::string& field) {
    if (data) fail(ErrorCode::invalid_argument, field, "send one panel: 'data', 'returns' or 'prices'");
    data = net::read_matrix(v, field, net::Nulls::as_nan);
  };
  Fields in;
  in.add("data", panel_field).add("returns", panel_field).add("prices", panel_field);
  in.opt("statistic", stat).opt("window", opt.window, IntRange{1, 1ll << 31}).opt("min_periods", opt.min_periods, IntRange{1, 1ll << 31});
  in.opt("q", opt.q).opt("matrix_format", format, net::parse_matrix_format);
  in.read(req, "/rolling");
  if (!data) fail(ErrorCode::invalid_argument, "data", "'data' (a T×N panel) is required");
  if (data->empty()) fail(ErrorCode::dimension_mismatch, "data", "'data' is empty");
  opt.stat = parse_rolling_stat(stat);
  opt.checkpoint = [&req] { req.check_deadline(); };
  Matrix values = rolling(*data, opt);
  JsonWriter& w = out.json;
  w.set_matrix_format(format);
  w.reserve(64 + values.size() * 22);
  w.field("statistic", stat).field("window", std::uint64_t(opt.window));
  w.field("min_periods", std::uint64_t(opt.min_periods.value_or(opt.window)));
  w.key("values").matrix(values);
}

void performance_route(const Request& req, Reply& out) {
  std::vector<double> r, b;
  ReturnsType type = ReturnsType::simple;
  PerformanceOptions opt;
  Fields in;
  in.req("returns", r).opt("benchmark", b).opt("returns_type", type, parse_returns_type);
  declare_performance_options(in, opt);
  in.read(req, "/performance");
  if (type == ReturnsType::log) {
    for (double& x : r) x = std::expm1(x);
    for (double& x : b) x = std::expm1(x);
  }
  auto s = performance(r, b, opt);
  out.json.key("statistics");
  write_performance(out.json, s);
  warn_undefined_statistics(s, out);
  out.json.field("periods_per_year", opt.periods_per_year).field("risk_free_rate", opt.risk_free_rate);
}

// The comprehensive report: correlation, PCA loadings, the portfolio's statistics, and the exact split
// of the portfolio's return into factor contributions plus the residual (pca_attribution).
void analytics_route(const Request& req, Reply& out) {
  PanelFields p;
  std::vector<double> weights;
  std::size_t k = 3;
  PerformanceOptions popt;
  Fields in;
  in.req("returns", p.returns).opt("weights", weights).opt("n_factors", k, IntRange{1, 1ll << 31});
  in.opt("matrix_format", p.matrix_format, net::parse_matrix_format);
  declare_performance_options(in, popt);
  in.read(req, "/analytics");
  Matrix r = panel(p, false);
  const std::size_t n = r.cols();
  if (weights.empty()) weights.assign(n, 1.0 / double(n));
  if (weights.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, 'returns' has {} columns", weights.size(), n);
  if (k > n) fail(ErrorCode::invalid_argument, "n_factors", "'n_factors' ({}) exceeds the number of assets ({})", k, n);
  Matrix c = correlation(r, CorrelationMethod::pearson);
  auto summary = summarize(c);
  PcaOptions po;
  po.n_factors = k;
  auto pc = pca(r, po);
  auto attr = pca_attribution(r, weights, pc.loadings);
  auto stats = performance(attr.portfolio_returns, {}, popt);
  JsonWriter& w = out.json;
  w.set_matrix_format(p.matrix_format);
  w.reserve(4096 + c.size() * 22);
  w.key("correlation").begin_object().key("correlation_matrix").matrix(c);
  write_summary(w, summary);
  w.end_object();
  w.key("factor_loading").begin_object().key("loadings").matrix(pc.loadings).key("eigenvalues").array(pc.eigenvalues);
  w.key("explained_variance_ratio").array(pc.explained_variance_ratio);
  w.key("cumulative_variance_ratio").array(pc.cumulative_variance_ratio).end_object();
  w.key("portfolio").begin_object().key("weights").array(weights).key("statistics");
  write_performance(w, stats);
  w.end_object();
  w.key("attribution").begin_object().field("total_return_sum", attr.total).key("factors").begin_array();
  for (std::size_t j = 0; j < k; ++j)
    w.begin_object().field("factor", std::uint64_t(j + 1)).field("exposure", attr.exposures[j]).field("contribution", attr.contributions[j]).end_object();
  w.end_array().field("residual", attr.residual).end_object();
}

// /indicators: {"open":[],...,"indicators":[{"name","params","inputs"}],"last_only"} or
// "instruments":{"SYM":{"open":[],...}} in place of the top-level series.
void write_results(JsonWriter& w, const std::vector<IndicatorCall>& calls, const std::vector<ta::Result>& results, bool last_only) {
  w.begin_array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto& def = *calls[i].def;
    w.begin_object().field("name", def.name).key("params").begin_object();
    for (std::size_t p = 0; p < def.params.size(); ++p) {
      w.key(def.params[p].name);
      if (def.params[p].integer) w.value(std::int64_t(calls[i].params[p]));
      else w.value(calls[i].params[p]);
    }
    w.end_object().field("begIndex", std::int64_t(results[i].beg_index)).key("outputs").begin_object();
    for (std::size_t o = 0; o < def.outputs.size(); ++o) {
      w.key(def.outputs[o]);
      const auto& v = results[i].outputs[o];
      auto one = [&](double x) {
        if (!std::isfinite(x)) w.null();
        else if (def.integer_output) w.value(std::int64_t(x));
        else w.value(x);
      };
      if (last_only) {
        if (v.empty()) w.null();
        else one(v.back());
      } else {
        w.begin_array();
        for (double x : v) one(x);
        w.end_array();
      }
    }
    w.end_object().end_object();
  }
  w.end_array();
}

void declare_series(Fields& f, SeriesSet& s) {
  for (std::string_view name : {"open", "high", "low", "close", "volume"}) f.opt(name, s[std::string(name)]);
}

// The declared series that were sent, checked (one length, finite, not empty).
SeriesSet sent_series(SeriesSet s, const Fields& f, const std::string& prefix) {
  std::erase_if(s, [&](const auto& kv) { return !f.has(kv.first); });
  check_series(s, prefix);
  return s;
}

void indicators_route(const Request& req, Reply& out) {
  struct RawCall {
    std::string name;
    std::vector<std::pair<std::string, double>> params;
    std::vector<std::pair<std::string, std::string>> inputs;
  };
  SeriesSet top;
  std::vector<Instrument> instruments;
  std::vector<RawCall> raw;
  bool last_only = false;
  Fields in;
  declare_series(in, top);
  in.opt("last_only", last_only);
  in.add("instruments", [&](net::od::value v, const std::string& field) {
    for (auto inst : net::read_object(v, field)) {
      std::string symbol(std::string_view(inst.unescaped_key()));
      const std::string prefix = "instruments." + symbol;
      SeriesSet series;
      Fields f(prefix + ".");
      declare_series(f, series);
      f.read(net::read_object(inst.value(), prefix), prefix);
      instruments.push_back({symbol, sent_series(std::move(series), f, prefix)});
    }
  });
  in.objects("indicators", [&](Fields& f, std::size_t) {
    auto& c = raw.emplace_back();  // each element is read before the next is declared
    f.req("name", c.name);
    f.opt("params", c.params).opt("inputs", c.inputs);
  });
  in.read(req, "/indicators");
  const bool have_top = in.first_present({"open", "high", "low", "close", "volume"}).size() > 0;
  const bool have_instruments = in.has("instruments");
  if (raw.empty()) fail(ErrorCode::invalid_argument, "indicators", "'indicators' must list at least one indicator");
  if (have_top && have_instruments)
    fail(ErrorCode::invalid_argument, "instruments", "send either top-level series or 'instruments', not both");
  if (!have_top && !have_instruments)
    fail(ErrorCode::invalid_argument, "close", "no price series: send open/high/low/close/volume or 'instruments'");
  if (have_top) instruments.push_back({"", sent_series(std::move(top), in, "")});
  std::vector<IndicatorCall> calls;
  for (std::size_t i = 0; i < raw.size(); ++i)
    calls.push_back(bind_indicator(raw[i].name, raw[i].params, raw[i].inputs, "indicators[" + std::to_string(i) + "]"));
  // 8 bytes a value computed, ~24 more as JSON text unless last_only.
  auto results = compute_indicators(instruments, calls, last_only ? 8.0 : 32.0, [&req] { req.check_deadline(); });
  JsonWriter& w = out.json;
  if (have_instruments) {
    w.key("instruments").begin_object();
    for (std::size_t i = 0; i < instruments.size(); ++i) {
      w.key(instruments[i].symbol).begin_object().key("indicators");
      write_results(w, calls, results[i], last_only);
      w.end_object();
    }
    w.end_object();
  } else {
    w.key("indicators");
    write_results(w, calls, results[0], last_only);
  }
}

}  // namespace

void register_engine(service::EngineContext& ctx) {
  using service::json_route;
  auto& t = ctx.routes;
  const std::uint64_t response_limit = ctx.config.body_limit_mb << 20;
  const data::BarStore* bars = ctx.stores.bars.get();  // the store outlives the servers (SharedStores)
  t.add("POST", "/correlation",
        json_route([response_limit, bars](const Request& req, Reply& out) { correlation_route(req, out, response_limit, bars); }));
  t.add("POST", "/covariance", json_route([bars](const Request& req, Reply& out) { covariance_route(req, out, bars); }));
  t.add("POST", "/factor-loading", json_route(factor_loading_route));
  t.add("POST", "/indicators", json_route(indicators_route));
  t.add("POST", "/rolling", json_route(rolling_route));
  t.add("POST", "/performance", json_route(performance_route));
  t.add("POST", "/analytics", json_route(analytics_route));

  // Live: a correlation snapshot of the store's universe on analytics.results every few rows.
  auto publisher = std::make_shared<bus::BusPublisher>(ctx.bus, std::string(ctx.name));
  auto live = std::make_shared<LiveCorrelation>(LiveCorrelationConfig{}, *ctx.stores.bars, *publisher);
  ctx.bus->subscribe(std::string(bus::patterns::all_bars), [live, publisher, store = ctx.stores.bars](const bus::Envelope& e) {
    try {
      live->on_bar(std::get<bus::MarketBar>(bus::decode(e)));
    } catch (const Error&) {
      // a malformed bar is the store's to count; a window the store cannot give yet is skipped
    }
  });
  t.add("GET", "/analytics/live", json_route([live](const Request&, Reply& out) {
    const auto s = live->stats();
    out.json.field("bars", s.bars).field("rows", s.rows).field("snapshots", s.snapshots);
    out.json.field("instruments", std::uint64_t(s.instruments)).field("returns", std::uint64_t(s.returns));
  }, service::Stamp::no), net::Lane::io);
}

}  // namespace sextant::analytics
