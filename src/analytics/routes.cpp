// Analytics engine HTTP adapter: /correlation, /covariance.
#include "sextant/analytics/routes.hpp"

#include <cmath>
#include <optional>

#include "sextant/accel/ops.hpp"
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

// The return panel of a request: "returns" directly, or "prices" turned into returns.
struct ReturnsInput {
  std::optional<Matrix> returns, prices;
  ReturnsType type = ReturnsType::log;
  std::string method = "pearson";
  std::string estimator = "sample";

  Matrix panel() && {
    if (returns && prices) fail(ErrorCode::invalid_argument, "returns", "send either 'returns' or 'prices', not both");
    if (!returns && !prices) fail(ErrorCode::invalid_argument, "returns", "'returns' (or 'prices') is required");
    Matrix r = returns ? std::move(*returns) : returns_from_prices(*prices, type);
    const char* field = returns ? "returns" : "prices";
    if (r.rows() < 2 || r.cols() == 0)
      fail(ErrorCode::dimension_mismatch, field, "'{}' needs at least 2 return rows and 1 column, got {}×{}", field,
           r.rows(), r.cols());
    for (std::size_t i = 0; i < r.rows(); ++i)
      for (std::size_t j = 0; j < r.cols(); ++j)
        if (!std::isfinite(r(i, j)))
          fail(ErrorCode::non_finite, field, "'{}' has a non-finite value at row {}, column {}", field, i, j);
    return r;
  }
};

ReturnsInput read_input(const Request& req) {
  Body body(req);
  ReturnsInput in;
  for (auto kv : body.root()) {
    std::string_view k = kv.unescaped_key();
    if (k == "returns") in.returns = net::read_matrix(kv.value(), "returns");
    else if (k == "prices") in.prices = net::read_matrix(kv.value(), "prices");
    else if (k == "returns_type") in.type = parse_returns_type(net::read_string(kv.value(), "returns_type"));
    else if (k == "method") in.method = net::read_string(kv.value(), "method");
    else if (k == "estimator") in.estimator = net::read_string(kv.value(), "estimator");
    else if (k == "precision") {
      auto p = net::read_string(kv.value(), "precision");
      if (p != "fp64") fail(ErrorCode::invalid_argument, "precision", "'precision' supports \"fp64\" here, got \"{}\"", p);
    } else fail(ErrorCode::invalid_argument, std::string(k), "unknown field '{}'", k);
  }
  return in;
}

Response correlation(const Request& req) {
  Stopwatch sw;
  ReturnsInput in = read_input(req);
  if (in.method != "pearson")
    fail(ErrorCode::invalid_argument, "method", "'method' must be \"pearson\", got \"{}\"", in.method);
  Matrix x = std::move(in).panel();
  Matrix c = accel::correlation(x);
  const std::size_t n = c.rows();
  double off = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (i != j) off += c(i, j);
  JsonWriter w(64 + n * n * 22);
  w.begin_object().key("correlation_matrix").matrix(c);
  w.field("average_correlation", n > 1 ? off / double(n * (n - 1)) : 0.0);
  w.field("n_assets", std::uint64_t(n)).field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

Response covariance(const Request& req) {
  Stopwatch sw;
  ReturnsInput in = read_input(req);
  if (in.estimator != "sample")
    fail(ErrorCode::invalid_argument, "estimator", "'estimator' must be \"sample\", got \"{}\"", in.estimator);
  Matrix x = std::move(in).panel();
  Matrix c = accel::covariance(x);
  JsonWriter w(64 + c.size() * 22);
  w.begin_object().key("covariance_matrix").matrix(c);
  w.field("estimator", "sample").field("n_assets", std::uint64_t(c.rows()));
  w.field("n_observations", std::uint64_t(x.rows()));
  net::write_stamp(w, sw.elapsed_ms());
  return Response::json(w.end_object().take());
}

}  // namespace

void add_routes(net::RouteTable& table) {
  table.add("POST", "/correlation", correlation);
  table.add("POST", "/covariance", covariance);
}

}  // namespace sextant::analytics
