// Child processes (common/include/herald/common/process.hpp): real programs from PATH.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "herald/common/error.hpp"
#include "herald/common/process.hpp"
#include "temp_dir.hpp"

using namespace herald;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using herald::test::read_file;
using herald::test::TempDir;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::internal);
    return e.what();
  }
  FAIL("expected an Error");
  return {};
}

}  // namespace

TEST_CASE("process: run returns the exit code and captures stdout and stderr apart") {
  auto r = process::run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(process::run({"true"}).exit_code == 0);
}

TEST_CASE("process: arguments are passed as they are, no shell") {
  auto r = process::run({"printf", "%s|", "a b", "$(x)", "`y`;", "*"});
  CHECK(r.out == "a b|$(x)|`y`;|*|");
}

TEST_CASE("process: input reaches stdin; a child that does not read it is no SIGPIPE for us") {
  process::RunOptions o;
  o.input = "line one\nline two\n";
  auto r = process::run({"cat"}, o);
  CHECK(r.out == o.input);
  // Bigger than a pipe buffer, fed while the output is read: no deadlock.
  o.input = std::string(1 << 20, 'x');
  CHECK(process::run({"cat"}, o).out.size() == o.input.size());
  o.input = std::string(1 << 20, 'y');
  CHECK(process::run({"true"}, o).exit_code == 0);
}

TEST_CASE("process: environment additions and working directory") {
  TempDir dir;
  process::RunOptions o;
  o.env = {{"HERALD_TEST_VALUE", "hello world"}, {"HOME", "/nowhere"}};
  o.working_dir = dir.path.string();
  auto r = process::run({"sh", "-c", "echo \"$HERALD_TEST_VALUE|$HOME|$PATH\"; pwd"}, o);
  REQUIRE(r.exit_code == 0);
  std::string path_env = std::getenv("PATH") ? std::getenv("PATH") : "";
  CHECK(r.out == "hello world|/nowhere|" + path_env + "\n" + fs::canonical(dir.path).string() + "\n");
}

TEST_CASE("process: stdout and stderr to a file, appended") {
  TempDir dir;
  auto log = dir.path / "child.log";
  std::ofstream(log) << "before\n";
  process::Options o;
  o.out = process::Stream::file(log.string());
  o.err = process::Stream::file(log.string());
  auto child = process::spawn({"sh", "-c", "echo to-out; echo to-err >&2"}, o);
  CHECK(child.in == -1);
  CHECK(child.out == -1);
  CHECK(process::wait(child.pid) == 0);
  CHECK(read_file(log) == "before\nto-out\nto-err\n");
}

TEST_CASE("process: pipes to and from a spawned child") {
  process::Options o;
  o.in = process::Stream::pipe();
  o.out = process::Stream::pipe();
  auto child = process::spawn({"cat"}, o);
  REQUIRE(child.in >= 0);
  REQUIRE(child.out >= 0);
  CHECK(write(child.in, "ping\n", 5) == 5);
  process::close_fd(child.in);
  CHECK(child.in == -1);
  char buf[16] = {};
  CHECK(read(child.out, buf, sizeof buf) == 5);
  CHECK(std::string(buf) == "ping\n");
  process::close_fd(child.out);
  CHECK(process::wait(child.pid) == 0);
}

