#include "sextant/service/fields.hpp"

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "sextant/core/error.hpp"

namespace sextant::service {

void read_json_file(const std::string& path, std::string_view key, const std::function<void(Fields&)>& declare,
                    const std::function<void()>& check) {
  const std::string k(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::config, k, "config '{}': cannot read '{}'", key, path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    simdjson::padded_string padded(text);
    simdjson::ondemand::parser parser;
    auto doc = parser.iterate(padded);
    od::object root;
    if (doc.get_object().get(root)) fail(ErrorCode::config, k, "config '{}': '{}' is not a JSON object", key, path);
    Fields f;
    declare(f);
    f.read(root, path);
    if (check) check();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::config) throw;
    fail(ErrorCode::config, k, "config '{}': {}: {}{}{}", key, path, e.field(), e.field().empty() ? "" : ": ", e.what());
  } catch (const simdjson::simdjson_error& e) {
    fail(ErrorCode::config, k, "config '{}': '{}' is not valid JSON ({})", key, path, e.what());
  }
}

void read_value(od::value v, const std::string& field, double& out) { out = net::read_number(v, field); }
void read_value(od::value v, const std::string& field, bool& out) { out = net::read_bool(v, field); }
void read_value(od::value v, const std::string& field, std::string& out) { out = net::read_string(v, field); }
void read_value(od::value v, const std::string& field, std::vector<double>& out) { out = net::read_vector(v, field); }
void read_value(od::value v, const std::string& field, std::vector<std::string>& out) { out = net::read_strings(v, field); }
void read_value(od::value v, const std::string& field, Matrix& out) { out = net::read_matrix(v, field); }

void read_value(od::value v, const std::string& field, std::map<std::string, double>& out) {
  out.clear();
  for (auto kv : net::read_object(v, field)) {
    std::string k(std::string_view(kv.unescaped_key()));
    out[k] = net::read_number(kv.value(), field + "." + k);
  }
}

void read_value(od::value v, const std::string& field, std::vector<std::pair<std::string, double>>& out) {
  out.clear();
  for (auto kv : net::read_object(v, field)) {
    std::string k(std::string_view(kv.unescaped_key()));
    out.emplace_back(k, net::read_number(kv.value(), field + "." + k));
  }
}

void read_value(od::value v, const std::string& field, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  for (auto kv : net::read_object(v, field)) {
    std::string k(std::string_view(kv.unescaped_key()));
    out.emplace_back(k, net::read_string(kv.value(), field + "." + k));
  }
}

Fields& Fields::add(std::string_view name, ReadFn fn, bool required) {
  specs_.push_back({std::string(name), std::move(fn), required, 0, {}});
  return *this;
}

Fields& Fields::alias(std::string_view old_name, std::string_view name) {
  specs_.push_back({std::string(old_name), nullptr, false, 0, std::string(name)});
  return *this;
}

Fields& Fields::object(std::string_view name, std::function<void(Fields&)> declare, bool required) {
  const std::string prefix = prefix_ + std::string(name) + ".";
  return add(
      name,
      [declare = std::move(declare), prefix](od::value v, const std::string& field) {
        Fields sub(prefix);
        declare(sub);
        sub.read(net::read_object(v, field), field);
      },
      required);
}

Fields& Fields::objects(std::string_view name, std::function<void(Fields&, std::size_t)> declare, bool indexed) {
  const std::string base = prefix_ + std::string(name);
  return add(name, [declare = std::move(declare), base, indexed](od::value v, const std::string& field) {
    std::size_t i = 0;
    for (auto e : net::read_array(v, field)) {
      const std::string element = indexed ? fmt::format("{}[{}]", base, i) : base;
      Fields sub(element + ".");
      declare(sub, i);
      sub.read(net::read_object(e.value(), element), element);
      ++i;
    }
  });
}

Fields::Spec* Fields::find(std::string_view name) {
  for (auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

const Fields::Spec* Fields::find(std::string_view name) const { return const_cast<Fields*>(this)->find(name); }

void Fields::read(od::object obj, std::string_view where) {
  std::size_t position = 0;
  for (auto kv : obj) {
    std::string_view k = kv.unescaped_key();
    ++position;
    Spec* s = find(k);
    if (!s) fail(ErrorCode::invalid_argument, prefix_ + std::string(k), "unknown field '{}' in {}", k, where);
    s->seen = position;
    Spec* target = s->alias_of.empty() ? s : find(s->alias_of);
    if (!target->seen) target->seen = position;
    target->fn(kv.value(), prefix_ + std::string(k));
  }
  for (const auto& s : specs_)
    if (s.required && !s.seen) fail(ErrorCode::invalid_argument, prefix_ + s.name, "'{}{}' is required", prefix_, s.name);
}

void Fields::read(const net::Request& req, std::string_view where) {
  net::Body body(req);
  read(body.root(), where);
}

bool Fields::has(std::string_view name) const {
  const Spec* s = find(name);
  return s && s->seen;
}

std::string_view Fields::first_present(std::initializer_list<std::string_view> names) const {
  std::string_view best;
  std::size_t at = 0;
  for (auto n : names)
    for (const auto& s : specs_)
      if (s.seen && (s.name == n || s.alias_of == n) && (!at || s.seen < at)) best = s.name, at = s.seen;
  return best;
}

}  // namespace sextant::service
