#include "sextant/analytics/returns.hpp"

#include <cmath>

#include "sextant/core/error.hpp"

namespace sextant::analytics {

ReturnsType parse_returns_type(std::string_view s, std::string_view field) {
  if (s == "log") return ReturnsType::log;
  if (s == "simple") return ReturnsType::simple;
  fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be \"log\" or \"simple\", got \"{}\"", field, s);
}

Matrix returns_from_prices(MatrixView prices, ReturnsType type) {
  if (prices.rows < 2)
    fail(ErrorCode::dimension_mismatch, "prices", "'prices' needs at least 2 rows to make returns, got {}", prices.rows);
  Matrix r(prices.rows - 1, prices.cols);
  for (std::size_t t = 1; t < prices.rows; ++t)
    for (std::size_t j = 0; j < prices.cols; ++j) {
      double p0 = prices(t - 1, j), p1 = prices(t, j);
      if (!(p0 > 0.0) || !(p1 > 0.0))
        fail(ErrorCode::invalid_argument, "prices", "'prices' must be positive: row {} column {} is {}",
             p0 > 0.0 ? t : t - 1, j, p0 > 0.0 ? p1 : p0);
      r(t - 1, j) = type == ReturnsType::log ? std::log(p1) - std::log(p0) : p1 / p0 - 1.0;
    }
  return r;
}

}  // namespace sextant::analytics
