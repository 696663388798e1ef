#include <doctest/doctest.h>

#include <algorithm>

#include "helpers.hpp"

using namespace herald::acl;
using namespace herald::acl::test;
using Lines = std::vector<std::string>;

TEST_CASE("full-admin: everything over org and user") {
  auto p = one_account("boss", R"(["full-admin"])");
  CHECK(lines_of(p, "boss") == Lines{
                                   "topic read herald/ack/+/org/#",
                                   "topic write herald/alert/boss/+/org/#",
                                   "topic write herald/alert/boss/+/user/+",
                                   "topic write herald/campaign/boss/+/org/#",
                                   "topic write herald/campaign/boss/+/user/#",
                                   "topic write herald/chat/boss/+/org/#",
                                   "topic write herald/chat/boss/+/user/+",
                                   "topic read herald/chatlog/org/#",
                                   "topic read herald/chatlog/user/+",
                                   "topic write herald/msg/boss/+/org/#",
                                   "topic write herald/msg/boss/+/user/+",
                                   "topic read herald/presence/org/#",
                                   "topic write herald/recall/boss/+/org/#",
                                   "topic write herald/recall/boss/+/user/+",
                                   "topic read herald/reply/boss/#",
                                   "topic write herald/req/boss/+/campaigns/org/#",
                                   "topic write herald/req/boss/+/chats/org/#",
                                   "topic write herald/req/boss/+/chats/user/#",
                                   "topic write herald/req/boss/+/courses/org/#",
                                   "topic write herald/req/boss/+/import/org/#",
                                   "topic write herald/req/boss/+/list/org/#",
                                   "topic write herald/req/boss/+/pending/org/#",
                                   "topic write herald/req/boss/+/progress/org/#",
                                   "topic write herald/req/boss/+/schedules/org/#",
                                   "topic write herald/req/boss/+/status/org/#",
                                   "topic write herald/schedule/boss/+/alert/org/#",
                                   "topic write herald/schedule/boss/+/alert/user/#",
                                   "topic write herald/schedule/boss/+/msg/org/#",
                                   "topic write herald/schedule/boss/+/msg/user/#",
                               });
}

TEST_CASE("communications operator: messages everywhere, alerts and status only over org/branch01") {
  auto p = one_account("ops1", R"(["communications-operator"])", R"({"alert": ["org/branch01"]})");
  CHECK(lines_of(p, "ops1") == Lines{
                                   "topic write herald/alert/ops1/+/org/branch01/#",
                                   "topic write herald/msg/ops1/+/org/#",
                                   "topic write herald/msg/ops1/+/user/+",
                                   "topic write herald/recall/ops1/+/org/#",
                                   "topic write herald/recall/ops1/+/org/branch01/#",
                                   "topic write herald/recall/ops1/+/user/+",
                                   "topic read herald/reply/ops1/#",
                                   "topic write herald/req/ops1/+/campaigns/org/branch01/#",
                                   "topic write herald/req/ops1/+/courses/org/branch01/#",
                                   "topic write herald/req/ops1/+/list/org/branch01/#",
                                   "topic write herald/req/ops1/+/pending/org/branch01/#",
                                   "topic write herald/req/ops1/+/progress/org/branch01/#",
                                   "topic write herald/req/ops1/+/schedules/org/branch01/#",
                                   "topic write herald/req/ops1/+/status/org/branch01/#",
                                   "topic write herald/schedule/ops1/+/alert/org/branch01/#",
                                   "topic write herald/schedule/ops1/+/msg/org/#",
                                   "topic write herald/schedule/ops1/+/msg/user/#",
                               });
  // Nothing else: no chat, campaign, monitor, import, and no read beyond its replies
  // (reading about campaigns, herald/req/.../campaigns/..., is status).
  for (const auto& line : lines_of(p, "ops1")) {
    CHECK(line.find("chat") == std::string::npos);
    CHECK(line.find("herald/campaign/") == std::string::npos);
    CHECK(line.find("import") == std::string::npos);
    if (line.rfind("topic read", 0) == 0) CHECK(line == "topic read herald/reply/ops1/#");
  }
}

