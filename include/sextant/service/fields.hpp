#pragma once
// Declarative request reading. A handler declares the fields an object may carry — their types,
// whether they are required, integer ranges, enum tables, nested objects — and one pass over the
// object reads them in document order (simdjson On-Demand reads each value once, in order):
//
//   std::vector<double> returns, var;  double confidence = 0.99;
//   service::Fields in;
//   in.req("returns", returns).req("var", var).opt("confidence", confidence);
//   in.read(req, "/backtest-var");
//
// A key no declaration names is an Error(invalid_argument) naming the field (with its prefix: a nested
// object's fields are "limits.max_var"). A required field that is absent is an error naming it. A value
// of the wrong kind is an error from the net JSON readers, naming the field. Defaults are the values
// the targets hold before read().
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sextant/core/matrix.hpp"
#include "sextant/core/names.hpp"
#include "sextant/net/json.hpp"

namespace sextant::service {

namespace od = net::od;

//! Inclusive bounds of an integer field.
struct IntRange {
  std::int64_t lo, hi;
};

// One reader per target type; the integer and enum forms take their range or table.
void read_value(od::value v, const std::string& field, double& out);
void read_value(od::value v, const std::string& field, bool& out);
void read_value(od::value v, const std::string& field, std::string& out);
void read_value(od::value v, const std::string& field, std::vector<double>& out);
void read_value(od::value v, const std::string& field, std::vector<std::string>& out);
void read_value(od::value v, const std::string& field, Matrix& out);
//! {"key": number, ...}; a value's field is "<field>.<key>".
void read_value(od::value v, const std::string& field, std::map<std::string, double>& out);
//! The same as ordered pairs, keys as sent (duplicates kept, in document order).
void read_value(od::value v, const std::string& field, std::vector<std::pair<std::string, double>>& out);
void read_value(od::value v, const std::string& field, std::vector<std::pair<std::string, std::string>>& out);
template <class T>
void read_value(od::value v, const std::string& field, std::optional<T>& out) {
  read_value(v, field, out.emplace());
}

class Fields;

//! Reads the JSON object in the file `path`, named by the config key `key`, with the fields that
//! `declare` declares, then runs `check` (the library's validation of what was read). Any failure (no
//! file, bad JSON, a bad field, a failed check) is Error(config) naming the key, the file and the field.
void read_json_file(const std::string& path, std::string_view key, const std::function<void(Fields&)>& declare,
                    const std::function<void()>& check = {});

class Fields {
 public:
  //! How one declared field is read: the value and its full name ("limits.max_var").
  using ReadFn = std::function<void(od::value, const std::string& field)>;

  //! `prefix` is prepended to every field name in errors: "limits." for a nested object.
  explicit Fields(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  Fields& add(std::string_view name, ReadFn fn, bool required = false);

  template <class T>
  Fields& opt(std::string_view name, T& out) {
    return add(name, [&out](od::value v, const std::string& f) { read_value(v, f, out); });
  }
  template <class T>
  Fields& req(std::string_view name, T& out) {
    return add(name, [&out](od::value v, const std::string& f) { read_value(v, f, out); }, true);
  }
  //! A required field with a range, an enum table or a parse function (as opt).
  template <class T, class X>
  Fields& req(std::string_view name, T& out, const X& how) {
    opt(name, out, how);
    specs_.back().required = true;
    return *this;
  }
  //! An integer (or optional integer) in [r.lo, r.hi].
  template <class T>
  Fields& opt(std::string_view name, T& out, IntRange r) {
    return add(name, [&out, r](od::value v, const std::string& f) { assign_int(out, net::read_int(v, f, r.lo, r.hi)); });
  }
  //! A name from an enum table, into E, std::optional<E> or std::vector<E> (an array of names).
  template <class T, class E, std::size_t N>
  Fields& opt(std::string_view name, T& out, const EnumNames<E, N>& names) {
    return add(name, [&out, &names](od::value v, const std::string& f) {
      if constexpr (std::is_same_v<T, std::vector<E>>) {
        out.clear();
        for (const auto& s : net::read_strings(v, f)) out.push_back(names.parse(s, f));
      } else {
        out = names.parse(net::read_string(v, f), f);
      }
    });
  }
  //! A name read by a library's parse function (E parse(text, field)), into E or std::optional<E>.
  template <class T, class E>
  Fields& opt(std::string_view name, T& out, E (*parse)(std::string_view, std::string_view)) {
    return add(name, [&out, parse](od::value v, const std::string& f) { out = parse(net::read_string(v, f), f); });
  }
  //! A matrix (or optional matrix) whose nulls are read as NaN or refused.
  template <class T>
  Fields& opt(std::string_view name, T& out, net::Nulls nulls) {
    return add(name, [&out, nulls](od::value v, const std::string& f) { out = net::read_matrix(v, f, nulls); });
  }

  //! `old_name` is read as `name` (a documented older spelling). Errors name the field as sent.
  Fields& alias(std::string_view old_name, std::string_view name);

  //! A nested object whose fields `declare` declares (prefix "<name>.").
  Fields& object(std::string_view name, std::function<void(Fields&)> declare, bool required = false);
  //! An array of objects; `declare` is called per element with its index. Errors name the element's fields
  //! "<name>[i].<key>" when `indexed`, else "<name>.<key>".
  Fields& objects(std::string_view name, std::function<void(Fields&, std::size_t)> declare, bool indexed = true);

  //! Reads the object; `where` names it in "unknown field" errors ("/calculate-var").
  void read(od::object obj, std::string_view where);
  //! Parses the request body (an object, else Error(invalid_json)) and reads it.
  void read(const net::Request& req, std::string_view where);

  //! After read(): whether `name` (or an alias of it) was present.
  bool has(std::string_view name) const;
  //! After read(): the first of `names` present in the document, or empty.
  std::string_view first_present(std::initializer_list<std::string_view> names) const;

 private:
  template <class T>
  static void assign_int(T& out, std::int64_t v) {
    if constexpr (requires { out.emplace(); }) out = typename T::value_type(v);
    else out = T(v);
  }
  struct Spec {
    std::string name;
    ReadFn fn;
    bool required = false;
    std::size_t seen = 0;  //!< 0: absent; else 1 + the key's position in the document
    std::string alias_of;  //!< for an alias: the field it reads
  };
  Spec* find(std::string_view name);
  const Spec* find(std::string_view name) const;
  std::string prefix_;
  std::vector<Spec> specs_;
};

}  // namespace sextant::service
