#include <doctest/doctest.h>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/handler.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::TempDir;
using Action = HandleResult::Action;

namespace {

struct RecordingDisplay : Display {
  std::vector<ShownAlert> shown;
  void show(const ShownAlert& alert) override { shown.push_back(alert); }
};

struct Fixture {
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  RecordingDisplay display;
  MessageHandler handler{"org/b1/pc1", inbox, display};

  HandleResult handle(const std::string& topic, const std::string& payload, const std::string& user = "anna") {
    return handler.handle(topic, payload, user, herald::now());
  }
};

std::string alert_topic(const std::string& id, const std::string& target = "org/b1") {
  return topics::delivery(topics::Kind::alert, "secops", id, Target::parse(target));
}

std::string payload(payloads::Delivery d = test::delivery()) { return payloads::encode(d); }

}  // namespace

TEST_CASE("an alert for an ancestor is stored, shown once and receipted") {
  Fixture f;
  auto r = f.handle(alert_topic("a1", "org"), payload());
  CHECK(r.action == Action::stored);
  CHECK(r.displayed_at);
  CHECK(r.outbox_changed);
  REQUIRE(f.display.shown.size() == 1);
  CHECK(f.display.shown[0].id == "a1");
  CHECK(f.display.shown[0].severity == "critical");
  CHECK(f.display.shown[0].sender == "secops");
  CHECK(f.display.shown[0].user == "anna");
  // Retained again after a reconnect: nothing new.
  auto again = f.handle(alert_topic("a1", "org"), payload());
  CHECK(again.action == Action::duplicate);
  CHECK_FALSE(again.outbox_changed);
  CHECK(f.display.shown.size() == 1);
  // Stored and shown in one step: only `displayed` goes out (heraldd infers delivered).
  auto out = f.inbox.outbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == topics::ack("a1", "org/b1/pc1"));
  CHECK(payloads::decode<payloads::Ack>(out[0].payload).state == payloads::AckState::displayed);
  CHECK(payloads::decode<payloads::Ack>(out[0].payload).user == "anna");
  CHECK(f.inbox.find("a1")->displayed_at);
}

TEST_CASE("a new alert is on screen before it is written to the inbox, then stored as displayed") {
  // The display sees an inbox without the alert: showing never waits for the store.
  struct ProbingDisplay : Display {
    Inbox* inbox = nullptr;
    bool stored_when_shown = true;
    void show(const ShownAlert& alert) override { stored_when_shown = inbox->find(alert.id).has_value(); }
  };
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  ProbingDisplay display;
  display.inbox = &inbox;
  MessageHandler handler{"org/b1/pc1", inbox, display};
  auto r = handler.handle(alert_topic("s1", "org/b1"), payload(), "anna", herald::now());
  CHECK(r.action == Action::stored);
  CHECK_FALSE(display.stored_when_shown);
  REQUIRE(inbox.find("s1"));
  CHECK(inbox.find("s1")->displayed_at == r.displayed_at);
  CHECK(inbox.outbox_size() == 1);
}

TEST_CASE("a delivery to the whole org is marked org-wide, one to a branch or computer is not") {
  Fixture f;
  CHECK(f.handle(alert_topic("w1", "org"), payload()).org_wide);
  CHECK_FALSE(f.handle(alert_topic("w2", "org/b1"), payload()).org_wide);
  CHECK_FALSE(f.handle(alert_topic("w3", "org/b1/pc1"), payload()).org_wide);
  auto msg = topics::delivery(topics::Kind::message, "secops", "w4", Target::parse("org"));
  CHECK(f.handle(msg, payload()).org_wide);
}

