#pragma once
// Internal to src/data: the cells of one CSV line, shared by the panel reader (csv.cpp) and the bar
// reader (bar_csv.cpp).
#include <string_view>
#include <vector>

namespace sextant::data::csv {

inline std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (true) {
    std::size_t j = line.find(',', i);
    out.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

//! Without surrounding spaces, quotes and a trailing CR.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

//! Empty, NA, NaN, nan or null: a missing value.
inline bool missing(std::string_view c) { return c.empty() || c == "NA" || c == "NaN" || c == "nan" || c == "null"; }

}  // namespace sextant::data::csv
