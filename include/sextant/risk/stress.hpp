#pragma once
// Stress tests: the P&L of a portfolio under scenarios, per position and in total.
//  - historical: a named row range (compounded simple returns over it), or the `count` worst
//    non-overlapping windows of `length` rows by portfolio return;
//  - hypothetical: shocks to some assets, propagated to the others by the conditional mean under the
//    covariance, E[r_u | r_s = s] = Σ_us Σ_ss⁻¹ s (shocks are moves: zero means).
// P&L_i = value · w_i · r_i (value 1 gives return units).
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sextant/analytics/covariance.hpp"
#include "sextant/core/matrix.hpp"

namespace sextant::risk {

struct ScenarioResult {
  std::string name;
  std::vector<double> asset_returns;  //!< the scenario's return of each asset
  std::vector<double> pnl;            //!< per position
  double total = 0;
  std::size_t start_row = 0, end_row = 0;  //!< historical scenarios: the rows used (inclusive)
};

struct RangeScenario {
  std::string name;
  std::size_t start_row = 0, end_row = 0;  //!< inclusive
};
struct ShockScenario {
  std::string name;
  std::vector<std::pair<std::size_t, double>> shocks;  //!< (asset column, return)
};

//! `checkpoint` runs before each scenario (the service passes its request deadline check).
std::vector<ScenarioResult> historical_ranges(MatrixView returns, std::span<const double> w, double value,
                                              const std::vector<RangeScenario>& ranges,
                                              const std::function<void()>& checkpoint = {});
//! O(T·N) whatever the length: windows are ranked from block products (van Herk / Gil-Werman), and
//! the chosen ones recompounded row by row.
std::vector<ScenarioResult> worst_windows(MatrixView returns, std::span<const double> w, double value, std::size_t count,
                                          std::size_t length);
std::vector<ScenarioResult> hypothetical_shocks(MatrixView covariance, std::span<const double> w, double value,
                                                const std::vector<ShockScenario>& shocks,
                                                const std::function<void()>& checkpoint = {});

// A stress request as a service receives it: ranges by date or by row, shocks by symbol or column index.
struct NamedRange {
  std::string name, start, end;                       //!< start/end: dates, looked up in `dates`
  std::optional<std::int64_t> start_row, end_row;     //!< or rows
};
struct NamedShocks {
  std::string name = "shock";
  std::vector<std::pair<std::string, double>> moves;  //!< (symbol or column index as text, return)
};
struct StressRequest {
  std::optional<Matrix> returns;     //!< T×N; or
  std::optional<Matrix> covariance;  //!< N×N, for shocks alone
  std::vector<double> weights;
  std::vector<std::string> symbols, dates;
  double value = 1.0;
  std::vector<NamedRange> ranges;
  std::optional<std::pair<std::size_t, std::size_t>> worst;  //!< (count, length)
  std::vector<NamedShocks> shocks;
  analytics::CovarianceOptions covariance_options;  //!< Σ from `returns` for the shocks
};
//! Historical ranges, then the worst windows, then the shocks. Errors name the request's fields.
std::vector<ScenarioResult> stress_test(StressRequest req, const std::function<void()>& checkpoint = {});

}  // namespace sextant::risk
