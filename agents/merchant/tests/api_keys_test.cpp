#include "domain/api_keys.hpp"

#include <gtest/gtest.h>

#include <set>

#include "commerce/core/ids.hpp"

namespace merchant {
namespace {

TEST(ApiKeys, GeneratedKeyHasPrefixAndIsStoredOnlyAsItsHash) {
  const GeneratedApiKey k = generate_api_key();
  EXPECT_EQ(k.key.rfind("ck_live_", 0), 0u) << k.key;
  EXPECT_GT(k.key.size(), 8u + 24u);  // 24 random bytes encode to 32 characters
  EXPECT_EQ(k.hash, commerce::core::sha256_hex(k.key));
  EXPECT_EQ(k.hash.size(), 64u);
  EXPECT_EQ(k.hash.find(k.key), std::string::npos);
  EXPECT_EQ(k.prefix, k.key.substr(0, 12));
  EXPECT_EQ(k.prefix.size(), 12u);
}

TEST(ApiKeys, GeneratedKeysAreDistinct) {
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.insert(generate_api_key().key);
  EXPECT_EQ(keys.size(), 200u);
}

TEST(ApiKeys, HashIsSha256Hex) {
  // sha256("abc")
  EXPECT_EQ(hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equals("secret-token", "secret-token"));
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_FALSE(constant_time_equals("secret-token", "secret-tokem"));
  EXPECT_FALSE(constant_time_equals("secret-token", "secret-token2"));
  EXPECT_FALSE(constant_time_equals("secret-token", "secret"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  // A shorter string padded with NULs must not compare equal to the longer one.
  EXPECT_FALSE(constant_time_equals(std::string("ab\0", 3), "ab"));
}

TEST(BearerToken, ParsesSchemeCaseInsensitively) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_token("BEARER abc"), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST(IsOperator, OnlyTheExactTokenPasses) {
  const std::string token = "op-token-0123456789";
  EXPECT_TRUE(is_operator("Bearer op-token-0123456789", token));
  EXPECT_FALSE(is_operator("Bearer op-token-012345678", token));
  EXPECT_FALSE(is_operator("op-token-0123456789", token));
  EXPECT_FALSE(is_operator("", token));
  EXPECT_FALSE(is_operator("Bearer x", ""));  // an unset token never matches
}

TEST(MerchantName, IsTrimmedAndBounded) {
  EXPECT_EQ(normalize_merchant_name("  Acme  "), "Acme");
  EXPECT_EQ(normalize_merchant_name(" \t "), "");
  EXPECT_EQ(validate_merchant_name("Acme"), std::nullopt);
  EXPECT_NE(validate_merchant_name(""), std::nullopt);
  EXPECT_NE(validate_merchant_name(std::string(201, 'a')), std::nullopt);
  EXPECT_EQ(validate_merchant_name(std::string(200, 'a')), std::nullopt);
}

}  // namespace
}  // namespace merchant
