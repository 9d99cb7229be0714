#pragma once
// The risk engine on live bars: margin for each configured account on every price change, a
// risk.alerts message when an account's level rises to HIGH or CRITICAL (or moves between them), and a
// risk.status snapshot of every account after each row, with a one-bar historical VaR/ES recomputed
// from the market data store every `var_every_rows` rows.
//
// Accounts hold quantities and cash; margin follows risk/margin.hpp (rates, maintenance ratio, bands).
// With no accounts configured, a demo account can be opened on the first row (the simulator's default):
// equal notionals in the first `demo_positions` symbols, levered so that margin utilisation starts near
// 55% and crosses the HIGH band as prices move. After a CRITICAL alert the demo account meets its margin
// call: a cash deposit brings it back to its opening utilisation (configured accounts get no deposits).
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sextant/bus/publisher.hpp"
#include "sextant/data/bar_store.hpp"
#include "sextant/data/row_clock.hpp"
#include "sextant/risk/margin.hpp"

namespace sextant::risk {

struct Account {
  std::string name;
  std::map<std::string, double> positions;  //!< symbol -> quantity
  double cash = 0;
  double default_margin_rate = 0.10;
  double maintenance_ratio = 0.75;
  std::optional<double> top_up_utilization;  //!< after a CRITICAL alert, deposit cash back to this (the demo)
};

//! Throws Error naming "accounts[i].<field>" for an account that cannot be margined: no name or a
//! repeated one, no positions, non-finite cash, or what calculate_margin refuses (a negative rate or
//! ratio, a non-finite quantity).
void validate_accounts(const std::vector<Account>& accounts);

struct LiveRiskConfig {
  std::size_t var_every_rows = 5;
  std::size_t var_window = 250;   //!< bars of history for VaR
  double var_confidence = 0.99;
  std::size_t demo_positions = 10;  //!< 0: no demo account
  double demo_notional = 1.0e6;     //!< per position
  double demo_utilization = 0.55;   //!< margin utilisation the demo account opens at
};

struct LiveRiskStats {
  std::uint64_t bars = 0, rows = 0, margin_updates = 0, alerts = 0, statuses = 0, var_updates = 0, top_ups = 0;
  std::size_t accounts = 0;
};

class LiveRisk {
 public:
  //! Validates `accounts` first (validate_accounts).
  LiveRisk(LiveRiskConfig config, std::vector<Account> accounts, const data::BarStore& store, bus::Publisher& publisher);
  //! Takes one bar: re-margins the accounts that hold it; on a new row publishes the statuses. Thread-safe.
  void on_bar(const bus::MarketBar& bar);
  LiveRiskStats stats() const;
  std::vector<Account> accounts() const;

 private:
  struct Book {
    Account account;
    std::optional<MarginResult> margin;
    RiskLevel alerted = RiskLevel::low;  //!< the level last alerted (edge trigger)
    double var = 0, es = 0;
  };
  void remargin(Book& b);            // mutex held
  void end_of_row(std::int64_t ts);  // mutex held
  void open_demo();                  // mutex held
  const LiveRiskConfig config_;
  const data::BarStore& store_;
  bus::Publisher& publisher_;
  mutable std::mutex m_;
  std::vector<Book> books_;
  std::map<std::string, double> prices_;
  data::RowClock clock_;
  LiveRiskStats stats_;
};

}  // namespace sextant::risk
