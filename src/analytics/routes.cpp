// Analytics engine HTTP adapter: /correlation, /covariance, /factor-loading.
#include "sextant/analytics/routes.hpp"

#include <cmath>
#include <initializer_list>
#include <optional>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/correlation.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/analytics/pca.hpp"
#include "sextant/analytics/returns.hpp"
#include "sextant/core/clock.hpp"
#include "sextant/core/error.hpp"
#include "sextant/net/common_routes.hpp"
#include "sextant/net/json.hpp"

namespace sextant::analytics {
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
};

Fields read_fields(const Request& req, std::initializer_list<std::string_view> accepted) {
  Body body(req);
  Fields f;
  // Missing values are read as NaN; the panel check below rejects them unless "missing":"pairwise".
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    bool ok = k == "returns" || k == "prices" || k == "returns_type";
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
  }
  if (f.precision != "fp64")
    fail(ErrorCode::invalid_argument, "precision", "'precision' \"{}\" is not available; use \"fp64\"", f.precision);
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
  Matrix c = correlation(x, method, missing);
  auto summary = summarize(c);
  req.check_deadline();
  JsonWriter w(256 + c.size() * 22);
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
  w.field("method", f.method.empty() ? "pearson" : f.method);
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
  auto r = estimate_covariance(x, opt);
  JsonWriter w(128 + r.covariance.size() * 22);
  w.begin_object().key("covariance_matrix").matrix(r.covariance);
  w.field("estimator", estimator_name(opt.estimator));
  if (r.shrinkage) w.field("shrinkage", *r.shrinkage);
  if (opt.estimator == CovarianceEstimator::ewma) w.field("lambda", opt.lambda).field("seed_rows", std::uint64_t(opt.seed_rows));
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
  JsonWriter w(256 + r.loadings.size() * 22);
  w.begin_object().key("loadings").matrix(r.loadings);
  w.key("eigenvalues").array(r.eigenvalues);
  w.key("explained_variance_ratio").array(r.explained_variance_ratio);
  w.key("cumulative_variance_ratio").array(r.cumulative_variance_ratio);
  if (r.factor_returns) w.key("factor_returns").matrix(*r.factor_returns);
  w.field("method", method).field("n_assets", std::uint64_t(x.cols())).field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table) {
  table.add("POST", "/correlation", correlation_route);
  table.add("POST", "/covariance", covariance_route);
  table.add("POST", "/factor-loading", factor_loading_route);
  add_indicator_routes(table);
}

}  // namespace sextant::analytics
