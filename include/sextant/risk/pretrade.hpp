#pragma once
// Pre-trade checks: an order (instrument, side, quantity, price) is accepted or rejected with a reason
// code against the trading state and the limits. Checks run in this order:
//   state (HALTED: only cancels; REDUCING: only orders that reduce |position| without flipping it),
//   max order notional, max |position| after the fill, max gross and net exposure after the fill,
//   max portfolio VaR after the fill (Gaussian, zero mean, in currency), the order-rate limit.
// VaR after the fill is O(1): the checker keeps Σe (covariance × currency exposures) up to date, and
// e'ᵀΣe' = eᵀΣe + 2d·(Σe)_i + d²·Σ_ii for a change d in instrument i. Position updates cost O(N).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant::risk {

enum class TradingState { active, halted, reducing };
TradingState parse_trading_state(std::string_view s);

struct PretradeLimits {
  std::optional<double> max_order_notional, max_position, max_gross_exposure, max_net_exposure, max_var;
  std::optional<std::uint32_t> max_orders_per_second;
  double var_confidence = 0.99;
};

struct Order {
  std::size_t instrument = 0;
  double quantity = 0;  //!< signed: buy > 0, sell < 0
  double price = 0;
  bool cancel = false;
};

struct PretradeDecision {
  bool accepted = false;
  std::string reason;  //!< "OK" or a code: TRADING_HALTED, REDUCE_ONLY, MAX_ORDER_NOTIONAL, MAX_POSITION,
                       //!< MAX_GROSS_EXPOSURE, MAX_NET_EXPOSURE, MAX_VAR, ORDER_RATE, INVALID_ORDER
  double var_after = 0;
};

class PretradeChecker {
 public:
  //! covariance: per-period returns of the N instruments; positions in quantities; prices per unit.
  PretradeChecker(Matrix covariance, std::vector<double> positions, std::vector<double> prices, PretradeLimits limits);
  PretradeDecision check(const Order& o, std::int64_t now_ns);
  //! A fill: position += quantity, at the price (updates exposures and Σe).
  void apply_fill(std::size_t instrument, double quantity, double price);
  void set_state(TradingState s) { state_ = s; }
  double var() const;  //!< current portfolio VaR in currency

 private:
  Matrix cov_;
  std::vector<double> pos_, price_, exposure_, cov_e_;
  double gross_ = 0, net_ = 0, quad_ = 0, z_;
  PretradeLimits limits_;
  TradingState state_ = TradingState::active;
  std::deque<std::int64_t> recent_;
};

}  // namespace sextant::risk
