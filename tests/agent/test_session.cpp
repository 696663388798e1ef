// AgentSession against a real Mosquitto (tests/support fixture): several sessions share
// one Executor and one LMDB Env, as the swarm benchmark runs them.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <mqtt/async_client.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "herald/agent/commands.hpp"
#include "herald/agent/session.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"
#include "herald/testing/fixture.hpp"

using namespace herald;
using namespace herald::agent;
using herald::testing::eventually;

namespace {

struct NullDisplay : Display {
  std::atomic<int> shown{0};
  void show(const ShownAlert&) override { ++shown; }
};

// The admin account over TLS, collecting receipts.
struct Admin {
  mqtt::async_client client;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> received;

  explicit Admin(herald::testing::Broker& broker) : client(broker.people_uri(), "admin:test") {
    auto ssl = mqtt::ssl_options_builder().trust_store(broker.ca_file().string()).finalize();
    client.set_message_callback([this](mqtt::const_message_ptr m) {
      std::lock_guard lock(mutex);
      received.emplace_back(m->get_topic(), m->to_string());
    });
    client
        .connect(mqtt::connect_options_builder()
                     .user_name("admin")
                     .password(broker.password("admin"))
                     .ssl(ssl)
                     .clean_session(true)
                     .finalize())
        ->wait();
    client.subscribe(topics::all_acks(), 1)->wait();
  }
  ~Admin() {
    try {
      if (client.is_connected()) client.disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception& e) {
      MESSAGE("admin disconnect: " << e.what());  // teardown only; the test is decided
    }
  }
  void publish(const std::string& topic, const std::string& payload) {
    client.publish(topic, payload.data(), payload.size(), 1, true)->wait();
  }
  std::size_t acks(const std::string& id, payloads::AckState state) {
    std::lock_guard lock(mutex);
    std::set<std::string> agents;  // a receipt may come twice (at least once)
    for (const auto& [topic, payload] : received) {
      auto parsed = std::get<topics::AckTopic>(topics::parse(topic));
      if (parsed.id == id && payloads::decode<payloads::Ack>(payload).state == state) agents.insert(parsed.agent_path);
    }
    return agents.size();
  }
};

// Stands in for heraldd: confirms receipts on an agent's herald/receipted/{path}, which
// only the server role may write.
void confirm(herald::testing::Broker& broker, const std::string& agent_path,
             std::vector<payloads::Receipted::Item> items) {
  mqtt::async_client client(broker.people_uri(), "heraldd:test-confirm");
  auto ssl = mqtt::ssl_options_builder().trust_store(broker.ca_file().string()).finalize();
  client
      .connect(mqtt::connect_options_builder()
                   .user_name("heraldd")
                   .password(broker.password("heraldd"))
                   .ssl(ssl)
                   .clean_session(true)
                   .finalize())
      ->wait();
  payloads::Receipted r;
  r.receipts = std::move(items);
  auto payload = payloads::encode(r);
  client.publish(topics::receipted(agent_path), payload.data(), payload.size(), 1, false)->wait();
  client.disconnect()->wait();
}

}  // namespace

