// `herald chat` against a real Mosquitto over TLS (the fixture's broker), with this test
// answering as heraldd would: the CLI's topics, Session's live subscription, the
// interactive view's post/confirm cycle and heraldd's errors reaching the exit code.
// heraldd's own chat side is tested in tests/scheduler and tests/integration; the
// account here is heraldd's (herald/#), so the ACL's `chat` rules are not what is tested.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <variant>

#include "herald/common/config.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/chat_commands.hpp"
#include "herald/dispatcher/session.hpp"
#include "herald/dispatcher/settings.hpp"
#include "herald/testing/fixture.hpp"

namespace fs = std::filesystem;
namespace payloads = herald::payloads;
namespace results = herald::results;
namespace topics = herald::topics;
using herald::Target;
using herald::dispatcher::HelpdeskChat;
using herald::dispatcher::Publication;
using herald::dispatcher::Session;
using herald::dispatcher::session_chat_connect;
using herald::dispatcher::Settings;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAccount = "heraldd";
constexpr const char* kKnown = "org/branch01/pc001";

std::string config_text(herald::testing::Broker& broker) {
  std::ostringstream conf;
  conf << "broker = " << broker.people_uri() << "\n"
       << "ca_file = " << broker.ca_file().string() << "\n"
       << "username = " << kAccount << "\n"
       << "password = " << broker.password(kAccount) << "\n"
       << "request_timeout = 5\n";
  return conf.str();
}

// heraldd's ledger of conversations, kept across the fake heraldd's restarts.
struct Store {
  std::mutex mutex;
  std::map<std::string, results::ChatHistory> conversations;
  std::size_t says = 0;
  std::size_t histories = 0;  // history requests answered
};