TEST_CASE("an alert that cannot be shown, or is not for this user, keeps its delivered receipt") {
  struct FailingDisplay : Display {
    void show(const ShownAlert&) override { throw std::runtime_error("no screen"); }
  } failing;
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  MessageHandler handler{"org/b1/pc1", inbox, failing};
  auto r = handler.handle(alert_topic("f1"), payload(), "anna", herald::now());
  CHECK(r.action == Action::stored);
  CHECK_FALSE(r.displayed_at);
  auto d = test::delivery();
  d.for_user = "piotr";
  Fixture f;
  f.handle(alert_topic("f2", "org/b1/pc1"), payload(d));
  for (auto* box : {&inbox, &f.inbox}) {
    auto out = box->outbox();
    REQUIRE(out.size() == 1);
    CHECK(payloads::decode<payloads::Ack>(out[0].payload).state == payloads::AckState::delivered);
  }
}

TEST_CASE("messages are stored but not shown; alerts for another user are not shown") {
  Fixture f;
  auto r = f.handle(topics::delivery(topics::Kind::message, "hr", "m1", Target::parse("org/b1/pc1")), payload());
  CHECK(r.action == Action::stored);
  CHECK_FALSE(r.displayed_at);
  auto d = test::delivery();
  d.for_user = "piotr";
  r = f.handle(alert_topic("a2", "org/b1/pc1"), payload(d));
  CHECK(r.action == Action::stored);
  CHECK_FALSE(r.displayed_at);
  d.for_user = "anna";
  r = f.handle(alert_topic("a3", "org/b1/pc1"), payload(d));
  CHECK(r.displayed_at);
  CHECK(f.display.shown.size() == 1);
}

TEST_CASE("targets that do not include this computer are dropped") {
  Fixture f;
  CHECK(f.handle(alert_topic("x1", "org/b2"), payload()).action == Action::dropped);
  CHECK(f.handle(alert_topic("x2", "org/b1/pc10"), payload()).action == Action::dropped);
  CHECK(f.handle(alert_topic("x3", "org/b1/pc1/sub"), payload()).action == Action::dropped);
  CHECK(f.handle(topics::delivery(topics::Kind::alert, "secops", "x4", Target::parse("user:anna")), payload()).action ==
        Action::dropped);
  auto d = test::delivery();
  d.for_user = "anna";
  // A person's copy must come on this computer's own path.
  CHECK(f.handle(alert_topic("x5", "org/b1"), payload(d)).action == Action::dropped);
  CHECK(f.inbox.messages(herald::now()).empty());
  CHECK(f.display.shown.empty());
}

TEST_CASE("hostile payloads and topics are dropped with a reason, never crash") {
  Fixture f;
  auto topic = alert_topic("h1");
  CHECK(f.handle(topic, "").action == Action::ignored);  // retained clear
  for (const std::string& bad : std::vector<std::string>{
           std::string("not json"),
           std::string("{\"v\":1"),
           std::string("[]"),
           std::string("null"),
           std::string("{}"),
           std::string("{\"v\":2,\"body\":\"x\",\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null}"),
           std::string("{\"v\":\"1\",\"body\":\"x\",\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null}"),
           std::string("{\"v\":1,\"body\":5,\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null}"),
           std::string("{\"v\":1,\"body\":\"x\",\"sent_at\":\"yesterday\",\"expires_at\":null}"),
           std::string("{\"v\":1,\"body\":\"x\",\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null,"
                       "\"severity\":\"apocalyptic\"}"),
           std::string("{\"v\":1,\"body\":\"x\",\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null,"
                       "\"links\":[\"javascript:alert(1)\"]}"),
           std::string("{\"v\":1,\"body\":\"\",\"sent_at\":\"2026-11-22T13:01:18.123Z\",\"expires_at\":null}"),
           std::string(300 * 1024, '{'),
           "{\"v\":1,\"body\":\"" + std::string(70 * 1024, 'a') + "\",\"sent_at\":\"2026-11-22T13:01:18.123Z\"}",
           std::string("\xff\xfe\x00garbage", 10),
       }) {
    auto r = f.handle(topic, bad);
    CHECK_MESSAGE(r.action == Action::dropped, bad.substr(0, 80));
    CHECK_FALSE(r.reason.empty());
  }
  CHECK(f.handle("herald/alert/secops", payload()).action == Action::dropped);
  CHECK(f.handle("herald/alert/sec+ops/id/org", payload()).action == Action::dropped);
  CHECK(f.handle("herald/alert/secops/id/Org", payload()).action == Action::dropped);
  CHECK(f.handle("herald/ack/id/org/b1/pc1", payload()).action == Action::dropped);
  CHECK(f.handle("something/else", payload()).action == Action::dropped);
  CHECK(f.handle(alert_topic("h2"), payload(test::delivery("\x1b[2J evil"))).action == Action::stored);
  CHECK(f.inbox.messages(herald::now()).size() == 1);
}

