#include <doctest/doctest.h>

#include "helpers.hpp"
#include "herald/common/error.hpp"

using namespace herald::acl;
using namespace herald::acl::test;

namespace {

// The error text a policy produces, or "" if it is valid.
std::string error_of(const std::string& json, const LoadOptions& options = {}) {
  try {
    parse_policy(json, "p.json", options);
  } catch (const herald::Error& e) {
    CHECK(e.kind() == herald::ErrorKind::usage);
    return e.what();
  }
  return "";
}

std::string hash() { return some_hash(); }

}  // namespace

TEST_CASE("check: each error names the file, the JSON path and the problem") {
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": ["opertor"], "password_hash": ")" + hash() + R"("}}})") ==
        "p.json: accounts.ops1.roles[0]: unknown role 'opertor'");
  CHECK(error_of(R"({"roles": {"r": {"alrt": ["org"]}}})") ==
        "p.json: roles.r.alrt: unknown capability 'alrt' (expected one of alert, message, campaign, chat, status, "
        "monitor, admin)");
  CHECK(error_of(R"({"accounts": {"a": {"roles": [], "scopes": {"alert": ["org/Branch01"]}, "password_hash": ")" +
                 hash() + R"("}}})") ==
        "p.json: accounts.a.scopes.alert[0]: bad scope 'org/Branch01': expected an org path (org, org/branch01, ...) "
        "or \"user\"");
  CHECK(error_of(R"({"accounts": {"a": {"roles": [], "scopes": {"alert": ["branch01"]}, "password_hash": ")" + hash() +
                 R"("}}})") ==
        "p.json: accounts.a.scopes.alert[0]: bad scope 'branch01': expected an org path (org, org/branch01, ...) or "
        "\"user\"");
  CHECK(error_of(R"({"roles": {"r": {"status": ["user"]}}})") ==
        "p.json: roles.r.status[0]: scope 'user' is not allowed for status (only alert, message, campaign, chat "
        "address people)");
  CHECK(error_of(R"({"roles": {"r": {"admin": ["org/branch01"]}}})") ==
        "p.json: roles.r.admin[0]: admin is granted over the whole org only: use \"org\", not 'org/branch01'");
  CHECK(error_of(R"({"accounts": {"ops 1": {"roles": []}}})") ==
        "p.json: accounts.ops 1: invalid account name: use 1-64 letters, digits, '.', '_' or '-'");
  CHECK(error_of(R"({"accounts": {"org": {"roles": []}}})") ==
        "p.json: accounts.org: an account name must not look like an org path (agents are named by their org path)");
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": [], "password_hash": ")" + hash() +
                 R"("}, "OPS1": {"roles": [], "password_hash": ")" + hash() + R"("}}})") ==
        "p.json: accounts.OPS1: differs only in case from account 'ops1'");
  CHECK(error_of(R"({"roles": {"helpdesk": {}}})") ==
        "p.json: roles.helpdesk: redefines the built-in role 'helpdesk'; choose another name");
  CHECK(error_of(R"({"roles": {"Monitor": {}}})") == "p.json: roles.Monitor: differs only in case from role 'monitor'");
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": ["monitor"]}}})") ==
        "p.json: accounts.ops1: no password_hash for an enabled account; set one with 'herald-acl passwd ops1 "
        "--policy p.json'");
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": [], "password_hash": "secret"}}})") ==
        "p.json: accounts.ops1.password_hash: not a Mosquitto password hash ($7$...); set one with 'herald-acl passwd "
        "ops1 --policy p.json'");
  CHECK(error_of(R"({"accounts": {"ops1": {"role": ["monitor"]}}})") ==
        "p.json: accounts.ops1.role: unknown key 'role' (expected roles, scopes, password_hash, disabled, "
        "description)");
  CHECK(error_of(R"({"acounts": {}})") ==
        "p.json: acounts: unknown key 'acounts' (expected roles, accounts, revoked_agents, description)");
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": "monitor"}}})") ==
        "p.json: accounts.ops1.roles: expected a JSON array");
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": [], "disabled": "yes"}}})") ==
        "p.json: accounts.ops1.disabled: expected true or false");
  CHECK(error_of(R"({"revoked_agents": ["org/branch01/PC1"]})") ==
        "p.json: revoked_agents[0]: bad agent path 'org/branch01/PC1': expected a computer's org path "
        "(org/branch01/pc042)");
}

TEST_CASE("check: duplicate names are errors, not silently merged") {
  CHECK(error_of(R"({"accounts": {"ops1": {"roles": []}, "ops1": {"roles": []}}})") ==
        "p.json: accounts: duplicate key 'ops1'");
  CHECK(error_of(R"({"roles": {}, "roles": {}})") == "p.json: duplicate key 'roles'");
  CHECK(error_of(R"({"roles": {"r": {"alert": ["org"], "alert": ["org"]}}})") ==
        "p.json: roles.r: duplicate key 'alert'");
}

TEST_CASE("check: JSON syntax errors give line and column") {
  auto e = error_of("{\n  \"accounts\": {,}\n}");
  CHECK(e.rfind("p.json: invalid JSON: parse error at line 2, column 16", 0) == 0);
}

TEST_CASE("check: hostile numbers and nesting are one-line errors, not crashes") {
  CHECK(error_of(R"({"description": 1e999})") == "p.json: invalid JSON: number overflow parsing '1e999'");
  CHECK(error_of(R"({"description": )" + std::string(100000, '[') + std::string(100000, ']') + "}") ==
        "p.json: invalid JSON: JSON nested deeper than 32 levels");
}

TEST_CASE("check: a disabled account needs no password; accounts may share a role's name") {
  CHECK(error_of(R"({"accounts": {"old": {"roles": ["full-admin"], "disabled": true}}})").empty());
  CHECK(error_of(R"({"accounts": {"monitor": {"roles": ["monitor"], "password_hash": ")" + hash() + R"("}}})").empty());
}

TEST_CASE("check --directory: scopes must exist in the org directory") {
  std::vector<herald::DirectoryEntry> dir = {{"org", "central", "", "", ""}, {"org/branch01", "branch", "", "", ""}};
  LoadOptions options;
  options.directory = &dir;
  CHECK(error_of(R"({"roles": {"r": {"alert": ["org/branch01", "user"]}}})", options).empty());
  CHECK(error_of(R"({"roles": {"r": {"alert": ["org/branch99"]}}})", options) ==
        "p.json: roles.r.alert[0]: scope 'org/branch99' is not in the directory");
}

TEST_CASE("the example policy is valid against the library's directory") {
  auto directory = herald::load_directory_csv(HERALD_LIBRARY_ORG_CSV);
  LoadOptions options;
  options.directory = &directory;
  auto p = load_policy(HERALD_ACL_REPO_DIR "/acl/examples/library-policy.json", options);
  CHECK(p.accounts.count("comms-branch01") == 1);
  CHECK(rights_of(p, find_account(p, "comms-branch01")).grants.at(Capability::alert) ==
        std::set<std::string>{"org/branch01"});
}
