#pragma once
// The factor catalogue: every definition is a real expression of the language (no placeholders),
// with an id "<family>.<NAME>", its family and a one-line description.
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sextant/features/compiler.hpp"

namespace sextant::features {

struct Factor {
  std::string id;           //!< "alpha158.KMID"
  std::string family;       //!< "alpha158"
  std::string expression;   //!< "($close-$open)/$open"
  std::string description;  //!< one line
};

//! The catalogue: families in a fixed order (alpha158, alpha360, wq101, the ten seed families, generated),
//! each in its published or generated order. The generated family is built on request from its index.
std::size_t catalogue_size();
Factor catalogue_at(std::size_t i);
//! By id; nullopt when unknown.
std::optional<Factor> find_factor(std::string_view id);
//! (family, count) in catalogue order.
std::vector<std::pair<std::string, std::size_t>> family_counts();
//! Calls `f` for each factor of `family` (every family when empty), in catalogue order.
void for_each_factor(std::string_view family, const std::function<void(const Factor&)>& f);

//! Requested factors compiled into one program: outputs[i] is the node of factors[i].
struct CompiledFactors {
  Program program;
  std::vector<NodeId> outputs;
};
//! The factors of `family` (all when empty) the data can compute, compiled (outputs[k] is ids[k]): every
//! field they read is supplied (or derived: $vwap, $returns), and none is cross-sectional when there is
//! one instrument. Finding them compiles them, so the program comes with them.
struct ComputableFactors {
  std::vector<std::string> ids;
  CompiledFactors compiled;
};
ComputableFactors computable_factors(std::string_view family, const FieldDefaults& data, std::size_t instruments);
//! Each factor is a catalogue id ("alpha158.KMID") or an expression. Errors are
//! Error(invalid_argument) naming "<field>[i]": an unknown id, or the expression's error and position.
CompiledFactors compile_factors(std::span<const std::string> factors, FieldDefaults defaults, std::string_view field = "factors");

//! Qlib's Alpha158 (qlib/contrib/data/loader.py, Alpha158DL with its default config): 9 k-bar
//! factors, 4 price ratios and 29 rolling groups over windows 5, 10, 20, 30, 60.
std::vector<Factor> alpha158();
//! Qlib's Alpha360 (Alpha360DL): 60 days of close, open, high, low, vwap over today's close and of
//! volume over today's volume.
std::vector<Factor> alpha360();
//! All 101 alphas of "101 Formulaic Alphas" (Kakushadze 2016). Those that neutralise by industry read
//! the group fields $sector, $industry or $subindustry; #56 reads $cap.
std::vector<Factor> wq101();
//! The original specification's families with real formulas: technical (TA-Lib over period grids),
//! momentum, mean_reversion, volatility (close-to-close, Parkinson, Garman-Klass, Rogers-Satchell),
//! volume, statistical, cross_sectional, decomposition and fundamental (when supplied).
std::vector<Factor> seed_families();
//! The generated family (catalogue_generated.cpp): its size, its i-th factor, an id's index.
std::size_t generated_size();
Factor generated_at(std::size_t i);
std::optional<std::size_t> generated_index(std::string_view id);

}  // namespace sextant::features