TEST_CASE("sessions sharing one executor and env receive, show, receipt and recall") {
  herald::testing::TempDir tmp("agent-session");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  Admin admin(broker);

  lmdb::Env::Options options = agent_env_options();
  options.durable = false;
  lmdb::Env env((tmp.path() / "agents").string(), options);
  Executor executor;
  NullDisplay display;
  std::mutex mutex;
  std::map<std::string, TimePoint> displayed;

  const std::vector<std::string> paths = {"org/branch01/pc001", "org/branch01/pc002", "org/branch02/pc001"};
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::vector<std::unique_ptr<AgentSession>> sessions;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    auto [crt, key] = broker.agent_cert(paths[i]);
    SessionSettings s;
    s.broker.uri = broker.agent_uri();
    s.broker.ca_file = broker.ca_file().string();
    s.broker.cert_file = crt.string();
    s.broker.key_file = key.string();
    s.path = paths[i];
    s.user = "user" + std::to_string(i);
    inboxes.push_back(std::make_unique<Inbox>(env, "s" + std::to_string(i)));
    sessions.push_back(std::make_unique<AgentSession>(s, *inboxes.back(), display, &executor,
                                                      [&, path = paths[i]](const std::string& id, TimePoint at) {
                                                        std::lock_guard lock(mutex);
                                                        displayed[path + " " + id] = at;
                                                      }));
    sessions.back()->start();
  }
  REQUIRE(eventually([&] {
    for (auto& s : sessions)
      if (!s->is_connected()) return false;
    return true;
  }));

  payloads::Delivery d;
  d.title = "Phishing";
  d.body = "Do not open it";
  d.severity = "critical";
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  admin.publish(topics::delivery(topics::Kind::alert, "admin", "alert1", Target::parse("org/branch01")),
                payloads::encode(d));
  CHECK(eventually([&] { return admin.acks("alert1", payloads::AckState::displayed) == 2; }));
  // Stored and shown in one step: `displayed` alone (heraldd infers delivered).
  CHECK(admin.acks("alert1", payloads::AckState::delivered) == 0);
  {
    std::lock_guard lock(mutex);
    CHECK(displayed.count("org/branch01/pc001 alert1") == 1);
    CHECK(displayed.count("org/branch01/pc002 alert1") == 1);
    CHECK(displayed.size() == 2);
  }
  CHECK(inboxes[0]->find("alert1"));
  CHECK_FALSE(inboxes[2]->find("alert1"));
  // The broker acknowledged the receipts, but only heraldd's confirmation empties the
  // outboxes: the broker may drop a receipt nobody is subscribed to.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(inboxes[0]->outbox_size() == 1);
  CHECK(inboxes[1]->outbox_size() == 1);
  confirm(broker, paths[0], {{"alert1", payloads::AckState::displayed}});
  confirm(broker, paths[1], {{"alert1", payloads::AckState::displayed}});
  // All receipts were confirmed, so the outboxes are empty.
  CHECK(eventually([&] { return inboxes[0]->outbox_size() == 0 && inboxes[1]->outbox_size() == 0; }));

  // A read receipt queued by another process (herald-agent show) goes out on wake().
  inboxes[1]->mark_read("alert1", herald::now(), paths[1], "user1");
  sessions[1]->wake();
  CHECK(eventually([&] { return admin.acks("alert1", payloads::AckState::read) == 1; }, std::chrono::seconds(2)));

  // Hostile input on an allowed topic is dropped; the session keeps working.
  admin.publish(topics::delivery(topics::Kind::message, "admin", "bad1", Target::parse("org")), "{nope");

  payloads::Recall recall{herald::now(), d.expires_at};
  admin.publish(topics::recall("admin", "alert1", Target::parse("org/branch01")), payloads::encode(recall));
  CHECK(eventually([&] { return !inboxes[0]->find("alert1") && !inboxes[1]->find("alert1"); }));

  // Reconnect after a broker restart: retained copies come again but are not stored or
  // receipted twice; the recall stays in force.
  auto delivered_before = admin.acks("alert1", payloads::AckState::delivered);
  broker.restart();
  CHECK(eventually(
      [&] {
        for (auto& s : sessions)
          if (!s->is_connected()) return false;
        return true;
      },
      std::chrono::seconds(20)));
  CHECK(display.shown == 2);
  CHECK(admin.acks("alert1", payloads::AckState::delivered) == delivered_before);

  // The broker down for a while: the sessions' own (jittered, backed-off) retry timer
  // keeps trying and reconnects each one once it is back.
  broker.stop();
  CHECK(eventually([&] {
    for (auto& s : sessions)
      if (s->is_connected()) return false;
    return true;
  }));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  broker.start();
  CHECK(eventually(
      [&] {
        for (auto& s : sessions)
          if (!s->is_connected()) return false;
        return true;
      },
      std::chrono::seconds(20)));

  for (auto& s : sessions) s->stop();
}

