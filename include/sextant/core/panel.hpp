#pragma once
// A panel: T rows (time) × N columns (instruments), with the instruments' symbols and row labels.
#include <string>
#include <vector>

#include "sextant/core/matrix.hpp"

namespace sextant {

struct Panel {
  std::vector<std::string> symbols;  //!< N column names
  std::vector<std::string> index;    //!< T row labels (dates), may be empty
  Matrix values;                     //!< T×N
};

}  // namespace sextant
