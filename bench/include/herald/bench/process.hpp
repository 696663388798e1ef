#pragma once
// Child processes for the benchmark: spawned without a shell, optionally at a lower
// priority and with pipes for a line protocol, always tracked so that every child is
// killed when the benchmark ends (normally, by an exception or by SIGINT/SIGTERM).
// Also what the benchmark reads about a process from /proc (RSS, CPU time).
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace herald::bench {

struct SpawnOptions {
  std::string log_file;   // stdout+stderr (append); empty: /dev/null
  int nice = 0;           // setpriority() value for the child
  bool pipes = false;     // give the child a stdin and stdout pipe (line protocol)
  bool own_group = true;  // setpgid(0, 0): a terminal's Ctrl-C reaches only us
};

struct Child {
  pid_t pid = -1;
  int to_child = -1;    // the child's stdin (pipes only)
  int from_child = -1;  // the child's stdout (pipes only)
};

// Starts argv[0] (searched in PATH). The child is registered for kill_all_children().
// Throws Error(internal) if fork/exec fails.
Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// SIGTERM, then SIGKILL after `grace`; reaps the child. Safe for already dead children.
void stop(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(5));
bool alive(pid_t pid);  // reaps it if it has exited
// SIGKILLs and reaps every child still registered (at exit, on signals).
void kill_all_children();
// Installs SIGINT/SIGTERM handlers that kill every registered child, then exit.
void install_child_reaper();

struct RunResult {
  int exit_code = -1;  // 128 + signal if killed
  std::string out;
  std::string err;
  double wall_ms = 0;  // from fork to exit
};
// Runs to completion with stdout/stderr captured (stdout to /dev/null if !capture_out);
// killed after `timeout`.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(60),
              bool capture_out = true);

// Reads one '\n'-terminated line from a child's stdout, waiting until `deadline`.
class LineReader {
 public:
  explicit LineReader(int fd = -1) : fd_(fd) {}
  // nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline);

 private:
  int fd_;
  std::string buffer_;
};
// Writes the whole line (a '\n' is appended). Returns false if the child is gone.
bool write_line(int fd, const std::string& line);

// /proc/PID/status VmRSS in KiB, or -1.
long rss_kib(pid_t pid);
// utime + stime of /proc/PID/stat in seconds, or -1.
double cpu_seconds(pid_t pid);

}  // namespace herald::bench
