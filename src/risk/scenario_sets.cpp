#include "sextant/risk/scenario_sets.hpp"

#include <cctype>

#include <algorithm>
#include <cmath>

#include "sextant/accel/ops.hpp"
#include "sextant/accel/router.hpp"
#include "sextant/core/dot.hpp"
#include "sextant/core/error.hpp"
#include "sextant/core/moments.hpp"

namespace sextant::risk {

std::shared_ptr<const ScenarioSet> ScenarioStore::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = sets_.find(name);
  return it == sets_.end() ? nullptr : it->second;
}

std::shared_ptr<const ScenarioSet> ScenarioStore::get(const std::string& name, const std::string& field) const {
  auto set = find(name);
  if (!set) fail(ErrorCode::not_found, field, "no scenario set named '{}' (PUT /scenario-sets/{} stores one)", name, name);
  return set;
}

std::size_t ScenarioStore::limit_bytes() { return accel::Router::instance().settings().memory_pool_mb * std::size_t(1024 * 1024); }

bool ScenarioStore::put(std::shared_ptr<const ScenarioSet> set) {
  const std::size_t pool = limit_bytes();
  std::lock_guard lock(mu_);
  auto it = sets_.find(set->name);
  const std::size_t replaced = it == sets_.end() ? 0 : it->second->bytes;
  const std::size_t after = bytes_ - replaced + set->bytes;
  if (after > pool)
    fail(ErrorCode::memory_limit, "returns", "the scenario sets would hold {:.1f} MiB, over SME_MEMORY_POOL_MB = {} (DELETE one first)",
         double(after) / (1024.0 * 1024.0), pool / (1024 * 1024));
  bytes_ = after;
  const bool fresh = it == sets_.end();
  sets_[set->name] = std::move(set);
  return fresh;
}

bool ScenarioStore::erase(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = sets_.find(name);
  if (it == sets_.end()) return false;
  bytes_ -= it->second->bytes;
  sets_.erase(it);
  return true;
}

std::vector<std::shared_ptr<const ScenarioSet>> ScenarioStore::list() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const ScenarioSet>> out;
  for (const auto& [name, set] : sets_) out.push_back(set);
  return out;
}

std::size_t ScenarioStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

VarReport calculate_var_on(const ScenarioSet& set, std::span<const double> w, const VarOptions& opt) {
  const bool screen = opt.methods.size() == 1 && opt.methods[0] == VarMethod::historical && !opt.age_weighting_lambda &&
                      !opt.filtered_lambda;
  if (!screen) return calculate_var(set.returns, w, opt);
  VarReport rep;
  for (VarFigures& f : historical_var(set.prepared, w, opt)) rep.results.push_back({{VarMethod::historical, std::move(f)}});
  // σ_p² = wᵀSw and μ_p = wᵀμ: calculate_var's sums over the portfolio returns, to rounding.
  const std::size_t n = w.size();
  const std::vector<double> sw = accel::symv(set.covariance, w);
  const double var_p = dot(w.data(), sw.data(), n);
  if (!(var_p > 0.0)) fail(ErrorCode::invalid_argument, "weights", "the portfolio has zero variance");
  rep.portfolio_volatility = std::sqrt(var_p);
  rep.portfolio_mean = dot(w.data(), set.mean.data(), n);
  return rep;
}

std::string checked_set_name(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (!ok) fail(ErrorCode::invalid_argument, "name", "a scenario set name is 1-64 letters, digits, '-', '_' or '.', got '{}'", name);
  return std::string(name);
}

std::shared_ptr<const ScenarioSet> make_scenario_set(std::string name, Matrix returns, std::vector<std::string> symbols,
                                                     const std::function<void()>& checkpoint) {
  auto set = std::make_shared<ScenarioSet>();
  set->name = checked_set_name(name);
  set->returns = std::move(returns);
  set->symbols = std::move(symbols);
  const std::size_t t = set->returns.rows(), n = set->returns.cols();
  if (!set->symbols.empty() && set->symbols.size() != n)
    fail(ErrorCode::dimension_mismatch, "symbols", "'symbols' has {} names, 'returns' has {} columns", set->symbols.size(), n);
  // The set's own size against the pool before the N×N covariance is allocated; the store checks the total.
  const double bytes = 8.0 * double(t) * double(n) + double(t) * double((n + 15) / 16 * 16) + 8.0 * double(n) * double(n);
  accel::require_memory_pool(bytes, "returns", "the scenario set");
  set->prepared = prepare_scenarios(set->returns);  // checks the shape and that every value is finite
  if (checkpoint) checkpoint();
  set->covariance = accel::covariance(set->returns);
  for (double c : set->covariance.flat())
    if (!std::isfinite(c)) fail(ErrorCode::non_finite, "returns", "the returns' covariance overflows the double range");
  set->mean = column_means(set->returns);
  set->bytes = std::size_t(bytes);
  if (checkpoint) checkpoint();
  return set;
}

}  // namespace sextant::risk
