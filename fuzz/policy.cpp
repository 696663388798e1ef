// herald::acl::parse_policy: the herald-acl policy file. An invalid file is one
// Error(usage); a valid one yields rights for every account it names.
#include "herald/acl/policy.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "herald/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  herald::acl::LoadOptions options;
  // The editing commands' mode reaches every check but the password one, which only
  // compares a string's presence.
  options.require_passwords = false;
  try {
    auto policy = herald::acl::parse_policy(text, "fuzz.json", options);
    for (const auto& [name, account] : policy.accounts) {
      auto rights = herald::acl::rights_of(policy, account);
      (void)rights;
    }
  } catch (const herald::Error&) {
  }
  return 0;
}
