#include "analytics/performance_json.hpp"

#include <cmath>

namespace sextant::analytics {

void declare_performance_options(service::Fields& in, PerformanceOptions& opt) {
  in.opt("periods_per_year", opt.periods_per_year).opt("risk_free_rate", opt.risk_free_rate).opt("confidence", opt.confidence);
}

void write_performance(net::JsonWriter& w, const PerformanceStats& s) {
  w.begin_object();
  w.field("total_return", s.total_return).field("annualized_return", s.annualized_return);
  w.field("volatility", s.volatility).field("sharpe_ratio", s.sharpe).field("sortino_ratio", s.sortino);
  w.field("calmar_ratio", s.calmar).field("omega_ratio", s.omega).field("max_drawdown", s.max_drawdown);
  w.field("max_drawdown_duration", std::uint64_t(s.max_drawdown_duration)).field("tail_ratio", s.tail_ratio);
  w.field("var", s.var).field("cvar", s.cvar).field("skew", s.skew).field("kurtosis", s.kurtosis);
  w.field("win_rate", s.win_rate).field("profit_factor", s.profit_factor).field("best_period", s.best);
  w.field("worst_period", s.worst).field("periods", std::uint64_t(s.periods));
  auto opt = [&](std::string_view k, const std::optional<double>& v) {
    if (v) w.field(k, *v);
  };
  opt("alpha", s.alpha);
  opt("beta", s.beta);
  opt("information_ratio", s.information_ratio);
  opt("tracking_error", s.tracking_error);
  opt("treynor_ratio", s.treynor);
  opt("up_capture", s.up_capture);
  opt("down_capture", s.down_capture);
  w.end_object();
}

void warn_undefined_statistics(const PerformanceStats& s, service::Reply& out) {
  std::vector<std::string> fields;
  auto check = [&](const char* name, double v) {
    if (std::isnan(v)) fields.emplace_back(name);
  };
  check("sharpe_ratio", s.sharpe), check("sortino_ratio", s.sortino), check("calmar_ratio", s.calmar);
  check("omega_ratio", s.omega), check("tail_ratio", s.tail_ratio), check("skew", s.skew), check("kurtosis", s.kurtosis);
  check("profit_factor", s.profit_factor);
  if (fields.empty()) return;
  std::string why = s.volatility == 0.0 ? "the returns have zero volatility (every period the same)"
                                        : "the returns have no losses, no drawdown or too few distinct values for these ratios";
  out.warnings.push_back({s.volatility == 0.0 ? "zero_volatility" : "undefined_statistics",
                          why + ": the named statistics are null", {}, std::move(fields)});
}

}  // namespace sextant::analytics
