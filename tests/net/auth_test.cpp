// API-key comparison by SHA-256 digests, and strings written as valid UTF-8.
#include <gtest/gtest.h>

#include "sextant/net/auth.hpp"
#include "sextant/net/json.hpp"

namespace sextant::net {
namespace {

std::string hex(const Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto b : d) s += digits[b >> 4], s += digits[b & 15];
  return s;
}

TEST(Auth, Sha256KnownVectors) {  // FIPS 180-4 examples
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Auth, KeysMatchOnlyExactly) {
  const Digest d = bearer_digest("k3y");
  EXPECT_TRUE(api_key_matches("Bearer k3y", d));
  for (const char* wrong : {"", "Bearer", "Bearer ", "Bearer k3", "Bearer k3y ", "bearer k3y", "Bearer k3z", "Bearer k3yk3y"})
    EXPECT_FALSE(api_key_matches(wrong, d)) << wrong;
}

TEST(JsonWrite, StringsAreValidUtf8AndErrorsAreCut) {
  JsonWriter w;
  w.value(std::string_view("caf\xc3\xa9 \xff\xfe \xe2\x82\xac \xed\xa0\x80 \xf0\x9f\x98\x80 \xc0\xaf"));
  EXPECT_EQ(w.str(), "\"caf\xc3\xa9 \\ufffd\\ufffd \xe2\x82\xac \\ufffd\\ufffd\\ufffd \xf0\x9f\x98\x80 \\ufffd\\ufffd\"")
      << "overlongs and surrogates are not UTF-8";
  const std::string body = error_body("SME_INVALID_ARGUMENT", std::string(5000, 'm'), std::string(5000, 'f'));
  EXPECT_LT(body.size(), 1000u);
  EXPECT_NE(body.find("… (cut)"), std::string::npos);
  EXPECT_EQ(clip("\xc3\xa9\xc3\xa9", 3), "\xc3\xa9") << "never inside a character";
}

}  // namespace
}  // namespace sextant::net
