#include "sextant/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "sextant/core/error.hpp"
#include "csv_cells.hpp"

namespace sextant::data {

using csv::split;
using csv::trim;

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
      if (!csv::missing(c)) {
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
