#pragma once
// CSV loading: a header row, a first column of row labels (dates), then numeric columns.
// Empty cells and NA/NaN/null read as NaN.
#include <string>

#include "sextant/core/panel.hpp"

namespace sextant::data {

//! Throws Error(io) when the file cannot be read, Error(invalid_argument) naming line and column
//! when a cell is not a number or a row has the wrong width.
Panel read_csv_panel(const std::string& path);

}  // namespace sextant::data
