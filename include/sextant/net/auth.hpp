#pragma once
// API-key checks that leak nothing about the key: the presented Authorization value and the expected
// "Bearer <key>" are compared as SHA-256 digests, in constant time over the 32 digest bytes, whatever
// their lengths (a plain comparison returns early on a length mismatch, which times the key's length).
#include <array>
#include <cstdint>
#include <string_view>

namespace sextant::net {

using Digest = std::array<std::uint8_t, 32>;

//! SHA-256 (FIPS 180-4).
Digest sha256(std::string_view data);

//! The digest a server keeps of "Bearer <key>", computed once at start.
Digest bearer_digest(std::string_view api_key);

//! Whether an Authorization header value carries the key whose bearer_digest is `expected`.
bool api_key_matches(std::string_view authorization, const Digest& expected);

}  // namespace sextant::net
