#pragma once
// Stored return histories ("scenario sets"): a history stored once (the risk service's
// PUT /scenario-sets/{name}), kept in memory (not across restarts), and named by later VaR requests
// instead of their returns. Each set is prepared for the historical screen (risk/scenarios.hpp) when
// built, and all sets together stay within SME_MEMORY_POOL_MB.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/risk/scenarios.hpp"
#include "sextant/risk/var.hpp"

namespace sextant::risk {

struct ScenarioSet {
  std::string name;
  Matrix returns;                    //!< T×N
  std::vector<std::string> symbols;  //!< N names, or empty
  Matrix covariance;                 //!< sample (ddof 1): σ_p for the historical screen's answers
  std::vector<double> mean;          //!< column means: μ_p likewise
  HistoricalScenarios prepared;      //!< views `returns`: a set is never moved once built
  std::size_t bytes = 0;             //!< what the set holds, counted against SME_MEMORY_POOL_MB
};

//! The named sets, shared by the risk routes. Requests hold a set by shared_ptr, so replacing or
//! deleting one never pulls a history from under a running calculation.
class ScenarioStore {
 public:
  std::shared_ptr<const ScenarioSet> find(const std::string& name) const;
  //! The set named `field` names, or a 404 naming that field.
  std::shared_ptr<const ScenarioSet> get(const std::string& name, const std::string& field) const;
  //! Stores `set` (replacing one of the same name); true when it is new. A 413 naming "returns" when
  //! the sets would hold more than the memory pool.
  bool put(std::shared_ptr<const ScenarioSet> set);
  bool erase(const std::string& name);
  std::vector<std::shared_ptr<const ScenarioSet>> list() const;
  std::size_t bytes() const;
  //! What all sets together may hold: SME_MEMORY_POOL_MB.
  static std::size_t limit_bytes();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const ScenarioSet>> sets_;
  std::size_t bytes_ = 0;
};

//! A set name is a path segment: 1-64 letters, digits, '-', '_' or '.'; Error(invalid_argument) naming
//! "name" otherwise.
std::string checked_set_name(std::string_view name);

//! Builds a set from a T×N history (finite) and optional symbols: prepares the screen, the sample
//! covariance and the means. Checks the set's size against the memory pool before it allocates;
//! `checkpoint` (may be empty) is called between the steps.
std::shared_ptr<const ScenarioSet> make_scenario_set(std::string name, Matrix returns, std::vector<std::string> symbols,
                                                     const std::function<void()>& checkpoint);

//! calculate_var's answer from a stored set: the historical screen when historical is the only method
//! and neither age weighting nor filtering is asked for, calculate_var on the stored history otherwise.
VarReport calculate_var_on(const ScenarioSet& set, std::span<const double> weights, const VarOptions& opt);

}  // namespace sextant::risk
