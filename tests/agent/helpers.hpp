#pragma once
// Shared test helpers: a temp directory removed afterwards, payload builders.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"

namespace herald::agent::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-agent-test-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline payloads::Delivery delivery(std::string title = "Phishing", std::string severity = "critical",
                                   std::chrono::milliseconds lifetime = std::chrono::hours(1)) {
  payloads::Delivery d;
  d.title = std::move(title);
  d.body = "Do not open the attachment";
  d.severity = std::move(severity);
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + lifetime;
  return d;
}

// Polls pred() every 10 ms for up to `timeout`; its last answer.
inline bool eventually_true(const std::function<bool()>& pred,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Runs the herald-agent binary with `args` through a shell; stdout and stderr together.
struct Run {
  int code;
  std::string out;
};

inline Run run(const std::string& args) {
  std::string cmd = std::string(HERALD_AGENT_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace herald::agent::test
