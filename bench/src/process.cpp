#include "herald/bench/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "herald/common/error.hpp"

namespace herald::bench {
namespace {

// Registered children, in a fixed array so the signal handler can walk it without
// allocating. 0 = free slot.
constexpr std::size_t kMaxChildren = 4096;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};  // lock-free: readable in a signal handler
std::mutex g_children_mutex;

void register_child(pid_t pid) {
  std::lock_guard lock(g_children_mutex);
  for (auto& slot : g_children)
    if (slot == 0) {
      slot = pid;
      return;
    }
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

[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "herald-bench: cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

}  // namespace

Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  if (options.pipes && (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0))
    throw Error(ErrorKind::internal, std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw Error(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (options.own_group) setpgid(0, 0);
    if (options.nice != 0) setpriority(PRIO_PROCESS, 0, options.nice);
    int log =
        open(options.log_file.empty() ? "/dev/null" : options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (options.pipes) {
      dup2(in_pipe[0], 0);
      dup2(out_pipe[1], 1);
    } else {
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      dup2(log, 1);
    }
    dup2(log, 2);
    exec_child(argv);
  }
  register_child(pid);
  Child child{pid, -1, -1};
  if (options.pipes) {
    close(in_pipe[0]);
    close(out_pipe[1]);
    child.to_child = in_pipe[1];
    child.from_child = out_pipe[0];
  }
  return child;
}

bool alive(pid_t pid) {
  if (pid <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == pid || (r < 0 && errno == ECHILD)) {
    unregister_child(pid);
    return false;
  }
  return true;
}

void stop(pid_t pid, std::chrono::milliseconds grace) {
  if (!alive(pid)) return;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  unregister_child(pid);
}

void kill_all_children() {
  std::vector<pid_t> pids;
  {
    std::lock_guard lock(g_children_mutex);
    for (auto& slot : g_children)
      if (slot > 0) pids.push_back(slot.load());
  }
  for (auto pid : pids) kill(pid, SIGKILL);
  for (auto pid : pids) {
    waitpid(pid, nullptr, 0);
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
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(ErrorKind::internal, std::string("pipe: ") + std::strerror(errno));
  auto started = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) throw Error(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(capture_out ? out_pipe[1] : devnull, 1);
    dup2(err_pipe[1], 2);
    exec_child(argv);
  }
  register_child(pid);
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  auto deadline = started + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  std::string buf(65536, '\0');
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto n = read(fds[i].fd, buf.data(), buf.size());
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  unregister_child(pid);
  result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