TEST_CASE("a receipt stays in the outbox after PUBACK and is sent again until heraldd confirms it") {
  herald::testing::TempDir tmp("agent-confirm");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  Admin admin(broker);
  lmdb::Env::Options options = agent_env_options();
  options.durable = false;
  lmdb::Env env((tmp.path() / "agent").string(), options);
  NullDisplay display;
  Inbox inbox(env);
  const std::string path = "org/branch01/pc001";
  auto [crt, key] = broker.agent_cert(path);
  SessionSettings s;
  s.broker.uri = broker.agent_uri();
  s.broker.ca_file = broker.ca_file().string();
  s.broker.cert_file = crt.string();
  s.broker.key_file = key.string();
  s.path = path;
  s.user = "jk";
  s.max_flush_delay = std::chrono::milliseconds(0);
  s.receipt_timeout = std::chrono::milliseconds(1000);
  s.cleanup_delay = std::chrono::milliseconds(0);
  AgentSession session(s, inbox, display);
  session.start();
  REQUIRE(eventually([&] { return session.is_connected(); }));

  auto sent = [&](const std::string& id) {
    std::lock_guard lock(admin.mutex);
    std::size_t n = 0;
    for (const auto& [topic, payload] : admin.received)
      if (std::get<topics::AckTopic>(topics::parse(topic)).id == id) ++n;
    return n;
  };
  payloads::Delivery d;
  d.body = "Read me";
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  admin.publish(topics::delivery(topics::Kind::message, "admin", "m1", Target::parse(path)), payloads::encode(d));
  REQUIRE(eventually([&] { return sent("m1") >= 1; }));
  CHECK(inbox.outbox_size() == 1);
  // Not confirmed: sent again after receipt_timeout, and again after twice that.
  CHECK(eventually([&] { return sent("m1") >= 3; }, std::chrono::seconds(8)));
  CHECK(inbox.outbox_size() == 1);

  // A confirmation for another state or id changes nothing; the right one empties it.
  confirm(broker, path, {{"m1", payloads::AckState::read}, {"other", payloads::AckState::delivered}});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(inbox.outbox_size() == 1);
  confirm(broker, path, {{"m1", payloads::AckState::delivered}});
  CHECK(eventually([&] { return inbox.outbox_size() == 0; }));
  auto after = sent("m1");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(sent("m1") == after);  // confirmed: never sent again
  session.stop();
}

namespace {

// Stands in for heraldd's chat side: collects what agents publish on herald/chatup/#
// and publishes ChatUpdates on herald/chatdown/{agent}.
struct FakeChatServer {
  mqtt::async_client client;
  std::mutex mutex;
  std::vector<payloads::ChatUp> received;
  // echo: record each `say` (a post once) as the conversation's next line and send it
  // back to the agent, as heraldd does.
  bool echo = false;
  std::map<std::string, std::uint64_t> recorded;  // post -> seq
  std::map<std::string, std::uint64_t> last_seq;  // conversation -> seq

  explicit FakeChatServer(herald::testing::Broker& broker, bool echo_lines = false)
      : client(broker.people_uri(), "heraldd:test-chat"), echo(echo_lines) {
    auto ssl = mqtt::ssl_options_builder().trust_store(broker.ca_file().string()).finalize();
    client.set_message_callback([this](mqtt::const_message_ptr m) {
      std::lock_guard lock(mutex);
      auto up = payloads::decode<payloads::ChatUp>(m->to_string());
      received.push_back(up);
      if (!echo || up.op != payloads::ChatUpOp::say) return;
      auto agent = std::get<topics::ChatUpTopic>(topics::parse(m->get_topic())).agent_path;
      auto [it, added] = recorded.emplace(up.post, 0);
      if (added) it->second = ++last_seq[up.conversation];
      payloads::ChatUpdate update;
      update.history.conversation.target = up.conversation;
      results::ChatLine line;
      line.seq = it->second;
      line.from = agent;
      line.text = up.text;
      line.at = herald::now();
      line.delivered_at = line.at;
      line.post = up.post;
      update.history.lines = {line};
      auto payload = payloads::encode(update);
      // Not waited for: this is Paho's callback thread.
      client.publish(topics::chat_down(agent), payload.data(), payload.size(), 1, false);
    });
    client
        .connect(mqtt::connect_options_builder()
                     .user_name("heraldd")
                     .password(broker.password("heraldd"))
                     .ssl(ssl)
                     .clean_session(true)
                     .finalize())
        ->wait();
    client.subscribe(topics::all_chat_ups(), 1)->wait();
  }
  ~FakeChatServer() {
    try {
      if (client.is_connected()) client.disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception& e) {
      MESSAGE("chat server disconnect: " << e.what());
    }
  }
  // A helpdesk line: the conversation's next seq, as heraldd numbers them.
  std::uint64_t helpdesk_says(const std::string& agent_path, const std::string& conversation, const std::string& text) {
    payloads::ChatUpdate update;
    update.history.conversation.target = conversation;
    results::ChatLine line;
    {
      std::lock_guard lock(mutex);
      line.seq = ++last_seq[conversation];
    }
    line.from = "helpdesk";
    line.text = text;
    line.at = herald::now();
    update.history.lines = {line};
    send(agent_path, payloads::encode(update));
    return line.seq;
  }
  void send(const std::string& agent_path, const std::string& payload) {
    client.publish(topics::chat_down(agent_path), payload.data(), payload.size(), 1, false)->wait();
  }
  // How many ChatUps of `op` in `conversation` came (with `seq` / `post` if given).
  std::size_t count(payloads::ChatUpOp op, const std::string& conversation, std::optional<std::uint64_t> seq = {},
                    const std::string& post = {}) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& u : received)
      if (u.op == op && u.conversation == conversation && (!seq || u.seq == *seq) && (post.empty() || u.post == post))
        ++n;
    return n;
  }
};

