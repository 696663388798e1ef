// herald-agent in Polish, through the binary as an employee runs it: LANG or LANGUAGE
// picks the catalogue, message content is shown as sent, --json and exit codes do not
// change with the language, and an unknown language falls back to English.
#include <doctest/doctest.h>

#include <fstream>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/inbox.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::agent_conf;
using herald::agent::test::run;
using herald::agent::test::TempDir;

namespace {

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
    auto listed = run("inbox " + conf, env);
    CHECK(listed.code == 0);
    CHECK(listed.out.rfind("ID                           RODZAJ  WAGA      STAN        NADAWCA      CEL", 0) == 0);
    CHECK(listed.out.find("alert   krytyczny dostarczona secops") != std::string::npos);
    CHECK(listed.out.find(kTitle) != std::string::npos);
  }

  auto english_json = run("inbox --json " + conf, "");
  CHECK(english_json.code == 0);
  CHECK(run("inbox --json " + conf, "LANGUAGE=pl").out == english_json.out);
  CHECK(run("inbox --json " + conf, "LANG=pl_PL.UTF-8").out == english_json.out);

  // The first show marks it read; after that every show prints the same message.
  auto shown_en = run("show m1 --json " + conf, "LANG=C");
  CHECK(shown_en.code == 0);
  CHECK(run("show m1 --json " + conf, "LANGUAGE=pl").out == shown_en.out);

  auto shown = run("show m1 " + conf, "LANGUAGE=pl");
  CHECK(shown.code == 0);
  // Labels padded by what the eye sees: "Przeczytano:" is the widest, plus two spaces.
  CHECK(shown.out.rfind("Id:           m1\nRodzaj:       alert\nWaga:         krytyczny\nOd:           secops\n", 0) ==
        0);
  CHECK(shown.out.find(std::string("Tytuł:        ") + kTitle + "\n") != std::string::npos);
  CHECK(shown.out.find(std::string("\n") + kBody + "\n") != std::string::npos);

  auto english = run("show m1 " + conf, "");
  CHECK(english.out.rfind("Id:        m1\nKind:      alert\nSeverity:  critical\nFrom:      secops\n", 0) == 0);
  CHECK(english.out.find(std::string("Title:     ") + kTitle + "\n") != std::string::npos);
}

TEST_CASE("herald-agent's error lines in Polish keep their exit codes; an unknown language is English") {
  TempDir dir;
  auto conf = agent_conf(dir);
  auto unknown = run("show nope " + conf, "LANGUAGE=pl");
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: błąd: nieznany identyfikator wiadomości 'nope'\n");
  auto usage = run("show", "LANG=pl_PL.UTF-8");
  CHECK(usage.code == 2);
  CHECK(usage.out.rfind("herald-agent: błąd: ", 0) == 0);
  CHECK(run("inbox " + conf, "LANGUAGE=pl").out == "skrzynka jest pusta\n");
  CHECK(run("--help", "LANGUAGE=pl").out.find("Użycie:") != std::string::npos);

  for (const char* env : {"LANGUAGE=xx", "LANG=xx_YY.UTF-8", "LANG=C", ""}) {
    CAPTURE(env);
    CHECK(run("show nope " + conf, env).out == "herald-agent: error: unknown message id 'nope'\n");
    CHECK(run("inbox " + conf, env).out == "inbox is empty\n");
  }
}
