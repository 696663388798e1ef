#include "herald/acl/policy.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "herald/acl/files.hpp"
#include "herald/acl/password.hpp"
#include "herald/common/error.hpp"
#include "herald/common/json_guard.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::acl {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kCapabilityNames[] = {"alert", "message", "campaign", "chat", "status", "monitor", "admin"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string capability_list() {
  std::string out;
  for (auto name : kCapabilityNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string person_capability_list() {
  std::string out;
  for (auto cap : kAllCapabilities)
    if (allows_person_scope(cap)) {
      if (!out.empty()) out += ", ";
      out += capability_name(cap);
    }
  return out;
}

std::string member(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}
std::string element(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

// Rejects duplicate object keys while parsing: nlohmann keeps only the last one, which
// would silently drop an account or a role that an admin wrote twice.
class DuplicateKeyGuard {
 public:
  explicit DuplicateKeyGuard(std::string source) : source_(std::move(source)) {}

  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start: {
        std::string label = child_label();
        stack_.push_back(Frame{event == Json::parse_event_t::array_start, 0, {}, {}, std::move(label)});
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!stack_.empty()) stack_.pop_back();
        break;
      case Json::parse_event_t::key: {
        auto key = parsed.get<std::string>();
        auto& top = stack_.back();
        if (!top.keys.insert(key).second) {
          auto where = path();
          throw Error(ErrorKind::usage,
                      source_ + ": " + (where.empty() ? "" : where + ": ") + "duplicate key '" + key + "'");
        }
        top.last_key = std::move(key);
        break;
      }
      case Json::parse_event_t::value:
        if (!stack_.empty() && stack_.back().array) ++stack_.back().next_index;
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t next_index;
    std::set<std::string> keys;
    std::string last_key;
    std::string label;
  };

  std::string child_label() {
    if (stack_.empty()) return "";
    auto& top = stack_.back();
    if (top.array) return "[" + std::to_string(top.next_index++) + "]";
    return top.last_key;
  }

  std::string path() const {
    std::string out;
    for (const auto& f : stack_) {
      if (f.label.empty()) continue;
      if (!out.empty() && f.label.front() != '[') out += '.';
      out += f.label;
    }
    return out;
  }

  std::string source_;
  std::vector<Frame> stack_;
};

class Validator {
 public:
  Validator(std::string source, const LoadOptions& options) : source_(std::move(source)), options_(options) {
    if (options_.directory != nullptr)
      for (const auto& entry : *options_.directory) directory_paths_.insert(entry.path);
  }

  [[noreturn]] void fail(std::string_view where, std::string_view what) const {
    throw Error(ErrorKind::usage, source_ + ": " + std::string(where) + ": " + std::string(what));
  }

  const Json& object_at(const Json& value, std::string_view where) const {
    if (!value.is_object()) fail(where, "expected a JSON object");
    return value;
  }
  const Json& array_at(const Json& value, std::string_view where) const {
    if (!value.is_array()) fail(where, "expected a JSON array");
    return value;
  }
  std::string string_at(const Json& value, std::string_view where) const {
    if (!value.is_string()) fail(where, "expected a string");
    return value.get<std::string>();
  }
  bool bool_at(const Json& value, std::string_view where) const {
    if (!value.is_boolean()) fail(where, "expected true or false");
    return value.get<bool>();
  }

  Capability capability_at(std::string_view key, std::string_view where) const {
    auto cap = capability_from_name(key);
    if (!cap) fail(where, "unknown capability '" + std::string(key) + "' (expected one of " + capability_list() + ")");
    return *cap;
  }

  std::set<std::string> scopes_at(Capability cap, const Json& value, std::string_view where) const {
    std::set<std::string> scopes;
    const auto& list = array_at(value, where);
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto at = element(where, i);
      auto scope = string_at(list[i], at);
      if (scope == kPersonScope) {
        if (!allows_person_scope(cap))
          fail(at, "scope 'user' is not allowed for " + std::string(capability_name(cap)) + " (only " +
                       person_capability_list() + " address people)");
      } else if (!is_valid_org_path(scope)) {
        fail(at, "bad scope '" + scope + "': expected an org path (org, org/branch01, ...) or \"user\"");
      } else if (cap == Capability::admin && scope != kRootScope) {
        fail(at, "admin is granted over the whole org only: use \"org\", not '" + scope + "'");
      } else if (options_.directory != nullptr && !directory_paths_.count(scope)) {
        fail(at, "scope '" + scope + "' is not in the directory");
      }
      scopes.insert(std::move(scope));
    }
    return scopes;
  }

  Role role_at(const std::string& name, const Json& body, std::string_view where) const {
    Role role;
    role.name = name;
    for (const auto& [key, value] : object_at(body, where).items()) {
      auto at = member(where, key);
      if (key == "description") {
        role.description = string_at(value, at);
      } else if (key == "status_follows_alert") {
        role.status_follows_alert = bool_at(value, at);
      } else {
        auto cap = capability_at(key, at);
        auto scopes = scopes_at(cap, value, at);
        if (!scopes.empty()) role.grants[cap] = std::move(scopes);
      }
    }
    return role;
  }

  Account account_at(const std::string& name, const Json& body, std::string_view where,
                     const std::map<std::string, Role>& roles) const {
    Account account;
    account.name = name;
    for (const auto& [key, value] : object_at(body, where).items()) {
      auto at = member(where, key);
      if (key == "description") {
        account.description = string_at(value, at);
      } else if (key == "roles") {
        const auto& list = array_at(value, at);
        for (std::size_t i = 0; i < list.size(); ++i) {
          auto role_at_i = element(at, i);
          auto role = string_at(list[i], role_at_i);
          if (!roles.count(role)) fail(role_at_i, "unknown role '" + role + "'");
          if (std::find(account.roles.begin(), account.roles.end(), role) == account.roles.end())
            account.roles.push_back(role);
        }
      } else if (key == "scopes") {
        for (const auto& [cap_name, scopes] : object_at(value, at).items()) {
          auto cap_at = member(at, cap_name);
          auto cap = capability_at(cap_name, cap_at);
          auto list = scopes_at(cap, scopes, cap_at);
          if (!list.empty()) account.scopes[cap] = std::move(list);
        }
      } else if (key == "password_hash") {
        account.password_hash = string_at(value, at);
        if (!parse_hash(account.password_hash))
          fail(at, "not a Mosquitto password hash ($7$...); set one with 'herald-acl passwd " + name + " --policy " +
                       source_ + "'");
      } else if (key == "disabled") {
        account.disabled = bool_at(value, at);
      } else {
        fail(at,
             "unknown key '" + std::string(key) + "' (expected roles, scopes, password_hash, disabled, description)");
      }
    }
    if (options_.require_passwords && !account.disabled && account.password_hash.empty())
      fail(where, "no password_hash for an enabled account; set one with 'herald-acl passwd " + name + " --policy " +
                      source_ + "'");
    return account;
  }

  Policy policy_at(const Json& doc) const {
    Policy policy;
    policy.source = source_;
    policy.roles = builtin_roles();
    if (!doc.is_object()) throw Error(ErrorKind::usage, source_ + ": expected a JSON object at the top level");
    for (const auto& [key, value] : doc.items())
      if (key != "roles" && key != "accounts" && key != "revoked_agents" && key != "description")
        fail(key, "unknown key '" + std::string(key) + "' (expected roles, accounts, revoked_agents, description)");

    // Roles first: accounts refer to them.
    std::map<std::string, std::string> role_names_lower;
    for (const auto& [name, role] : policy.roles) role_names_lower[lower(name)] = name;
    if (doc.contains("roles")) {
      for (const auto& [name, body] : object_at(doc["roles"], "roles").items()) {
        auto at = member("roles", name);
        if (!is_valid_token(name)) fail(at, "invalid role name: use 1-64 letters, digits, '.', '_' or '-'");
        if (builtin_roles().count(name)) fail(at, "redefines the built-in role '" + name + "'; choose another name");
        if (auto it = role_names_lower.find(lower(name)); it != role_names_lower.end())
          fail(at, "differs only in case from role '" + it->second + "'");
        role_names_lower[lower(name)] = name;
        policy.roles[name] = role_at(name, body, at);
      }
    }

    std::map<std::string, std::string> account_names_lower;
    if (doc.contains("accounts")) {
      for (const auto& [name, body] : object_at(doc["accounts"], "accounts").items()) {
        auto at = member("accounts", name);
        if (!is_valid_token(name)) fail(at, "invalid account name: use 1-64 letters, digits, '.', '_' or '-'");
        // Agents are named by their org path (%u in the ACL patterns): an account called
        // "org" would receive every org-wide message as if it were an agent.
        if (lower(name) == kRootScope)
          fail(at, "an account name must not look like an org path (agents are named by their org path)");
        if (auto it = account_names_lower.find(lower(name)); it != account_names_lower.end())
          fail(at, "differs only in case from account '" + it->second + "'");
        account_names_lower[lower(name)] = name;
        policy.accounts[name] = account_at(name, body, at, policy.roles);
      }
    }

    if (doc.contains("revoked_agents")) {
      const auto& list = array_at(doc["revoked_agents"], "revoked_agents");
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto at = element("revoked_agents", i);
        auto path = string_at(list[i], at);
        if (!is_valid_org_path(path) || path == kRootScope)
          fail(at, "bad agent path '" + path + "': expected a computer's org path (org/branch01/pc042)");
        policy.revoked_agents.insert(std::move(path));
      }
    }
    policy.document = doc;
    return policy;
  }

 private:
  std::string source_;
  LoadOptions options_;
  std::set<std::string> directory_paths_;
};

