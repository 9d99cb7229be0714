#include "sextant/risk/pretrade.hpp"

#include <cmath>

#include <algorithm>

#include "sextant/accel/ops.hpp"
#include "sextant/analytics/covariance.hpp"
#include "sextant/core/error.hpp"
#include "sextant/risk/distributions.hpp"

namespace sextant::risk {

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
  auto reject = [&](PretradeReason code) {
    d.accepted = false;
    d.reason = code;
    return d;
  };
  if (o.instrument >= pos_.size() || !std::isfinite(o.quantity) || !(o.price > 0) || !std::isfinite(o.price))
    return reject(PretradeReason::invalid_order);
  if (o.cancel) {  // cancels always pass: they only reduce risk
    d.accepted = true, d.reason = PretradeReason::ok, d.var_after = var();
    return d;
  }
  if (state_ == TradingState::halted) return reject(PretradeReason::trading_halted);
  const std::size_t i = o.instrument;
  const double after = pos_[i] + o.quantity;
  if (state_ == TradingState::reducing && !(std::fabs(after) < std::fabs(pos_[i]) && after * pos_[i] >= 0))
    return reject(PretradeReason::reduce_only);
  const double notional = std::fabs(o.quantity * o.price);
  if (limits_.max_order_notional && notional > *limits_.max_order_notional) return reject(PretradeReason::max_order_notional);
  if (limits_.max_position && std::fabs(after) > *limits_.max_position) return reject(PretradeReason::max_position);
  const double e_after = after * price_[i], delta = e_after - exposure_[i];
  if (limits_.max_gross_exposure && gross_ - std::fabs(exposure_[i]) + std::fabs(e_after) > *limits_.max_gross_exposure)
    return reject(PretradeReason::max_gross_exposure);
  if (limits_.max_net_exposure && std::fabs(net_ + delta) > *limits_.max_net_exposure) return reject(PretradeReason::max_net_exposure);
  const double quad_after = quad_ + 2.0 * delta * cov_e_[i] + delta * delta * cov_(i, i);
  d.var_after = z_ * std::sqrt(std::max(quad_after, 0.0));
  if (limits_.max_var && d.var_after > *limits_.max_var) return reject(PretradeReason::max_var);
  if (limits_.max_orders_per_second && !rate_.admit(now_ns, *limits_.max_orders_per_second))
    return reject(PretradeReason::order_rate);
  d.accepted = true;
  d.reason = PretradeReason::ok;
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

bool RateWindow::admit(std::int64_t now_ns, std::uint32_t max) {
  while (!admitted.empty() && admitted.front() <= now_ns - kOrderRateWindowNs) admitted.pop_front();
  if (admitted.size() >= max) return false;
  admitted.push_back(now_ns);
  return true;
}

bool OrderRateWindows::admit(const std::string& account, std::uint32_t max_per_second) {
  const std::int64_t now = clock_.monotonic_ns();
  std::lock_guard lock(mu_);
  return windows_[account].admit(now, max_per_second);
}

PretradeAnswer check_order(PretradeRequest req, OrderRateWindows& windows) {
  if (req.symbols.empty()) fail(ErrorCode::invalid_argument, "symbols", "'symbols' (the portfolio's instruments) is required");
  auto it = std::find(req.symbols.begin(), req.symbols.end(), req.instrument);
  if (it == req.symbols.end()) fail(ErrorCode::invalid_argument, "order.instrument", "'{}' is not among 'symbols'", req.instrument);
  if (!(req.quantity > 0)) fail(ErrorCode::invalid_argument, "order.quantity", "'quantity' must be positive");
  if (!(req.price > 0)) fail(ErrorCode::invalid_argument, "order.price", "'price' must be positive");
  const std::size_t n = req.symbols.size();
  std::vector<double> pos(n, 0.0), px(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& s = req.symbols[i];
    if (auto p = req.positions.find(s); p != req.positions.end()) pos[i] = p->second;
    auto p = req.prices.find(s);
    if (p == req.prices.end()) fail(ErrorCode::invalid_argument, "prices." + s, "no price for '{}'", s);
    px[i] = p->second;
  }
  Matrix sigma;
  if (req.covariance) {
    analytics::check_covariance(*req.covariance);  // a non-PSD Σ could make eᵀΣe negative, and VaR limits pass
    sigma = std::move(*req.covariance);
  } else if (req.returns) sigma = accel::covariance(*req.returns);
  else if (req.limits.max_var) fail(ErrorCode::invalid_argument, "covariance", "'max_var' needs 'covariance' or 'returns'");
  else sigma = Matrix(n, n);
  // The checker is built for this request; the rate limit is checked against the account's window.
  const auto rate = req.limits.max_orders_per_second;
  req.limits.max_orders_per_second.reset();
  PretradeChecker checker(std::move(sigma), pos, px, req.limits);
  checker.set_state(req.state);
  const Order o{std::size_t(it - req.symbols.begin()), req.side == Side::buy ? req.quantity : -req.quantity, req.price,
                req.type == OrderType::cancel};
  PretradeAnswer a{checker.check(o, 0), checker.var()};
  if (a.decision.accepted && !o.cancel && rate && !windows.admit(req.account, *rate)) {
    a.decision.accepted = false;
    a.decision.reason = PretradeReason::order_rate;
  }
  return a;
}

}  // namespace sextant::risk
