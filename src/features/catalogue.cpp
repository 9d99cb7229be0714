// The catalogue: the stored families built once, in a fixed order, with an index by id; the generated
// family after them, built on request.
#include "sextant/features/catalogue.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

#include "sextant/core/error.hpp"

namespace sextant::features {
namespace {

struct Stored {
  std::vector<Factor> factors;
  std::unordered_map<std::string_view, std::size_t> by_id;
  std::vector<std::pair<std::string, std::size_t>> families;
  Stored() {
    for (auto family : {alpha158, alpha360, wq101, seed_families}) {
      auto f = family();
      factors.insert(factors.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
    }
    by_id.reserve(factors.size());
    for (std::size_t i = 0; i < factors.size(); ++i) {
      by_id.emplace(factors[i].id, i);
      if (families.empty() || families.back().first != factors[i].family) families.emplace_back(factors[i].family, 0);
      ++families.back().second;
    }
    families.emplace_back("generated", generated_size());
  }
};

const Stored& stored() {
  static const Stored s;
  return s;
}

// "family.NAME" with no call, field or operator in it: meant as an id.
bool looks_like_id(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == 0 || dot == s.npos || dot + 1 == s.size()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }) &&
         !std::isdigit(static_cast<unsigned char>(s[0]));
}

}  // namespace

std::size_t catalogue_size() { return stored().factors.size() + generated_size(); }

Factor catalogue_at(std::size_t i) {
  const auto& s = stored();
  return i < s.factors.size() ? s.factors[i] : generated_at(i - s.factors.size());
}

std::optional<Factor> find_factor(std::string_view id) {
  const auto& s = stored();
  if (auto it = s.by_id.find(id); it != s.by_id.end()) return s.factors[it->second];
  if (auto g = generated_index(id)) return generated_at(*g);
  return std::nullopt;
}

std::vector<std::pair<std::string, std::size_t>> family_counts() { return stored().families; }

void for_each_factor(std::string_view family, const std::function<void(const Factor&)>& f) {
  const auto& s = stored();
  if (family.empty() || family != "generated")
    for (const Factor& x : s.factors)
      if (family.empty() || x.family == family) f(x);
  if (family.empty() || family == "generated")
    for (std::size_t i = 0, n = generated_size(); i < n; ++i) f(generated_at(i));
}

ComputableFactors computable_factors(std::string_view family, const FieldDefaults& data, std::size_t instruments) {
  ComputableFactors out{{}, {Program(data), {}}};
  Program& p = out.compiled.program;
  std::vector<signed char> ok;  // per node: 1 computable, 0 not, -1 not known yet
  auto computable = [&](NodeId root) {
    ok.resize(p.nodes().size(), -1);
    std::vector<NodeId> stack{root};
    std::vector<NodeId> order;
    while (!stack.empty()) {  // children before parents; nodes are created inputs first, so ids sort them
      const NodeId x = stack.back();
      stack.pop_back();
      if (ok[x] >= 0) continue;
      order.push_back(x);
      for (NodeId in : p.node(x).inputs) stack.push_back(in);
    }
    std::sort(order.begin(), order.end());
    for (NodeId x : order) {
      if (ok[x] >= 0) continue;
      const Node& n = p.node(x);
      bool good = true;
      if (n.op == Op::field) good = std::find(data.supplied.begin(), data.supplied.end(), n.field) != data.supplied.end();
      if (op_def(n.op).cls == OpClass::cross_section && instruments < 2) good = false;
      for (NodeId in : n.inputs) good = good && ok[in] == 1;
      ok[x] = good ? 1 : 0;
    }
    return ok[root] == 1;
  };
  for_each_factor(family, [&](const Factor& f) {
    const NodeId id = p.add(f.expression);
    if (computable(id)) out.ids.push_back(f.id), out.compiled.outputs.push_back(id);
  });
  return out;
}

CompiledFactors compile_factors(std::span<const std::string> factors, FieldDefaults defaults, std::string_view field) {
  CompiledFactors out{Program(std::move(defaults)), {}};
  out.outputs.reserve(factors.size());
  for (std::size_t i = 0; i < factors.size(); ++i) {
    const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    const std::optional<Factor> f = looks_like_id(factors[i]) ? find_factor(factors[i]) : std::nullopt;
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
