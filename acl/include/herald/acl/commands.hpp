#pragma once
// The herald-acl subcommands as functions, so tests run them without a process.
// Each prints its result to `out` and throws herald::Error on failure.
#include <sys/types.h>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace herald::acl {

void cmd_check(const std::string& policy_path, const std::optional<std::string>& directory_path, std::ostream& out);

struct ApplyOptions {
  std::string policy_path;
  std::string directory_path;
  std::string out_dir;
  std::optional<pid_t> reload_pid;
  std::optional<std::string> reload_pidfile;
};
void cmd_apply(const ApplyOptions& options, std::ostream& out);

void cmd_show(const std::string& account, const std::string& policy_path, bool json, std::ostream& out);

// The new password comes from `password_in`: from a terminal it is read twice without
// echo; from a pipe, one line.
void cmd_passwd(const std::string& account, const std::string& policy_path, std::istream& password_in,
                bool from_terminal, std::ostream& out);
// scope arguments are "capability=scope" (e.g. "alert=org/branch01").
void cmd_add(const std::string& account, const std::vector<std::string>& roles, const std::vector<std::string>& scopes,
             const std::string& policy_path, std::ostream& out);
void cmd_set_disabled(const std::string& account, bool disabled, const std::string& policy_path, std::ostream& out);
void cmd_revoke_agent(const std::string& agent_path, const std::string& policy_path, std::ostream& out);
void cmd_table(std::ostream& out);

}  // namespace herald::acl
