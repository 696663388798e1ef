#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/inbox.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::TempDir;

namespace {

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  std::string cmd = std::string(HERALD_AGENT_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("inbox and show through the binary") {
  TempDir dir;
  std::string cert = dir / "pc1.crt";
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                       "'/CN=org\\/b1\\/pc1' -keyout " +
                       dir / "pc1.key" + " -out " + cert + " >/dev/null 2>&1")
                          .c_str()) == 0);
  std::ofstream(dir / "agent.conf") << "broker = ssl://127.0.0.1:1\nca_file = " << cert << "\ncert_file = " << cert
                                    << "\nkey_file = pc1.key\ndata_dir = data\nuser = anna\n";
  auto conf = "--config " + dir / "agent.conf";
  {
    lmdb::Env env(dir / "data", agent_env_options());
    Inbox inbox(env);
    inbox.accept(topics::DeliveryTopic{topics::Kind::alert, "secops", "m1", Target::parse("org")}, test::delivery(),
                 "org/b1/pc1", "anna", herald::now());
  }
  auto listed = run("inbox --json " + conf);
  CHECK(listed.code == 0);
  auto j = nlohmann::json::parse(listed.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["id"] == "m1");
  CHECK(j[0]["read_at"].is_null());
  CHECK(run("inbox " + conf).out.find("m1") != std::string::npos);

  auto shown = run("show m1 --json " + conf);
  CHECK(shown.code == 0);
  CHECK(nlohmann::json::parse(shown.out)["read_at"].is_string());
  CHECK(run("show m1 " + conf).out.find("Do not open the attachment") != std::string::npos);

  auto unknown = run("show nope " + conf);
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: error: unknown message id 'nope'\n");

  lmdb::Env env(dir / "data", agent_env_options());
  Inbox inbox(env);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 2);  // delivered, then exactly one read
  CHECK(payloads::decode<payloads::Ack>(out[1].payload).state == payloads::AckState::read);
  CHECK(payloads::decode<payloads::Ack>(out[1].payload).user == "anna");
  CHECK(out[1].topic == topics::ack("m1", "org/b1/pc1"));

  auto missing = run("inbox --config " + dir / "nope.conf");
  CHECK(missing.code == 9);
  CHECK(run("--help").code == 0);
  CHECK(run("").code == 2);
  CHECK(run("show " + conf).code == 2);
  CHECK(run("show --help").code == 0);
}
