#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "helpers.hpp"
#include "herald/agent/display.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::TempDir;

namespace {
std::string wait_for_file(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    if (!s.str().empty() && s.str().back() == '\n') return s.str();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}
}  // namespace

TEST_CASE("command display runs the program with severity title body id, no shell, no zombie") {
  TempDir dir;
  auto script = dir / "show.sh";
  auto out = dir / "out.txt";
  std::ofstream(script) << "#!/bin/sh\nprintf '%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" \"$4\" > '" + out + "'\n";
  std::system(("chmod +x '" + script + "'").c_str());
  CommandDisplay display(script);
  display.show(ShownAlert{"a1", "critical", "Title; rm -rf /", "$(body) `x`", "secops", {}, "anna"});
  CHECK(wait_for_file(out) == "critical|Title; rm -rf /|$(body) `x`|a1\n");
  // The double fork leaves nothing for us to reap.
  CHECK(waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("a program that cannot be started is an error naming it") {
  try {
    CommandDisplay display("/nonexistent/herald-display");
    display.show(ShownAlert{"a1", "info", "t", "b", "s", {}, ""});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/herald-display") != std::string::npos);
  }
}

TEST_CASE("make_display knows the modes") {
  CHECK(make_display("log", ""));
  CHECK(make_display("auto", ""));
  CHECK(make_display("terminal", ""));
  CHECK(make_display("notify", ""));
  CHECK(make_display("command", "/bin/true"));
  CHECK_THROWS_AS(make_display("command", ""), Error);
  CHECK_THROWS_AS(make_display("popup", ""), Error);
  // The log display never fails.
  make_display("log", "")->show(ShownAlert{"a1", "info", "t", "b", "s", {}, ""});
}