Role make_role(std::string name, std::string description, Grants grants, bool status_follows_alert = false,
               bool server = false) {
  Role role;
  role.name = std::move(name);
  role.description = std::move(description);
  role.grants = std::move(grants);
  role.status_follows_alert = status_follows_alert;
  role.server = server;
  role.builtin = true;
  return role;
}

Policy reparse(const Policy& policy, const Json& doc) {
  LoadOptions relaxed;
  relaxed.require_passwords = false;
  return parse_policy(doc.dump(2), policy.source, relaxed);
}

Json& account_doc(Json& doc, const Policy& policy, std::string_view account) {
  find_account(policy, account);
  return doc["accounts"][std::string(account)];
}

}  // namespace

std::string_view capability_name(Capability capability) { return kCapabilityNames[static_cast<int>(capability)]; }

std::optional<Capability> capability_from_name(std::string_view name) {
  for (auto cap : kAllCapabilities)
    if (capability_name(cap) == name) return cap;
  return std::nullopt;
}

bool allows_person_scope(Capability capability) {
  return capability == Capability::alert || capability == Capability::message || capability == Capability::chat ||
         capability == Capability::campaign;
}

const std::map<std::string, Role>& builtin_roles() {
  static const std::map<std::string, Role> roles = [] {
    const std::string org(kRootScope);
    const std::string user(kPersonScope);
    std::map<std::string, Role> r;
    auto add = [&r](Role role) { r[role.name] = std::move(role); };
    add(make_role("full-admin", "everything over the whole org and every person",
                  {{Capability::alert, {org, user}},
                   {Capability::message, {org, user}},
                   {Capability::campaign, {org, user}},
                   {Capability::chat, {org, user}},
                   {Capability::status, {org}},
                   {Capability::monitor, {org}},
                   {Capability::admin, {org}}}));
    add(make_role("communications-operator",
                  "inbox messages to everyone; alerts and status only over the account's own scopes.alert",
                  {{Capability::message, {org, user}}}, true));
    add(make_role("helpdesk", "chat and status over the whole org",
                  {{Capability::chat, {org}}, {Capability::status, {org}}}));
    add(make_role("trainer", "e-learning campaigns and status over the whole org",
                  {{Capability::campaign, {org}}, {Capability::status, {org}}}));
    add(make_role("monitor", "read-only tap of receipts and presence over the whole org",
                  {{Capability::monitor, {org}}}));
    add(make_role("server", "heraldd: reads and writes everything under herald/", {}, false, true));
    return r;
  }();
  return roles;
}

