#include "herald/acl/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "herald/common/error.hpp"

namespace herald::acl {
namespace {

std::vector<std::string_view> split_dollar(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find('$', start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::vector<unsigned char> pbkdf2(std::string_view password, const std::vector<unsigned char>& salt, int iterations) {
  std::vector<unsigned char> out(kHashBytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        iterations, EVP_sha512(), static_cast<int>(out.size()), out.data()) != 1)
    throw Error(ErrorKind::internal, "OpenSSL PBKDF2-HMAC-SHA512 failed");
  return out;
}

std::vector<unsigned char> sha512_salted(std::string_view password, const std::vector<unsigned char>& salt) {
  std::vector<unsigned char> out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) throw Error(ErrorKind::internal, "OpenSSL EVP_MD_CTX_new failed");
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
            EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 && EVP_DigestFinal_ex(ctx, out.data(), &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw Error(ErrorKind::internal, "OpenSSL SHA-512 failed");
  out.resize(length);
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

void require_usable(std::string_view password) {
  // Mosquitto hashes strlen(password): a NUL would silently cut the password short.
  if (password.find('\0') != std::string_view::npos)
    throw Error(ErrorKind::usage, "the password must not contain a NUL character");
}

}  // namespace

std::string base64_encode(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::vector<unsigned char>> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // '=' only in the last two places
      ++padding;
    } else if (padding > 0 || !is_base64_char(c)) {
      return std::nullopt;
    }
  }
  std::vector<unsigned char> out(text.size() / 4 * 3);
  int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string hash_password_with_salt(std::string_view password, const std::vector<unsigned char>& salt, int iterations) {
  require_usable(password);
  if (salt.size() != kSaltBytes) throw Error(ErrorKind::internal, "password salt must be 12 bytes");
  if (iterations < 1) throw Error(ErrorKind::internal, "PBKDF2 iterations must be at least 1");
  return "$7$" + std::to_string(iterations) + "$" + base64_encode(salt) + "$" +
         base64_encode(pbkdf2(password, salt, iterations));
}

std::string hash_password(std::string_view password) {
  std::vector<unsigned char> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw Error(ErrorKind::internal, "OpenSSL could not generate a random salt");
  return hash_password_with_salt(password, salt, kPbkdf2Iterations);
}

std::optional<ParsedHash> parse_hash(std::string_view stored) {
  auto parts = split_dollar(stored);
  // "$7$101$salt$hash" splits into "", "7", "101", salt, hash.
  ParsedHash parsed;
  std::string_view salt_text;
  std::string_view hash_text;
  if (parts.size() == 5 && parts[0].empty() && parts[1] == "7") {
    auto digits = parts[2];
    if (digits.empty() || digits.size() > 7) return std::nullopt;
    int iterations = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      iterations = iterations * 10 + (c - '0');
    }
    if (iterations < 1) return std::nullopt;
    parsed.type = 7;
    parsed.iterations = iterations;
    salt_text = parts[3];
    hash_text = parts[4];
  } else if (parts.size() == 4 && parts[0].empty() && parts[1] == "6") {
    parsed.type = 6;
    salt_text = parts[2];
    hash_text = parts[3];
  } else {
    return std::nullopt;
  }
  auto salt = base64_decode(salt_text);
  auto hash = base64_decode(hash_text);
  if (!salt || !hash || salt->size() != kSaltBytes || hash->size() != kHashBytes) return std::nullopt;
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

bool verify_password(std::string_view stored, std::string_view password) {
  auto parsed = parse_hash(stored);
  if (!parsed || password.find('\0') != std::string_view::npos) return false;
  auto computed =
      parsed->type == 7 ? pbkdf2(password, parsed->salt, parsed->iterations) : sha512_salted(password, parsed->salt);
  return computed.size() == parsed->hash.size() &&
         CRYPTO_memcmp(computed.data(), parsed->hash.data(), computed.size()) == 0;
}

}  // namespace herald::acl