TEST_CASE("process: a program that cannot be started is an error naming it, and leaves no child") {
  auto missing = error_of([] { process::spawn({"herald-no-such-program"}); });
  CHECK(missing.find("herald-no-such-program") != std::string::npos);
  CHECK(missing.find("not found in PATH") != std::string::npos);

  auto by_path = error_of([] { process::run({"/nonexistent/herald-program"}); });
  CHECK(by_path == "cannot run /nonexistent/herald-program: No such file or directory");

  TempDir dir;
  auto not_exec = dir.path / "script";
  std::ofstream(not_exec) << "#!/bin/sh\n";
  auto denied = error_of([&] { process::spawn({not_exec.string()}); });
  CHECK(denied == "cannot run " + not_exec.string() + ": Permission denied");

  process::Options o;
  o.working_dir = (dir.path / "missing-dir").string();
  auto bad_dir = error_of([&] { process::spawn({"true"}, o); });
  CHECK(bad_dir.find("cannot run true: chdir: No such file or directory") == 0);

  process::Options unwritable;
  unwritable.out = process::Stream::file("/nonexistent/dir/log");
  auto bad_log = error_of([&] { process::spawn({"true"}, unwritable); });
  CHECK(bad_log == "cannot start true: open /nonexistent/dir/log: No such file or directory");

  CHECK(error_of([] { process::spawn({}); }) == "no program to run");
  // Each failed child was reaped.
  CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("process: try_wait, wait_for and the exit code of a signalled child") {
  auto child = process::spawn({"sleep", "30"});
  CHECK_FALSE(process::try_wait(child.pid));
  CHECK_FALSE(process::wait_for(child.pid, 50ms));
  process::signal(child.pid, SIGINT);
  CHECK(process::wait(child.pid) == 128 + SIGINT);
  // Reaped: it is no longer ours.
  CHECK(error_of([&] { process::try_wait(child.pid); }).find("waitpid") == 0);
}

TEST_CASE("process: terminate stops a child with SIGTERM, or SIGKILLs it after the grace") {
  auto polite = process::spawn({"sleep", "30"});
  auto started = std::chrono::steady_clock::now();
  CHECK(process::terminate(polite.pid, 5s) == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - started < 2s);

  TempDir dir;
  auto ready = dir.path / "ready";
  // Ignores SIGTERM; says so once the trap is set.
  auto stubborn =
      process::spawn({"sh", "-c", "trap '' TERM; touch \"$0\"; while :; do sleep 0.05; done", ready.string()});
  for (int i = 0; i < 200 && !fs::exists(ready); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(fs::exists(ready));
  started = std::chrono::steady_clock::now();
  CHECK(process::terminate(stubborn.pid, 300ms) == 128 + SIGKILL);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 300ms);
  CHECK(took < 3s);

  auto killed = process::spawn({"sleep", "30"});
  CHECK(process::kill_now(killed.pid) == 128 + SIGKILL);
}

TEST_CASE("process: run kills a child that outlives its timeout") {
  process::RunOptions o;
  o.timeout = 200ms;
  auto started = std::chrono::steady_clock::now();
  auto r = process::run({"sh", "-c", "echo started; exec sleep 30"}, o);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + SIGKILL);
  CHECK(r.out == "started\n");
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("process: a child starts with no signal blocked, even if the caller blocks some") {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &term, &old) == 0);
  auto r = process::run({"sh", "-c", "grep '^SigBlk' /proc/self/status"});
  REQUIRE(pthread_sigmask(SIG_SETMASK, &old, nullptr) == 0);
  CHECK(r.out == "SigBlk:\t0000000000000000\n");
}

TEST_CASE("process: a detached program runs in its own session and leaves nothing to reap") {
  TempDir dir;
  auto out = dir.path / "out";
  process::spawn_detached({"sh", "-c",
                           "cut -d' ' -f6 /proc/$$/stat > \"$0.tmp\"; echo $$ >> \"$0.tmp\"; mv \"$0.tmp\" \"$0\"",
                           out.string()});
  for (int i = 0; i < 300 && !fs::exists(out); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(fs::exists(out));
  std::istringstream lines(read_file(out));
  long sid = 0, pid = 0;
  lines >> sid >> pid;
  CHECK(sid == pid);  // the session leader
  CHECK(sid != getsid(0));
  CHECK(waitpid(-1, nullptr, WNOHANG) == -1);

  auto missing = error_of([] { process::spawn_detached({"/nonexistent/herald-display"}); });
  CHECK(missing == "cannot run /nonexistent/herald-display: No such file or directory");
}