TEST_CASE("communications operator without alert scopes may not alert at all") {
  auto p = one_account("ops2", R"(["communications-operator"])");
  CHECK(lines_of(p, "ops2") == Lines{
                                   "topic write herald/msg/ops2/+/org/#",
                                   "topic write herald/msg/ops2/+/user/+",
                                   "topic write herald/recall/ops2/+/org/#",
                                   "topic write herald/recall/ops2/+/user/+",
                                   "topic read herald/reply/ops2/#",
                                   "topic write herald/schedule/ops2/+/msg/org/#",
                                   "topic write herald/schedule/ops2/+/msg/user/#",
                               });
}

TEST_CASE("an alert scope of user gives no status scope (status is about org subtrees)") {
  auto p = one_account("ops3", R"(["communications-operator"])", R"({"alert": ["user"]})");
  auto rights = rights_of(p, find_account(p, "ops3"));
  CHECK(rights.grants.count(Capability::status) == 0);
  CHECK(rights.grants.at(Capability::alert) == std::set<std::string>{"user"});
}

TEST_CASE("helpdesk: chat and status over org") {
  auto p = one_account("hd", R"(["helpdesk"])");
  CHECK(lines_of(p, "hd") == Lines{
                                 "topic write herald/chat/hd/+/org/#",
                                 "topic read herald/chatlog/org/#",
                                 "topic read herald/reply/hd/#",
                                 "topic write herald/req/hd/+/campaigns/org/#",
                                 "topic write herald/req/hd/+/chats/org/#",
                                 "topic write herald/req/hd/+/courses/org/#",
                                 "topic write herald/req/hd/+/list/org/#",
                                 "topic write herald/req/hd/+/pending/org/#",
                                 "topic write herald/req/hd/+/progress/org/#",
                                 "topic write herald/req/hd/+/schedules/org/#",
                                 "topic write herald/req/hd/+/status/org/#",
                             });
}

TEST_CASE("trainer: campaigns and status over org") {
  auto p = one_account("tr", R"(["trainer"])");
  CHECK(lines_of(p, "tr") == Lines{
                                 "topic write herald/campaign/tr/+/org/#",
                                 "topic read herald/reply/tr/#",
                                 "topic write herald/req/tr/+/campaigns/org/#",
                                 "topic write herald/req/tr/+/courses/org/#",
                                 "topic write herald/req/tr/+/list/org/#",
                                 "topic write herald/req/tr/+/pending/org/#",
                                 "topic write herald/req/tr/+/progress/org/#",
                                 "topic write herald/req/tr/+/schedules/org/#",
                                 "topic write herald/req/tr/+/status/org/#",
                             });
}

TEST_CASE("monitor is read-only") {
  auto p = one_account("mon", R"(["monitor"])");
  auto lines = lines_of(p, "mon");
  CHECK(lines == Lines{
                     "topic read herald/ack/+/org/#",
                     "topic read herald/presence/org/#",
                     "topic read herald/reply/mon/#",
                 });
  for (const auto& r : account_rules(p, find_account(p, "mon"))) CHECK(r.access == "read");
}

TEST_CASE("server: read and write everything under herald/") {
  auto p = one_account("heraldd", R"(["server"])");
  CHECK(lines_of(p, "heraldd") == Lines{"topic readwrite herald/#", "topic read herald/reply/heraldd/#"});
}

TEST_CASE("account scopes extend the roles' grants; custom roles work") {
  auto p = policy_from(R"({
    "roles": {"branch-manager": {"status_follows_alert": true, "message": ["org/branch02"]}},
    "accounts": {"m2": {"roles": ["branch-manager", "monitor"], "scopes": {"alert": ["org/branch02"], "monitor": ["org/branch02"]},
                        "password_hash": ")" +
                       some_hash() + R"("}}})");
  CHECK(lines_of(p, "m2") == Lines{
                                 "topic read herald/ack/+/org/#",
                                 "topic read herald/ack/+/org/branch02/#",
                                 "topic write herald/alert/m2/+/org/branch02/#",
                                 "topic write herald/msg/m2/+/org/branch02/#",
                                 "topic read herald/presence/org/#",
                                 "topic read herald/presence/org/branch02/#",
                                 "topic write herald/recall/m2/+/org/branch02/#",
                                 "topic read herald/reply/m2/#",
                                 "topic write herald/req/m2/+/campaigns/org/branch02/#",
                                 "topic write herald/req/m2/+/courses/org/branch02/#",
                                 "topic write herald/req/m2/+/list/org/branch02/#",
                                 "topic write herald/req/m2/+/pending/org/branch02/#",
                                 "topic write herald/req/m2/+/progress/org/branch02/#",
                                 "topic write herald/req/m2/+/schedules/org/branch02/#",
                                 "topic write herald/req/m2/+/status/org/branch02/#",
                                 "topic write herald/schedule/m2/+/alert/org/branch02/#",
                                 "topic write herald/schedule/m2/+/msg/org/branch02/#",
                             });
}

