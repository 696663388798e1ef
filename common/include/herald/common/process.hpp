#pragma once
// Child processes, started one way everywhere (the agent's display programs, the
// benchmark's broker and swarms, the integration fixture's daemons): argv without a
// shell, an optional environment addition, working directory and redirections. Failures
// are Error(internal) naming the program and the step that failed, including an exec
// that failed in the child (reported back through a close-on-exec pipe), so a missing
// program is an exception here, not an exit code 127 in some log.
//
// Between fork() and exec() the child only calls async-signal-safe functions on data
// prepared before fork() (argv/envp arrays, the resolved program path, opened fds): the
// callers are multi-threaded (Paho, the agent's executor).
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald::process {

// Where one of the child's standard streams goes.
struct Stream {
  enum class Kind { inherit, null, file, pipe };
  Kind kind = Kind::null;
  std::string path;  // Kind::file: read (stdin) or appended to, created 0644 (stdout/stderr)

  static Stream inherit() { return {Kind::inherit, {}}; }
  static Stream null() { return {Kind::null, {}}; }
  static Stream file(std::string path) { return {Kind::file, std::move(path)}; }
  static Stream pipe() { return {Kind::pipe, {}}; }
};

struct Options {
  std::map<std::string, std::string> env;  // set in (or replacing) the inherited environment
  std::string working_dir;                 // empty: the caller's
  Stream in = Stream::null();
  Stream out = Stream::null();
  Stream err = Stream::null();
  bool new_group = false;    // setpgid(0, 0): a terminal's Ctrl-C reaches only the caller
  bool new_session = false;  // setsid(): no controlling terminal, its own process group
  int nice = 0;              // setpriority() value for the child
};

// A started child. The pipe ends (Stream::pipe) are the caller's, close-on-exec, and
// closed by the caller (close_fd); -1 where there is no pipe.
struct Child {
  pid_t pid = -1;
  int in = -1;   // write end of the child's stdin
  int out = -1;  // read end of the child's stdout
  int err = -1;  // read end of the child's stderr
};

// Starts argv[0] (searched in PATH, the child's PATH if `env` sets one). Returns once the
// program runs (exec succeeded). Throws Error(internal) naming the program otherwise.
Child spawn(const std::vector<std::string>& argv, const Options& options = {});

// Starts argv[0] and lets it go: a double fork hands it to init (nobody has to reap it)
// and it runs in its own session. Returns once exec succeeded; throws like spawn().
void spawn_detached(const std::vector<std::string>& argv, const Options& options = {});

// The exit code of an ended child: its exit status, or 128 + the signal that killed it.
// All of these reap the child when it has ended; a pid that is not (or no longer) a child
// of ours is an Error(internal).
std::optional<int> try_wait(pid_t pid);  // nullopt: still running
int wait(pid_t pid);
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout);  // nullopt: still running
// Sends `sig`; Error(internal) if the process does not exist.
void signal(pid_t pid, int sig);
// SIGTERM, SIGKILL if it has not ended after `grace`; returns its exit code.
int terminate(pid_t pid, std::chrono::milliseconds grace);
// SIGKILL; returns its exit code.
int kill_now(pid_t pid);

// Closes fd (if >= 0) and sets it to -1; EINTR is not retried (Linux closes anyway).
void close_fd(int& fd);

struct RunOptions {
  std::map<std::string, std::string> env;  // as Options::env
  std::string working_dir;
  std::string input;  // written to the child's stdin, then EOF; empty: stdin is /dev/null
  std::chrono::milliseconds timeout = std::chrono::seconds(60);  // then SIGKILL
  bool capture_out = true;                                       // false: stdout to /dev/null
  bool new_group = false;
  std::function<void(pid_t)> on_started;  // called once the program runs (e.g. to track it)
};

struct Result {
  int exit_code = -1;  // 128 + signal if killed (128 + SIGKILL after the timeout)
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv to completion with stdout and stderr captured.
Result run(const std::vector<std::string>& argv, const RunOptions& options = {});

}  // namespace herald::process
