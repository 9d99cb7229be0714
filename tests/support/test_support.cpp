#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "sextant/analytics/returns.hpp"
#include "sextant/data/csv.hpp"

namespace sextant::test {

std::string data_path(const std::string& relative) {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("SEXTANT_DATA_DIR"); env && *env) roots.emplace_back(env);
  if (std::string(SEXTANT_SHARED_DATA).size()) roots.emplace_back(SEXTANT_SHARED_DATA);
  roots.emplace_back(SEXTANT_REPO_DATA);
  for (const auto& r : roots) {
    auto p = std::filesystem::path(r) / relative;
    if (std::filesystem::exists(p)) return p.string();
  }
  ADD_FAILURE() << "data file " << relative << " is in none of the data folders";
  throw std::runtime_error("missing data file " + relative);
}

Matrix random_returns(std::size_t t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  Matrix x(t, n);
  for (std::size_t r = 0; r < t; ++r) {
    double f = 0.01 * nd(rng);
    for (std::size_t j = 0; j < n; ++j) x(r, j) = 0.0003 + 0.8 * f + 0.012 * nd(rng);
  }
  return x;
}

Matrix random_spd(std::size_t n, std::uint64_t seed) {
  Matrix a = random_returns(n + 8, n, seed), s(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double v = 0;
      for (std::size_t k = 0; k < a.rows(); ++k) v += a(k, i) * a(k, j);
      s(i, j) = v + (i == j ? 1e-4 : 0.0);
    }
  return s;
}

Matrix dow_log_returns() {
  Panel p = data::read_csv_panel(data_path("dowjones30_daily_close.csv"));
  return analytics::returns_from_prices(p.values, analytics::ReturnsType::log);
}

Matrix lpp_returns_x100() {
  Panel p = data::read_csv_panel(data_path("lpp2005_daily_returns.csv"));
  Matrix r(p.values.rows(), 6);
  for (std::size_t t = 0; t < r.rows(); ++t)
    for (std::size_t j = 0; j < 6; ++j) r(t, j) = 100.0 * p.values(t, j);
  return r;
}

Matrix dow_log_returns_numpy() {
  return data::read_csv_panel(data_path("golden/dowjones30_log_returns_numpy.csv")).values;
}

simdjson::dom::element golden(const std::string& relative) {
  static std::map<std::string, std::pair<std::unique_ptr<simdjson::dom::parser>, simdjson::dom::element>> cache;
  auto it = cache.find(relative);
  if (it == cache.end()) {
    auto parser = std::make_unique<simdjson::dom::parser>();
    simdjson::dom::element doc = parser->load(data_path(relative));
    it = cache.emplace(relative, std::make_pair(std::move(parser), doc)).first;
  }
  return it->second.second;
}

std::vector<double> numbers(simdjson::dom::element array) {
  std::vector<double> out;
  for (auto v : array.get_array()) out.push_back(double(v));
  return out;
}

double max_abs_diff(MatrixView a, MatrixView b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  double m = 0;
  for (std::size_t i = 0; i < std::min(a.rows, b.rows); ++i)
    for (std::size_t j = 0; j < std::min(a.cols, b.cols); ++j) m = std::max(m, std::abs(a(i, j) - b(i, j)));
  return m;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sextant::test
