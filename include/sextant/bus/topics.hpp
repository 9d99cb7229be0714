#pragma once
// The bus vocabulary (DESIGN §5), with no JSON and no network: message types, priorities, every topic
// name, and one payload struct per message type. Engine libraries may include this header and
// bus/publisher.hpp, nothing else of the bus; the JSON codec lives in bus/codec.hpp.
//
// Topics are lowercase dotted paths that end in their keys ("marketdata.bars.AAPL"); they are built
// here and nowhere else. Patterns may end in ".*" (every topic under the prefix) or be "*" (all);
// a topic never holds a wildcard, and publishing to a pattern is an error.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sextant/core/names.hpp"

namespace sextant::bus {

enum class MessageType {
  market_data,
  trade_execution,
  order_update,
  portfolio_update,
  analytics_result,
  risk_alert,
  system_status,
  heartbeat,
};
inline constexpr auto kMessageTypeNames = enum_names<MessageType>({{MessageType::market_data, "market_data"},
                                                                  {MessageType::trade_execution, "trade_execution"},
                                                                  {MessageType::order_update, "order_update"},
                                                                  {MessageType::portfolio_update, "portfolio_update"},
                                                                  {MessageType::analytics_result, "analytics_result"},
                                                                  {MessageType::risk_alert, "risk_alert"},
                                                                  {MessageType::system_status, "system_status"},
                                                                  {MessageType::heartbeat, "heartbeat"}});
inline std::string_view message_type_name(MessageType t) { return kMessageTypeNames.name(t); }

//! The envelope's priority, 1 (low) to 3 (high). High-priority messages are the ones the Redis bus also
//! keeps in a stream for subscribers that restart.
enum class Priority { low = 1, normal = 2, high = 3 };

namespace topics {
inline constexpr std::string_view risk_alerts = "risk.alerts";
inline constexpr std::string_view portfolio_rebalance = "portfolio.rebalance";
inline constexpr std::string_view analytics_results = "analytics.results";
inline constexpr std::string_view system_status = "system.status";
inline constexpr std::string_view risk_status = "risk.status";
inline constexpr std::string_view ml_forecasts = "ml.forecasts";
inline std::string marketdata_bars(std::string_view symbol) { return "marketdata.bars." + std::string(symbol); }
inline std::string features(std::string_view symbol) { return "features." + std::string(symbol); }
}  // namespace topics

namespace patterns {
inline constexpr std::string_view everything = "*";
inline constexpr std::string_view all_bars = "marketdata.bars.*";
inline constexpr std::string_view all_features = "features.*";
}  // namespace patterns

//! "risk.alerts" matches itself; "marketdata.bars.*" matches every topic under the prefix; "*" all.
bool topic_matches(std::string_view pattern, std::string_view topic);
//! A topic holds no wildcard and no empty segment.
bool is_topic(std::string_view topic);

// Payloads. Outcome fields hold the API name from the engine's enum table (kRiskLevelNames, ...).

//! risk.alerts: a margin account at HIGH or CRITICAL utilisation.
struct RiskAlert {
  std::string kind;        //!< what raised it: "margin"
  std::string risk_level;  //!< "HIGH", "CRITICAL"
  double margin_utilization = 0, equity = 0, maintenance_margin = 0, excess_margin = 0;
};

//! portfolio.rebalance: a rebalance whose drift made it urgent.
struct PortfolioUpdate {
  std::string kind;     //!< "rebalance"
  std::string urgency;  //!< "HIGH", "CRITICAL"
  double max_drift = 0, portfolio_value = 0, turnover = 0, total_cost = 0;
  std::uint64_t trades = 0;
};

//! marketdata.bars.<symbol>: one OHLCV bar.
struct MarketBar {
  std::string symbol;
  std::int64_t ts_ns = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

//! features.<symbol>: the active factors of one instrument after a bar (an analytics_result).
struct FeatureSnapshot {
  std::string symbol;
  std::int64_t ts_ns = 0;  //!< the bar's
  std::vector<std::pair<std::string, double>> values;  //!< factor id → value (NaN: undefined, null in JSON)
};

//! analytics.results: the rolling correlation of the universe's log returns (an analytics_result).
struct CorrelationSnapshot {
  std::int64_t ts_ns = 0;                //!< the last bar's
  std::uint64_t window = 0;              //!< returns in the window
  std::vector<std::string> symbols;      //!< N
  std::vector<double> matrix;            //!< N × N, row-major
};

//! system.status: a process's heartbeat.
struct Heartbeat {
  std::string process;  //!< "sextant", or the engines it serves
  std::int64_t ts_ns = 0;
  double uptime_s = 0;
  std::uint64_t bars = 0;  //!< bars ingested by the store so far
};

//! risk.status: an account's margin and VaR after a row of bars (an analytics_result).
struct RiskStatus {
  std::string account;
  std::int64_t ts_ns = 0;
  std::string risk_level;  //!< "LOW" ... "CRITICAL"
  double equity = 0, margin_utilization = 0, maintenance_margin = 0, excess_margin = 0;
  double var = 0, es = 0, confidence = 0;  //!< historical, one bar, in currency; 0 until the window fills
};

//! ml.forecasts: the universe's regime and volatility forecasts (an analytics_result).
struct Forecast {
  std::int64_t ts_ns = 0;
  std::vector<std::string> states;     //!< regime names, calm to turbulent
  std::vector<double> probabilities;   //!< filtered P(state | returns so far), per state
  double volatility = 0;               //!< GARCH(1,1) one-bar-ahead σ of the market index's log return
  std::uint64_t observations = 0;
};

using Message = std::variant<RiskAlert, PortfolioUpdate, MarketBar, FeatureSnapshot, CorrelationSnapshot, Heartbeat,
                             RiskStatus, Forecast>;

}  // namespace sextant::bus
