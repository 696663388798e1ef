#include "herald/bench/process.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>

#include "herald/common/error.hpp"
#include "herald/common/process.hpp"

namespace herald::bench {
namespace {

// Registered children, in a fixed array so the signal handler can walk it without
// allocating. 0 = free slot.
constexpr std::size_t kMaxChildren = 4096;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};  // lock-free: readable in a signal handler
std::mutex g_children_mutex;

void register_child(pid_t pid) {
  {
    std::lock_guard lock(g_children_mutex);
    for (auto& slot : g_children)
      if (slot == 0) {
        slot = pid;
        return;
      }
  }
  // Untracked, it would outlive us on Ctrl-C: refuse instead.
  process::kill_now(pid);
  throw Error(ErrorKind::internal, "more than " + std::to_string(kMaxChildren) + " child processes");
}

bool registered(pid_t pid) {
  std::lock_guard lock(g_children_mutex);
  for (auto& slot : g_children)
    if (slot == pid) return true;
  return false;
}

void unregister_child(pid_t pid) {
  std::lock_guard lock(g_children_mutex);
  for (auto& slot : g_children)
    if (slot == pid) slot = 0;
}

extern "C" void on_fatal_signal(int sig) {
  for (auto& slot : g_children)
    if (slot > 0) kill(slot, SIGKILL);
  _exit(128 + sig);
}

}  // namespace

Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  process::Options o;
  o.in = options.pipes ? process::Stream::pipe() : process::Stream::null();
  auto log = options.log_file.empty() ? process::Stream::null() : process::Stream::file(options.log_file);
  o.out = options.pipes ? process::Stream::pipe() : log;
  o.err = log;
  o.new_group = options.own_group;
  o.nice = options.nice;
  auto started = process::spawn(argv, o);
  register_child(started.pid);
  return Child{started.pid, started.in, started.out};
}

bool alive(pid_t pid) {
  // An unregistered pid has been reaped already (by us: registering never fails).
  if (pid <= 0 || !registered(pid)) return false;
  if (!process::try_wait(pid)) return true;
  unregister_child(pid);
  return false;
}

void stop(pid_t pid, std::chrono::milliseconds grace) {
  if (!alive(pid)) return;
  process::terminate(pid, grace);
  unregister_child(pid);
}

void kill_all_children() {
  std::vector<pid_t> pids;
  {
    std::lock_guard lock(g_children_mutex);
    for (auto& slot : g_children)
      if (slot > 0) pids.push_back(slot.load());
  }
  for (auto pid : pids) {
    process::kill_now(pid);
    unregister_child(pid);
  }
}

void install_child_reaper() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a dead swarm shows up as a failed write, not our death
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, bool capture_out) {
  process::RunOptions o;
  o.timeout = timeout;
  o.capture_out = capture_out;
  pid_t pid = -1;
  o.on_started = [&pid](pid_t started) {
    register_child(started);  // killed with the others on SIGINT/SIGTERM
    pid = started;
  };
  auto started = std::chrono::steady_clock::now();
  process::Result r;
  try {
    r = process::run(argv, o);
  } catch (const Error&) {
    if (pid > 0) unregister_child(pid);  // run() reaped it before throwing
    throw;
  }
  if (pid > 0) unregister_child(pid);
  RunResult result;
  result.exit_code = r.exit_code;
  result.out = std::move(r.out);
  result.err = std::move(r.err);
  result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::optional<std::string> LineReader::read_line(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[65536];
    auto n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

bool write_line(int fd, const std::string& line) {
  std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may contain blanks: fields are counted after its ')'.
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream rest(text.substr(close_paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace herald::bench