TEST_CASE("recall removes the message and later copies are ignored") {
  Fixture f;
  f.handle(alert_topic("r1"), payload());
  auto now = herald::now();
  payloads::Recall recall{now, now + std::chrono::hours(1)};
  auto r = f.handle(topics::recall("secops", "r1", Target::parse("org/b1")), payloads::encode(recall));
  CHECK(r.action == Action::recall);
  CHECK_FALSE(f.inbox.find("r1"));
  CHECK(f.handle(alert_topic("r1"), payload()).action == Action::recalled);
  CHECK(f.handle(topics::recall("secops", "r1", Target::parse("org/b1")), "{\"v\":1}").action == Action::dropped);
  CHECK(f.display.shown.size() == 1);
}

TEST_CASE("expired deliveries are ignored") {
  Fixture f;
  auto d = test::delivery("t", "info", std::chrono::hours(1));
  d.sent_at = herald::now() - std::chrono::hours(3);
  d.expires_at = herald::now() - std::chrono::hours(2);
  CHECK(f.handle(alert_topic("e1"), payload(d)).action == Action::expired);
  CHECK(f.inbox.outbox().empty());
}

TEST_CASE("a screen shows at most 6 alerts a minute; the rest wait in the inbox, acknowledged delivered") {
  Fixture f;
  TimePoint t = herald::now();
  for (int i = 0; i < 20; ++i)
    f.handler.handle(alert_topic("flood" + std::to_string(i)), payload(), "anna", t + std::chrono::seconds(i));
  CHECK(f.display.shown.size() == kMaxAlertsShownPerMinute);
  CHECK(f.inbox.messages(t).size() == 20);
  std::size_t displayed = 0, delivered = 0;
  for (const auto& receipt : f.inbox.outbox()) {
    auto state = payloads::decode<payloads::Ack>(receipt.payload).state;
    displayed += state == payloads::AckState::displayed;
    delivered += state == payloads::AckState::delivered;
  }
  CHECK(displayed == kMaxAlertsShownPerMinute);
  CHECK(delivered == 20 - kMaxAlertsShownPerMinute);
  // A minute after the first alert the budget has room again.
  f.handler.handle(alert_topic("later"), payload(), "anna", t + std::chrono::seconds(61));
  CHECK(f.display.shown.size() == kMaxAlertsShownPerMinute + 1);
}

TEST_CASE("another account's copy under a stored id is dropped: it neither replaces nor is counted as the message") {
  Fixture f;
  auto admin_topic = topics::delivery(topics::Kind::message, "admin", "m1", Target::parse("org/b1"));
  auto ops_topic = topics::delivery(topics::Kind::alert, "ops1", "m1", Target::parse("org/b1"));
  CHECK(f.handle(admin_topic, payload(test::delivery("Holiday hours", "info"))).action == Action::stored);
  auto r = f.handle(ops_topic, payload(test::delivery("Fake", "critical")));
  CHECK(r.action == Action::dropped);
  CHECK(f.display.shown.empty());
  auto stored = f.inbox.find("m1");
  REQUIRE(stored);
  CHECK(stored->sender == "admin");
  CHECK(stored->delivery.title == "Holiday hours");
  // Receipts name the sender whose message they are about.
  for (const auto& receipt : f.inbox.outbox())
    CHECK(payloads::decode<payloads::Ack>(receipt.payload).sender == "admin");
}

// ---- issue 10: lessons

