// Everything `herald alert|send` checks before it connects.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "herald/common/error.hpp"
#include "herald/dispatcher/commands.hpp"
#include "herald/dispatcher/session.hpp"
#include "herald/dispatcher/settings.hpp"

using namespace herald;
using namespace herald::dispatcher;

namespace {

SendOptions alert_to(std::vector<std::string> to, std::string body) {
  SendOptions o;
  o.kind = topics::Kind::alert;
  o.to = std::move(to);
  o.body = std::move(body);
  o.body_given = true;
  return o;
}

const TimePoint kSent = from_rfc3339("2026-11-22T13:01:18.123Z");

// The Error prepare_send throws, or a failed check if it throws none.
Error error_of(const SendOptions& o) {
  try {
    prepare_send(o, kSent);
  } catch (const Error& e) {
    return e;
  }
  FAIL("prepare_send accepted invalid input");
  return Error(ErrorKind::internal, "unreachable");
}

}  // namespace

TEST_CASE("a valid alert is prepared with defaults") {
  auto p = prepare_send(alert_to({"org/branch01", "user:jkowalski", "org/branch01"}, "Do not open"), kSent);
  CHECK(p.kind == topics::Kind::alert);
  REQUIRE(p.targets.size() == 2);  // the duplicate is dropped
  CHECK(p.targets[0].to_string() == "org/branch01");
  CHECK(p.targets[1].to_string() == "user:jkowalski");
  CHECK(p.delivery.severity == "info");
  CHECK(p.delivery.sent_at == kSent);
  REQUIRE(p.delivery.expires_at);
  CHECK(to_rfc3339(*p.delivery.expires_at) == "2026-11-23T13:01:18.123Z");
}

TEST_CASE("default expiry: alerts a day, messages 90 days") {
  CHECK(default_expiry(topics::Kind::alert) == std::chrono::hours(24));
  CHECK(default_expiry(topics::Kind::message) == std::chrono::hours(24 * 90));
  auto o = alert_to({"org"}, "text");
  o.kind = topics::Kind::message;
  o.title = "Rules";
  auto p = prepare_send(o, kSent);
  CHECK(to_rfc3339(*p.delivery.expires_at) == "2027-02-20T13:01:18.123Z");
  o.expires = "1h30m";
  CHECK(to_rfc3339(*prepare_send(o, kSent).delivery.expires_at) == "2026-11-22T14:31:18.123Z");
}

TEST_CASE("targets are validated") {
  auto e = error_of(alert_to({"org/Branch01"}, "x"));
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) ==
        "invalid target 'org/Branch01': expected an org path (org, org/branch01, ...) or user:LOGIN");
  CHECK(error_of(alert_to({"org/#"}, "x")).kind() == ErrorKind::usage);
  CHECK(error_of(alert_to({"org/+/pc1"}, "x")).kind() == ErrorKind::usage);
  CHECK(error_of(alert_to({"branch01"}, "x")).kind() == ErrorKind::usage);
  CHECK(std::string(error_of(alert_to({"user:a/b"}, "x")).what()) ==
        "invalid target 'user:a/b': a login is 1-64 letters, digits, '.', '_' or '-'");
  CHECK(std::string(error_of(alert_to({}, "x")).what()) ==
        "no target: pass --to TARGET (an org path such as org/branch01, or user:LOGIN)");
}

TEST_CASE("the body must be present, non-empty and within 64 KiB") {
  auto empty = error_of(alert_to({"org"}, ""));
  CHECK(empty.kind() == ErrorKind::usage);
  CHECK(std::string(empty.what()) == "empty body: a message needs text");

  CHECK_NOTHROW(prepare_send(alert_to({"org"}, std::string(65536, 'a')), kSent));
  auto big = error_of(alert_to({"org"}, std::string(65537, 'a')));
  CHECK(big.kind() == ErrorKind::usage);
  CHECK(std::string(big.what()) == "body is 65537 bytes, over the limit of 65536");

  auto none = alert_to({"org"}, "");
  none.body_given = false;
  CHECK(std::string(error_of(none).what()) == "missing body: pass --body TEXT, --body - (stdin) or --body-file FILE");

  auto both = alert_to({"org"}, "x");
  both.body_file = "/dev/null";
  CHECK(std::string(error_of(both).what()) == "use either --body or --body-file, not both");
}

TEST_CASE("a body that escapes beyond the receivers' payload limit is refused") {
  // 64 KiB of control characters is 6x that as JSON (\u0001).
  auto e = error_of(alert_to({"org"}, std::string(65536, '\x01')));
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()).find("bytes as JSON, over the limit of 262144") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is refused before sending") {
  auto e = error_of(alert_to({"org"}, "caf\xC3"));
  CHECK(e.kind() == ErrorKind::usage);
  CHECK(std::string(e.what()) == "the title, body or a link is not valid UTF-8");
}

