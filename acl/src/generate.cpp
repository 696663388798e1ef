#include "herald/acl/generate.hpp"

#include <algorithm>
#include <set>

#include "herald/common/orgpath.hpp"
#include "herald/common/topics.hpp"

namespace herald::acl {
namespace {

namespace tacl = herald::topics::acl;

constexpr std::string_view kRead = "read";
constexpr std::string_view kWrite = "write";

Rule rule(std::string_view access, std::string topic) { return Rule{std::string(access), std::move(topic)}; }

void sort_unique(std::vector<Rule>& rules) {
  std::sort(rules.begin(), rules.end(),
            [](const Rule& a, const Rule& b) { return a.topic != b.topic ? a.topic < b.topic : a.access < b.access; });
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
}

void append_block(std::string& out, std::string_view user, const std::vector<Rule>& rules) {
  out += "user ";
  out += user;
  out += '\n';
  for (const auto& r : rules) {
    out += topic_line(r);
    out += '\n';
  }
  out += '\n';
}

std::string code(std::string_view text) { return "`" + std::string(text) + "`"; }

}  // namespace

std::vector<Rule> capability_rules(Capability capability, std::string_view account, std::string_view scope) {
  using topics::Kind;
  switch (capability) {
    // Scheduling a message needs the same right as sending it now.
    case Capability::alert:
      return {rule(kWrite, tacl::send_scope(Kind::alert, account, scope)),
              rule(kWrite, tacl::recall_scope(account, scope)),
              rule(kWrite, tacl::schedule_scope(Kind::alert, account, scope))};
    case Capability::message:
      return {rule(kWrite, tacl::send_scope(Kind::message, account, scope)),
              rule(kWrite, tacl::recall_scope(account, scope)),
              rule(kWrite, tacl::schedule_scope(Kind::message, account, scope))};
    case Capability::status:
      return {rule(kWrite, tacl::request_scope(account, topics::kOpStatus, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpPending, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpList, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpCourses, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpCampaigns, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpSchedules, scope)),
              rule(kWrite, tacl::request_scope(account, topics::kOpProgress, scope))};
    case Capability::admin:
      return {rule(kWrite, tacl::request_scope(account, topics::kOpImport, scope))};
    case Capability::monitor:
      return {rule(kRead, tacl::ack_read_scope(scope)), rule(kRead, tacl::presence_read_scope(scope))};
    // Post to the conversations in scope, watch them live and ask for their list and
    // history; only heraldd writes the chatlog.
    case Capability::chat:
      return {rule(kWrite, tacl::chat_scope(account, scope)), rule(kRead, tacl::chat_log_read_scope(scope)),
              rule(kWrite, tacl::chat_request_scope(account, scope))};
    case Capability::campaign:
      return {rule(kWrite, tacl::campaign_scope(account, scope))};
  }
  return {};
}

std::vector<Rule> account_base_rules(std::string_view account) { return {rule(kRead, tacl::replies(account))}; }

std::vector<Rule> server_rules() { return {rule("readwrite", tacl::everything())}; }

std::vector<Rule> account_rules(const Policy& policy, const Account& account) {
  auto rights = rights_of(policy, account);
  std::vector<Rule> rules = account_base_rules(account.name);
  if (rights.server)
    for (auto& r : server_rules()) rules.push_back(std::move(r));
  for (const auto& [cap, scopes] : rights.grants)
    for (const auto& scope : scopes)
      for (auto& r : capability_rules(cap, account.name, scope)) rules.push_back(std::move(r));
  sort_unique(rules);
  return rules;
}

std::vector<Rule> agent_pattern_rules() {
  std::vector<Rule> rules;
  for (auto& t : tacl::agent_read_own_patterns()) rules.push_back(rule(kRead, std::move(t)));
  rules.push_back(rule(kWrite, tacl::agent_ack_write_pattern()));
  rules.push_back(rule(kWrite, tacl::agent_presence_write_pattern()));
  // The employee's chat lines, read marks and acks: only as its own computer.
  rules.push_back(rule(kWrite, tacl::agent_chat_up_write_pattern()));
  // heraldd's reminders to this computer (only heraldd may write them).
  rules.push_back(rule(kRead, tacl::agent_remind_read_pattern()));
  // heraldd's chat lines for this computer and its logged-in person (only heraldd may
  // write them; a person's lines come on the computer's own topic, never user/...).
  rules.push_back(rule(kRead, tacl::agent_chat_down_read_pattern()));
  // heraldd's confirmations of the agent's own receipts (only heraldd may write them).
  rules.push_back(rule(kRead, tacl::agent_receipted_read_pattern()));
  return rules;
}

std::vector<Rule> agent_ancestor_rules(std::string_view computer_path) {
  std::vector<Rule> rules;
  auto levels = ancestors_or_self(computer_path);
  levels.pop_back();  // strict ancestors: the computer's own path is covered by the patterns
  for (const auto& level : levels)
    for (auto& t : tacl::agent_read_ancestor(level)) rules.push_back(rule(kRead, std::move(t)));
  sort_unique(rules);
  return rules;
}

std::vector<Rule> revoked_agent_rules() {
  // A deny rule in the user's own block is checked before every pattern, so this
  // overrides the %u patterns; "#" matches every topic (Herald uses no $ topics).
  return {rule("deny", "#")};
}

std::string topic_line(const Rule& r) { return "topic " + r.access + " " + r.topic; }
std::string pattern_line(const Rule& r) { return "pattern " + r.access + " " + r.topic; }

Generated generate(const Policy& policy, const std::vector<DirectoryEntry>& directory, std::string_view policy_name,
                   std::string_view directory_name) {
  Generated g;
  std::string& acl = g.acl;
  acl += "# Generated by herald-acl from ";
  acl += policy_name;
  acl += " and ";
  acl += directory_name;
  acl +=
      ".\n"
      "# Do not edit: 'herald-acl apply' overwrites this file. Format: Mosquitto acl_file.\n"
      "#\n"
      "# Agents: %u is the username, which for an agent is its certificate's CN, its org\n"
      "# path. These patterns apply to admin accounts too, where %u is the account name,\n"
      "# never an org path, so they match nothing an account uses.\n";
  for (const auto& r : agent_pattern_rules()) {
    acl += pattern_line(r);
    acl += '\n';
  }
  acl += "\n# Admin accounts (disabled accounts are left out).\n\n";
  for (const auto& [name, account] : policy.accounts) {
    if (account.disabled) {
      ++g.disabled_accounts;
      continue;
    }
    append_block(acl, name, account_rules(policy, account));
    ++g.accounts;
  }
  acl += "# Revoked agents: denied everything, even on a connection opened before the revocation.\n\n";
  for (const auto& path : policy.revoked_agents) {
    append_block(acl, path, revoked_agent_rules());
    ++g.revoked_agents;
  }
  acl += "# Computers of the directory: what is addressed to each of their ancestors.\n\n";
  std::set<std::string> computers;
  for (const auto& entry : directory)
    if (entry.is_computer() && !policy.revoked_agents.count(entry.path)) computers.insert(entry.path);
  for (const auto& path : computers) {
    auto rules = agent_ancestor_rules(path);
    if (rules.empty()) continue;
    append_block(acl, path, rules);
    ++g.agents;
  }

  g.passwd = "# Generated by herald-acl from " + std::string(policy_name) +
             ". Do not edit: 'herald-acl apply' overwrites this file.\n";
  for (const auto& [name, account] : policy.accounts)
    if (!account.disabled && !account.password_hash.empty()) g.passwd += name + ":" + account.password_hash + "\n";
  return g;
}

std::string render_access_table() {
  const std::string account = "{account}";
  const std::string scope = "{S}";
  std::string out = "| Who | Access | Topic filter |\n|---|---|---|\n";
  auto row = [&out](const std::string& who, const Rule& r) {
    out += "| " + who + " | " + r.access + " | " + code(r.topic) + " |\n";
  };
  for (const auto& r : agent_pattern_rules()) row("every agent (pattern, `%u` = its org path)", r);
  for (const auto& r : agent_ancestor_rules("{A}/{computer}"))
    row("every agent in the directory, for each strict ancestor `{A}` of its path", r);
  for (const auto& r : revoked_agent_rules()) row("a revoked agent", r);
  for (const auto& r : account_base_rules(account)) row("every enabled account", r);
  for (auto cap : kAllCapabilities)
    for (const auto& r : capability_rules(cap, account, scope))
      row("an account with `" + std::string(capability_name(cap)) + "` over `{S}`", r);
  for (const auto& r : server_rules()) row("an account with role `server` (heraldd)", r);
  return out;
}

}  // namespace herald::acl
