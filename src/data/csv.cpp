#include "sextant/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "sextant/core/error.hpp"

namespace sextant::data {
namespace {

std::vector<std::string_view> split(std::string_view line) {
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Panel read_csv_panel(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::io, "path", "cannot open CSV file '{}'", path);
  Panel p;
  std::string line;
  if (!std::getline(in, line)) fail(ErrorCode::invalid_argument, "path", "CSV file '{}' is empty", path);
  auto header = split(line);
  if (header.size() < 2) fail(ErrorCode::invalid_argument, "path", "'{}': the header needs a label column and data", path);
  for (std::size_t j = 1; j < header.size(); ++j) p.symbols.emplace_back(trim(header[j]));
  const std::size_t n = p.symbols.size();
  std::vector<double> flat;
  std::size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    auto cells = split(line);
    if (cells.size() != n + 1)
      fail(ErrorCode::invalid_argument, "path", "'{}' line {}: {} cells, header has {}", path, line_no, cells.size(),
           n + 1);
    p.index.emplace_back(trim(cells[0]));
    for (std::size_t j = 1; j <= n; ++j) {
      auto c = trim(cells[j]);
      double v = std::nan("");
      if (!c.empty() && c != "NA" && c != "NaN" && c != "nan" && c != "null") {
        auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
        if (ec != std::errc{} || ptr != c.data() + c.size())
          fail(ErrorCode::invalid_argument, "path", "'{}' line {} column '{}': '{}' is not a number", path, line_no,
               p.symbols[j - 1], c);
      }
      flat.push_back(v);
    }
  }
  p.values = Matrix(p.index.size(), n);
  std::copy(flat.begin(), flat.end(), p.values.data());
  return p;
}

}  // namespace sextant::data