TEST_CASE("the body can come from a file") {
  auto path = std::string("/tmp/herald-dispatcher-test-body.txt");
  {
    std::ofstream f(path);
    f << "Zamknięte jutro\n\n";
  }
  auto o = alert_to({"org"}, "");
  o.body_given = false;
  o.body_file = path;
  CHECK(prepare_send(o, kSent).delivery.body == "Zamknięte jutro");
  std::remove(path.c_str());
  auto missing = error_of(o);
  CHECK(missing.kind() == ErrorKind::not_found);
  CHECK(std::string(missing.what()) == "cannot read body file " + path);
}

TEST_CASE("durations, severities, titles and links are validated") {
  auto o = alert_to({"org"}, "x");
  o.expires = "3 days";
  CHECK(error_of(o).kind() == ErrorKind::usage);
  o.expires = "400d";
  CHECK(std::string(error_of(o).what()) ==
        "invalid duration '400d': longer than 366 days (use e.g. 90s, 15m, 2h, 7d, 2w or 1h30m)");
  o.expires = "";

  o.severity = "urgent";
  CHECK(std::string(error_of(o).what()) == "invalid severity 'urgent': use info, warning or critical");
  o.severity = "critical";
  CHECK(prepare_send(o, kSent).delivery.severity == "critical");

  o.title = std::string(201, 't');
  CHECK(std::string(error_of(o).what()) == "title is 201 bytes, over the limit of 200");
  o.title = "ok";

  o.links = {"ftp://example.org/file"};
  CHECK(std::string(error_of(o).what()) ==
        "invalid link 'ftp://example.org/file': expected an http(s) URL under 2048 bytes");
  o.links = std::vector<std::string>(21, "https://example.org");
  CHECK(std::string(error_of(o).what()) == "too many links: 21 (limit 20)");
  o.links = {"https://intranet.example/phishing"};
  CHECK(prepare_send(o, kSent).delivery.links.size() == 1);
}

TEST_CASE("a message needs a title") {
  auto o = alert_to({"org"}, "x");
  o.kind = topics::Kind::message;
  CHECK(std::string(error_of(o).what()) == "a message needs a title: pass --title TEXT");
}

TEST_CASE("ids and scopes given on the command line are validated") {
  CHECK_NOTHROW(require_message_id("20261122T130118Z-3f9a2c1b7d"));
  try {
    require_message_id("x/#");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()) == "invalid message id 'x/#': an id is 1-64 letters, digits, '.', '_' or '-'");
  }
  try {
    require_scope("org/+", "--under");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "invalid --under 'org/+': expected an org path such as org or org/branch01");
  }
}

TEST_CASE("exact texts of refusals, timeouts and warnings") {
  CHECK(send_refused_text("alice", topics::Kind::alert, Target::parse("org/branch02")) ==
        "alice may not send alerts to org/branch02");
  CHECK(send_refused_text("alice", topics::Kind::message, Target::parse("user:jk")) ==
        "alice may not send messages to user:jk");
  CHECK(recall_refused_text("alice", Target::parse("org")) == "alice may not recall messages sent to org");
  CHECK(request_refused_text("alice", "status", "org/branch01") == "alice may not ask for status under org/branch01");
  CHECK(no_answer_text(std::chrono::seconds(10)) == "no answer from heraldd within 10 s (is heraldd running?)");
  CHECK(unconfirmed_warning("ID1", true) ==
        "warning: heraldd has not confirmed recording ID1 yet; the broker holds the message");
  CHECK(unconfirmed_warning("ID1", false)
            .rfind("warning: heraldd has not confirmed recording ID1 yet; with MQTT 3.1.1", 0) == 0);
  CHECK(error_kind_from_reply(3) == ErrorKind::not_found);
  CHECK(error_kind_from_reply(0) == ErrorKind::internal);
  CHECK(error_kind_from_reply(42) == ErrorKind::internal);
}

TEST_CASE("settings: defaults and checks") {
  for (const char* name : {"HERALD_BROKER", "HERALD_USERNAME", "HERALD_PASSWORD", "HERALD_CA_FILE"}) unsetenv(name);
  auto s = Settings::from_config(Config::from_string(
      "broker = ssl://127.0.0.1:8883\nca_file = /etc/ca.crt\nusername = alice\npassword = pw\n", "test.conf"));
  CHECK(s.scope == "org");
  CHECK(s.confirm_timeout == std::chrono::seconds(3));
  CHECK(s.request_timeout == std::chrono::seconds(10));
  CHECK(s.broker.mqtt_version == 5);

  auto bad_scope = Config::from_string(
      "broker = ssl://127.0.0.1:8883\nca_file = /etc/ca.crt\nusername = alice\nscope = org/#\n", "test.conf");
  CHECK_THROWS_WITH_AS(Settings::from_config(bad_scope),
                       "invalid scope 'org/#' in test.conf: expected an org path such as org or org/branch01", Error);
  auto no_user = Config::from_string("broker = ssl://127.0.0.1:8883\nca_file = /etc/ca.crt\n", "test.conf");
  CHECK_THROWS_WITH_AS(Settings::from_config(no_user),
                       "missing 'username' in test.conf: herald connects as an admin account", Error);
  auto plain = Config::from_string("broker = tcp://127.0.0.1:1883\nca_file = x\nusername = a\n", "test.conf");
  try {
    Settings::from_config(plain);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
  }
}