// Whether the broker's generated ACL lets agents read herald/chatdown/%u: the chat
// cases below need it, and a missing rule should fail them, not time them out.
bool acl_has_agent_chat(herald::testing::Broker& broker) {
  auto wanted = topics::acl::agent_chat_down_read_pattern();
  for (const auto& entry : std::filesystem::directory_iterator(broker.dir())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find(wanted) != std::string::npos) return true;
  }
  return false;
}

results::ChatLine chat_line(std::uint64_t seq, std::string from, std::string text, std::string post = {}) {
  results::ChatLine l;
  l.seq = seq;
  l.from = std::move(from);
  l.text = std::move(text);
  l.at = herald::now();
  l.post = std::move(post);
  return l;
}

}  // namespace

TEST_CASE("chat: the agent syncs on connect, stores heraldd's lines, acks them and re-sends its own until echoed") {
  herald::testing::TempDir tmp("agent-chat");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  // herald-acl grants every agent its own chatdown and chatup (topics.md access table).
  REQUIRE(acl_has_agent_chat(broker));
  FakeChatServer server(broker);
  lmdb::Env::Options options = agent_env_options();
  options.durable = false;
  lmdb::Env env((tmp.path() / "agent").string(), options);
  NullDisplay display;
  Inbox inbox(env);
  ChatStore chat(env);
  const std::string path = "org/branch01/pc001";
  // Written while the daemon was not running: sent once it connects.
  auto early = chat.enqueue(path, "my screen is blue", std::nullopt, herald::now());
  auto [crt, key] = broker.agent_cert(path);
  SessionSettings s;
  s.broker.uri = broker.agent_uri();
  s.broker.ca_file = broker.ca_file().string();
  s.broker.cert_file = crt.string();
  s.broker.key_file = key.string();
  s.path = path;
  s.user = "jk";
  s.chat = &chat;
  s.chat_resend = std::chrono::milliseconds(1000);
  AgentSession session(s, inbox, display);
  session.start();
  REQUIRE(eventually([&] { return session.is_connected(); }));

  using Op = payloads::ChatUpOp;
  CHECK(eventually([&] { return server.count(Op::sync, path, 0) >= 1 && server.count(Op::sync, "user:jk", 0) >= 1; }));
  CHECK(eventually([&] { return server.count(Op::say, path, {}, early) >= 1; }));

  // heraldd's update: a helpdesk line and the echo of ours.
  payloads::ChatUpdate update;
  update.history.conversation.target = path;
  update.history.lines = {chat_line(1, "helpdesk", "did you click it?"),
                          chat_line(2, path, "my screen is blue", early)};
  server.send(path, payloads::encode(update));
  CHECK(eventually([&] { return server.count(Op::ack, path, 2) == 1; }));
  CHECK(chat.outbox().empty());
  CHECK(chat.history(path).lines.size() == 2);

  // Hostile payloads on the chat topic are dropped; the session goes on.
  server.send(path, "{nope");
  payloads::ChatUpdate foreign;
  foreign.history.conversation.target = "org/branch01/pc002";
  foreign.history.lines = {chat_line(1, "helpdesk", "not yours")};
  server.send(path, payloads::encode(foreign));

  // A line queued by `herald-agent chat` goes out on wake(), and again every
  // chat_resend until heraldd echoes it.
  auto later = chat.enqueue(path, "yes, sorry", std::nullopt, herald::now());
  chat.mark_read(path, 1);
  auto woken = std::chrono::steady_clock::now();
  session.wake();
  CHECK(eventually([&] { return server.count(Op::say, path, {}, later) >= 1; }, std::chrono::seconds(2)));
  MESSAGE("wake to publish: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - woken).count()
          << " ms");
  CHECK(eventually([&] { return server.count(Op::read, path, 1) >= 1; }, std::chrono::seconds(2)));
  CHECK(eventually([&] { return server.count(Op::say, path, {}, later) >= 2; }, std::chrono::seconds(5)));
  update.history.lines = {chat_line(3, path, "yes, sorry", later)};
  server.send(path, payloads::encode(update));
  CHECK(eventually([&] { return server.count(Op::ack, path, 3) == 1; }));
  CHECK(chat.outbox().empty());
  CHECK(chat.history("org/branch01/pc002").lines.empty());

  // A gap (line 5 without 4): acked up to 3 and asked for again with a sync.
  update.history.lines = {chat_line(5, "helpdesk", "still there?")};
  server.send(path, payloads::encode(update));
  CHECK(eventually([&] { return server.count(Op::sync, path, 3) >= 1; }));
  CHECK(server.count(Op::ack, path, 3) >= 2);

  session.stop();
}

