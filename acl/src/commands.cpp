#include "herald/acl/commands.hpp"

#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "herald/acl/files.hpp"
#include "herald/acl/generate.hpp"
#include "herald/acl/password.hpp"
#include "herald/acl/policy.hpp"
#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"

namespace herald::acl {
namespace {

constexpr mode_t kBrokerFileMode = 0640;

// Loads the policy for an edit; a missing file starts an empty policy, so the first
// `herald-acl add` creates it.
Policy load_for_edit(const std::string& path) {
  LoadOptions relaxed;
  relaxed.require_passwords = false;
  if (!std::filesystem::exists(path)) return parse_policy("{\"roles\": {}, \"accounts\": {}}", path, relaxed);
  return load_policy(path, relaxed);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Turns terminal echo off for its lifetime.
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::string read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) throw Error(ErrorKind::usage, "no password given on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string read_new_password(const std::string& account, std::istream& in, bool from_terminal) {
  std::string password;
  if (from_terminal) {
    NoEcho no_echo;
    std::cerr << "New password for " << account << ": " << std::flush;
    password = read_line(in);
    std::cerr << "\nRepeat it: " << std::flush;
    auto again = read_line(in);
    std::cerr << "\n";
    if (again != password) throw Error(ErrorKind::usage, "the two passwords differ; nothing changed");
  } else {
    password = read_line(in);
  }
  if (password.empty()) throw Error(ErrorKind::usage, "the password must not be empty; nothing changed");
  return password;
}

}  // namespace

void cmd_check(const std::string& policy_path, const std::optional<std::string>& directory_path, std::ostream& out) {
  std::vector<DirectoryEntry> directory;
  LoadOptions options;
  if (directory_path) {
    directory = load_directory_csv(*directory_path);
    options.directory = &directory;
  }
  auto policy = load_policy(policy_path, options);
  out << "ok: " << policy.accounts.size() << " accounts, " << policy.roles.size() << " roles\n";
}

void cmd_apply(const ApplyOptions& options, std::ostream& out) {
  auto directory = load_directory_csv(options.directory_path);
  LoadOptions load;
  load.directory = &directory;
  auto policy = load_policy(options.policy_path, load);
  // Resolve the pid before writing anything: a wrong pid file should not leave new
  // files that nobody told the broker about.
  std::optional<pid_t> pid = options.reload_pid;
  if (options.reload_pidfile) pid = read_pidfile(*options.reload_pidfile);

  auto generated = generate(policy, directory, options.policy_path, options.directory_path);
  if (!std::filesystem::is_directory(options.out_dir))
    throw Error(ErrorKind::not_found, "output directory " + options.out_dir + " does not exist");
  const std::string acl_path = options.out_dir + "/acl";
  const std::string passwd_path = options.out_dir + "/passwd";
  write_file_atomically(acl_path, generated.acl, kBrokerFileMode, true);
  write_file_atomically(passwd_path, generated.passwd, kBrokerFileMode, true);
  out << "wrote " << acl_path << ": " << generated.accounts << " accounts (" << generated.disabled_accounts
      << " disabled left out), " << generated.agents << " computers, " << generated.revoked_agents
      << " revoked agents\n";
  out << "wrote " << passwd_path << ": " << generated.accounts << " accounts\n";
  if (pid) {
    reload_broker(*pid);
    out << "sent SIGHUP to the broker (pid " << *pid << "): it reloads both files without dropping clients\n";
  } else {
    out << "the broker reads them on its next SIGHUP (kill -HUP <mosquitto pid>)\n";
  }
}

void cmd_show(const std::string& account_name, const std::string& policy_path, bool json, std::ostream& out) {
  LoadOptions relaxed;
  relaxed.require_passwords = false;
  auto policy = load_policy(policy_path, relaxed);
  const auto& account = find_account(policy, account_name);
  auto rights = rights_of(policy, account);
  std::vector<std::string> lines{"user " + account.name};
  for (const auto& r : account_rules(policy, account)) lines.push_back(topic_line(r));

  if (json) {
    nlohmann::ordered_json doc;
    doc["account"] = account.name;
    doc["enabled"] = !account.disabled;
    doc["password_set"] = !account.password_hash.empty();
    doc["roles"] = account.roles;
    nlohmann::ordered_json caps = nlohmann::ordered_json::object();
    for (const auto& [cap, scopes] : rights.grants) caps[std::string(capability_name(cap))] = scopes;
    doc["capabilities"] = caps;
    doc["server"] = rights.server;
    doc["acl"] = account.disabled ? std::vector<std::string>{} : lines;
    out << doc.dump(2) << "\n";
    return;
  }
  out << "account " << account.name << ": "
      << (account.disabled ? "disabled (cannot log in; left out of the ACL and the password file)" : "enabled") << "\n";
  out << "password: " << (account.password_hash.empty() ? "not set" : "set") << "\n";
  out << "roles: " << (account.roles.empty() ? "(none)" : join(account.roles, ", ")) << "\n";
  out << "may:\n";
  if (rights.server) out << "  server    read and write everything under herald/\n";
  for (const auto& [cap, scopes] : rights.grants) {
    std::string name(capability_name(cap));
    name.resize(10, ' ');
    out << "  " << name << join(std::vector<std::string>(scopes.begin(), scopes.end()), ", ") << "\n";
  }
  out << "  replies   its own answers from heraldd\n";
  out << "  (nothing else)\n";
  out << (account.disabled ? "ACL lines once enabled:\n" : "ACL lines:\n");
  for (const auto& line : lines) out << "  " << line << "\n";
}

void cmd_passwd(const std::string& account, const std::string& policy_path, std::istream& password_in,
                bool from_terminal, std::ostream& out) {
  auto policy = load_for_edit(policy_path);
  find_account(policy, account);
  auto hash = hash_password(read_new_password(account, password_in, from_terminal));
  save_policy(with_password_hash(policy, account, hash), policy_path);
  out << "set the password of " << account << " in " << policy_path << "; 'herald-acl apply' puts it into effect\n";
}

void cmd_add(const std::string& account, const std::vector<std::string>& roles, const std::vector<std::string>& scopes,
             const std::string& policy_path, std::ostream& out) {
  Grants grants;
  for (const auto& arg : scopes) {
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::usage, "--scope '" + arg + "': expected CAPABILITY=SCOPE, e.g. alert=org/branch01");
    auto cap = capability_from_name(arg.substr(0, eq));
    if (!cap) throw Error(ErrorKind::usage, "--scope '" + arg + "': unknown capability '" + arg.substr(0, eq) + "'");
    grants[*cap].insert(arg.substr(eq + 1));  // validated with the whole policy below
  }
  auto policy = load_for_edit(policy_path);
  save_policy(with_new_account(policy, account, roles, grants), policy_path);
  out << "added account " << account << " to " << policy_path << "; set its password with: herald-acl passwd "
      << account << " --policy " << policy_path << "\n";
}

void cmd_set_disabled(const std::string& account, bool disabled, const std::string& policy_path, std::ostream& out) {
  auto policy = load_for_edit(policy_path);
  save_policy(with_disabled(policy, account, disabled), policy_path);
  out << (disabled ? "disabled " : "enabled ") << account << " in " << policy_path << "; 'herald-acl apply' "
      << (disabled ? "logs it out and refuses its logins" : "lets it log in again") << "\n";
}

void cmd_revoke_agent(const std::string& agent_path, const std::string& policy_path, std::ostream& out) {
  auto policy = load_for_edit(policy_path);
  save_policy(with_revoked_agent(policy, agent_path), policy_path);
  out << "revoked agent " << agent_path << " in " << policy_path
      << "; 'herald-acl apply' denies it every topic at once; also revoke its certificate "
         "(broker-config/herald-pki revoke PKI_DIR "
      << agent_path << ") so it cannot connect again\n";
}

void cmd_table(std::ostream& out) { out << render_access_table(); }

}  // namespace herald::acl