Policy parse_policy(const std::string& text, const std::string& source, const LoadOptions& options) {
  Json doc;
  try {
    json_guard::check_depth(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, source + ": invalid JSON: " + e.what());
  }
  try {
    doc = Json::parse(text, DuplicateKeyGuard(source));
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number like 1e999 that no double holds.
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> from "parse error".
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw Error(ErrorKind::usage, source + ": invalid JSON: " + what);
  }
  return Validator(source, options).policy_at(doc);
}

Policy load_policy(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, path + ": cannot read the policy file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_policy(text.str(), path, options);
}

Rights rights_of(const Policy& policy, const Account& account) {
  Rights rights;
  bool status_follows_alert = false;
  for (const auto& role_name : account.roles) {
    const auto& role = policy.roles.at(role_name);
    for (const auto& [cap, scopes] : role.grants) rights.grants[cap].insert(scopes.begin(), scopes.end());
    status_follows_alert = status_follows_alert || role.status_follows_alert;
    rights.server = rights.server || role.server;
  }
  for (const auto& [cap, scopes] : account.scopes) rights.grants[cap].insert(scopes.begin(), scopes.end());
  if (status_follows_alert) {
    auto alert = rights.grants.find(Capability::alert);
    if (alert != rights.grants.end())
      for (const auto& scope : alert->second)
        if (scope != kPersonScope) rights.grants[Capability::status].insert(scope);
  }
  std::erase_if(rights.grants, [](const auto& entry) { return entry.second.empty(); });
  return rights;
}

