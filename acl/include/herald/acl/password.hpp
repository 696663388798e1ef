#pragma once
// Password hashes exactly as Mosquitto 2.0 stores them in password_file:
//   $7$<iterations>$<base64 12-byte salt>$<base64 64-byte PBKDF2-HMAC-SHA512>
// (mosquitto_passwd writes 101 iterations). $6$<salt>$<sha512(password+salt)>, the
// older form Mosquitto still accepts, is understood by verify_password too.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::acl {

inline constexpr int kPbkdf2Iterations = 101;
inline constexpr std::size_t kSaltBytes = 12;
inline constexpr std::size_t kHashBytes = 64;

struct ParsedHash {
  int type = 7;        // 6 or 7
  int iterations = 0;  // 0 for type 6
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
};

// A fresh random salt from OpenSSL's RAND_bytes; Error(internal) if that fails.
std::string hash_password(std::string_view password);
std::string hash_password_with_salt(std::string_view password, const std::vector<unsigned char>& salt,
                                    int iterations = kPbkdf2Iterations);
// nullopt unless Mosquitto 2.0.11 would load it (right type, 12-byte salt, 64-byte hash).
std::optional<ParsedHash> parse_hash(std::string_view stored);
bool verify_password(std::string_view stored, std::string_view password);

std::string base64_encode(const std::vector<unsigned char>& bytes);
std::optional<std::vector<unsigned char>> base64_decode(std::string_view text);

}  // namespace herald::acl
