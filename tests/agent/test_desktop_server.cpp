// The desktop socket (docs/desktop-protocol.md) over a real unix socket in this process:
// the server, a real LMDB inbox and chat store, and a client speaking the protocol.
// The peer is this test process, so "the logged-in employee" is set to (or away from)
// this process's own login; tests/agent/test_session.cpp has a second real user.
#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "desktop_client.hpp"
#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/desktop_server.hpp"
#include "herald/agent/handler.hpp"
#include "herald/common/desktop_protocol.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::DesktopClient;
using herald::agent::test::TempDir;
using nlohmann::json;

namespace {

const std::string kPath = "org/b1/pc1";

std::string my_login() {
  auto* pw = getpwuid(getuid());
  REQUIRE(pw);
  return pw->pw_name;
}

struct Fixture {
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  ChatStore chat{env};
  std::mutex mutex;
  std::string user = my_login();
  std::atomic<int> wakes{0};
  std::vector<std::string> given_back;  // show_elsewhere
  std::unique_ptr<DesktopServer> server;

  Fixture() {
    DesktopServerSettings s;
    s.socket_path = desktop_protocol::socket_path(dir.path);
    s.agent_path = kPath;
    s.current_user = [this] {
      std::lock_guard lock(mutex);
      return user;
    };
    s.wake = [this] { ++wakes; };
    s.show_elsewhere = [this](std::vector<std::string> ids) {
      std::lock_guard lock(mutex);
      given_back.insert(given_back.end(), ids.begin(), ids.end());
    };
    server = std::make_unique<DesktopServer>(s, inbox, &chat);
    server->start();
  }
  std::string socket() const { return desktop_protocol::socket_path(dir.path); }
  void set_user(std::string u) {
    std::lock_guard lock(mutex);
    user = std::move(u);
  }
  std::vector<std::string> returned() {
    std::lock_guard lock(mutex);
    return given_back;
  }
  // Stores a delivery as the session would (no display involved).
  void store(const std::string& id, topics::Kind kind = topics::Kind::message, std::string for_user = {},
             std::string severity = "info", std::optional<payloads::LessonRef> lesson = std::nullopt,
             bool require_confirm = false) {
    auto d = test::delivery("title " + id, severity);
    d.for_user = std::move(for_user);
    d.lesson = std::move(lesson);
    d.require_confirm = require_confirm;
    auto target = d.for_user.empty() ? "org/b1" : kPath;
    REQUIRE(inbox.accept(topics::DeliveryTopic{kind, "secops", id, Target::parse(target)}, d, kPath, user,
                         herald::now()) == DeliveryOutcome::stored);
  }
};

std::vector<std::string> ids(const json& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.at("id").get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("desktop socket: hello, inbox newest first, show marks read and wakes the session") {
  Fixture f;
  f.store("m1");
  f.store("m2");
  f.store("theirs", topics::Kind::message, "somebody-else");
  f.store("mine", topics::Kind::message, f.user);
  DesktopClient c(f.socket());
  REQUIRE(c.fd() >= 0);

  auto hello = c.call({{"op", "hello"}, {"client", "test"}});
  CHECK(hello["ok"] == true);
  CHECK(hello["v"] == 1);
  CHECK(hello["user"] == f.user);
  CHECK(hello["computer"] == kPath);
  CHECK(hello["version"] == 1);

  auto inbox = c.call({{"op", "inbox"}});
  REQUIRE(inbox["ok"] == true);
  // Another person's copy held in the same inbox is never listed.
  auto listed = ids(inbox["messages"]);
  CHECK(listed.size() == 3);
  CHECK(std::find(listed.begin(), listed.end(), "theirs") == listed.end());
  CHECK(inbox["messages"][0]["state"] == "delivered");

  auto outbox_before = f.inbox.outbox_size();
  auto shown = c.call({{"op", "show"}, {"id", "m1"}});
  REQUIRE(shown["ok"] == true);
  CHECK(shown["message"]["id"] == "m1");
  CHECK(shown["message"]["state"] == "read");
  CHECK(f.inbox.find("m1")->read_at);
  CHECK(f.inbox.outbox_size() == outbox_before + 1);  // the `read` receipt
  CHECK(f.wakes.load() >= 1);
  // Shown again: nothing new is queued.
  CHECK(c.call({{"op", "show"}, {"id", "m1"}})["ok"] == true);
  CHECK(f.inbox.outbox_size() == outbox_before + 1);

  // Another person's message: as if it did not exist, and it stays unread.
  auto theirs = c.call({{"op", "show"}, {"id", "theirs"}});
  CHECK(theirs["ok"] == false);
  CHECK(theirs["error"]["code"] == 3);
  CHECK_FALSE(f.inbox.find("theirs")->read_at);
  CHECK(c.call({{"op", "show"}, {"id", "nope"}})["error"]["code"] == 3);
  CHECK(c.call({{"op", "displayed"}, {"id", "theirs"}})["error"]["code"] == 3);
  CHECK_FALSE(f.inbox.find("theirs")->displayed_at);
  CHECK(c.call({{"op", "chat_send"}, {"text", "hi"}, {"about", "theirs"}})["error"]["code"] == 3);
}

TEST_CASE("desktop socket: confirm marks read and confirmed once, only for a message that asks for it") {
  Fixture f;
  f.store("ask", topics::Kind::message, {}, "info", std::nullopt, true);
  f.store("plain");
  f.store("theirs", topics::Kind::message, "somebody-else", "info", std::nullopt, true);
  DesktopClient c(f.socket());
  c.call({{"op", "subscribe"}});
  auto outbox = f.inbox.outbox_size();
  auto r = c.call({{"op", "confirm"}, {"id", "ask"}});
  REQUIRE(r["ok"] == true);
  CHECK(r["message"]["id"] == "ask");
  CHECK(r["message"]["state"] == "confirmed");
  CHECK(r["message"]["require_confirm"] == true);
  CHECK(f.inbox.find("ask")->read_at);
  CHECK(f.inbox.find("ask")->confirmed_at);
  CHECK(f.inbox.outbox_size() == outbox + 2);  // `read` and `confirmed`
  CHECK(f.wakes.load() >= 1);
  CHECK((*c.next_event())["event"] == "inbox");
  CHECK(c.call({{"op", "confirm"}, {"id", "ask"}})["ok"] == true);
  CHECK(f.inbox.outbox_size() == outbox + 2);  // once
  auto plain = c.call({{"op", "confirm"}, {"id", "plain"}});
  CHECK(plain["ok"] == false);
  CHECK(plain["error"]["code"] == 2);
  CHECK_FALSE(f.inbox.find("plain")->read_at);
  CHECK(c.call({{"op", "confirm"}, {"id", "theirs"}})["error"]["code"] == 3);
  CHECK_FALSE(f.inbox.find("theirs")->confirmed_at);
  CHECK(c.call({{"op", "confirm"}, {"id", "nope"}})["error"]["code"] == 3);
}

TEST_CASE("desktop socket: a user who is not the logged-in employee reads one refused line") {
  Fixture f;
  f.store("m1");
  f.set_user("somebody-else");
  DesktopClient c(f.socket());
  REQUIRE(c.fd() >= 0);
  auto line = c.read();
  REQUIRE(line);
  CHECK((*line)["event"] == "refused");
  CHECK((*line)["v"] == 1);
  CHECK_FALSE(line->dump().find("somebody-else") != std::string::npos);  // not even who is logged in
  c.send({{"op", "inbox"}});
  CHECK(c.closed_by_server());

  // Nobody logged in: nobody is served.
  f.set_user("");
  DesktopClient d(f.socket());
  auto refused = d.read();
  REQUIRE(refused);
  CHECK((*refused)["event"] == "refused");
  CHECK(d.closed_by_server());
}

TEST_CASE("desktop socket: when the employee changes, the previous one's connection is refused") {
  Fixture f;
  DesktopClient c(f.socket());
  CHECK(c.call({{"op", "subscribe"}, {"alerts", false}})["ok"] == true);
  f.set_user("the-next-one");
  f.server->refresh_user();
  auto line = c.read();
  REQUIRE(line);
  CHECK((*line)["event"] == "refused");
  CHECK(c.closed_by_server());
}

TEST_CASE("desktop socket: hostile lines get errors or are cut off, and the server keeps serving") {
  Fixture f;
  f.store("m1");
  DesktopClient c(f.socket());
  REQUIRE(c.write_raw("this is not json\n"));
  auto garbage = c.read();
  REQUIRE(garbage);
  CHECK((*garbage)["ok"] == false);
  CHECK((*garbage)["error"]["code"] == 2);
  CHECK((*garbage)["re"].is_null());
  CHECK(c.call({{"op", "format-disk"}})["error"]["code"] == 2);
  CHECK(c.call({{"no-op", 1}})["error"]["code"] == 2);
  CHECK(c.call({{"op", "show"}, {"id", 12}})["error"]["code"] == 2);
  CHECK(c.call({{"op", "show"}, {"id", std::string(600, 'x')}})["error"]["code"] == 3);
  CHECK(c.call({{"op", "subscribe"}, {"alerts", "yes"}})["error"]["code"] == 2);
  CHECK(c.call({{"op", "chat_read"}, {"seq", -1}})["error"]["code"] == 2);
  CHECK(c.call({{"op", "chat_send"}, {"text", ""}})["error"]["code"] == 2);
  CHECK(c.call({{"op", "chat_send"}, {"text", std::string(5000, 'a')}})["error"]["code"] == 2);
  REQUIRE(c.write_raw("[1,2,3]\n"));
  CHECK((*c.read())["error"]["code"] == 2);
  REQUIRE(c.write_raw(std::string(1000, '[') + "\n"));
  CHECK((*c.read())["error"]["code"] == 2);
  // The re of any request comes back, a string too.
  auto r = c.call({{"op", "hello"}});
  CHECK(r["ok"] == true);
  REQUIRE(c.send({{"op", "hello"}, {"re", "abc"}}));
  CHECK((*c.read())["re"] == "abc");
  // Many requests in one write: every one answered, in order.
  std::string burst;
  for (int i = 0; i < 200; ++i) burst += json{{"op", "inbox"}, {"re", i}}.dump() + "\n";
  REQUIRE(c.write_raw(burst));
  for (int i = 0; i < 200; ++i) {
    auto reply = c.read();
    REQUIRE(reply);
    CHECK((*reply)["re"] == i);
    CHECK((*reply)["ok"] == true);
  }
  // Still serving after all that.
  CHECK(ids(c.call({{"op", "inbox"}})["messages"]) == std::vector<std::string>{"m1"});

  // A line longer than 64 KiB closes that connection, and only that one.
  DesktopClient big(f.socket());
  big.write_raw(std::string(desktop_protocol::kMaxRequestBytes + 10, 'a'));
  CHECK(big.closed_by_server());
  CHECK(c.call({{"op", "inbox"}})["ok"] == true);
  DesktopClient again(f.socket());
  CHECK(again.call({{"op", "hello"}})["ok"] == true);
}

TEST_CASE("desktop socket: subscribe with alerts takes over alert display; displayed records it once") {
  Fixture f;
  f.store("old", topics::Kind::alert, {}, "critical");  // stored, never displayed (agent stopped)
  f.store("theirs", topics::Kind::alert, "somebody-else", "critical");
  CHECK_FALSE(f.server->takes_alerts());
  DesktopClient c(f.socket());
  auto sub = c.call({{"op", "subscribe"}, {"alerts", true}});
  CHECK(sub["ok"] == true);
  CHECK(f.server->takes_alerts());
  // Catch-up: every alert not yet displayed, only the employee's.
  auto caught = c.next_event();
  REQUIRE(caught);
  CHECK((*caught)["event"] == "alert");
  CHECK((*caught)["message"]["id"] == "old");
  CHECK_FALSE(c.next_event(std::chrono::milliseconds(200)));

  f.store("a1", topics::Kind::alert, {}, "warning");
  f.server->alert_arrived("a1", true);
  auto ev = c.next_event();
  REQUIRE(ev);
  CHECK((*ev)["event"] == "alert");
  CHECK((*ev)["message"]["id"] == "a1");
  CHECK((*ev)["message"]["severity"] == "warning");

  auto outbox = f.inbox.outbox_size();
  CHECK(c.call({{"op", "displayed"}, {"id", "a1"}})["ok"] == true);
  CHECK(f.inbox.find("a1")->displayed_at);
  CHECK(f.inbox.outbox_size() == outbox + 1);  // the `displayed` receipt
  CHECK(c.call({{"op", "displayed"}, {"id", "a1"}})["ok"] == true);
  CHECK(f.inbox.outbox_size() == outbox + 1);  // once
  auto changed = c.next_event();
  REQUIRE(changed);
  CHECK((*changed)["event"] == "inbox");

  f.server->inbox_changed();
  f.server->chat_changed();
  CHECK((*c.next_event())["event"] == "inbox");
  CHECK((*c.next_event())["event"] == "chat");
}

TEST_CASE("desktop socket: alerts a vanished program did not answer go back to the agent's display") {
  Fixture f;
  {
    DesktopClient c(f.socket());
    c.call({{"op", "subscribe"}, {"alerts", true}});
    f.store("a1", topics::Kind::alert, {}, "critical");
    f.server->alert_arrived("a1", true);
    REQUIRE(c.next_event());
  }  // gone without `displayed`
  CHECK(test::eventually_true([&] { return f.returned() == std::vector<std::string>{"a1"}; }));
  CHECK(test::eventually_true([&] { return !f.server->takes_alerts(); }));

  // Handed while no program holds alerts (it left just before): back at once.
  f.store("a2", topics::Kind::alert, {}, "critical");
  f.server->alert_arrived("a2", true);
  CHECK(test::eventually_true([&] { return f.returned().size() == 2 && f.returned()[1] == "a2"; }));

  // A second program still holding alerts keeps what the first left unanswered.
  DesktopClient one(f.socket());
  auto two = std::make_unique<DesktopClient>(f.socket());
  one.call({{"op", "subscribe"}, {"alerts", true}});
  two->call({{"op", "subscribe"}, {"alerts", true}});
  // Both caught up on a1 and a2 (still not displayed): answer them from `two`.
  for (int i = 0; i < 2; ++i) REQUIRE(one.next_event());
  for (int i = 0; i < 2; ++i) REQUIRE(two->next_event());
  two->call({{"op", "displayed"}, {"id", "a1"}});
  two->call({{"op", "displayed"}, {"id", "a2"}});
  f.store("a3", topics::Kind::alert, {}, "critical");
  f.server->alert_arrived("a3", true);
  auto next_alert = [](DesktopClient& c) {
    auto e = c.next_event();
    while (e && (*e)["event"] != "alert") e = c.next_event();
    return e;
  };
  auto to_one = next_alert(one);
  REQUIRE(to_one);
  CHECK((*to_one)["message"]["id"] == "a3");
  REQUIRE(next_alert(*two));
  two.reset();  // went away without answering a3
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.returned().size() == 2);  // `one` still holds a3: not given back
  CHECK(f.server->takes_alerts());
  CHECK(f.server->connections() == 1);
}

TEST_CASE("desktop socket: alerts shown by the agent itself are news, not to show again") {
  Fixture f;
  DesktopClient owner(f.socket()), watcher(f.socket());
  owner.call({{"op", "subscribe"}, {"alerts", true}});
  watcher.call({{"op", "subscribe"}, {"alerts", false}});
  CHECK(f.server->takes_alerts());
  f.store("a1", topics::Kind::alert, {}, "info");
  REQUIRE(f.inbox.mark_displayed("a1", herald::now(), kPath, f.user));
  f.server->alert_arrived("a1", false);
  auto ev = watcher.next_event();
  REQUIRE(ev);
  CHECK((*ev)["event"] == "alert");
  CHECK_FALSE(owner.next_event(std::chrono::milliseconds(200)));
}

TEST_CASE("desktop socket: courses group the lessons in order with their progress") {
  Fixture f;
  f.store("l2", topics::Kind::message, {}, "info", payloads::LessonRef{"safety", "c1", 2, 3});
  f.store("l1", topics::Kind::message, {}, "info", payloads::LessonRef{"safety", "c1", 1, 3}, true);
  f.store("x1", topics::Kind::message, {}, "info", payloads::LessonRef{"gdpr", "c2", 1, 8});
  f.store("plain");
  DesktopClient c(f.socket());
  c.call({{"op", "confirm"}, {"id", "l1"}});
  auto r = c.call({{"op", "courses"}});
  REQUIRE(r["ok"] == true);
  auto courses = r["courses"];
  REQUIRE(courses.size() == 2);
  CHECK(courses[0]["course"] == "gdpr");
  CHECK(courses[0]["of"] == 8);
  CHECK(courses[0]["read"] == 0);
  CHECK(courses[1]["course"] == "safety");
  CHECK(courses[1]["campaign"] == "c1");
  CHECK(courses[1]["of"] == 3);
  CHECK(courses[1]["read"] == 1);
  CHECK(courses[1]["confirmed"] == 1);
  REQUIRE(courses[1]["lessons"].size() == 2);
  CHECK(courses[1]["lessons"][0]["number"] == 1);
  CHECK(courses[1]["lessons"][0]["id"] == "l1");
  CHECK(courses[1]["lessons"][0]["state"] == "confirmed");
  CHECK(courses[1]["lessons"][0]["require_confirm"] == true);
  CHECK_FALSE(courses[1]["lessons"][1].contains("require_confirm"));
  CHECK(courses[1]["lessons"][1]["id"] == "l2");
  CHECK(courses[1]["lessons"][1]["title"] == "title l2");
}

TEST_CASE("desktop socket: chat_send queues a line, chat_history shows it unsent, chat_read marks") {
  Fixture f;
  f.store("m1");
  DesktopClient c(f.socket());
  auto sent = c.call({{"op", "chat_send"}, {"text", "my printer is on fire"}, {"about", "m1"}});
  REQUIRE(sent["ok"] == true);
  CHECK(sent["queued"] == true);
  CHECK(f.wakes.load() >= 1);
  auto outbox = f.chat.outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].text == "my printer is on fire");
  CHECK(outbox[0].about == std::optional<std::string>("m1"));
  auto history = c.call({{"op", "chat_history"}});
  REQUIRE(history["ok"] == true);
  CHECK(history["conversation"] == sent["conversation"]);
  CHECK(history["unsent"] == json::array({"my printer is on fire"}));
  CHECK(history["history"].contains("lines"));
  auto computer = c.call({{"op", "chat_history"}, {"computer", true}});
  CHECK(computer["conversation"] == kPath);
  CHECK(c.call({{"op", "chat_read"}, {"seq", 3}})["ok"] == true);
}

