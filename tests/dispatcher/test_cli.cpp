// The `herald` command line as a script sees it: exit codes and exact stderr lines.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "herald/dispatcher/cli.hpp"

using herald::dispatcher::run_cli;

namespace {

using herald::test::herald_cli;
using herald::test::isolate_environment;
using herald::test::Run;

}  // namespace

TEST_CASE("input errors exit 2 before any configuration is read") {
  isolate_environment();
  auto r = herald_cli({"alert", "--to", "org/Branch01", "--body", "x"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "herald: error: invalid target 'org/Branch01': expected an org path (org, org/branch01, ...) or user:LOGIN\n");
  CHECK(r.out.empty());

  r = herald_cli({"alert", "--to", "org", "--body", ""});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: empty body: a message needs text\n");

  r = herald_cli({"send", "--to", "org", "--title", "T", "--body", std::string(70000, 'x')});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: body is 70000 bytes, over the limit of 65536\n");

  r = herald_cli({"alert", "--to", "org", "--body", "x", "--expires", "soon"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "herald: error: invalid duration 'soon': expected a number (use e.g. 90s, 15m, 2h, 7d, 2w or 1h30m)\n");

  r = herald_cli({"alert", "--to", "org", "--body", "x", "--severity", "loud"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid severity 'loud': use info, warning or critical\n");

  r = herald_cli({"send", "--to", "org", "--title", "T", "--body", "x", "--link", "javascript:alert(1)"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid link 'javascript:alert(1)': expected an http(s) URL under 2048 bytes\n");

  r = herald_cli({"status", "../x"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid message id '../x': an id is 1-64 letters, digits, '.', '_' or '-'\n");

  r = herald_cli({"pending", "--under", "org/#"});
  CHECK(r.code == 2);
}

TEST_CASE("command line syntax errors exit 2 with one line") {
  isolate_environment();
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"shout"}, {"alert", "--password", "x"}, {"list", "--limit", "0"}, {"status"}}) {
    auto r = herald_cli(args);
    CHECK(r.code == 2);
    CHECK(r.err.rfind("herald: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("--help works on every command") {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"alert", "--help"},
                                                         {"send", "--help"},
                                                         {"status", "--help"},
                                                         {"pending", "--help"},
                                                         {"list", "--help"},
                                                         {"recall", "--help"},
                                                         {"import-org", "--help"}}) {
    auto r = herald_cli(args);
    CHECK(r.code == 0);
    CHECK(r.out.find("--config") != std::string::npos);
  }
}

TEST_CASE("configuration problems exit 9") {
  isolate_environment();
  auto r = herald_cli({"pending"});
  CHECK(r.code == 9);
  CHECK(r.err ==
        "herald: error: no configuration: pass --config FILE, set HERALD_CONFIG, or create "
        "~/.config/herald/herald.conf or /etc/herald/herald.conf\n");

  r = herald_cli({"--config", "/nonexistent/herald.conf", "list"});
  CHECK(r.code == 9);
  CHECK(r.err == "herald: error: cannot read config file /nonexistent/herald.conf: No such file or directory\n");

  const char* path = "/tmp/herald-dispatcher-test.conf";
  {
    std::ofstream f(path);
    f << "broker = tcp://127.0.0.1:1883\nca_file = ca.crt\nusername = alice\n";
  }
  setenv("HERALD_CONFIG", path, 1);
  r = herald_cli({"alert", "--to", "org", "--body", "x"});
  CHECK(r.code == 9);
  CHECK(r.err.rfind("herald: error: broker 'tcp://127.0.0.1:1883' is not a TLS address", 0) == 0);
  unsetenv("HERALD_CONFIG");
}

TEST_CASE("an unreachable broker exits 5 quickly") {
  isolate_environment();
  const char* path = "/tmp/herald-dispatcher-test-unreachable.conf";
  {
    std::ofstream f(path);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    f << "broker = ssl://127.0.0.1:1\nca_file = /dev/null\nusername = alice\npassword = pw\nconnect_timeout = 2\n";
  }
  auto started = std::chrono::steady_clock::now();
  auto r = herald_cli({"--config", path, "alert", "--to", "org", "--body", "x"});
  CHECK(r.code == 5);
  CHECK(r.err.rfind("herald: error: connecting to ssl://127.0.0.1:1: ", 0) == 0);
  CHECK(r.out.empty());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  std::remove(path);
}
