#pragma once
// Policy -> Mosquitto's own files: acl_file and password_file. Every topic comes from
// herald::topics::acl, so the ACL and the wire contract cannot drift apart. Output is
// sorted and carries no timestamp: the same inputs give byte-identical files.
#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "herald/acl/policy.hpp"
#include "herald/common/directory.hpp"

namespace herald::acl {

// One acl_file rule: access is "read", "write", "readwrite" or "deny".
struct Rule {
  std::string access;
  std::string topic;
  auto operator<=>(const Rule&) const = default;
};

// The rules one capability over one scope gives an account. The account and scope are
// not validated here, so the topics.md table can be rendered with placeholders.
std::vector<Rule> capability_rules(Capability capability, std::string_view account, std::string_view scope);
// Rules every account has (its replies), and the server role's.
std::vector<Rule> account_base_rules(std::string_view account);
std::vector<Rule> server_rules();
// All rules of an account, sorted and without duplicates.
std::vector<Rule> account_rules(const Policy& policy, const Account& account);

// "pattern" rules that bind every agent to its own path (%u = certificate CN).
std::vector<Rule> agent_pattern_rules();
// Literal rules of one computer: read what is addressed to each strict ancestor.
std::vector<Rule> agent_ancestor_rules(std::string_view computer_path);
// A revoked agent: denied everything, even while its old connection lasts.
std::vector<Rule> revoked_agent_rules();

// "topic write herald/..." / "pattern read herald/..."
std::string topic_line(const Rule& rule);
std::string pattern_line(const Rule& rule);

struct Generated {
  std::string acl;
  std::string passwd;
  std::size_t accounts = 0;  // enabled accounts written
  std::size_t disabled_accounts = 0;
  std::size_t agents = 0;  // computers with a user block
  std::size_t revoked_agents = 0;
};
// `policy_name` and `directory_name` only go into the header comment.
Generated generate(const Policy& policy, const std::vector<DirectoryEntry>& directory, std::string_view policy_name,
                   std::string_view directory_name);

// The "who may publish and subscribe" table of topics.md, rendered from the same
// functions the generator uses ({account}, {S} and {A} are placeholders).
std::string render_access_table();

}  // namespace herald::acl