TEST_CASE("the handler hands alerts to a desktop program instead of the display, and shows them if asked again") {
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  struct Recording : Display {
    std::vector<std::string> shown;
    void show(const ShownAlert& a) override { shown.push_back(a.id); }
  } display;
  MessageHandler handler{kPath, inbox, display};
  bool desktop = true;
  handler.set_hand_off([&] { return desktop; });
  auto topic = topics::delivery(topics::Kind::alert, "secops", "a1", Target::parse("org"));
  auto r = handler.handle(topic, payloads::encode(test::delivery()), "anna", herald::now());
  CHECK(r.action == HandleResult::Action::stored);
  CHECK(r.handed_off);
  CHECK_FALSE(r.displayed_at);
  CHECK(display.shown.empty());
  REQUIRE(inbox.find("a1"));
  CHECK_FALSE(inbox.find("a1")->displayed_at);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 1);
  CHECK(payloads::decode<payloads::Ack>(out[0].payload).state == payloads::AckState::delivered);
  // Messages are never handed: only alerts are shown.
  auto msg = topics::delivery(topics::Kind::message, "secops", "m1", Target::parse("org"));
  CHECK_FALSE(handler.handle(msg, payloads::encode(test::delivery()), "anna", herald::now()).handed_off);

  // The program went away: the display shows it, once.
  auto shown = handler.show_stored("a1", "anna", herald::now());
  CHECK(shown.action == HandleResult::Action::shown);
  CHECK(shown.displayed_at);
  CHECK(display.shown == std::vector<std::string>{"a1"});
  CHECK(inbox.find("a1")->displayed_at);
  CHECK(handler.show_stored("a1", "anna", herald::now()).action == HandleResult::Action::ignored);
  CHECK(handler.show_stored("m1", "anna", herald::now()).action == HandleResult::Action::ignored);
  CHECK(handler.show_stored("nope", "anna", herald::now()).action == HandleResult::Action::ignored);

  // A retained copy of an alert stored but never shown, after a restart: handed again.
  auto t2 = topics::delivery(topics::Kind::alert, "secops", "a2", Target::parse("org"));
  desktop = false;
  inbox.accept(topics::DeliveryTopic{topics::Kind::alert, "secops", "a2", Target::parse("org")}, test::delivery(),
               kPath, "anna", herald::now());
  desktop = true;
  auto again = handler.handle(t2, payloads::encode(test::delivery()), "anna", herald::now());
  CHECK(again.action == HandleResult::Action::duplicate);
  CHECK(again.handed_off);
  CHECK(display.shown.size() == 1);
}
