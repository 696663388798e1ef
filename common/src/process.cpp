#include "herald/common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#include "herald/common/error.hpp"

extern char** environ;

namespace herald::process {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw Error(ErrorKind::internal, what + ": " + std::strerror(err));
}

// An fd the parent owns until it is handed over (release) or closed.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      close_fd(fd_);
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close_fd(fd_); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Keeps the parent's fds above 0-2, so that the child's dup2() onto 0, 1 and 2 can never
// overwrite one it still has to dup (only possible if the caller closed its stdio).
Fd above_stdio(int fd, const std::string& what) {
  if (fd < 0) fail(what, errno);
  if (fd > 2) return Fd(fd);
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  close(fd);
  if (moved < 0) fail(what, err);
  return Fd(moved);
}

std::pair<Fd, Fd> make_pipe(const std::string& program) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) fail("cannot start " + program + ": pipe", errno);
  Fd read_end(ends[0]), write_end(ends[1]);
  return {above_stdio(read_end.release(), "cannot start " + program + ": pipe"),
          above_stdio(write_end.release(), "cannot start " + program + ": pipe")};
}

// What the child reports through the close-on-exec pipe when a step fails: the step and
// its errno. EOF instead means exec succeeded.
enum Step : int { step_setsid, step_setpgid, step_nice, step_sigmask, step_chdir, step_dup2, step_exec, step_fork };
const char* step_name(int step) {
  switch (step) {
    case step_setsid:
      return "setsid";
    case step_setpgid:
      return "setpgid";
    case step_nice:
      return "setpriority";
    case step_sigmask:
      return "sigprocmask";
    case step_chdir:
      return "chdir";
    case step_dup2:
      return "dup2";
    case step_exec:
      return "exec";
    case step_fork:
      return "fork";
  }
  return "?";
}
struct Report {
  int step;
  int err;
};

// Everything the child needs, built before fork().
struct Prepared {
  std::string display;  // argv[0], for messages
  std::string program;  // the path given to execve
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string working_dir;
  Fd stdio[3];  // the child's ends (-1: inherit)
  bool new_group = false;
  bool new_session = false;
  int nice = 0;
};

std::string resolve_program(const std::string& name, const std::map<std::string, std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path;
  if (auto it = env.find("PATH"); it != env.end())
    path = it->second;
  else if (const char* p = std::getenv("PATH"))
    path = p;
  else
    path = "/bin:/usr/bin";  // execvp's default
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    auto dir = path.substr(start, end - start);
    auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  throw Error(ErrorKind::internal, "cannot run " + name + ": not found in PATH (" + path + ")");
}

Fd open_stream(const Stream& s, int which, const std::string& program) {
  switch (s.kind) {
    case Stream::Kind::inherit:
      return Fd();
    case Stream::Kind::null:
      return above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC), "cannot start " + program + ": open /dev/null");
    case Stream::Kind::file:
      if (which == 0)
        return above_stdio(open(s.path.c_str(), O_RDONLY | O_CLOEXEC), "cannot start " + program + ": open " + s.path);
      return above_stdio(open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644),
                         "cannot start " + program + ": open " + s.path);
    case Stream::Kind::pipe:
      break;
  }
  return Fd();  // pipes are made by the caller
}

// Opens the streams (pipe ends the caller keeps go to `parent_ends`) and builds argv/envp.
Prepared prepare(const std::vector<std::string>& argv, const Options& options, Fd parent_ends[3]) {
  if (argv.empty() || argv[0].empty()) throw Error(ErrorKind::internal, "no program to run");
  Prepared p;
  p.display = argv[0];
  p.program = resolve_program(argv[0], options.env);
  for (const auto& a : argv) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (options.env.count(std::string(entry.substr(0, eq)))) continue;
    p.env_storage.emplace_back(entry);
  }
  for (const auto& [k, v] : options.env) p.env_storage.push_back(k + "=" + v);
  for (auto& e : p.env_storage) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  p.working_dir = options.working_dir;
  p.new_group = options.new_group;
  p.new_session = options.new_session;
  p.nice = options.nice;
  const Stream* streams[3] = {&options.in, &options.out, &options.err};
  for (int i = 0; i < 3; ++i) {
    if (streams[i]->kind == Stream::Kind::pipe) {
      auto [read_end, write_end] = make_pipe(p.display);
      if (i == 0) {
        p.stdio[i] = std::move(read_end);
        parent_ends[i] = std::move(write_end);
      } else {
        p.stdio[i] = std::move(write_end);
        parent_ends[i] = std::move(read_end);
      }
    } else {
      p.stdio[i] = open_stream(*streams[i], i, p.display);
    }
  }
  return p;
}

