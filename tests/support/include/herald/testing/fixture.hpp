#pragma once
// The integration-test fixture: a real Mosquitto over TLS on free loopback ports with
// its own CA, ACL and accounts (made by broker-config/ and herald-acl), real heraldd
// and herald-agent processes, and the herald CLI run as a user would run it.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald::testing {

namespace fs = std::filesystem;

// A fresh directory under /tmp (see set_paths), removed at the end unless HERALD_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (no shell), feeding `input` to stdin.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              const std::string& input = "", std::chrono::seconds timeout = std::chrono::seconds(60));

// A background process whose stdout+stderr go to a log file.
class Process {
 public:
  Process(std::vector<std::string> argv, fs::path log_file, std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  void stop();   // SIGTERM, then SIGKILL after 5 s; waits
  void kill9();  // SIGKILL; waits
  void start();  // (re)start with the same argv
  std::string log() const;
  // What the current run wrote: a restart appends to the same log, and a wait for a
  // "ready" line must not be satisfied by the previous run's.
  std::string log_of_this_run() const;
  const fs::path& log_file() const { return log_file_; }

 private:
  std::vector<std::string> argv_;
  fs::path log_file_;
  std::uintmax_t log_offset_ = 0;  // the log's size when this run started
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
};

// Paths of the built programs and of the source tree.
fs::path bin(const std::string& name);
fs::path source_dir();
// Where bin(), source_dir() and TempDir look: the build's own and /tmp, unless a program
// other than the tests (the crash drill, drill/) points them elsewhere before it starts
// anything. An empty field keeps its current value.
struct Paths {
  fs::path bin_dir;
  fs::path source_dir;
  fs::path temp_root;
};
void set_paths(const Paths& paths);
// The library's directory export (430 entries, 396 computers), kept in the repo as the
// demo's org; tests read it from there, never from outside the repository.
fs::path library_org_csv();
int free_port();
// Polls until pred() or timeout; returns pred()'s last value.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(50));

struct Account {
  std::string name;
  std::string password;
  std::vector<std::string> roles;
  std::map<std::string, std::vector<std::string>> scopes;  // capability -> scopes
  bool disabled = false;
};

// A small org used by default: two branches and hq.
std::string default_directory_csv();

class Broker {
 public:
  // Builds the broker directory (CA, certs, config), writes the policy for `accounts`
  // plus the built-in ones (admin: full-admin, heraldd: server), applies it with
  // herald-acl for the org in `directory_csv`, and starts Mosquitto.
  Broker(const fs::path& dir, const std::string& directory_csv, std::vector<Account> accounts = {});
  ~Broker();

  int agent_port() const { return agent_port_; }
  int people_port() const { return people_port_; }
  std::string agent_uri() const;
  std::string people_uri() const;
  fs::path ca_file() const;
  fs::path pki_dir() const { return dir_ / "pki"; }
  const fs::path& dir() const { return dir_; }
  fs::path directory_file() const { return dir_ / "org.csv"; }
  fs::path policy_file() const { return dir_ / "policy.json"; }
  std::string password(const std::string& account) const;

  // Issues (once) the agent certificate for an org path; returns {cert, key}.
  std::pair<fs::path, fs::path> agent_cert(const std::string& org_path);
  void revoke_agent(const std::string& org_path);
  void reapply_policy(const std::vector<Account>& accounts);  // rewrites policy, herald-acl apply, SIGHUP
  // Enrols a computer that joins the org later: adds it to the directory and
  // re-applies the ACL (herald-acl apply + SIGHUP), as an admin would.
  void enroll_computer(const std::string& org_path, const std::string& login);
  void reload();  // SIGHUP
  void stop();
  void kill9();
  void start();
  void restart() {
    stop();
    start();
  }
  // Wipes the broker's persistence (its retained store), as a crash between saves would.
  void wipe_persistence();
  std::string log() const;

 private:
  void write_policy(const std::vector<Account>& accounts);
  void wait_ready();
  fs::path dir_;
  int agent_port_ = 0;
  int people_port_ = 0;
  std::map<std::string, std::string> passwords_;
  std::unique_ptr<Process> process_;
};

// One agent process with its own config, certificate and data dir.
class Agent {
 public:
  Agent(Broker& broker, const fs::path& root, const std::string& org_path, const std::string& user);
  const std::string& path() const { return path_; }
  fs::path config() const { return dir_ / "agent.conf"; }
  Process& process() { return *process_; }
  void start() { process_->start(); }
  void stop() { process_->stop(); }
  void kill9() { process_->kill9(); }
  RunResult cli(std::vector<std::string> args);  // herald-agent ARGS --config <this agent's>
  std::string log() const { return process_->log(); }
  // Waits until the agent's log says it is connected and subscribed.
  bool wait_connected(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  fs::path dir_;
  std::string path_;
  std::unique_ptr<Process> process_;
};

// A whole Herald installation: broker, heraldd, agents and the admin CLI.
class System {
 public:
  // heraldd_extra_config: lines appended to heraldd.conf (e.g. a simulated `clock`).
  explicit System(const std::string& tag, std::vector<Account> accounts = {},
                  std::string directory_csv = default_directory_csv(), bool import_directory = true,
                  const std::string& heraldd_extra_config = "");
  ~System();

  TempDir& tmp() { return tmp_; }
  Broker& broker() { return *broker_; }
  Process& heraldd() { return *heraldd_; }
  Agent& agent(const std::string& org_path, const std::string& user = "");
  // Writes (once) a herald CLI config for the account; returns its path.
  fs::path cli_config(const std::string& account, const std::string& scope = "org");
  RunResult herald(std::vector<std::string> args, const std::string& account = "admin", const std::string& input = "");
  bool wait_heraldd_connected(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // How often the running heraldd has connected and subscribed (it reconnects by itself
  // after a broker restart).
  std::size_t heraldd_connections() const;

 private:
  TempDir tmp_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Process> heraldd_;
  std::map<std::string, std::unique_ptr<Agent>> agents_;
};

}  // namespace herald::testing
