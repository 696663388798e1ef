#pragma once
// Shared by the herald::acl unit tests.
#include <string>
#include <vector>

#include "herald/acl/generate.hpp"
#include "herald/acl/password.hpp"
#include "herald/acl/policy.hpp"

namespace herald::acl::test {

// A valid hash for accounts whose password does not matter to the test.
inline const std::string& some_hash() {
  static const std::string hash = hash_password_with_salt("secret", std::vector<unsigned char>(kSaltBytes, 7));
  return hash;
}

inline Policy policy_from(const std::string& json, const std::string& source = "p.json") {
  return parse_policy(json, source);
}

// A policy with one account of `roles_json` (a JSON array) and optional scopes.
inline Policy one_account(const std::string& name, const std::string& roles_json,
                          const std::string& scopes_json = "{}") {
  return policy_from(R"({"accounts": {")" + name + R"(": {"roles": )" + roles_json + R"(, "scopes": )" + scopes_json +
                     R"(, "password_hash": ")" + some_hash() + R"("}}})");
}

inline std::vector<std::string> lines_of(const Policy& policy, const std::string& account) {
  std::vector<std::string> out;
  for (const auto& r : account_rules(policy, find_account(policy, account))) out.push_back(topic_line(r));
  return out;
}

}  // namespace herald::acl::test
