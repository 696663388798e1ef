#pragma once
// Shared test helpers: a temp directory removed afterwards, payload builders.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
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

// `env`: variables for the command, e.g. "LANG=pl_PL.UTF-8"; given (even ""), the
// caller's locale variables are unset first, so only `env` picks the language.
inline Run run(const std::string& args, const std::optional<std::string>& env = std::nullopt) {
  std::string prefix = env ? "env -u LANGUAGE -u LC_ALL -u LC_MESSAGES -u LANG " + *env + " " : "";
  std::string cmd = prefix + std::string(HERALD_AGENT_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// An agent.conf for org/b1/pc1 (user anna, data in DIR/data, a broker that is not
// there) with a fresh self-signed certificate; returns "--config FILE".
inline std::string agent_conf(const TempDir& dir) {
  std::string cert = dir / "pc1.crt";
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                       "'/CN=org\\/b1\\/pc1' -keyout " +
                       dir / "pc1.key" + " -out " + cert + " >/dev/null 2>&1")
                          .c_str()) == 0);
  std::ofstream(dir / "agent.conf") << "broker = ssl://127.0.0.1:1\nca_file = " << cert << "\ncert_file = " << cert
                                    << "\nkey_file = pc1.key\ndata_dir = data\nuser = anna\n";
  return "--config " + dir / "agent.conf";
}

}  // namespace herald::agent::test
