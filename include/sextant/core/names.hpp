#pragma once
// One table per enum: the API name of each value, for parsing requests and writing answers.
//   inline constexpr auto kRiskLevelNames = enum_names<RiskLevel>({{RiskLevel::low, "LOW"}, ...});
//   kRiskLevelNames.name(RiskLevel::low) == "LOW"; kRiskLevelNames.parse("LOW", "risk_level")
// parse throws Error(invalid_argument) naming the field and listing the accepted names.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sextant/core/error.hpp"

namespace sextant {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
struct EnumNames {
  std::array<EnumName<E>, N> rows;

  constexpr std::string_view name(E e) const {
    for (const auto& r : rows)
      if (r.value == e) return r.name;
    return "?";
  }
  constexpr std::optional<E> find(std::string_view s) const {
    for (const auto& r : rows)
      if (r.name == s) return r.value;
    return std::nullopt;
  }
  //! "a, b or c"
  std::string list() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      if (i) out += i + 1 == N ? " or " : ", ";
      out += rows[i].name;
    }
    return out;
  }
  E parse(std::string_view s, std::string_view field) const {
    if (auto e = find(s)) return *e;
    fail(ErrorCode::invalid_argument, std::string(field), "'{}' must be {}; got \"{}\"", field, list(), s);
  }
};

template <class E, std::size_t N>
constexpr EnumNames<E, N> enum_names(const EnumName<E> (&rows)[N]) {
  EnumNames<E, N> t{};
  for (std::size_t i = 0; i < N; ++i) t.rows[i] = rows[i];
  return t;
}

}  // namespace sextant
