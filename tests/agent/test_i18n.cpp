// herald-agent in Polish, through the binary as an employee runs it: LANG or LANGUAGE
// picks the catalogue, message content is shown as sent, --json and exit codes do not
// change with the language, and an unknown language falls back to English.
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
using herald::agent::test::Run;
using herald::agent::test::TempDir;

namespace {

// herald-agent ARGS with exactly the locale variables in `env` ("LANG=pl_PL.UTF-8 ...").
Run run_in(const std::string& env, const std::string& args) {
  std::string cmd =
      "env -u LANGUAGE -u LC_ALL -u LC_MESSAGES -u LANG " + env + " " + HERALD_AGENT_BIN + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string agent_conf(const TempDir& dir) {
  std::string cert = dir / "pc1.crt";
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                       "'/CN=org\\/b1\\/pc1' -keyout " +
                       dir / "pc1.key" + " -out " + cert + " >/dev/null 2>&1")
                          .c_str()) == 0);
  std::ofstream(dir / "agent.conf") << "broker = ssl://127.0.0.1:1\nca_file = " << cert << "\ncert_file = " << cert
                                    << "\nkey_file = pc1.key\ndata_dir = data\nuser = anna\n";
  return "--config " + dir / "agent.conf";
}

const char* kTitle = "Ćwiczenia przeciwpożarowe";
const char* kBody = "Zażółć gęślą jaźń. ZAŻÓŁĆ GĘŚLĄ JAŹŃ.";

}  // namespace

TEST_CASE("herald-agent inbox and show in Polish; the message itself as sent") {
  TempDir dir;
  auto conf = agent_conf(dir);
  {
    lmdb::Env env(dir / "data", agent_env_options());
    Inbox inbox(env);
    auto d = test::delivery(kTitle, "critical");
    d.body = kBody;
    inbox.accept(topics::DeliveryTopic{topics::Kind::alert, "secops", "m1", Target::parse("org")}, d, "org/b1/pc1",
                 "anna", herald::now());
  }
  for (const char* env : {"LANGUAGE=pl", "LANG=pl_PL.UTF-8", "LC_ALL=pl_PL.UTF-8 LANG=en_US.UTF-8"}) {
    CAPTURE(env);
    auto listed = run_in(env, "inbox " + conf);
    CHECK(listed.code == 0);
    CHECK(listed.out.rfind("ID                           RODZAJ  WAGA      STAN        NADAWCA      CEL", 0) == 0);
    CHECK(listed.out.find("alert   krytyczny dostarczona secops") != std::string::npos);
    CHECK(listed.out.find(kTitle) != std::string::npos);
  }

  auto english_json = run_in("", "inbox --json " + conf);
  CHECK(english_json.code == 0);
  CHECK(run_in("LANGUAGE=pl", "inbox --json " + conf).out == english_json.out);
  CHECK(run_in("LANG=pl_PL.UTF-8", "inbox --json " + conf).out == english_json.out);

  // The first show marks it read; after that every show prints the same message.
  auto shown_en = run_in("LANG=C", "show m1 --json " + conf);
  CHECK(shown_en.code == 0);
  CHECK(run_in("LANGUAGE=pl", "show m1 --json " + conf).out == shown_en.out);

  auto shown = run_in("LANGUAGE=pl", "show m1 " + conf);
  CHECK(shown.code == 0);
  // Labels padded by what the eye sees: "Przeczytano:" is the widest, plus two spaces.
  CHECK(shown.out.rfind("Id:           m1\nRodzaj:       alert\nWaga:         krytyczny\nOd:           secops\n", 0) ==
        0);
  CHECK(shown.out.find(std::string("Tytuł:        ") + kTitle + "\n") != std::string::npos);
  CHECK(shown.out.find(std::string("\n") + kBody + "\n") != std::string::npos);

  auto english = run_in("", "show m1 " + conf);
  CHECK(english.out.rfind("Id:        m1\nKind:      alert\nSeverity:  critical\nFrom:      secops\n", 0) == 0);
  CHECK(english.out.find(std::string("Title:     ") + kTitle + "\n") != std::string::npos);
}

TEST_CASE("herald-agent's error lines in Polish keep their exit codes; an unknown language is English") {
  TempDir dir;
  auto conf = agent_conf(dir);
  auto unknown = run_in("LANGUAGE=pl", "show nope " + conf);
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: błąd: nieznany identyfikator wiadomości 'nope'\n");
  auto usage = run_in("LANG=pl_PL.UTF-8", "show");
  CHECK(usage.code == 2);
  CHECK(usage.out.rfind("herald-agent: błąd: ", 0) == 0);
  CHECK(run_in("LANGUAGE=pl", "inbox " + conf).out == "skrzynka jest pusta\n");
  CHECK(run_in("LANGUAGE=pl", "--help").out.find("Użycie:") != std::string::npos);

  for (const char* env : {"LANGUAGE=xx", "LANG=xx_YY.UTF-8", "LANG=C", ""}) {
    CAPTURE(env);
    CHECK(run_in(env, "show nope " + conf).out == "herald-agent: error: unknown message id 'nope'\n");
    CHECK(run_in(env, "inbox " + conf).out == "inbox is empty\n");
  }
}