TEST_CASE("a lesson arrives as a message with its images and reference; a bad image drops the whole delivery") {
  Fixture f;
  auto d = test::delivery("Fire exits", "info");
  d.images = {payloads::Image{"exit.png", "image/png", std::string("\x89PNG\r\n\x1a\n", 8) + "px"}};
  d.lesson = payloads::LessonRef{"bhp-2026", "c1", 1, 4};
  auto topic = topics::delivery(topics::Kind::message, "hr", "l1", Target::parse("org"));
  CHECK(f.handle(topic, payload(d)).action == Action::stored);
  CHECK(f.display.shown.empty());  // a lesson is a message: it waits in the inbox
  auto stored = f.inbox.find("l1");
  REQUIRE(stored);
  CHECK(stored->delivery.images == d.images);
  CHECK(stored->delivery.lesson == d.lesson);

  auto hostile = nlohmann::json::parse(payload(d));
  hostile["images"][0]["name"] = "../../.profile";
  auto r = f.handle(topics::delivery(topics::Kind::message, "hr", "l2", Target::parse("org")), hostile.dump());
  CHECK(r.action == Action::dropped);
  CHECK(r.reason.find("not a safe file name") != std::string::npos);
  CHECK_FALSE(f.inbox.find("l2"));
}

// ---- issue 10: reminders (herald/remind/{account}/{id}/{agent-path})

namespace {
std::string remind_payload() { return payloads::encode(payloads::Remind{herald::now()}); }
std::string message_topic(const std::string& id, const std::string& account = "hr") {
  return topics::delivery(topics::Kind::message, account, id, Target::parse("org/b1"));
}
}  // namespace

TEST_CASE("a reminder shows a stored unread message again through the display, never a second inbox entry") {
  Fixture f;
  REQUIRE(f.handle(message_topic("m1"), payload(test::delivery("Lesson 1", "info"))).action == Action::stored);
  REQUIRE(f.display.shown.empty());
  REQUIRE(f.inbox.outbox().size() == 1);  // delivered

  auto r = f.handle(topics::remind("hr", "m1", "org/b1/pc1"), remind_payload());
  CHECK(r.action == Action::reminded);
  REQUIRE(f.display.shown.size() == 1);
  CHECK(f.display.shown[0].id == "m1");
  CHECK(f.display.shown[0].title == "Reminder: Lesson 1");
  CHECK(f.display.shown[0].sender == "hr");
  CHECK(f.display.shown[0].user == "anna");
  // First shown now: displayed once, with its receipt.
  CHECK(r.displayed_at);
  CHECK(r.outbox_changed);
  REQUIRE(f.inbox.outbox().size() == 2);
  CHECK(payloads::decode<payloads::Ack>(f.inbox.outbox()[1].payload).state == payloads::AckState::displayed);
  CHECK(f.inbox.messages(herald::now()).size() == 1);

  // Still unread: a second reminder shows it again, with no new receipt or entry.
  r = f.handle(topics::remind("hr", "m1", "org/b1/pc1"), remind_payload());
  CHECK(r.action == Action::reminded);
  CHECK_FALSE(r.outbox_changed);
  CHECK(f.display.shown.size() == 2);
  CHECK(f.inbox.outbox().size() == 2);
  CHECK(f.inbox.messages(herald::now()).size() == 1);

  f.inbox.mark_read("m1", herald::now(), "org/b1/pc1", "anna");
  r = f.handle(topics::remind("hr", "m1", "org/b1/pc1"), remind_payload());
  CHECK(r.action == Action::ignored);
  CHECK(r.reason == "already read");
  CHECK(f.display.shown.size() == 2);
}

