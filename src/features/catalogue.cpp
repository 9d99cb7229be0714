// The catalogue: the families built once, in a fixed order, with an index by id.
#include "sextant/features/catalogue.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

namespace sextant::features {
namespace {

struct Catalogue {
  std::vector<Factor> factors;
  std::unordered_map<std::string_view, std::size_t> by_id;
  Catalogue() {
    for (auto family : {alpha158, alpha360, wq101}) {
      auto f = family();
      factors.insert(factors.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
    }
    by_id.reserve(factors.size());
    for (std::size_t i = 0; i < factors.size(); ++i) by_id.emplace(factors[i].id, i);
  }
};

const Catalogue& the_catalogue() {
  static const Catalogue c;
  return c;
}

}  // namespace

std::span<const Factor> catalogue() { return the_catalogue().factors; }

const Factor* find_factor(std::string_view id) {
  const auto& c = the_catalogue();
  auto it = c.by_id.find(id);
  return it == c.by_id.end() ? nullptr : &c.factors[it->second];
}

std::vector<std::pair<std::string, std::size_t>> family_counts() {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const Factor& f : catalogue()) {
    if (out.empty() || out.back().first != f.family) out.emplace_back(f.family, 0);
    ++out.back().second;
  }
  return out;
}

namespace {

// "family.NAME" with no call, field or operator in it: meant as an id.
bool looks_like_id(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == 0 || dot == s.npos || dot + 1 == s.size()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }) &&
         !std::isdigit(static_cast<unsigned char>(s[0]));
}

}  // namespace

CompiledFactors compile_factors(std::span<const std::string> factors, FieldDefaults defaults, std::string_view field) {
  CompiledFactors out{Program(std::move(defaults)), {}};
  out.outputs.reserve(factors.size());
  for (std::size_t i = 0; i < factors.size(); ++i) {
    const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    const Factor* f = find_factor(factors[i]);
    if (!f && looks_like_id(factors[i]))
      fail(ErrorCode::invalid_argument, name, "unknown factor '{}' (GET /factors lists the catalogue)", factors[i]);
    try {
      out.outputs.push_back(out.program.add(f ? f->expression : factors[i]));
    } catch (const ExpressionError& e) {
      throw Error(ErrorCode::invalid_argument, e.what(), name);
    }
  }
  return out;
}

}  // namespace sextant::features