namespace {
const std::vector<herald::DirectoryEntry> kDirectory = {
    {"org", "central", "", "", ""},
    {"org/branch01", "branch", "", "", ""},
    {"org/branch01/pc002", "computer", "", "", ""},
    {"org/branch01/pc001", "computer", "", "", ""},
    {"org/hq", "unit", "", "", ""},
    {"org/hq/it", "unit", "", "", ""},
    {"org/hq/it/pc009", "computer", "", "", ""},
};
}  // namespace

TEST_CASE("disabled accounts are left out of the ACL and the password file") {
  auto p = policy_from(R"({"accounts": {
      "on": {"roles": ["monitor"], "password_hash": ")" +
                       some_hash() + R"("},
      "off": {"roles": ["full-admin"], "password_hash": ")" +
                       some_hash() + R"(", "disabled": true}}})");
  auto g = generate(p, kDirectory, "policy.json", "org.csv");
  CHECK(g.acl.find("user on\n") != std::string::npos);
  CHECK(g.acl.find("off") == std::string::npos);
  CHECK(g.passwd.find("on:" + some_hash() + "\n") != std::string::npos);
  CHECK(g.passwd.find("off:") == std::string::npos);
  CHECK(g.accounts == 1);
  CHECK(g.disabled_accounts == 1);
}

TEST_CASE("the whole acl_file: header, agent patterns, accounts, revoked agents, computers") {
  auto p = policy_from(R"({"accounts": {"mon": {"roles": ["monitor"], "password_hash": ")" + some_hash() +
                       R"("}}, "revoked_agents": ["org/branch01/pc002"]})");
  auto g = generate(p, kDirectory, "policy.json", "org.csv");
  CHECK(g.acl ==
        "# Generated by herald-acl from policy.json and org.csv.\n"
        "# Do not edit: 'herald-acl apply' overwrites this file. Format: Mosquitto acl_file.\n"
        "#\n"
        "# Agents: %u is the username, which for an agent is its certificate's CN, its org\n"
        "# path. These patterns apply to admin accounts too, where %u is the account name,\n"
        "# never an org path, so they match nothing an account uses.\n"
        "pattern read herald/alert/+/+/%u\n"
        "pattern read herald/msg/+/+/%u\n"
        "pattern read herald/recall/+/+/%u\n"
        "pattern write herald/ack/+/%u\n"
        "pattern write herald/presence/%u\n"
        "pattern write herald/chatup/%u\n"
        "pattern read herald/remind/+/+/%u\n"
        "pattern read herald/chatdown/%u\n"
        "pattern read herald/receipted/%u\n"
        "\n"
        "# Admin accounts (disabled accounts are left out).\n"
        "\n"
        "user mon\n"
        "topic read herald/ack/+/org/#\n"
        "topic read herald/presence/org/#\n"
        "topic read herald/reply/mon/#\n"
        "\n"
        "# Revoked agents: denied everything, even on a connection opened before the revocation.\n"
        "\n"
        "user org/branch01/pc002\n"
        "topic deny #\n"
        "\n"
        "# Computers of the directory: what is addressed to each of their ancestors.\n"
        "\n"
        "user org/branch01/pc001\n"
        "topic read herald/alert/+/+/org\n"
        "topic read herald/alert/+/+/org/branch01\n"
        "topic read herald/msg/+/+/org\n"
        "topic read herald/msg/+/+/org/branch01\n"
        "topic read herald/recall/+/+/org\n"
        "topic read herald/recall/+/+/org/branch01\n"
        "\n"
        "user org/hq/it/pc009\n"
        "topic read herald/alert/+/+/org\n"
        "topic read herald/alert/+/+/org/hq\n"
        "topic read herald/alert/+/+/org/hq/it\n"
        "topic read herald/msg/+/+/org\n"
        "topic read herald/msg/+/+/org/hq\n"
        "topic read herald/msg/+/+/org/hq/it\n"
        "topic read herald/recall/+/+/org\n"
        "topic read herald/recall/+/+/org/hq\n"
        "topic read herald/recall/+/+/org/hq/it\n"
        "\n");
  CHECK(g.agents == 2);
  CHECK(g.revoked_agents == 1);
}