TEST_CASE("a reminder of a message that asks for confirmation shows it until it is confirmed, read or not") {
  Fixture f;
  auto d = test::delivery("Regulamin", "info");
  d.require_confirm = true;
  REQUIRE(f.handle(message_topic("rc"), payload(d)).action == Action::stored);
  f.inbox.mark_read("rc", herald::now(), "org/b1/pc1", "anna");
  auto r = f.handle(topics::remind("hr", "rc", "org/b1/pc1"), remind_payload());
  CHECK(r.action == Action::reminded);
  REQUIRE(f.display.shown.size() == 1);
  CHECK(f.display.shown[0].title == "Reminder: Regulamin");
  f.inbox.mark_confirmed("rc", herald::now(), "org/b1/pc1", "anna");
  r = f.handle(topics::remind("hr", "rc", "org/b1/pc1"), remind_payload());
  CHECK(r.action == Action::ignored);
  CHECK(r.reason == "already read");
  CHECK(f.display.shown.size() == 1);
}

TEST_CASE("a reminder of a message this inbox does not hold unread, for this user, is ignored") {
  Fixture f;
  REQUIRE(f.handle(message_topic("m1"), payload(test::delivery("x", "info"))).action == Action::stored);
  auto person = test::delivery("for bob", "info");
  person.for_user = "bob";
  REQUIRE(f.handle(topics::delivery(topics::Kind::message, "hr", "p1", Target::parse("org/b1/pc1")), payload(person))
              .action == Action::stored);
  REQUIRE(f.handle(message_topic("short"), payload(test::delivery("x", "info", std::chrono::minutes(1)))).action ==
          Action::stored);

  struct Case {
    std::string topic;
    std::string reason;
  };
  const Case cases[] = {
      {topics::remind("hr", "nope", "org/b1/pc1"), "not in this inbox"},
      {topics::remind("other", "m1", "org/b1/pc1"), "this inbox holds that id from another account"},
      {topics::remind("hr", "p1", "org/b1/pc1"), "for bob, who is not logged in here"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.topic);
    auto r = f.handle(c.topic, remind_payload());
    CHECK(r.action == Action::ignored);
    CHECK(r.reason == c.reason);
  }
  auto later = herald::now() + std::chrono::minutes(2);
  auto r = f.handler.handle(topics::remind("hr", "short", "org/b1/pc1"), remind_payload(), "anna", later);
  CHECK(r.action == Action::ignored);
  CHECK(r.reason == "expired");
  CHECK(f.display.shown.empty());
  CHECK(f.inbox.messages(herald::now()).size() == 3);  // nothing added
  CHECK(f.inbox.outbox().size() == 3);                 // nor receipted
  CHECK(f.handle(topics::remind("hr", "p1", "org/b1/pc1"), remind_payload(), "bob").action == Action::reminded);
}

TEST_CASE("hostile reminders are dropped and logged; reminders spend the display budget") {
  Fixture f;
  REQUIRE(f.handle(message_topic("m1"), payload(test::delivery("x", "info"))).action == Action::stored);
  for (const char* bad : {"{}", "not json", R"({"v":2,"at":"2026-11-22T13:00:00Z"})", R"({"v":1,"at":3})", "[]"}) {
    CAPTURE(bad);
    CHECK(f.handle(topics::remind("hr", "m1", "org/b1/pc1"), bad).action == Action::dropped);
  }
  // Another computer's reminder (a broker misconfiguration): not shown here.
  auto other = f.handle(topics::remind("hr", "m1", "org/b1/pc2"), remind_payload());
  CHECK(other.action == Action::dropped);
  CHECK(other.reason.find("not org/b1/pc1") != std::string::npos);
  CHECK(f.handle("herald/remind/hr/m1", remind_payload()).action == Action::dropped);
  CHECK(f.display.shown.empty());

  for (std::size_t i = 0; i < kMaxAlertsShownPerMinute; ++i)
    CHECK(f.handle(topics::remind("hr", "m1", "org/b1/pc1"), remind_payload()).action == Action::reminded);
  auto over = f.handle(topics::remind("hr", "m1", "org/b1/pc1"), remind_payload());
  CHECK(over.action == Action::ignored);
  CHECK(over.reason == "over the display budget");
  CHECK(f.display.shown.size() == kMaxAlertsShownPerMinute);
}
