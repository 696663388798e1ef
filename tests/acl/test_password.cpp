#include <doctest/doctest.h>
#include <openssl/evp.h>

#include "herald/acl/password.hpp"

using namespace herald::acl;

TEST_CASE("hash_password writes Mosquitto's $7$ format") {
  auto h = hash_password("correct horse");
  REQUIRE(h.rfind("$7$101$", 0) == 0);
  auto parsed = parse_hash(h);
  REQUIRE(parsed.has_value());
  CHECK(parsed->type == 7);
  CHECK(parsed->iterations == 101);
  CHECK(parsed->salt.size() == 12);
  CHECK(parsed->hash.size() == 64);
  // Salt: 12 bytes -> 16 base64 chars; hash: 64 bytes -> 88 chars with "==".
  CHECK(h.size() == std::string("$7$101$").size() + 16 + 1 + 88);

  // Recompute PBKDF2-HMAC-SHA512 independently with the parsed salt.
  std::vector<unsigned char> expected(64);
  std::string pw = "correct horse";
  REQUIRE(PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()), parsed->salt.data(), 12, 101, EVP_sha512(), 64,
                            expected.data()) == 1);
  CHECK(parsed->hash == expected);
  CHECK(verify_password(h, "correct horse"));
  CHECK_FALSE(verify_password(h, "correct horse "));
}

TEST_CASE("fresh salt per hash") { CHECK(hash_password("x") != hash_password("x")); }

TEST_CASE("a hash made by mosquitto_passwd 2.0.11 verifies") {
  // mosquitto_passwd -b -c /tmp/x user pw
  const std::string from_mosquitto =
      "$7$101$a/oLUxuwvui6PcYn$i3WrL2bG+F/QKhPQsI70Y4yU8mJqDVkB4hKNIbSQ3c9xEa7OrYko4gAzP/"
      "CJyaKZCetrIJR8B4pgnTyUvG20nQ==";
  CHECK(verify_password(from_mosquitto, "pw"));
  CHECK_FALSE(verify_password(from_mosquitto, "pW"));
  auto parsed = parse_hash(from_mosquitto);
  REQUIRE(parsed);
  CHECK(hash_password_with_salt("pw", parsed->salt) == from_mosquitto);
}

TEST_CASE("parse_hash accepts only what Mosquitto would load") {
  CHECK_FALSE(parse_hash(""));
  CHECK_FALSE(parse_hash("secret"));
  CHECK_FALSE(parse_hash("$7$0$a/oLUxuwvui6PcYn$" + std::string(86, 'A') + "=="));   // 0 iterations
  CHECK_FALSE(parse_hash("$7$101$a/oLUxuwvui6PcY$" + std::string(86, 'A') + "=="));  // salt not 12 bytes
  CHECK_FALSE(parse_hash("$7$101$a/oLUxuwvui6PcYn$AAAA"));                           // hash not 64 bytes
  CHECK_FALSE(parse_hash("$5$101$a/oLUxuwvui6PcYn$" + std::string(86, 'A') + "=="));
  CHECK(parse_hash("$7$101$a/oLUxuwvui6PcYn$" + std::string(86, 'A') + "=="));
  CHECK(parse_hash("$6$a/oLUxuwvui6PcYn$" + std::string(86, 'A') + "=="));
}

TEST_CASE("base64 round trip") {
  for (std::size_t n = 0; n < 10; ++n) {
    std::vector<unsigned char> bytes(n + 1);
    for (std::size_t i = 0; i <= n; ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 1);
    auto back = base64_decode(base64_encode(bytes));
    REQUIRE(back);
    CHECK(*back == bytes);
  }
  CHECK_FALSE(base64_decode("ab=c"));
  CHECK_FALSE(base64_decode("a*cd"));
}
