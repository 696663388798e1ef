#pragma once
// The access policy: roles (capabilities over scopes) and admin accounts, read from the
// JSON file that acl/README.md documents. Everything the broker enforces is derived
// from a validated Policy; an invalid file is rejected whole with one error naming the
// JSON path of the first problem.
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/directory.hpp"

namespace herald::acl {

// What an account may do. Each capability is granted over scopes.
enum class Capability { alert, message, campaign, chat, status, monitor, admin };
inline constexpr std::array<Capability, 7> kAllCapabilities = {
    Capability::alert,  Capability::message, Capability::campaign, Capability::chat,
    Capability::status, Capability::monitor, Capability::admin};

std::string_view capability_name(Capability capability);
std::optional<Capability> capability_from_name(std::string_view name);
// alert, message, chat and campaign can address people; status, monitor and admin are
// about org subtrees only.
bool allows_person_scope(Capability capability);

// The scope value that stands for every person target (user:LOGIN).
inline constexpr std::string_view kPersonScope = "user";
// The only scope "admin" accepts: importing the directory concerns the whole org.
inline constexpr std::string_view kRootScope = "org";

// capability -> scopes (org paths, or "user"); sorted, so generation is deterministic.
using Grants = std::map<Capability, std::set<std::string>>;

struct Role {
  std::string name;
  std::string description;
  Grants grants;
  // The account may ask for status over every org scope it may alert (the
  // communications operator checks its own alerts' receipts, nothing more).
  bool status_follows_alert = false;
  // heraldd's account: read and write everything under herald/.
  bool server = false;
  bool builtin = false;
};

struct Account {
  std::string name;
  std::string description;
  std::vector<std::string> roles;
  Grants scopes;  // extra grants on top of the roles'
  std::string password_hash;
  bool disabled = false;
};

struct Policy {
  std::string source;                 // the file name, for messages
  std::map<std::string, Role> roles;  // built-in and defined
  std::map<std::string, Account> accounts;
  std::set<std::string> revoked_agents;  // org paths whose certificates are revoked
  nlohmann::ordered_json document;       // as read, so rewrites keep the admin's order
};

// What one account may do after combining its roles and its own scopes.
struct Rights {
  Grants grants;
  bool server = false;
};

// full-admin, communications-operator, helpdesk, trainer, monitor, server.
const std::map<std::string, Role>& builtin_roles();

struct LoadOptions {
  // check and apply demand a password hash for every enabled account; the editing
  // commands do not, so that `add` then `passwd` works.
  bool require_passwords = true;
  // When given, every org-path scope and revoked agent must name an entry in it.
  const std::vector<DirectoryEntry>* directory = nullptr;
};

// Throws Error(usage) "SOURCE: json.path: what is wrong"; Error(not_found) if the file
// cannot be read.
Policy parse_policy(const std::string& text, const std::string& source, const LoadOptions& options = {});
Policy load_policy(const std::string& path, const LoadOptions& options = {});

Rights rights_of(const Policy& policy, const Account& account);
const Account& find_account(const Policy& policy, std::string_view name);  // Error(not_found)

// Edits: change the document, re-validate it (so an edit can never produce a policy
// that `check` rejects for another reason than a missing password) and return the new
// policy. save_policy writes it atomically, keeping the file's mode.
Policy with_password_hash(const Policy& policy, std::string_view account, std::string_view hash);
Policy with_new_account(const Policy& policy, std::string_view account, const std::vector<std::string>& roles,
                        const Grants& scopes);
Policy with_disabled(const Policy& policy, std::string_view account, bool disabled);
Policy with_revoked_agent(const Policy& policy, std::string_view agent_path);
void save_policy(const Policy& policy, const std::string& path);

}  // namespace herald::acl
