// JSON (through simdjson) and UBJSON (https://ubjson.org, as XGBoost 1.7 writes it) into Doc.
#include "doc.hpp"

#include <simdjson.h>

#include <bit>
#include <cstring>

#include "sextant/core/error.hpp"

namespace sextant::ml {
namespace {
// The request field a path inside a document belongs to: "model" for "model.learner.trees[3]".
std::string root(std::string_view path) { return std::string(path.substr(0, path.find_first_of(".["))); }
}  // namespace

const Doc* Doc::find(std::string_view key) const {
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &values[i];
  return nullptr;
}

const Doc& Doc::at(std::string_view key, std::string_view path) const {
  if (type != Type::object) fail(ErrorCode::invalid_argument, root(path), "{} must be an object", path);
  if (const Doc* d = find(key)) return *d;
  fail(ErrorCode::invalid_argument, root(path), "{} has no member '{}'", path, key);
}

double Doc::number(std::string_view path) const {
  switch (type) {
    case Type::integer: return double(i);
    case Type::number: return d;
    case Type::boolean: return b ? 1 : 0;
    case Type::string: {
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) return v;
      break;
    }
    default: break;
  }
  fail(ErrorCode::invalid_argument, root(path), "{} must be a number", path);
}

const std::vector<Doc>& Doc::array(std::string_view path) const {
  if (type != Type::array) fail(ErrorCode::invalid_argument, root(path), "{} must be an array", path);
  return items;
}

namespace {

Doc from_dom(simdjson::dom::element e) {
  Doc d;
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: {
      d.type = Doc::Type::array;
      simdjson::dom::array a;
      if (e.get(a)) break;  // the type is known: cannot fail
      d.items.reserve(a.size());
      for (simdjson::dom::element x : a) d.items.push_back(from_dom(x));
      break;
    }
    case simdjson::dom::element_type::OBJECT: {
      d.type = Doc::Type::object;
      simdjson::dom::object o;
      if (e.get(o)) break;
      for (simdjson::dom::key_value_pair kv : o) d.keys.emplace_back(kv.key), d.values.push_back(from_dom(kv.value));
      break;
    }
    case simdjson::dom::element_type::INT64: d.type = Doc::Type::integer, d.i = e.get_int64().value_unsafe(); break;
    case simdjson::dom::element_type::UINT64: d.type = Doc::Type::number, d.d = double(e.get_uint64().value_unsafe()); break;
    case simdjson::dom::element_type::DOUBLE: d.type = Doc::Type::number, d.d = e.get_double().value_unsafe(); break;
    case simdjson::dom::element_type::STRING: d.type = Doc::Type::string, d.s = std::string(e.get_string().value_unsafe()); break;
    case simdjson::dom::element_type::BOOL: d.type = Doc::Type::boolean, d.b = e.get_bool().value_unsafe(); break;
    case simdjson::dom::element_type::NULL_VALUE: break;
  }
  return d;
}

// UBJSON: big-endian scalars, optimised containers ('$' type, '#' count) as XGBoost writes its arrays.
struct Ubj {
  std::string_view in;
  std::size_t p = 0;
  std::string_view field;
  int depth = 0;

  [[noreturn]] void bad(std::string_view what) const {
    fail(ErrorCode::invalid_argument, std::string(field), "not a valid UBJSON model: {} at byte {}", what, p);
  }
  char byte() {
    if (p >= in.size()) bad("unexpected end");
    return in[p++];
  }
  template <class T>
  T be() {
    if (in.size() - p < sizeof(T)) bad("unexpected end");
    T v;
    std::memcpy(&v, in.data() + p, sizeof v);
    p += sizeof v;
    if constexpr (std::endian::native == std::endian::little) {
      if constexpr (sizeof(T) == 2) v = std::bit_cast<T>(__builtin_bswap16(std::bit_cast<std::uint16_t>(v)));
      if constexpr (sizeof(T) == 4) v = std::bit_cast<T>(__builtin_bswap32(std::bit_cast<std::uint32_t>(v)));
      if constexpr (sizeof(T) == 8) v = std::bit_cast<T>(__builtin_bswap64(std::bit_cast<std::uint64_t>(v)));
    }
    return v;
  }
  std::int64_t integer(char t) {
    switch (t) {
      case 'i': return be<std::int8_t>();
      case 'U': return be<std::uint8_t>();
      case 'I': return be<std::int16_t>();
      case 'l': return be<std::int32_t>();
      case 'L': return be<std::int64_t>();
      default: bad("expected an integer type");
    }
  }
  std::size_t length() {
    const std::int64_t n = integer(byte());
    if (n < 0 || std::size_t(n) > in.size() - p) bad("a length past the end of the input");  // bounds counts of 0-byte values too
    return std::size_t(n);
  }
  std::string text() {
    const std::size_t n = length();
    if (in.size() - p < n) bad("unexpected end");
    std::string s(in.substr(p, n));
    p += n;
    return s;
  }
  Doc value(char t) {
    Doc d;
    switch (t) {
      case 'Z': return d;
      case 'T': d.type = Doc::Type::boolean, d.b = true; return d;
      case 'F': d.type = Doc::Type::boolean; return d;
      case 'i': case 'U': case 'I': case 'l': case 'L': d.type = Doc::Type::integer, d.i = integer(t); return d;
      case 'd': d.type = Doc::Type::number, d.d = be<float>(); return d;
      case 'D': d.type = Doc::Type::number, d.d = be<double>(); return d;
      case 'C': d.type = Doc::Type::string, d.s = std::string(1, byte()); return d;
      case 'S': case 'H': d.type = Doc::Type::string, d.s = text(); return d;
      case '[': case '{': {
        if (++depth > 64) bad("nesting deeper than 64");
        const bool object = t == '{';
        d.type = object ? Doc::Type::object : Doc::Type::array;
        char type = 0;
        std::int64_t count = -1;
        if (p < in.size() && in[p] == '$') ++p, type = byte();
        if (p < in.size() && in[p] == '#') ++p, count = std::int64_t(length());
        if (type && count < 0) bad("a typed container without a count");
        auto one = [&](char vt) {
          if (object) {
            std::string k = text();
            d.keys.push_back(std::move(k));
            d.values.push_back(value(vt ? vt : byte()));
          } else {
            d.items.push_back(value(vt ? vt : byte()));
          }
        };
        if (count >= 0) {
          if (object) d.keys.reserve(std::size_t(count)), d.values.reserve(std::size_t(count));
          else d.items.reserve(std::size_t(count));
          for (std::int64_t k = 0; k < count; ++k) one(type);
        } else {
          for (;;) {
            if (p >= in.size()) bad("unterminated container");
            if (in[p] == (object ? '}' : ']')) {
              ++p;
              break;
            }
            if (in[p] == 'N') {
              ++p;
              continue;
            }
            one(0);
          }
        }
        --depth;
        return d;
      }
      default: bad(std::string("unknown type marker '") + (t >= 32 && t < 127 ? std::string(1, t) : "?") + "'");
    }
  }
};

}  // namespace

Doc parse_json_doc(std::string_view text, std::string_view field) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  auto r = parser.parse(padded);
  if (r.error()) fail(ErrorCode::invalid_argument, std::string(field), "not valid JSON: {}", simdjson::error_message(r.error()));
  return from_dom(r.value_unsafe());
}

Doc parse_ubjson_doc(std::string_view bytes, std::string_view field) {
  Ubj u{bytes, 0, field};
  Doc d = u.value(u.byte());
  if (u.p != bytes.size()) u.bad("trailing bytes");
  return d;
}

}  // namespace sextant::ml