TEST_CASE("chat: herald-agent chat send is recorded through the daemon, history shows both sides, a restart syncs") {
  herald::testing::TempDir tmp("agent-chat-cli");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  // herald-acl grants every agent its own chatdown and chatup (topics.md access table).
  REQUIRE(acl_has_agent_chat(broker));
  FakeChatServer server(broker, true);
  herald::testing::Agent agent(broker, tmp.path(), "org/branch01/pc001", "jk");
  agent.start();
  REQUIRE(agent.wait_connected());
  using Op = payloads::ChatUpOp;
  CHECK(eventually([&] { return server.count(Op::sync, "user:jk", 0) == 1; }));

  // Nothing anywhere yet: the computer's conversation.
  auto start = std::chrono::steady_clock::now();
  auto sent = agent.cli({"chat", "send", "my screen is blue"});
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(sent.exit_code == 0);
  CHECK(sent.out == "sent (line 1)\n");
  MESSAGE("chat send, from start to heraldd's echo stored: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(server.count(Op::say, agent.path()) == 1);  // woken at once, not re-sent
  CHECK(eventually([&] { return server.count(Op::ack, agent.path(), 1) == 1; }));

  CHECK(server.helpdesk_says(agent.path(), agent.path(), "Did you open the attachment?") == 2);
  CHECK(eventually([&] { return server.count(Op::ack, agent.path(), 2) == 1; }));
  auto history = agent.cli({"chat", "history", "--mark-read"});
  CHECK(history.exit_code == 0);
  CHECK(history.out.find("you: my screen is blue (delivered)") != std::string::npos);
  CHECK(history.out.find("helpdesk: Did you open the attachment?") != std::string::npos);
  CHECK(eventually([&] { return server.count(Op::read, agent.path(), 2) == 1; }, std::chrono::seconds(2)));

  // The helpdesk writes to the person: the latest line is theirs, so the chat is too.
  CHECK(server.helpdesk_says(agent.path(), "user:jk", "Your password expires today") == 1);
  CHECK(eventually([&] { return server.count(Op::ack, "user:jk", 1) == 1; }));
  auto reply = agent.cli({"chat", "send", "thanks"});
  CHECK(reply.out == "sent (line 2)\n");
  CHECK(server.count(Op::say, "user:jk") == 1);
  auto computer = agent.cli({"chat", "send", "--computer", "and the printer"});
  CHECK(computer.out == "sent (line 3)\n");

  agent.stop();
  agent.start();
  REQUIRE(agent.wait_connected());
  CHECK(eventually([&] { return server.count(Op::sync, "user:jk", 2) == 1; }));
  CHECK(eventually([&] { return server.count(Op::sync, agent.path(), 3) == 1; }));
  agent.stop();
}
