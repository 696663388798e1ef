// The subcommands end to end on files: add, passwd, disable, enable, revoke-agent, apply.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "herald/acl/commands.hpp"
#include "herald/common/error.hpp"

using namespace herald::acl;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "herald-acl-test.XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

const char* kDirectoryCsv =
    "path,kind\norg,central\norg/branch01,branch\norg/branch01/pc001,computer\norg/branch02,branch\n"
    "org/branch02/pc001,computer\n";

struct Run {
  int code;
  std::string out;
  std::string err;
};

// Runs the real herald-acl binary (for its exit codes and one-line errors).
Run run_cli(const std::string& args, const std::string& input = "") {
  TempDir t;
  auto out = t.path / "out";
  auto err = t.path / "err";
  auto in = t.path / "in";
  write(in, input);
  std::string cmd =
      std::string(HERALD_ACL_EXE) + " " + args + " <" + in.string() + " >" + out.string() + " 2>" + err.string();
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("add, passwd, disable, enable, revoke-agent edit the policy; apply writes the broker's files") {
  TempDir t;
  auto policy = (t.path / "policy.json").string();
  auto csv = (t.path / "org.csv").string();
  write(csv, kDirectoryCsv);
  std::ostringstream out;

  cmd_add("ops1", {"communications-operator"}, {"alert=org/branch01"}, policy, out);
  CHECK(out.str() == "added account ops1 to " + policy + "; set its password with: herald-acl passwd ops1 --policy " +
                         policy + "\n");
  struct stat st {};
  REQUIRE(::stat(policy.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Without a password the policy is not yet deployable.
  CHECK_THROWS_WITH_AS(cmd_check(policy, std::nullopt, out),
                       (policy +
                        ": accounts.ops1: no password_hash for an enabled account; set one with "
                        "'herald-acl passwd ops1 --policy " +
                        policy + "'")
                           .c_str(),
                       herald::Error);

  std::istringstream pw("s3cret-pw\n");
  out.str("");
  cmd_passwd("ops1", policy, pw, false, out);
  CHECK(out.str().find("s3cret") == std::string::npos);
  CHECK(slurp(policy).find("s3cret") == std::string::npos);
  auto p = load_policy(policy);
  CHECK(verify_password(p.accounts.at("ops1").password_hash, "s3cret-pw"));

  out.str("");
  cmd_check(policy, csv, out);
  CHECK(out.str() == "ok: 1 accounts, 6 roles\n");

  cmd_add("mon", {"monitor"}, {}, policy, out);
  std::istringstream pw2("mon-pw\n");
  cmd_passwd("mon", policy, pw2, false, out);
  cmd_set_disabled("mon", true, policy, out);
  CHECK(load_policy(policy).accounts.at("mon").disabled);
  cmd_revoke_agent("org/branch02/pc001", policy, out);
  CHECK(load_policy(policy).revoked_agents == std::set<std::string>{"org/branch02/pc001"});

  out.str("");
  ApplyOptions apply{policy, csv, t.path.string(), std::nullopt, std::nullopt};
  cmd_apply(apply, out);
  CHECK(out.str().find("wrote " + t.path.string() +
                       "/acl: 1 accounts (1 disabled left out), 1 computers, 1 revoked agents\n") == 0);
  auto acl = slurp(t.path / "acl");
  auto passwd = slurp(t.path / "passwd");
  CHECK(acl.find("user ops1\n") != std::string::npos);
  CHECK(acl.find("user mon\n") == std::string::npos);
  CHECK(acl.find("user org/branch02/pc001\ntopic deny #\n") != std::string::npos);
  CHECK(passwd.find("ops1:$7$101$") != std::string::npos);
  CHECK(passwd.find("mon:") == std::string::npos);
  REQUIRE(::stat((t.path / "acl").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(t.path))
    CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);

  // Applying again gives byte-identical files.
  cmd_apply(apply, out);
  CHECK(slurp(t.path / "acl") == acl);
  CHECK(slurp(t.path / "passwd") == passwd);

  cmd_set_disabled("mon", false, policy, out);
  cmd_apply(apply, out);
  CHECK(slurp(t.path / "passwd").find("mon:$7$") != std::string::npos);
}

TEST_CASE("editing refuses what check would refuse, and leaves the file untouched") {
  TempDir t;
  auto policy = (t.path / "policy.json").string();
  std::ostringstream out;
  cmd_add("ops1", {"monitor"}, {}, policy, out);
  auto before = slurp(policy);
  CHECK_THROWS_WITH_AS(cmd_add("Ops1", {"monitor"}, {}, policy, out),
                       (policy + ": account 'ops1' already exists").c_str(), herald::Error);
  CHECK_THROWS_WITH_AS(cmd_add("x", {"opertor"}, {}, policy, out),
                       (policy + ": accounts.x.roles[0]: unknown role 'opertor'").c_str(), herald::Error);
  CHECK_THROWS_WITH_AS(cmd_add("x", {}, {"alert=org/Bad"}, policy, out),
                       (policy + ": accounts.x.scopes.alert[0]: bad scope 'org/Bad': expected an org path (org, "
                                 "org/branch01, ...) or \"user\"")
                           .c_str(),
                       herald::Error);
  CHECK_THROWS_WITH_AS(cmd_add("x", {}, {"alrt=org"}, policy, out), "--scope 'alrt=org': unknown capability 'alrt'",
                       herald::Error);
  CHECK_THROWS_WITH_AS(cmd_set_disabled("nobody", true, policy, out), (policy + ": no account 'nobody'").c_str(),
                       herald::Error);
  std::istringstream empty("\n");
  CHECK_THROWS_WITH_AS(cmd_passwd("ops1", policy, empty, false, out), "the password must not be empty; nothing changed",
                       herald::Error);
  CHECK(slurp(policy) == before);
}

TEST_CASE("show lists capabilities and the exact ACL lines") {
  TempDir t;
  auto policy = (t.path / "policy.json").string();
  std::ostringstream out;
  cmd_add("ops1", {"communications-operator"}, {"alert=org/branch01"}, policy, out);
  out.str("");
  cmd_show("ops1", policy, false, out);
  CHECK(out.str() ==
        "account ops1: enabled\n"
        "password: not set\n"
        "roles: communications-operator\n"
        "may:\n"
        "  alert     org/branch01\n"
        "  message   org, user\n"
        "  status    org/branch01\n"
        "  replies   its own answers from heraldd\n"
        "  (nothing else)\n"
        "ACL lines:\n"
        "  user ops1\n"
        "  topic write herald/alert/ops1/+/org/branch01/#\n"
        "  topic write herald/msg/ops1/+/org/#\n"
        "  topic write herald/msg/ops1/+/user/+\n"
        "  topic write herald/recall/ops1/+/org/#\n"
        "  topic write herald/recall/ops1/+/org/branch01/#\n"
        "  topic write herald/recall/ops1/+/user/+\n"
        "  topic read herald/reply/ops1/#\n"
        "  topic write herald/req/ops1/+/campaigns/org/branch01/#\n"
        "  topic write herald/req/ops1/+/courses/org/branch01/#\n"
        "  topic write herald/req/ops1/+/list/org/branch01/#\n"
        "  topic write herald/req/ops1/+/pending/org/branch01/#\n"
        "  topic write herald/req/ops1/+/progress/org/branch01/#\n"
        "  topic write herald/req/ops1/+/schedules/org/branch01/#\n"
        "  topic write herald/req/ops1/+/status/org/branch01/#\n"
        "  topic write herald/schedule/ops1/+/alert/org/branch01/#\n"
        "  topic write herald/schedule/ops1/+/msg/org/#\n"
        "  topic write herald/schedule/ops1/+/msg/user/#\n");
  out.str("");
  cmd_show("ops1", policy, true, out);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j.at("capabilities").at("alert") == nlohmann::json::array({"org/branch01"}));
  CHECK(j.at("enabled") == true);
  CHECK(j.at("acl").size() == 18);
}

TEST_CASE("the CLI: one-line errors with the kind as exit code; passwords never printed") {
  TempDir t;
  auto policy = (t.path / "p.json").string();
  write(policy, R"({"accounts": {"ops1": {"roles": ["opertor"]}}})");
  auto r = run_cli("check " + policy);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "herald-acl: error: " + policy + ": accounts.ops1.roles[0]: unknown role 'opertor'\n");

  r = run_cli("check " + (t.path / "missing.json").string());
  CHECK(r.code == 3);
  CHECK(r.err == "herald-acl: error: " + (t.path / "missing.json").string() + ": cannot read the policy file\n");

  write(policy, R"({"accounts": {"ops1": {"roles": ["monitor"]}}})");
  r = run_cli("passwd ops1 --policy " + policy, "hunter2-secret\n");
  CHECK(r.code == 0);
  CHECK(r.out.find("hunter2") == std::string::npos);
  CHECK(r.err.find("hunter2") == std::string::npos);
  r = run_cli("check " + policy);
  CHECK(r.code == 0);
  CHECK(r.out == "ok: 1 accounts, 6 roles\n");

  r = run_cli("apply " + policy + " --directory /nonexistent.csv --out " + t.path.string());
  CHECK(r.code != 0);
  CHECK(r.err.rfind("herald-acl: error: ", 0) == 0);

  r = run_cli("frobnicate");
  CHECK(r.code == 2);
}
