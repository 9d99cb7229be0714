#include "sextant/core/base64.hpp"

#include <array>
#include <cstdint>

namespace sextant {

namespace {

// Character -> 6-bit value; -1 outside the alphabet (so the OR of a group is negative if any is).
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int32_t, 256> make_table() {
  std::array<std::int32_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = std::int32_t(i);
  return t;
}
constexpr std::array<std::int32_t, 256> kTable = make_table();

std::int32_t sextet(char c) { return kTable[static_cast<unsigned char>(c)]; }

// The first invalid character of a group that failed.
std::size_t first_bad(std::string_view in, std::size_t at, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k)
    if (sextet(in[at + k]) < 0) return at + k;
  return at;
}

}  // namespace

std::optional<std::size_t> base64_decoded_size(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < in.size() && pad < 3 && in[in.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return std::nullopt;
  return in.size() / 4 * 3 - pad;  // an '=' further in is outside the alphabet: base64_decode finds it
}

std::size_t base64_decode(std::string_view in, unsigned char* out) {
  if (in.empty()) return std::string_view::npos;
  const std::size_t groups = in.size() / 4;
  // Every group but the last has four sextets: 24 bits, 3 bytes.
  for (std::size_t g = 0; g + 1 < groups; ++g) {
    const char* p = in.data() + 4 * g;
    const std::int32_t v = (sextet(p[0]) << 18) | (sextet(p[1]) << 12) | (sextet(p[2]) << 6) | sextet(p[3]);
    if (v < 0) return first_bad(in, 4 * g, 4);
    out[0] = static_cast<unsigned char>(v >> 16);
    out[1] = static_cast<unsigned char>(v >> 8);
    out[2] = static_cast<unsigned char>(v);
    out += 3;
  }
  const std::size_t at = 4 * (groups - 1);
  const std::size_t chars = in[at + 3] != '=' ? 4 : in[at + 2] != '=' ? 3 : 2;
  std::int32_t v = 0;
  for (std::size_t k = 0; k < chars; ++k) {
    const std::int32_t s = sextet(in[at + k]);
    if (s < 0) return at + k;
    v |= s << (18 - 6 * k);
  }
  for (std::size_t k = 0; k + 1 < chars; ++k) out[k] = static_cast<unsigned char>(v >> (16 - 8 * k));
  return std::string_view::npos;
}

void base64_append(std::string& out, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t start = out.size(), whole = n / 3;
  out.resize(start + (n + 2) / 3 * 4);
  char* o = out.data() + start;
  for (std::size_t g = 0; g < whole; ++g, p += 3, o += 4) {
    const std::uint32_t v = std::uint32_t(p[0]) << 16 | std::uint32_t(p[1]) << 8 | p[2];
    o[0] = kAlphabet[v >> 18];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = kAlphabet[(v >> 6) & 63];
    o[3] = kAlphabet[v & 63];
  }
  if (const std::size_t k = n % 3; k) {  // 1 or 2 bytes left: "xx==" or "xxx="
    const std::uint32_t v = std::uint32_t(p[0]) << 16 | (k > 1 ? std::uint32_t(p[1]) << 8 : 0u);
    o[0] = kAlphabet[v >> 18];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = k > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    o[3] = '=';
  }
}

std::string base64_encode(const void* data, std::size_t n) {
  std::string out;
  base64_append(out, data, n);
  return out;
}

}  // namespace sextant
