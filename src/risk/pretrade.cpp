#include "sextant/risk/pretrade.hpp"

#include <cmath>

#include "sextant/accel/ops.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/distributions.hpp"

namespace sextant::risk {

TradingState parse_trading_state(std::string_view s) {
  if (s == "ACTIVE") return TradingState::active;
  if (s == "HALTED") return TradingState::halted;
  if (s == "REDUCING") return TradingState::reducing;
  fail(ErrorCode::invalid_argument, "trading_state", "'trading_state' must be ACTIVE, HALTED or REDUCING, got \"{}\"", s);
}

PretradeChecker::PretradeChecker(Matrix cov, std::vector<double> positions, std::vector<double> prices,
                                 PretradeLimits limits)
    : cov_(std::move(cov)), pos_(std::move(positions)), price_(std::move(prices)), limits_(limits) {
  const std::size_t n = pos_.size();
  if (!cov_.view().square() || cov_.rows() != n)
    fail(ErrorCode::dimension_mismatch, "covariance", "'covariance' is {}×{}, there are {} instruments", cov_.rows(), cov_.cols(), n);
  if (price_.size() != n) fail(ErrorCode::dimension_mismatch, "prices", "'prices' has {} entries, expected {}", price_.size(), n);
  if (!(limits_.var_confidence > 0 && limits_.var_confidence < 1))
    fail(ErrorCode::invalid_argument, "var_confidence", "'var_confidence' must be in (0, 1)");
  z_ = -norm_ppf(1.0 - limits_.var_confidence);
  exposure_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    exposure_[i] = pos_[i] * price_[i];
    gross_ += std::fabs(exposure_[i]);
    net_ += exposure_[i];
  }
  cov_e_ = accel::symv(cov_, exposure_);
  for (std::size_t i = 0; i < n; ++i) quad_ += exposure_[i] * cov_e_[i];
}

double PretradeChecker::var() const { return z_ * std::sqrt(std::max(quad_, 0.0)); }

PretradeDecision PretradeChecker::check(const Order& o, std::int64_t now_ns) {
  PretradeDecision d;
  auto reject = [&](const char* code) {
    d.accepted = false;
    d.reason = code;
    return d;
  };
  if (o.instrument >= pos_.size() || !std::isfinite(o.quantity) || !(o.price > 0) || !std::isfinite(o.price))
    return reject("INVALID_ORDER");
  if (o.cancel) {  // cancels always pass: they only reduce risk
    d.accepted = true, d.reason = "OK", d.var_after = var();
    return d;
  }
  if (state_ == TradingState::halted) return reject("TRADING_HALTED");
  const std::size_t i = o.instrument;
  const double after = pos_[i] + o.quantity;
  if (state_ == TradingState::reducing && !(std::fabs(after) < std::fabs(pos_[i]) && after * pos_[i] >= 0))
    return reject("REDUCE_ONLY");
  const double notional = std::fabs(o.quantity * o.price);
  if (limits_.max_order_notional && notional > *limits_.max_order_notional) return reject("MAX_ORDER_NOTIONAL");
  if (limits_.max_position && std::fabs(after) > *limits_.max_position) return reject("MAX_POSITION");
  const double e_after = after * price_[i], delta = e_after - exposure_[i];
  if (limits_.max_gross_exposure && gross_ - std::fabs(exposure_[i]) + std::fabs(e_after) > *limits_.max_gross_exposure)
    return reject("MAX_GROSS_EXPOSURE");
  if (limits_.max_net_exposure && std::fabs(net_ + delta) > *limits_.max_net_exposure) return reject("MAX_NET_EXPOSURE");
  const double quad_after = quad_ + 2.0 * delta * cov_e_[i] + delta * delta * cov_(i, i);
  d.var_after = z_ * std::sqrt(std::max(quad_after, 0.0));
  if (limits_.max_var && d.var_after > *limits_.max_var) return reject("MAX_VAR");
  if (limits_.max_orders_per_second) {
    while (!recent_.empty() && recent_.front() <= now_ns - 1'000'000'000) recent_.pop_front();
    if (recent_.size() >= *limits_.max_orders_per_second) return reject("ORDER_RATE");
    recent_.push_back(now_ns);
  }
  d.accepted = true;
  d.reason = "OK";
  return d;
}

void PretradeChecker::apply_fill(std::size_t i, double quantity, double price) {
  if (i >= pos_.size()) fail(ErrorCode::invalid_argument, "instrument", "instrument {} does not exist", i);
  const double old = exposure_[i];
  pos_[i] += quantity;
  price_[i] = price;
  exposure_[i] = pos_[i] * price;
  const double d = exposure_[i] - old;
  gross_ += std::fabs(exposure_[i]) - std::fabs(old);
  net_ += d;
  quad_ += 2.0 * d * cov_e_[i] + d * d * cov_(i, i);
  for (std::size_t k = 0; k < pos_.size(); ++k) cov_e_[k] += d * cov_(k, i);  // column i (Σ is symmetric)
}

}  // namespace sextant::risk