TEST_CASE("generation is deterministic: input order does not matter") {
  std::string a =
      R"({"accounts": {"zed": {"roles": ["trainer", "helpdesk"], "password_hash": ")" + some_hash() +
      R"("}, "amy": {"roles": ["monitor"], "scopes": {"monitor": ["org/hq", "org/branch01"]}, "password_hash": ")" +
      some_hash() + R"("}}})";
  std::string b =
      R"({"accounts": {"amy": {"scopes": {"monitor": ["org/branch01", "org/hq"]}, "roles": ["monitor"], "password_hash": ")" +
      some_hash() + R"("}, "zed": {"roles": ["helpdesk", "trainer"], "password_hash": ")" + some_hash() + R"("}}})";
  auto reversed = std::vector<herald::DirectoryEntry>(kDirectory.rbegin(), kDirectory.rend());
  auto ga = generate(policy_from(a), kDirectory, "p", "d");
  auto gb = generate(policy_from(b), reversed, "p", "d");
  CHECK(ga.acl == gb.acl);
  CHECK(ga.passwd == gb.passwd);
  CHECK(ga.acl.find("user amy") < ga.acl.find("user zed"));
}

TEST_CASE("agents: patterns bind their own path, ancestors come from the directory") {
  CHECK(agent_ancestor_rules("org/branch01/pc001").size() == 6);
  CHECK(agent_ancestor_rules("org/pc001").size() == 3);
  CHECK(pattern_line(agent_pattern_rules().at(3)) == "pattern write herald/ack/+/%u");
  // Each agent reads heraldd's confirmations of its own receipts, nobody else's.
  CHECK(pattern_line(agent_pattern_rules().back()) == "pattern read herald/receipted/%u");
  // And heraldd's reminders addressed to its own path only.
  auto rules = agent_pattern_rules();
  CHECK(std::count_if(rules.begin(), rules.end(),
                      [](const Rule& r) { return pattern_line(r) == "pattern read herald/remind/+/+/%u"; }) == 1);
  // Chat: it writes only its own chatup and reads only its own chatdown; nothing of
  // herald/chat/... (the helpdesk's posts) or herald/chatlog/... (the helpdesk's view).
  auto count = [&rules](const std::string& line) {
    return std::count_if(rules.begin(), rules.end(), [&line](const Rule& r) { return pattern_line(r) == line; });
  };
  CHECK(count("pattern write herald/chatup/%u") == 1);
  CHECK(count("pattern read herald/chatdown/%u") == 1);
  for (const auto& r : rules) {
    CHECK(r.topic.find("herald/chat/") == std::string::npos);
    CHECK(r.topic.find("herald/chatlog/") == std::string::npos);
    if (r.topic.find("chat") != std::string::npos) CHECK(r.topic.substr(r.topic.size() - 3) == "/%u");
  }
  for (const auto& r : agent_ancestor_rules("org/branch01/pc001")) CHECK(r.topic.find("chat") == std::string::npos);
}

TEST_CASE("chat over one branch: post, watch and ask only there; over user: every person") {
  auto p = one_account("hd2", R"([])", R"({"chat": ["org/branch01"]})");
  CHECK(lines_of(p, "hd2") == Lines{
                                  "topic write herald/chat/hd2/+/org/branch01/#",
                                  "topic read herald/chatlog/org/branch01/#",
                                  "topic read herald/reply/hd2/#",
                                  "topic write herald/req/hd2/+/chats/org/branch01/#",
                              });
  // A person's conversation is user/LOGIN; listing every person's asks with scope "user"
  // itself, which only the request filter (user/#) covers.
  auto q = one_account("hd3", R"([])", R"({"chat": ["user"]})");
  CHECK(lines_of(q, "hd3") == Lines{
                                  "topic write herald/chat/hd3/+/user/+",
                                  "topic read herald/chatlog/user/+",
                                  "topic read herald/reply/hd3/#",
                                  "topic write herald/req/hd3/+/chats/user/#",
                              });
}
