// Analytics engine HTTP adapter: /correlation, /covariance, /factor-loading, /rolling, /performance,
// /analytics (and /indicators, in indicators_routes.cpp).
#include "sextant/analytics/routes.hpp"

#include <cmath>
#include <initializer_list>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/correlation.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/analytics/pca.hpp"
#include "sextant/analytics/performance.hpp"
#include "sextant/analytics/rolling.hpp"
#include "sextant/analytics/returns.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"

namespace sextant::analytics {

void write_performance(net::JsonWriter& w, const PerformanceStats& s) {
  w.begin_object();
  w.field("total_return", s.total_return).field("annualized_return", s.annualized_return);
  w.field("volatility", s.volatility).field("sharpe_ratio", s.sharpe).field("sortino_ratio", s.sortino);
  w.field("calmar_ratio", s.calmar).field("omega_ratio", s.omega).field("max_drawdown", s.max_drawdown);
  w.field("max_drawdown_duration", std::uint64_t(s.max_drawdown_duration)).field("tail_ratio", s.tail_ratio);
  w.field("var", s.var).field("cvar", s.cvar).field("skew", s.skew).field("kurtosis", s.kurtosis);
  w.field("win_rate", s.win_rate).field("profit_factor", s.profit_factor).field("best_period", s.best);
  w.field("worst_period", s.worst).field("periods", std::uint64_t(s.periods));
  auto opt = [&](std::string_view k, const std::optional<double>& v) {
    if (v) w.field(k, *v);
  };
  opt("alpha", s.alpha);
  opt("beta", s.beta);
  opt("information_ratio", s.information_ratio);
  opt("tracking_error", s.tracking_error);
  opt("treynor_ratio", s.treynor);
  opt("up_capture", s.up_capture);
  opt("down_capture", s.down_capture);
  w.end_object();
}

bool read_performance_option(std::string_view k, net::od::value v, PerformanceOptions& opt) {
  if (k == "periods_per_year") opt.periods_per_year = net::read_number(v, "periods_per_year");
  else if (k == "risk_free_rate") opt.risk_free_rate = net::read_number(v, "risk_free_rate");
  else if (k == "confidence") opt.confidence = net::read_number(v, "confidence");
  else return false;
  return true;
}

namespace {

using net::Body;
using net::JsonWriter;
using net::Request;
using net::Response;

// Every field an analytics request may carry; each endpoint lists the ones it accepts.
struct Fields {
  std::optional<Matrix> returns, prices;
  ReturnsType returns_type = ReturnsType::log;
  std::string method, estimator, precision = "fp64", missing = "reject";
  std::optional<std::int64_t> window, step, n_factors, seed_rows;
  std::optional<double> lambda, benchmark;
  bool factor_returns = false;
  net::MatrixFormat matrix_format = net::MatrixFormat::rows;
};

Fields read_fields(const Request& req, std::initializer_list<std::string_view> accepted) {
  Body body(req);
  Fields f;
  // Missing values are read as NaN; the panel check below rejects them unless "missing":"pairwise".
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    bool ok = k == "returns" || k == "prices" || k == "returns_type" || k == "matrix_format";
    for (auto a : accepted) ok = ok || a == k;
    if (!ok) fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for {}", k, req.path);
    net::od::value v = kv.value();
    if (k == "returns") f.returns = net::read_matrix(v, "returns", net::Nulls::as_nan);
    else if (k == "prices") f.prices = net::read_matrix(v, "prices");
    else if (k == "returns_type") f.returns_type = parse_returns_type(net::read_string(v, "returns_type"));
    else if (k == "method") f.method = net::read_string(v, "method");
    else if (k == "estimator") f.estimator = net::read_string(v, "estimator");
    else if (k == "precision") f.precision = net::read_string(v, "precision");
    else if (k == "missing") f.missing = net::read_string(v, "missing");
    else if (k == "window") f.window = net::read_int(v, "window", 2, 1ll << 31);
    else if (k == "step") f.step = net::read_int(v, "step", 1, 1ll << 31);
    else if (k == "n_factors") f.n_factors = net::read_int(v, "n_factors", 1, 1ll << 31);
    else if (k == "seed_rows") f.seed_rows = net::read_int(v, "seed_rows", 2, 1ll << 31);
    else if (k == "lambda") f.lambda = net::read_number(v, "lambda");
    else if (k == "benchmark") f.benchmark = net::read_number(v, "benchmark");
    else if (k == "factor_returns") f.factor_returns = net::read_bool(v, "factor_returns");
    else if (k == "matrix_format") f.matrix_format = net::parse_matrix_format(net::read_string(v, k), k);
  }
  parse_precision(f.precision);
  return f;
}

// The return panel: "returns" directly, or "prices" made into returns. NaN only with allow_missing.
Matrix panel(Fields& f, bool allow_missing) {
  if (f.returns && f.prices) fail(ErrorCode::invalid_argument, "returns", "send either 'returns' or 'prices', not both");
  if (!f.returns && !f.prices) fail(ErrorCode::invalid_argument, "returns", "'returns' (or 'prices') is required");
  const char* field = f.returns ? "returns" : "prices";
  Matrix r = f.returns ? std::move(*f.returns) : returns_from_prices(*f.prices, f.returns_type);
  if (r.rows() < 2 || r.cols() == 0)
    fail(ErrorCode::dimension_mismatch, field, "'{}' needs at least 2 return rows and 1 column, got {}×{}", field,
         r.rows(), r.cols());
  for (std::size_t i = 0; i < r.rows(); ++i)
    for (std::size_t j = 0; j < r.cols(); ++j)
      if (!std::isfinite(r(i, j)) && !(allow_missing && std::isnan(r(i, j))))
        fail(ErrorCode::non_finite, field,
             "'{}' has a missing or non-finite value at row {}, column {} (send \"missing\":\"pairwise\" to allow "
             "missing values)",
             field, i, j);
  return r;
}

Missing parse_missing(const std::string& s) {
  if (s == "reject") return Missing::reject;
  if (s == "pairwise") return Missing::pairwise;
  fail(ErrorCode::invalid_argument, "missing", "'missing' must be \"reject\" or \"pairwise\", got \"{}\"", s);
}

Response correlation_route(const Request& req) {
  Stopwatch sw;
  Fields f = read_fields(req, {"method", "precision", "missing", "window", "step"});
  auto method = parse_correlation_method(f.method.empty() ? "pearson" : f.method);
  auto missing = parse_missing(f.missing);
  Matrix x = panel(f, missing == Missing::pairwise);
  if (f.window && std::size_t(*f.window) > x.rows())
    fail(ErrorCode::invalid_argument, "window", "'window' ({}) is longer than the {} return rows", *f.window, x.rows());
  const Precision precision = parse_precision(f.precision);
  Matrix c = correlation(x, method, missing, precision, [&req] { req.check_deadline(); });
  auto summary = summarize(c);
  req.check_deadline();
  JsonWriter w(256 + c.size() * 22, f.matrix_format);
  w.begin_object().key("correlation_matrix").matrix(c);
  w.key("eigenvalues").array(summary.eigenvalues);
  w.key("condition_number");
  if (summary.condition_number) w.value(*summary.condition_number);
  else w.null();
  w.field("average_correlation", summary.average_correlation);
  if (f.window) {
    if (missing == Missing::pairwise)
      fail(ErrorCode::invalid_argument, "window", "rolling correlation needs complete data ('missing' \"reject\")");
    auto rolling = rolling_correlation(x, std::size_t(*f.window), std::size_t(f.step.value_or(1)), method);
    w.key("rolling").begin_array();
    for (std::size_t i = 0; i < rolling.end_rows.size(); ++i) {
      w.begin_object().field("end_row", std::uint64_t(rolling.end_rows[i]));
      w.key("correlation_matrix").matrix(rolling.matrices[i]).end_object();
    }
    w.end_array();
  }
  w.field("method", f.method.empty() ? "pearson" : f.method).field("precision", f.precision);
  if (precision == Precision::fp32) {
    auto d = fp32_deviation(x, c, method, false);
    w.field("fp32_max_abs_deviation", d.max_abs_deviation).field("fp32_deviation_sample_columns", std::uint64_t(d.sample_columns));
  }
  w.field("n_assets", std::uint64_t(c.rows())).field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

Response covariance_route(const Request& req) {
  Stopwatch sw;
  Fields f = read_fields(req, {"estimator", "lambda", "seed_rows", "benchmark", "precision"});
  CovarianceOptions opt;
  opt.estimator = parse_covariance_estimator(f.estimator.empty() ? "sample" : f.estimator);
  if (f.lambda) opt.lambda = *f.lambda;
  if (f.seed_rows) opt.seed_rows = std::size_t(*f.seed_rows);
  if (f.benchmark) opt.benchmark = *f.benchmark;
  Matrix x = panel(f, false);
  const Precision precision = parse_precision(f.precision);
  if (precision == Precision::fp32 && opt.estimator != CovarianceEstimator::sample)
    fail(ErrorCode::invalid_argument, "precision", "\"fp32\" applies to the sample estimator only");
  auto r = precision == Precision::fp32 ? CovarianceResult{accel::covariance_fp32(x), std::nullopt}
                                        : estimate_covariance(x, opt);
  JsonWriter w(128 + r.covariance.size() * 22, f.matrix_format);
  w.begin_object().key("covariance_matrix").matrix(r.covariance);
  if (precision == Precision::fp32) {
    auto d = fp32_deviation(x, r.covariance, CorrelationMethod::pearson, true);
    w.field("fp32_max_abs_deviation", d.max_abs_deviation).field("fp32_deviation_sample_columns", std::uint64_t(d.sample_columns));
  }
  w.field("estimator", estimator_name(opt.estimator));
  if (r.shrinkage) w.field("shrinkage", *r.shrinkage);
  if (opt.estimator == CovarianceEstimator::ewma) w.field("lambda", opt.lambda).field("seed_rows", std::uint64_t(effective_seed_rows(opt, x.rows())));
  w.field("n_assets", std::uint64_t(r.covariance.rows())).field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

Response factor_loading_route(const Request& req) {
  Stopwatch sw;
  Fields f = read_fields(req, {"n_factors", "method", "factor_returns"});
  PcaOptions opt;
  std::string method = f.method.empty() ? "pca" : f.method;
  if (method != "pca" && method != "pca_correlation")
    fail(ErrorCode::invalid_argument, "method", "'method' must be \"pca\" or \"pca_correlation\", got \"{}\"", method);
  opt.use_correlation = method == "pca_correlation";
  opt.n_factors = std::size_t(f.n_factors.value_or(5));
  opt.factor_returns = f.factor_returns;
  Matrix x = panel(f, false);
  if (opt.n_factors > x.cols())
    fail(ErrorCode::invalid_argument, "n_factors", "'n_factors' ({}) exceeds the number of assets ({})", opt.n_factors,
         x.cols());
  auto r = pca(x, opt);
  JsonWriter w(256 + r.loadings.size() * 22, f.matrix_format);
  w.begin_object().key("loadings").matrix(r.loadings);
  w.key("eigenvalues").array(r.eigenvalues);
  w.key("explained_variance_ratio").array(r.explained_variance_ratio);
  w.key("cumulative_variance_ratio").array(r.cumulative_variance_ratio);
  if (r.factor_returns) w.key("factor_returns").matrix(*r.factor_returns);
  w.field("method", method).field("n_assets", std::uint64_t(x.cols())).field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

Response rolling_route(const Request& req) {
  Stopwatch sw;
  Body body(req);
  std::optional<Matrix> data;
  RollingOptions opt;
  std::string stat = "mean";
  net::MatrixFormat format = net::MatrixFormat::rows;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    net::od::value v = kv.value();
    if (k == "data" || k == "returns" || k == "prices") {
      if (data) fail(ErrorCode::invalid_argument, std::string(k), "send one panel: 'data', 'returns' or 'prices'");
      data = net::read_matrix(v, k, net::Nulls::as_nan);
    } else if (k == "statistic") stat = net::read_string(v, "statistic");
    else if (k == "window") opt.window = std::size_t(net::read_int(v, "window", 1, 1ll << 31));
    else if (k == "min_periods") opt.min_periods = std::size_t(net::read_int(v, "min_periods", 1, 1ll << 31));
    else if (k == "q") opt.q = net::read_number(v, "q");
    else if (k == "matrix_format") format = net::parse_matrix_format(net::read_string(v, k), k);
    else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /rolling", k);
  }
  if (!data) fail(ErrorCode::invalid_argument, "data", "'data' (a T×N panel) is required");
  if (data->empty()) fail(ErrorCode::dimension_mismatch, "data", "'data' is empty");
  opt.stat = parse_rolling_stat(stat);
  opt.checkpoint = [&req] { req.check_deadline(); };
  Matrix out = rolling(*data, opt);
  JsonWriter w(64 + out.size() * 22, format);
  w.begin_object().field("statistic", stat).field("window", std::uint64_t(opt.window));
  w.field("min_periods", std::uint64_t(opt.min_periods.value_or(opt.window)));
  w.key("values").matrix(out);
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

Response performance_route(const Request& req) {
  Stopwatch sw;
  Body body(req);
  std::vector<double> r, b;
  bool have_r = false;
  std::string type = "simple";
  PerformanceOptions opt;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    net::od::value v = kv.value();
    if (k == "returns") r = net::read_vector(v, "returns"), have_r = true;
    else if (k == "benchmark") b = net::read_vector(v, "benchmark");
    else if (k == "returns_type") type = net::read_string(v, "returns_type");
    else if (!read_performance_option(k, v, opt))
      fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}' for /performance", k);
  }
  if (!have_r) fail(ErrorCode::invalid_argument, "returns", "'returns' (a return series) is required");
  if (parse_returns_type(type) == ReturnsType::log) {
    for (double& x : r) x = std::expm1(x);
    for (double& x : b) x = std::expm1(x);
  }
  auto s = performance(r, b, opt);
  JsonWriter w(1024);
  w.begin_object().key("statistics");
  write_performance(w, s);
  w.field("periods_per_year", opt.periods_per_year).field("risk_free_rate", opt.risk_free_rate);
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

// The comprehensive report: correlation, PCA loadings, the portfolio's statistics, and the exact
// split of the portfolio's return into factor contributions (exposure × factor return, factor
// returns = raw returns × loadings) plus the residual.
Response analytics_route(const Request& req) {
  Stopwatch sw;
  Body body(req);
  std::optional<Matrix> x;
  std::vector<double> weights;
  std::size_t k = 3;
  PerformanceOptions popt;
  net::MatrixFormat format = net::MatrixFormat::rows;
  for (auto kv : body.root()) {
    std::string_view key = kv.unescaped_key();
    net::od::value v = kv.value();
    if (key == "returns") x = net::read_matrix(v, "returns");
    else if (key == "weights") weights = net::read_vector(v, "weights");
    else if (key == "n_factors") k = std::size_t(net::read_int(v, "n_factors", 1, 1ll << 31));
    else if (key == "matrix_format") format = net::parse_matrix_format(net::read_string(v, key), key);
    else if (!read_performance_option(key, v, popt))
      fail(ErrorCode::invalid_argument, std::string(key), "unknown field '{}' for /analytics", key);
  }
  if (!x) fail(ErrorCode::invalid_argument, "returns", "'returns' (T×N simple returns) is required");
  Fields f;
  f.returns = std::move(*x);
  Matrix r = panel(f, false);
  const std::size_t n = r.cols();
  if (weights.empty()) weights.assign(n, 1.0 / double(n));
  if (weights.size() != n)
    fail(ErrorCode::dimension_mismatch, "weights", "'weights' has {} entries, 'returns' has {} columns", weights.size(), n);
  if (k > n) fail(ErrorCode::invalid_argument, "n_factors", "'n_factors' ({}) exceeds the number of assets ({})", k, n);

  Matrix c = correlation(r, CorrelationMethod::pearson);
  auto summary = summarize(c);
  PcaOptions po;
  po.n_factors = k;
  auto p = pca(r, po);
  Matrix wm(n, 1);
  std::copy(weights.begin(), weights.end(), wm.data());
  Matrix port = accel::gemm(r, wm);                  // T×1 portfolio returns
  Matrix factors = accel::gemm(r, p.loadings);       // T×k factor returns (raw)
  Matrix exposure = accel::gemm(p.loadings, wm, accel::Trans::yes);  // k×1
  std::vector<double> contribution(k, 0.0);
  double total = 0, systematic = 0;
  for (std::size_t t = 0; t < r.rows(); ++t) {
    total += port(t, 0);
    for (std::size_t j = 0; j < k; ++j) contribution[j] += exposure(j, 0) * factors(t, j);
  }
  for (double v : contribution) systematic += v;
  auto stats = performance(port.flat(), {}, popt);

  JsonWriter w(4096 + c.size() * 22, format);
  w.begin_object().key("correlation").begin_object().key("correlation_matrix").matrix(c);
  w.key("eigenvalues").array(summary.eigenvalues).key("condition_number");
  if (summary.condition_number) w.value(*summary.condition_number);
  else w.null();
  w.field("average_correlation", summary.average_correlation).end_object();
  w.key("factor_loading").begin_object().key("loadings").matrix(p.loadings).key("eigenvalues").array(p.eigenvalues);
  w.key("explained_variance_ratio").array(p.explained_variance_ratio);
  w.key("cumulative_variance_ratio").array(p.cumulative_variance_ratio).end_object();
  w.key("portfolio").begin_object().key("weights").array(weights).key("statistics");
  write_performance(w, stats);
  w.end_object();
  w.key("attribution").begin_object().field("total_return_sum", total).key("factors").begin_array();
  for (std::size_t j = 0; j < k; ++j)
    w.begin_object().field("factor", std::uint64_t(j + 1)).field("exposure", exposure(j, 0)).field("contribution", contribution[j]).end_object();
  w.end_array().field("residual", total - systematic).end_object();
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table) {
  table.add("POST", "/correlation", correlation_route);
  table.add("POST", "/covariance", covariance_route);
  table.add("POST", "/factor-loading", factor_loading_route);
  table.add("POST", "/rolling", rolling_route);
  table.add("POST", "/performance", performance_route);
  table.add("POST", "/analytics", analytics_route);
  add_indicator_routes(table);
}

}  // namespace sextant::analytics