// In the child, after fork(): async-signal-safe calls only (setpriority is one system
// call in glibc, though POSIX does not list it).
[[noreturn]] void exec_child(const Prepared& p, int report_fd) {
  auto fail_step = [report_fd](int step) {
    Report r{step, errno};
    ssize_t ignored = write(report_fd, &r, sizeof r);
    (void)ignored;
    _exit(127);
  };
  if (p.new_session && setsid() < 0) fail_step(step_setsid);
  if (p.new_group && !p.new_session && setpgid(0, 0) != 0) fail_step(step_setpgid);
  if (p.nice != 0 && setpriority(PRIO_PROCESS, 0, p.nice) != 0) fail_step(step_nice);
  // Daemons block their signals for a signalfd/sigwait; the program must not start
  // with SIGTERM blocked.
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail_step(step_sigmask);
  if (!p.working_dir.empty() && chdir(p.working_dir.c_str()) != 0) fail_step(step_chdir);
  for (int i = 0; i < 3; ++i)
    if (p.stdio[i].get() >= 0 && dup2(p.stdio[i].get(), i) < 0) fail_step(step_dup2);
  execve(p.program.c_str(), p.argv.data(), p.envp.data());
  fail_step(step_exec);
  _exit(127);  // not reached
}

// Reads the child's report: returns normally on EOF (exec succeeded), throws its failure.
void read_report(Fd& report, const std::string& program) {
  Report r{};
  std::size_t got = 0;
  while (got < sizeof r) {
    auto n = read(report.get(), reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot start " + program + ": read from the child", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return;
  if (got != sizeof r) throw Error(ErrorKind::internal, "cannot start " + program + ": short report from the child");
  if (r.step == step_exec) fail("cannot run " + program, r.err);
  fail("cannot run " + program + ": " + step_name(r.step), r.err);
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

pid_t wait_pid(pid_t pid, int& status, int flags) {
  while (true) {
    pid_t r = waitpid(pid, &status, flags);
    if (r >= 0) return r;
    if (errno != EINTR) fail("waitpid " + std::to_string(pid), errno);
  }
}

// Blocks SIGPIPE in this thread while run() writes to a child's stdin: a child that exits
// without reading is EPIPE, not the death of the caller. A SIGPIPE raised meanwhile is
// taken before the old mask returns.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    if (sigpending(&pending) != 0) fail("sigpending", errno);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    int rc = pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    if (rc != 0) fail("pthread_sigmask", rc);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);  // cannot fail with a valid mask
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

}  // namespace

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Child spawn(const std::vector<std::string>& argv, const Options& options) {
  Fd parent_ends[3];
  auto p = prepare(argv, options, parent_ends);
  auto [report_read, report_write] = make_pipe(p.display);
  pid_t pid = fork();
  if (pid < 0) fail("cannot start " + p.display + ": fork", errno);
  if (pid == 0) {
    report_read.release();  // the child's copy closes at exec
    exec_child(p, report_write.get());
  }
  report_write = Fd();
  try {
    read_report(report_read, p.display);
  } catch (const Error&) {
    int status = 0;
    wait_pid(pid, status, 0);  // it has _exit()ed: no zombie
    throw;
  }
  return Child{pid, parent_ends[0].release(), parent_ends[1].release(), parent_ends[2].release()};
}

void spawn_detached(const std::vector<std::string>& argv, const Options& options) {
  Fd parent_ends[3];
  auto detached = options;
  detached.new_session = true;
  auto p = prepare(argv, detached, parent_ends);
  if (parent_ends[0].get() >= 0 || parent_ends[1].get() >= 0 || parent_ends[2].get() >= 0)
    throw Error(ErrorKind::internal, "cannot start " + p.display + ": a detached program has no pipes");
  auto [report_read, report_write] = make_pipe(p.display);
  pid_t middle = fork();
  if (middle < 0) fail("cannot start " + p.display + ": fork", errno);
  if (middle == 0) {
    report_read.release();
    pid_t grandchild = fork();
    if (grandchild == 0) exec_child(p, report_write.get());
    if (grandchild < 0) {
      Report r{step_fork, errno};
      ssize_t ignored = write(report_write.get(), &r, sizeof r);
      (void)ignored;
    }
    _exit(grandchild < 0 ? 1 : 0);
  }
  report_write = Fd();
  int status = 0;
  wait_pid(middle, status, 0);
  // EOF once both the middle child has exited and the grandchild exec'd (or failed).
  read_report(report_read, p.display);
}

std::optional<int> try_wait(pid_t pid) {
  int status = 0;
  if (wait_pid(pid, status, WNOHANG) == 0) return std::nullopt;
  return exit_code_of(status);
}

int wait(pid_t pid) {
  int status = 0;
  wait_pid(pid, status, 0);
  return exit_code_of(status);
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto code = try_wait(pid)) return code;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void signal(pid_t pid, int sig) {
  if (pid <= 0) throw Error(ErrorKind::internal, "no process to signal (pid " + std::to_string(pid) + ")");
  if (::kill(pid, sig) != 0) fail("kill " + std::to_string(pid) + " with signal " + std::to_string(sig), errno);
}

int terminate(pid_t pid, std::chrono::milliseconds grace) {
  signal(pid, SIGTERM);
  if (auto code = wait_for(pid, grace)) return *code;
  return kill_now(pid);
}

int kill_now(pid_t pid) {
  signal(pid, SIGKILL);
  return wait(pid);
}

Result run(const std::vector<std::string>& argv, const RunOptions& options) {
  Options o;
  o.env = options.env;
  o.working_dir = options.working_dir;
  o.in = options.input.empty() ? Stream::null() : Stream::pipe();
  o.out = options.capture_out ? Stream::pipe() : Stream::null();
  o.err = Stream::pipe();
  o.new_group = options.new_group;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto child = spawn(argv, o);
  Fd in(child.in), out(child.out), err(child.err);
  if (options.on_started) options.on_started(child.pid);
  if (in.get() >= 0) {
    int flags = fcntl(in.get(), F_GETFL);
    if (flags < 0 || fcntl(in.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
      int e = errno;
      kill_now(child.pid);
      fail("cannot feed " + argv[0] + ": fcntl", e);
    }
  }
  SigpipeBlock no_sigpipe;
  Result result;
  std::size_t written = 0;
  char buf[65536];
  while (in.get() >= 0 || out.get() >= 0 || err.get() >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[3] = {{in.get(), POLLOUT, 0}, {out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    int ready = poll(fds, 3, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      int e = errno;
      kill_now(child.pid);
      fail("running " + argv[0] + ": poll", e);
    }
    if (fds[0].fd >= 0 && fds[0].revents) {
      auto n = write(in.get(), options.input.data() + written, options.input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // EPIPE: the child does not read (all) its input, which is its business.
      bool gone = n < 0 && errno != EINTR && errno != EAGAIN;
      if (gone || written == options.input.size()) in = Fd();
    }
    for (int i = 1; i < 3; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        (i == 1 ? out : err) = Fd();
      } else {
        (i == 1 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  in = Fd();
  out = Fd();
  err = Fd();
  std::optional<int> code;
  if (!result.timed_out) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    code = wait_for(child.pid, std::max(left, std::chrono::milliseconds(0)));
    result.timed_out = !code;
  }
  result.exit_code = code ? *code : kill_now(child.pid);
  return result;
}

}  // namespace herald::process
