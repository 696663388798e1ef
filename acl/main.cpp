// herald-acl: turns the access policy into Mosquitto's acl_file and password_file.
// All the work is in herald::acl (acl/include/herald/acl/commands.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "herald/acl/commands.hpp"
#include "herald/common/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"herald-acl: scoped admin accounts, enforced by the broker (see acl/README.md)"};
  app.require_subcommand(1);

  std::string policy;
  std::string account;
  std::optional<std::string> directory;
  bool json = false;

  auto* check = app.add_subcommand("check", "validate a policy file");
  check->add_option("POLICY", policy, "policy file (JSON)")->required();
  check->add_option("--directory", directory, "org directory CSV: scopes must name entries in it");

  herald::acl::ApplyOptions apply_options;
  std::optional<pid_t> reload_pid;
  std::optional<std::string> reload_pidfile;
  auto* apply = app.add_subcommand("apply", "write DIR/acl and DIR/passwd for Mosquitto and reload it");
  apply->add_option("POLICY", apply_options.policy_path, "policy file (JSON)")->required();
  apply->add_option("--directory", apply_options.directory_path, "org directory CSV")->required();
  apply->add_option("--out", apply_options.out_dir, "broker directory (acl_file and password_file)")->required();
  auto* pid_opt = apply->add_option("--reload-pid", reload_pid, "send SIGHUP to this mosquitto process");
  apply->add_option("--reload-pidfile", reload_pidfile, "send SIGHUP to the process in this pid file")
      ->excludes(pid_opt);

  auto* show = app.add_subcommand("show", "what an account may do, and its exact ACL lines");
  show->add_option("ACCOUNT", account)->required();
  show->add_option("--policy", policy)->required();
  show->add_flag("--json", json, "JSON output");

  auto* passwd = app.add_subcommand("passwd", "set an account's password (read from standard input)");
  passwd->add_option("ACCOUNT", account)->required();
  passwd->add_option("--policy", policy)->required();

  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  auto* add = app.add_subcommand("add", "add an account to the policy");
  add->add_option("ACCOUNT", account)->required();
  add->add_option("--role", roles, "a role (repeatable)");
  add->add_option("--scope", scopes, "CAPABILITY=SCOPE, e.g. alert=org/branch01 (repeatable)");
  add->add_option("--policy", policy)->required();

  auto* disable = app.add_subcommand("disable", "disable an account (it can no longer log in)");
  disable->add_option("ACCOUNT", account)->required();
  disable->add_option("--policy", policy)->required();
  auto* enable = app.add_subcommand("enable", "enable a disabled account");
  enable->add_option("ACCOUNT", account)->required();
  enable->add_option("--policy", policy)->required();

  std::string agent_path;
  auto* revoke = app.add_subcommand("revoke-agent", "deny a computer's agent every topic (with its CRL entry)");
  revoke->add_option("AGENT_PATH", agent_path, "the computer's org path, e.g. org/branch01/pc042")->required();
  revoke->add_option("--policy", policy)->required();

  auto* table = app.add_subcommand("table", "print the access table of topics.md");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }

  try {
    if (*check) herald::acl::cmd_check(policy, directory, std::cout);
    if (*apply) {
      apply_options.reload_pid = reload_pid;
      apply_options.reload_pidfile = reload_pidfile;
      herald::acl::cmd_apply(apply_options, std::cout);
    }
    if (*show) herald::acl::cmd_show(account, policy, json, std::cout);
    if (*passwd) herald::acl::cmd_passwd(account, policy, std::cin, ::isatty(STDIN_FILENO) != 0, std::cout);
    if (*add) herald::acl::cmd_add(account, roles, scopes, policy, std::cout);
    if (*disable) herald::acl::cmd_set_disabled(account, true, policy, std::cout);
    if (*enable) herald::acl::cmd_set_disabled(account, false, policy, std::cout);
    if (*revoke) herald::acl::cmd_revoke_agent(agent_path, policy, std::cout);
    if (*table) herald::acl::cmd_table(std::cout);
  } catch (const herald::Error& e) {
    if (e.kind() == herald::ErrorKind::not_permitted)
      std::cerr << "herald-acl: not permitted: " << e.what() << "\n";
    else
      std::cerr << "herald-acl: error: " << e.what() << "\n";
    return e.exit_code();
  }
  return 0;
}