const Account& find_account(const Policy& policy, std::string_view name) {
  auto it = policy.accounts.find(std::string(name));
  if (it == policy.accounts.end())
    throw Error(ErrorKind::not_found, policy.source + ": no account '" + std::string(name) + "'");
  return it->second;
}

Policy with_password_hash(const Policy& policy, std::string_view account, std::string_view hash) {
  Json doc = policy.document;
  account_doc(doc, policy, account)["password_hash"] = std::string(hash);
  return reparse(policy, doc);
}

Policy with_new_account(const Policy& policy, std::string_view account, const std::vector<std::string>& roles,
                        const Grants& scopes) {
  for (const auto& [name, existing] : policy.accounts)
    if (lower(name) == lower(account))
      throw Error(ErrorKind::usage, policy.source + ": account '" + name + "' already exists");
  Json doc = policy.document;
  if (!doc.is_object()) doc = Json::object();
  Json body = Json::object();
  body["roles"] = roles;
  if (!scopes.empty()) {
    Json scope_doc = Json::object();
    for (const auto& [cap, list] : scopes) scope_doc[std::string(capability_name(cap))] = list;
    body["scopes"] = std::move(scope_doc);
  }
  body["disabled"] = false;
  doc["accounts"][std::string(account)] = std::move(body);
  return reparse(policy, doc);
}

Policy with_disabled(const Policy& policy, std::string_view account, bool disabled) {
  Json doc = policy.document;
  account_doc(doc, policy, account)["disabled"] = disabled;
  return reparse(policy, doc);
}

Policy with_revoked_agent(const Policy& policy, std::string_view agent_path) {
  require_org_path(agent_path, "agent path");
  auto revoked = policy.revoked_agents;
  revoked.insert(std::string(agent_path));
  Json doc = policy.document;
  doc["revoked_agents"] = std::vector<std::string>(revoked.begin(), revoked.end());
  return reparse(policy, doc);
}

void save_policy(const Policy& policy, const std::string& path) {
  // The policy holds password hashes: private to its owner unless the admin chose otherwise.
  write_file_atomically(path, policy.document.dump(2) + "\n", existing_mode(path, 0600), false);
}

}  // namespace herald::acl
