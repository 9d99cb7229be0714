// Live margin, alerts and VaR for configured accounts (risk/live.hpp).
#include "sextant/risk/live.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "sextant/core/error.hpp"
#include "sextant/risk/var.hpp"

namespace sextant::risk {

void validate_accounts(const std::vector<Account>& accounts) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const Account& a = accounts[i];
    const std::string prefix = fmt::format("accounts[{}].", i);
    if (a.name.empty()) fail(ErrorCode::invalid_argument, prefix + "name", "an account needs a name");
    if (!names.insert(a.name).second) fail(ErrorCode::invalid_argument, prefix + "name", "two accounts are named '{}'", a.name);
    if (a.positions.empty()) fail(ErrorCode::invalid_argument, prefix + "positions", "account '{}' holds no positions", a.name);
    if (!std::isfinite(a.cash)) fail(ErrorCode::non_finite, prefix + "cash", "'cash' must be finite");
    // The rest is what margining checks on every price (rates, ratio, quantities), as /calculate-margin: ask it once now.
    MarginInput in;
    in.positions = a.positions;
    for (const auto& [symbol, quantity] : a.positions) in.prices[symbol] = 1.0;
    in.default_margin_rate = a.default_margin_rate;
    in.maintenance_ratio = a.maintenance_ratio;
    in.cash = a.cash;
    try {
      calculate_margin(in);
    } catch (const Error& e) {
      throw Error(e.code(), e.what(), prefix + e.field());
    }
  }
}

LiveRisk::LiveRisk(LiveRiskConfig config, std::vector<Account> accounts, const data::BarStore& store, bus::Publisher& publisher)
    : config_(config), store_(store), publisher_(publisher) {
  validate_accounts(accounts);
  for (auto& a : accounts) books_.push_back({std::move(a), std::nullopt, RiskLevel::low, 0, 0});
}

void LiveRisk::on_bar(const bus::MarketBar& bar) {
  std::lock_guard lock(m_);
  ++stats_.bars;
  bool late = false;
  if (const auto done = clock_.advance(bar.ts_ns, &late)) end_of_row(*done);
  if (late) return;  // a bar of an earlier row: its price is already stale
  prices_[bar.symbol] = bar.close;
  for (auto& b : books_)
    if (b.account.positions.count(bar.symbol)) remargin(b);
}

void LiveRisk::remargin(Book& b) {
  MarginInput in;
  in.positions = b.account.positions;
  for (const auto& [sym, q] : b.account.positions) {
    auto it = prices_.find(sym);
    if (it == prices_.end()) return;  // not every position priced yet
    in.prices[sym] = it->second;
  }
  in.cash = b.account.cash;
  in.default_margin_rate = b.account.default_margin_rate;
  in.maintenance_ratio = b.account.maintenance_ratio;
  b.margin = calculate_margin(in);
  ++stats_.margin_updates;
  const RiskLevel level = b.margin->risk_level;
  // Edge-triggered: an alert when the level rises into the alert bands or moves within them.
  if (level >= kAlertLevel && level != b.alerted) {
    if (publish_margin_alert(*b.margin, publisher_)) ++stats_.alerts;
  }
  b.alerted = level >= kAlertLevel ? level : RiskLevel::low;
  if (level == RiskLevel::critical && b.account.top_up_utilization) {
    // utilisation = maintenance / equity: the deposit that brings it back to the target
    b.account.cash += b.margin->maintenance_margin / *b.account.top_up_utilization - b.margin->equity;
    ++stats_.top_ups;
  }
}

void LiveRisk::open_demo() {
  const auto symbols = store_.symbols();
  if (symbols.empty() || config_.demo_positions == 0) return;
  Account a;
  a.name = "DEMO";
  double gross = 0;
  for (std::size_t i = 0; i < std::min(config_.demo_positions, symbols.size()); ++i) {
    auto it = prices_.find(symbols[i]);
    if (it == prices_.end() || !(it->second > 0)) return;  // wait for a row with every price
    a.positions[symbols[i]] = config_.demo_notional / it->second;
    gross += config_.demo_notional;
  }
  // utilisation = maintenance / equity = rate·ratio·gross / equity
  const double equity = a.default_margin_rate * a.maintenance_ratio * gross / config_.demo_utilization;
  a.cash = equity - gross;
  a.top_up_utilization = config_.demo_utilization;
  books_.push_back({std::move(a), std::nullopt, RiskLevel::low, 0, 0});
}

void LiveRisk::end_of_row(std::int64_t ts) {
  stats_.rows = clock_.completed;
  if (books_.empty() && config_.demo_positions > 0) {
    open_demo();
    for (auto& b : books_) remargin(b);
  }
  stats_.accounts = books_.size();
  const bool var_now = stats_.rows % config_.var_every_rows == 1 || config_.var_every_rows == 1;
  for (auto& b : books_) {
    if (!b.margin) continue;
    if (var_now) {
      try {
        std::vector<std::string> syms;
        for (const auto& [s, q] : b.account.positions) syms.push_back(s);
        const auto w = store_.window(syms, config_.var_window + 1);
        if (w.ts_ns.size() >= 31) {
          const std::size_t T = w.ts_ns.size() - 1, N = syms.size();
          Matrix r(T, N);
          for (std::size_t t = 0; t < T; ++t)
            for (std::size_t j = 0; j < N; ++j) r(t, j) = w.close(t + 1, j) / w.close(t, j) - 1.0;
          std::vector<double> value(N);
          double gross = 0;
          for (std::size_t j = 0; j < N; ++j) gross += std::abs(value[j] = b.account.positions.at(syms[j]) * w.close(T, j));
          std::vector<double> weights(N);
          for (std::size_t j = 0; j < N; ++j) weights[j] = value[j] / gross;
          VarOptions opt;
          opt.confidence_levels = {config_.var_confidence};
          opt.methods = {VarMethod::historical};
          opt.decompose = false;
          const auto rep = calculate_var(r.view(), weights, opt);
          b.var = rep.results[0][0].second.var * gross;
          b.es = rep.results[0][0].second.es * gross;
          ++stats_.var_updates;
        }
      } catch (const Error&) {
        // a symbol without bars yet: the last VaR stands
      }
    }
    bus::RiskStatus s;
    s.account = b.account.name;
    s.ts_ns = ts;
    s.risk_level = std::string(kRiskLevelNames.name(b.margin->risk_level));
    s.equity = b.margin->equity;
    s.margin_utilization = b.margin->margin_utilization;
    s.maintenance_margin = b.margin->maintenance_margin;
    s.excess_margin = b.margin->excess_margin;
    s.var = b.var;
    s.es = b.es;
    s.confidence = config_.var_confidence;
    publisher_.publish(std::move(s), bus::Priority::low);
    ++stats_.statuses;
  }
}

LiveRiskStats LiveRisk::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

std::vector<Account> LiveRisk::accounts() const {
  std::lock_guard lock(m_);
  std::vector<Account> out;
  for (const auto& b : books_) out.push_back(b.account);
  return out;
}

}  // namespace sextant::risk
