#pragma once
// Pre-trade checks: an order (instrument, side, quantity, price) is accepted or rejected with a reason
// code against the trading state and the limits. Checks run in this order:
//   state (HALTED: only cancels; REDUCING: only orders that reduce |position| without flipping it),
//   max order notional, max |position| after the fill, max gross and net exposure after the fill,
//   max portfolio VaR after the fill (Gaussian, zero mean, in currency), the order-rate limit.
// VaR after the fill is O(1): the checker keeps Σe (covariance × currency exposures) up to date, and
// e'ᵀΣe' = eᵀΣe + 2d·(Σe)_i + d²·Σ_ii for a change d in instrument i. Position updates cost O(N).
//
// The order-rate limit counts accepted new orders over a sliding window of kOrderRateWindowNs. A checker
// keeps its own window; a service that builds a checker per request keeps one per account across
// requests in OrderRateWindows, on an injected clock.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sextant/core/clock.hpp"
#include "sextant/core/matrix.hpp"
#include "sextant/core/names.hpp"
#include "sextant/core/side.hpp"

namespace sextant::risk {

enum class TradingState { active, halted, reducing };
inline constexpr auto kTradingStateNames = enum_names<TradingState>(
    {{TradingState::active, "ACTIVE"}, {TradingState::halted, "HALTED"}, {TradingState::reducing, "REDUCING"}});
inline TradingState parse_trading_state(std::string_view s) { return kTradingStateNames.parse(s, "trading_state"); }

enum class PretradeReason {
  ok,
  trading_halted,
  reduce_only,
  max_order_notional,
  max_position,
  max_gross_exposure,
  max_net_exposure,
  max_var,
  order_rate,
  invalid_order,
};
inline constexpr auto kPretradeReasonNames = enum_names<PretradeReason>({{PretradeReason::ok, "OK"},
                                                                        {PretradeReason::trading_halted, "TRADING_HALTED"},
                                                                        {PretradeReason::reduce_only, "REDUCE_ONLY"},
                                                                        {PretradeReason::max_order_notional, "MAX_ORDER_NOTIONAL"},
                                                                        {PretradeReason::max_position, "MAX_POSITION"},
                                                                        {PretradeReason::max_gross_exposure, "MAX_GROSS_EXPOSURE"},
                                                                        {PretradeReason::max_net_exposure, "MAX_NET_EXPOSURE"},
                                                                        {PretradeReason::max_var, "MAX_VAR"},
                                                                        {PretradeReason::order_rate, "ORDER_RATE"},
                                                                        {PretradeReason::invalid_order, "INVALID_ORDER"}});

enum class OrderType { new_order, cancel };
inline constexpr auto kOrderTypeNames = enum_names<OrderType>({{OrderType::new_order, "new"}, {OrderType::cancel, "cancel"}});

//! The window of max_orders_per_second.
inline constexpr std::int64_t kOrderRateWindowNs = 1'000'000'000;

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
  PretradeReason reason = PretradeReason::ok;
  double var_after = 0;
};

//! Times of the orders admitted within the last kOrderRateWindowNs.
struct RateWindow {
  std::deque<std::int64_t> admitted;
  //! Counts the order at now_ns and returns true when fewer than `max` were admitted in the window.
  bool admit(std::int64_t now_ns, std::uint32_t max);
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
  RateWindow rate_;
};

//! One rate window per account, kept across requests. Thread-safe.
class OrderRateWindows {
 public:
  explicit OrderRateWindows(const Clock& clock = steady_clock()) : clock_(clock) {}
  bool admit(const std::string& account, std::uint32_t max_per_second);

 private:
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, RateWindow> windows_;
};

//! A pre-trade request as a service receives it: instruments by symbol.
struct PretradeRequest {
  std::vector<std::string> symbols;         //!< the portfolio's instruments
  std::map<std::string, double> positions;  //!< quantities by symbol (absent: 0)
  std::map<std::string, double> prices;     //!< every symbol needs one
  std::optional<Matrix> covariance, returns;  //!< Σ, or returns to estimate it from; neither: no VaR
  PretradeLimits limits;
  TradingState state = TradingState::active;
  std::string account = "default";
  std::string instrument;
  Side side = Side::buy;
  OrderType type = OrderType::new_order;
  double quantity = 0, price = 0;
};

struct PretradeAnswer {
  PretradeDecision decision;
  double var_before = 0;
};

//! Checks one order of `req` with a checker built for it; the rate limit against the account's window in
//! `windows`. Throws Error naming the field on bad input.
PretradeAnswer check_order(PretradeRequest req, OrderRateWindows& windows);

}  // namespace sextant::risk