// heraldd's chat side, just enough: replies and chatlog updates over the store.
class FakeHeraldd {
 public:
  FakeHeraldd(const Settings& settings, Store& store) : session_(settings.broker), store_(store) {
    session_.subscribe(topics::all_chat_posts(), "no chat posts");
    session_.subscribe(topics::all_requests(), "no requests");
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeHeraldd() {
    stop_ = true;
    thread_.join();
  }

 private:
  void reply(const std::string& account, const std::string& id, const payloads::Reply& r) {
    session_.publish_all({Publication{topics::reply(account, id), payloads::encode(r), false}}, 5s);
  }
  void error(const std::string& account, const std::string& id, const std::string& text) {
    payloads::Reply r;
    r.ok = false;
    r.error_kind = static_cast<int>(herald::ErrorKind::not_found);
    r.error = text;
    reply(account, id, r);
  }
  void ok(const std::string& account, const std::string& id, nlohmann::json result) {
    payloads::Reply r;
    r.result = std::move(result);
    reply(account, id, r);
  }

  void loop() {
    while (!stop_) {
      auto m = session_.next_message(50ms);
      if (!m) continue;
      auto parsed = topics::parse(m->topic);
      std::lock_guard lock(store_.mutex);
      auto& conversations = store_.conversations;
      if (const auto* req = std::get_if<topics::RequestTopic>(&parsed)) {
        auto request = payloads::decode<payloads::Request>(m->payload);
        if (request.id.empty()) {
          results::ChatList list;
          for (const auto& [target, h] : conversations)
            if (topics::scope_covers(req->scope, Target::parse(target))) {
              results::ChatSummary s;
              s.conversation = h.conversation;
              s.lines = h.lines.size();
              if (!h.lines.empty()) s.last = h.lines.back();
              list.conversations.push_back(s);
            }
          ok(req->account, req->request_id, list);
          continue;
        }
        ++store_.histories;
        if (auto it = conversations.find(request.id); it != conversations.end()) {
          ok(req->account, req->request_id, it->second);
        } else {
          error(req->account, req->request_id, "no conversation with '" + request.id + "'");
        }
        continue;
      }
      const auto& chat = std::get<topics::ChatTopic>(parsed);
      auto post = payloads::decode<payloads::ChatPost>(m->payload);
      auto target = chat.target.to_string();
      if (target != kKnown && target != "user:jkowalski") {
        error(chat.account, chat.post_id, "unknown chat target '" + target + "'");
        continue;
      }
      auto& h = conversations[target];
      h.conversation.target = target;
      results::ChatPosted posted{chat.post_id, target, 0};
      auto again = std::find_if(h.lines.begin(), h.lines.end(), [&](const results::ChatLine& l) {
        return l.from == chat.account && l.post == chat.post_id;
      });
      if (post.op == payloads::ChatOp::say && again != h.lines.end()) {
        posted.seq = again->seq;  // a repeated post: recorded once, answered again
      } else if (post.op == payloads::ChatOp::say) {
        ++store_.says;
        results::ChatLine line;
        line.seq = h.lines.size() + 1;
        line.from = chat.account;
        line.text = post.text;
        line.at = herald::now();
        line.post = chat.post_id;
        h.lines.push_back(line);
        h.conversation.open = true;
        posted.seq = line.seq;
        payloads::ChatUpdate update;
        update.history.conversation = h.conversation;
        update.history.lines = {line};
        session_.publish_all({Publication{topics::chat_log(chat.target), payloads::encode(update), false}}, 5s);
      } else if (post.op == payloads::ChatOp::close) {
        h.conversation.open = false;
      }
      ok(chat.account, chat.post_id, posted);
    }
  }

  Session session_;
  Store& store_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("herald chat against a real broker, heraldd played by the test") {
  herald::testing::TempDir tmp("chat-cli");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  auto conf = tmp.path() / "herald.conf";
  std::ofstream(conf) << config_text(broker);
  auto settings = Settings::load(conf.string());
  Store store;
  FakeHeraldd heraldd(settings, store);
  auto herald = [&](std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {herald::testing::bin("herald").string(), "--config", conf.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return herald::testing::run(argv, {{"TZ", "UTC"}}, input);
  };

  auto r = herald({"chat", "send", kKnown, "Did you open the attachment?"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "sent (line 1)\n");

  r = herald({"chat", "send", kKnown, "Second", "--json"});
  CHECK(r.exit_code == 0);
  auto posted = results::decode<results::ChatPosted>(r.out);
  CHECK(posted.seq == 2);
  CHECK(posted.target == kKnown);

  // The interactive view: the history, a line written and confirmed, read by no one.
  r = herald({"chat", kKnown}, "Third\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Chat with org/branch01/pc001\n") == 0);
  CHECK(r.out.find("heraldd: Did you open the attachment? (sent)") != std::string::npos);
  CHECK(r.out.find("heraldd: Third (sent)") != std::string::npos);
  CHECK(store.says == 3);

  r = herald({"chat", "history", kKnown, "--csv"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("seq,from,at,delivered_at,read_at,text\n1,heraldd,") == 0);
  CHECK(r.out.find(",,,Third\n") != std::string::npos);

  r = herald({"chat", "close", kKnown});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "closed the conversation with org/branch01/pc001\n");

  r = herald({"chat"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("org/branch01/pc001  closed  0       -      ") != std::string::npos);
  r = herald({"chat", "--under", "user", "--json"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "{\"conversations\":[]}\n");

  // A target heraldd does not know: the history says "no conversation", the first line
  // gets heraldd's error, and that ends the chat with its exit code.
  r = herald({"chat", "org/branch01/pc999"}, "Hello?\n");
  CHECK(r.exit_code == 3);
  CHECK(r.err == "herald: error: unknown chat target 'org/branch01/pc999'\n");
  r = herald({"chat", "send", "org/branch01/pc999", "Hello?"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "herald: error: unknown chat target 'org/branch01/pc999'\n");
  r = herald({"chat", "history", "org/branch01/pc999"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "herald: error: no conversation with 'org/branch01/pc999'\n");
  CHECK(store.says == 3);
}

TEST_CASE("herald chat TARGET's view survives a broker restart: reconnects, history again, re-sends") {
  herald::testing::TempDir tmp("chat-cli-restart");
  herald::testing::Broker broker(tmp.path() / "broker", herald::testing::default_directory_csv());
  auto conf = tmp.path() / "herald.conf";
  std::ofstream(conf) << config_text(broker);
  auto settings = Settings::load(conf.string());
  Store store;
  auto heraldd = std::make_unique<FakeHeraldd>(settings, store);

  auto target = Target::parse(kKnown);
  HelpdeskChat::Timing timing;
  timing.resend = 300ms;
  timing.reconnect = 200ms;
  timing.request = 5s;
  HelpdeskChat chat(target, session_chat_connect(settings, target), timing);
  chat.open();
  auto lines_are = [&](std::size_t n) {
    return herald::testing::eventually(
        [&] {
          chat.wait_for_change(50ms);
          return chat.unconfirmed().empty() && chat.snapshot().lines.size() == n;
        },
        15s, 1ms);
  };
  chat.send("before");
  REQUIRE(lines_are(1));

  heraldd.reset();
  broker.restart();
  {
    // The employee wrote meanwhile.
    std::lock_guard lock(store.mutex);
    results::ChatLine line;
    line.seq = 2;
    line.from = kKnown;
    line.text = "while you were away";
    line.at = herald::now();
    line.delivered_at = line.at;
    line.post = "p-1";
    store.conversations[kKnown].lines.push_back(line);
  }
  heraldd = std::make_unique<FakeHeraldd>(settings, store);
  chat.send("after");
  REQUIRE(lines_are(3));
  auto lines = chat.snapshot().lines;
  CHECK(lines[0].text == "before");
  CHECK(lines[1].text == "while you were away");
  CHECK(lines[2].text == "after");
  CHECK(store.says == 2);
  CHECK(store.histories == 2);  // on open and after the reconnect

  // `chat send` while heraldd is away: its post goes again until heraldd, back, answers.
  heraldd.reset();
  herald::testing::RunResult r;
  std::thread cli([&] {
    r = herald::testing::run(
        {herald::testing::bin("herald").string(), "--config", conf.string(), "chat", "send", kKnown, "are you there?"});
  });
  std::this_thread::sleep_for(1500ms);
  heraldd = std::make_unique<FakeHeraldd>(settings, store);
  cli.join();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "sent (line 4)\n");
  CHECK(store.says == 3);
}
