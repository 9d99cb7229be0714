#pragma once
// Base64 (RFC 4648 §4: A–Z a–z 0–9 + /, '=' padding to a multiple of 4 characters, no line breaks).
// A matrix may travel as base64 of its little-endian float64 bytes ({"rows","cols","data_base64"}), in
// requests and, when asked, in analytics responses: ~1 byte a cycle each way, where JSON number text
// costs ~56 ns a number to read and ~60 ns to write on the CI machine.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sextant {

//! Bytes that `in` decodes to, or nullopt when its length is not a multiple of 4 or it ends in more
//! than two '='. (An '=' before the padding is base64_decode's to report: it is not in the alphabet.)
std::optional<std::size_t> base64_decoded_size(std::string_view in);

//! Decodes `in` into `out`, which holds base64_decoded_size(in) bytes. Returns the offset of the
//! first character outside the alphabet, or std::string_view::npos when every character was valid.
std::size_t base64_decode(std::string_view in, unsigned char* out);

//! Appends the padded base64 text of n bytes to out.
void base64_append(std::string& out, const void* data, std::size_t n);
//! The padded base64 text of n bytes.
std::string base64_encode(const void* data, std::size_t n);

}  // namespace sextant
