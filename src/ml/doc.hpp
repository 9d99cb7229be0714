#pragma once
// A small document tree for model files: XGBoost writes the same schema as JSON and as UBJSON
// (Universal Binary JSON), so both parse into this and one reader walks it.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sextant::ml {

struct Doc {
  enum class Type : std::uint8_t { null, boolean, integer, number, string, array, object };
  Type type = Type::null;
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Doc> items;                          // array
  std::vector<std::string> keys;  // object, in file order: keys[i] names values[i]
  std::vector<Doc> values;        // (two vectors: a pair<string, Doc> member needs Doc complete)

  //! The member `key` of an object; throws invalid_argument naming `path`.`key` when absent.
  const Doc& at(std::string_view key, std::string_view path) const;
  const Doc* find(std::string_view key) const;
  //! A number, from a number, an integer or a numeric string (XGBoost writes "5E-1").
  double number(std::string_view path) const;
  const std::vector<Doc>& array(std::string_view path) const;
};

//! Throws invalid_argument naming `field` on malformed input.
Doc parse_json_doc(std::string_view text, std::string_view field);
Doc parse_ubjson_doc(std::string_view bytes, std::string_view field);

}  // namespace sextant::ml
