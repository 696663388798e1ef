// `herald chat` (issue 11): the checks made before connecting, the list, history and CSV
// output, and the interactive view's model (HelpdeskChat) over a fake broker link that
// answers as heraldd would.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <deque>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cli_run.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/chat_commands.hpp"

using namespace herald::dispatcher;
using herald::ErrorKind;
using herald::from_rfc3339;
using herald::Target;
namespace results = herald::results;
namespace payloads = herald::payloads;
namespace topics = herald::topics;
using namespace std::chrono_literals;

namespace {

using herald::test::herald_cli;
using herald::test::isolate_environment;

// Local times in the tables are UTC here.
void utc() {
  setenv("TZ", "UTC", 1);
  tzset();
}

results::ChatLine line(std::uint64_t seq, std::string from, std::string text, const char* at) {
  results::ChatLine l;
  l.seq = seq;
  l.from = std::move(from);
  l.text = std::move(text);
  l.at = from_rfc3339(at);
  l.post = "p-" + std::to_string(seq);
  return l;
}

results::ChatHistory history_of(const std::string& target, std::vector<results::ChatLine> lines,
                                std::size_t unread = 0) {
  results::ChatHistory h;
  h.conversation.target = target;
  h.conversation.unread = unread;
  h.lines = std::move(lines);
  return h;
}

template <typename F>
herald::Error error_of(F f) {
  try {
    f();
  } catch (const herald::Error& e) {
    return e;
  }
  FAIL("expected a herald::Error");
  return herald::Error(ErrorKind::internal, "");
}

// ---- a fake broker with heraldd behind it -------------------------------------------

struct Published {
  std::string topic;
  std::string payload;
};

struct FakeBroker {
  const std::string account = "helpdesk1";
  std::vector<Published> published;
  std::deque<ChatLink::Message> inbox;
  int connects = 0;
  bool down = false;            // connecting fails (unreachable)
  bool lose = false;            // the current link's next call reports a lost connection
  bool answer = true;           // heraldd answers posts and history requests
  bool unknown = false;         // heraldd: the target is not known
  std::string history_error;    // heraldd's answer to a history request, if not the history
  results::ChatHistory stored;  // heraldd's copy of the conversation

  void deliver(const std::string& topic, const std::string& payload) { inbox.push_back({topic, payload}); }
  void reply_ok(const std::string& id, const nlohmann::json& result) {
    payloads::Reply r;
    r.result = result;
    deliver(topics::reply(account, id), payloads::encode(r));
  }
  void reply_error(const std::string& id, ErrorKind kind, const std::string& text) {
    payloads::Reply r;
    r.ok = false;
    r.error_kind = static_cast<int>(kind);
    r.error = text;
    deliver(topics::reply(account, id), payloads::encode(r));
  }
  void update(const results::ChatHistory& h) {
    payloads::ChatUpdate u;
    u.history = h;
    deliver(topics::chat_log(Target::parse(h.conversation.target)), payloads::encode(u));
  }

  // What heraldd would do with one publish.
  void heraldd(const Published& p) {
    if (!answer) return;
    auto parsed = topics::parse(p.topic);
    if (const auto* req = std::get_if<topics::RequestTopic>(&parsed)) {
      auto request = payloads::decode<payloads::Request>(p.payload);
      if (!history_error.empty())
        reply_error(req->request_id, ErrorKind::not_found, history_error);
      else if (stored.lines.empty())
        reply_error(req->request_id, ErrorKind::not_found, "no conversation with '" + request.id + "'");
      else
        reply_ok(req->request_id, stored);
      return;
    }
    const auto& chat = std::get<topics::ChatTopic>(parsed);
    auto post = payloads::decode<payloads::ChatPost>(p.payload);
    if (unknown) {
      reply_error(chat.post_id, ErrorKind::not_found, "unknown chat target '" + chat.target.to_string() + "'");
      return;
    }
    results::ChatPosted posted;
    posted.post = chat.post_id;
    posted.target = chat.target.to_string();
    if (post.op == payloads::ChatOp::say) {
      for (const auto& l : stored.lines)
        if (l.post == chat.post_id) {  // recorded once, answered again
          posted.seq = l.seq;
          reply_ok(chat.post_id, posted);
          return;
        }
      auto l = line(stored.lines.size() + 1, chat.account, post.text, "2026-11-22T13:10:00.000Z");
      l.post = chat.post_id;
      stored.lines.push_back(l);
      posted.seq = l.seq;
      update(history_of(chat.target.to_string(), {l}));
      reply_ok(chat.post_id, posted);
    } else {
      reply_ok(chat.post_id, posted);
    }
  }

  std::vector<payloads::ChatPost> posts(payloads::ChatOp op) const {
    std::vector<payloads::ChatPost> out;
    for (const auto& p : published)
      if (std::holds_alternative<topics::ChatTopic>(topics::parse(p.topic)))
        if (auto post = payloads::decode<payloads::ChatPost>(p.payload); post.op == op) out.push_back(post);
    return out;
  }
  std::vector<std::string> topics_of(payloads::ChatOp op) const {
    std::vector<std::string> out;
    for (const auto& p : published)
      if (std::holds_alternative<topics::ChatTopic>(topics::parse(p.topic)) &&
          payloads::decode<payloads::ChatPost>(p.payload).op == op)
        out.push_back(p.topic);
    return out;
  }
  std::size_t history_requests() const {
    std::size_t n = 0;
    for (const auto& p : published) n += std::holds_alternative<topics::RequestTopic>(topics::parse(p.topic));
    return n;
  }
};

class FakeLink : public ChatLink {
 public:
  explicit FakeLink(std::shared_ptr<FakeBroker> broker) : broker_(std::move(broker)) {}
  const std::string& account() const override { return broker_->account; }
  bool publish(const std::string& topic, const std::string& payload) override {
    if (broker_->lose) throw herald::Error(ErrorKind::unreachable, "lost");
    broker_->published.push_back({topic, payload});
    broker_->heraldd(broker_->published.back());
    return true;
  }
  std::optional<Message> next(std::chrono::milliseconds timeout) override {
    if (broker_->lose) {
      broker_->lose = false;
      broker_->inbox.clear();  // a clean session: what was in flight is gone
      throw herald::Error(ErrorKind::unreachable, "lost");
    }
    if (broker_->inbox.empty()) {
      std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(2)));
      return std::nullopt;
    }
    auto m = broker_->inbox.front();
    broker_->inbox.pop_front();
    return m;
  }

 private:
  std::shared_ptr<FakeBroker> broker_;
};

ChatConnect fake_connect(const std::shared_ptr<FakeBroker>& broker) {
  return [broker]() -> std::unique_ptr<ChatLink> {
    if (broker->down) throw herald::Error(ErrorKind::unreachable, "connecting: refused");
    ++broker->connects;
    return std::make_unique<FakeLink>(broker);
  };
}

HelpdeskChat::Timing fast() {
  HelpdeskChat::Timing t;
  t.resend = 30ms;
  t.reconnect = 10ms;
  t.request = 500ms;
  t.quiet = 0ms;
  return t;
}

// Runs the view's loop until `done` or the time is up.
template <typename Done>
bool pump(HelpdeskChat& chat, Done done, std::chrono::milliseconds limit = 2000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    chat.wait_for_change(20ms);
  }
  return true;
}

const char* const kPc = "org/branch01/pc042";

}  // namespace

// ---- command line ---------------------------------------------------------------------

TEST_CASE("chat: bad input exits 2 before any configuration is read, so nothing is published") {
  isolate_environment();
  auto r = herald_cli({"chat", "send", "Org/x", "hello"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "herald: error: invalid chat target 'Org/x': expected a computer's org path (org/branch01/pc042) or "
        "user:LOGIN\n");
  CHECK(r.out.empty());

  r = herald_cli({"chat", "send", kPc, ""});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: empty line\n");

  r = herald_cli({"chat", "send", kPc, std::string(4097, 'x')});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: line too long (4097 bytes; at most 4096)\n");

  r = herald_cli({"chat", "send", kPc, "caf\xC3"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: line is not valid UTF-8\n");

  r = herald_cli({"chat", "send", kPc, "hi", "--about", "../x"});
  CHECK(r.code == 2);

  // At the limit the line is fine: the command goes on to read its configuration.
  r = herald_cli({"chat", "send", kPc, std::string(4096, 'x')});
  CHECK(r.code == 9);

  for (std::vector<std::string> args : {std::vector<std::string>{"chat", "user:"},
                                        {"chat", "close", "org/#"},
                                        {"chat", "history", "user:a/b"},
                                        {"chat", "--under", "Org"},
                                        {"chat", "--under", "user:"},
                                        {"chat", kPc, "--json"},
                                        {"chat", kPc, "--under", "org"},
                                        {"chat", "history", kPc, "--json", "--csv"},
                                        {"chat", "history", kPc, "--limit", "0"},
                                        {"chat", "history", kPc, "--limit", "10001"}}) {
    CAPTURE(args.back());
    r = herald_cli(args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
  }
  r = herald_cli({"chat", "--under", "user:jkowalski"});
  CHECK(r.code == 9);  // valid: on to the configuration
  r = herald_cli({"chat"});
  CHECK(r.code == 9);
}

TEST_CASE("chat: scopes and targets") {
  CHECK(chat_list_scope("org") == "org");
  CHECK(chat_list_scope("org/branch01") == "org/branch01");
  CHECK(chat_list_scope("user") == "user");
  CHECK(chat_list_scope("user:jkowalski") == "user/jkowalski");
  CHECK(error_of([] { chat_list_scope("user/jkowalski"); }).kind() == ErrorKind::usage);
  CHECK(error_of([] { chat_list_scope("users"); }).kind() == ErrorKind::usage);
  CHECK(chat_scope_of(Target::parse(kPc)) == kPc);
  CHECK(chat_scope_of(Target::parse("user:jkowalski")) == "user/jkowalski");
  CHECK(parse_chat_target("user:jkowalski").login() == "jkowalski");
  CHECK(unknown_chat_target_text(Target::parse(kPc)) == "unknown chat target 'org/branch01/pc042'");
  CHECK(chat_refused_text("helpdesk1", Target::parse("user:a")) == "helpdesk1 may not chat with user:a");

  ChatOptions o;
  o.target = kPc;
  o.text = "Did you open the attachment?";
  o.about = "20261122T130118Z-3f9a2c1b7d";
  auto post = prepare_chat_say(o, from_rfc3339("2026-11-22T13:10:00.000Z"));
  CHECK(post.op == payloads::ChatOp::say);
  CHECK(post.text == o.text);
  CHECK(post.about == o.about);
}

// ---- output -----------------------------------------------------------------------------

TEST_CASE("chat list: merged by last activity, control characters shown as '?'") {
  utc();
  results::ChatSummary pc;
  pc.conversation.target = kPc;
  pc.conversation.about = "20261122T130118Z-3f9a2c1b7d";
  pc.conversation.unread = 1;
  pc.last = line(2, kPc, "No.\x1b[2J a very long answer that goes on and on and on", "2026-11-22T13:12:00.000Z");
  pc.lines = 2;
  results::ChatSummary person;
  person.conversation.target = "user:jkowalski";
  person.conversation.open = false;
  person.last = line(7, "helpdesk1", "Thanks!", "2026-11-22T14:00:00.000Z");
  person.lines = 7;
  results::ChatSummary empty;
  empty.conversation.target = "org/branch02/pc007";

  results::ChatList computers{{empty, pc}};
  results::ChatList people{{person}};
  auto merged = merge_chat_lists({computers, people});
  REQUIRE(merged.conversations.size() == 3);
  CHECK(merged.conversations[0].conversation.target == "user:jkowalski");
  CHECK(merged.conversations[1].conversation.target == kPc);
  CHECK(merged.conversations[2].conversation.target == "org/branch02/pc007");

  std::ostringstream out;
  print_chat_list(merged, out);
  CHECK(out.str() ==
        "TARGET              STATE   UNREAD  ABOUT                        LAST\n"
        "user:jkowalski      closed  0       -                            2026-11-22 14:00 helpdesk1: Thanks!\n"
        "org/branch01/pc042  open    1       20261122T130118Z-3f9a2c1b7d  2026-11-22 13:12 org/branch01/pc042: "
        "No.?[2J a very long answer that goes ...\n"
        "org/branch02/pc007  open    0       -                            -\n");

  std::ostringstream none;
  print_chat_list(results::ChatList{}, none);
  CHECK(none.str() == "no conversations\n");
}

TEST_CASE("chat list: a scope the account may not ask about is left out, unless it is the only one") {
  results::ChatList people;
  people.conversations.push_back(results::ChatSummary{});
  people.conversations.back().conversation.target = "user:jkowalski";
  auto refuse = [](const std::string& scope) -> results::ChatList {
    throw herald::Error(ErrorKind::not_permitted, "helpdesk1 may not ask for chats under " + scope);
  };
  auto only_people = [&](const std::string& scope) { return scope == "user" ? people : refuse(scope); };

  auto list = ask_chat_lists({"org", "user"}, only_people);
  REQUIRE(list.conversations.size() == 1);
  CHECK(list.conversations[0].conversation.target == "user:jkowalski");

  auto e = error_of([&] { ask_chat_lists({"org", "user"}, refuse); });
  CHECK(e.kind() == ErrorKind::not_permitted);
  CHECK(std::string(e.what()) == "helpdesk1 may not ask for chats under org");
  CHECK(error_of([&] { ask_chat_lists({"org"}, only_people); }).kind() == ErrorKind::not_permitted);
  // Anything else is not a matter of rights: no partial list.
  e = error_of([&] {
    ask_chat_lists({"org", "user"}, [&](const std::string& scope) -> results::ChatList {
      if (scope == "org") throw herald::Error(ErrorKind::unreachable, "no answer from heraldd within 10 s");
      return people;
    });
  });
  CHECK(e.kind() == ErrorKind::unreachable);
}

TEST_CASE("chat history: lines as the helpdesk sees them, and CSV") {
  utc();
  auto h = history_of(kPc, {line(1, "helpdesk1", "Did you open the attachment?", "2026-11-22T13:10:00.000Z"),
                            line(2, kPc, "No, \"never\".\nWhy,\x07 is it bad?", "2026-11-22T13:12:00.000Z")});
  h.lines[0].delivered_at = from_rfc3339("2026-11-22T13:10:01.000Z");
  h.lines[1].delivered_at = h.lines[1].at;

  std::ostringstream text;
  print_chat_history(h, text);
  CHECK(text.str() ==
        "[13:10] helpdesk1: Did you open the attachment? (delivered)\n"
        "[13:12] org/branch01/pc042: No, \"never\".?Why,? is it bad?\n");

  std::ostringstream csv;
  print_chat_history_csv(h, csv);
  CHECK(csv.str() ==
        "seq,from,at,delivered_at,read_at,text\n"
        "1,helpdesk1,2026-11-22T13:10:00.000Z,2026-11-22T13:10:01.000Z,,Did you open the attachment?\n"
        "2,org/branch01/pc042,2026-11-22T13:12:00.000Z,2026-11-22T13:12:00.000Z,,\"No, \"\"never\"\".\nWhy,? is it "
        "bad?\"\n");
}

// ---- the interactive view's model ----------------------------------------------------------

TEST_CASE("HelpdeskChat: history on open, then updates upserted by seq") {
  auto broker = std::make_shared<FakeBroker>();
  broker->stored = history_of(
      kPc, {line(1, "helpdesk1", "Hello", "2026-11-22T13:10:00.000Z"), line(2, kPc, "Hi", "2026-11-22T13:11:00.000Z")},
      1);
  HelpdeskChat chat(Target::parse(kPc), fake_connect(broker), fast());
  chat.open();
  REQUIRE(broker->history_requests() == 1);
  auto request = topics::parse(broker->published[0].topic);
  CHECK(std::get<topics::RequestTopic>(request).op == "chats");
  CHECK(std::get<topics::RequestTopic>(request).scope == kPc);
  CHECK(payloads::decode<payloads::Request>(broker->published[0].payload).id == kPc);

  auto s = chat.snapshot();
  CHECK(s.conversation.target == kPc);
  CHECK(s.conversation.unread == 1);
  REQUIRE(s.lines.size() == 2);

  // Line 1 delivered, then read; line 3 new; an update repeating line 1 without its
  // marks (older news) keeps them.
  auto l1 = broker->stored.lines[0];
  l1.delivered_at = from_rfc3339("2026-11-22T13:10:01.000Z");
  broker->update(history_of(kPc, {l1}, 1));
  auto l1_read = l1;
  l1_read.read_at = from_rfc3339("2026-11-22T13:10:05.000Z");
  broker->update(history_of(kPc, {l1_read, line(3, kPc, "Bye", "2026-11-22T13:12:00.000Z")}, 2));
  broker->update(history_of(kPc, {broker->stored.lines[0]}, 2));
  // Someone else's conversation is not this one.
  broker->update(history_of("org/branch01/pc043", {line(9, "helpdesk1", "x", "2026-11-22T13:12:00.000Z")}));
  REQUIRE(pump(chat, [&] { return broker->inbox.empty(); }));
  s = chat.snapshot();
  REQUIRE(s.lines.size() == 3);
  CHECK(s.lines[0].text == "Hello");
  CHECK(s.lines[0].delivered_at == l1.delivered_at);
  CHECK(s.lines[0].read_at == l1_read.read_at);
  CHECK(s.lines[2].text == "Bye");
  CHECK(s.conversation.unread == 2);
}

TEST_CASE("HelpdeskChat: a line stays pending and goes again with the same post id until heraldd answers") {
  auto broker = std::make_shared<FakeBroker>();
  HelpdeskChat chat(Target::parse(kPc), fake_connect(broker), fast());
  chat.open();  // "no conversation" yet: an empty one
  CHECK(chat.snapshot().lines.empty());

  CHECK(error_of([&] { chat.send(std::string(4097, 'x')); }).kind() == ErrorKind::usage);
  CHECK(error_of([&] { chat.send(""); }).kind() == ErrorKind::usage);
  CHECK(broker->topics_of(payloads::ChatOp::say).empty());

  broker->answer = false;  // heraldd away
  chat.send("Did you open the attachment?");
  CHECK(chat.unsent() == std::vector<std::string>{"Did you open the attachment?"});
  REQUIRE(pump(chat, [&] { return broker->topics_of(payloads::ChatOp::say).size() >= 3; }));
  auto sent = broker->topics_of(payloads::ChatOp::say);
  CHECK(sent[0] == sent[1]);
  CHECK(sent[1] == sent[2]);
  auto topic = std::get<topics::ChatTopic>(topics::parse(sent[0]));
  CHECK(topic.account == "helpdesk1");
  CHECK(topic.target == Target::parse(kPc));
  CHECK(chat.pending_posts() == std::vector<std::string>{topic.post_id});

  broker->answer = true;  // back: the next re-send is recorded and answered
  REQUIRE(pump(chat, [&] { return chat.unsent().empty() && !chat.snapshot().lines.empty(); }));
  auto s = chat.snapshot();
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].post == topic.post_id);
  CHECK(broker->stored.lines.size() == 1);
  auto count = broker->topics_of(payloads::ChatOp::say).size();
  chat.wait_for_change(100ms);
  CHECK(broker->topics_of(payloads::ChatOp::say).size() == count);  // no more re-sends

  // The employee answers; reading publishes a read mark once per new seq.
  broker->update(history_of(kPc, {line(2, kPc, "Yes", "2026-11-22T13:11:00.000Z")}, 1));
  REQUIRE(pump(chat, [&] { return chat.snapshot().lines.size() == 2; }));
  chat.mark_read(2);
  chat.mark_read(2);
  auto reads = broker->posts(payloads::ChatOp::read);
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].seq == 2);
  CHECK(std::get<topics::ChatTopic>(topics::parse(broker->topics_of(payloads::ChatOp::read)[0])).post_id !=
        topic.post_id);
  // Read already (heraldd counts no unread line): nothing to publish.
  broker->update(history_of(kPc, {line(3, kPc, "Thanks", "2026-11-22T13:12:00.000Z")}, 0));
  REQUIRE(pump(chat, [&] { return chat.snapshot().lines.size() == 3; }));
  chat.mark_read(3);
  CHECK(broker->posts(payloads::ChatOp::read).size() == 1);
}

TEST_CASE("HelpdeskChat: a line shows as waiting only when heraldd's answer is late") {
  auto broker = std::make_shared<FakeBroker>();
  auto timing = fast();
  timing.quiet = 100ms;
  HelpdeskChat chat(Target::parse(kPc), fake_connect(broker), timing);
  chat.open();
  chat.send("answered at once");
  CHECK(chat.unsent().empty());
  REQUIRE(pump(chat, [&] { return chat.unconfirmed().empty(); }));
  broker->answer = false;
  chat.send("late");
  CHECK(chat.unsent().empty());
  CHECK(chat.unconfirmed() == std::vector<std::string>{"late"});
  REQUIRE(pump(chat, [&] { return !chat.unsent().empty(); }));
  CHECK(chat.unsent() == std::vector<std::string>{"late"});
}

TEST_CASE("HelpdeskChat: after a lost connection it reconnects, asks for the history again and re-sends") {
  auto broker = std::make_shared<FakeBroker>();
  broker->stored = history_of(kPc, {line(1, kPc, "Help!", "2026-11-22T13:10:00.000Z")});
  HelpdeskChat chat(Target::parse(kPc), fake_connect(broker), fast());
  chat.open();
  CHECK(broker->connects == 1);

  broker->answer = false;
  chat.send("On my way");
  auto first = broker->topics_of(payloads::ChatOp::say).at(0);
  broker->lose = true;
  broker->down = true;
  chat.wait_for_change(50ms);
  CHECK(chat.unsent() == std::vector<std::string>{"On my way"});
  // Meanwhile the employee wrote again.
  broker->stored.lines.push_back(line(2, kPc, "Hello?", "2026-11-22T13:11:00.000Z"));
  broker->down = false;
  broker->answer = true;
  REQUIRE(pump(chat, [&] { return chat.unsent().empty() && chat.snapshot().lines.size() == 3; }));
  CHECK(broker->connects == 2);
  CHECK(broker->history_requests() == 2);
  auto sent = broker->topics_of(payloads::ChatOp::say);
  CHECK(sent.back() == first);  // the same post id after the reconnect
  auto s = chat.snapshot();
  CHECK(s.lines[1].text == "Hello?");
  CHECK(s.lines[2].text == "On my way");
}

TEST_CASE("HelpdeskChat: an unknown target ends the chat with heraldd's error") {
  auto broker = std::make_shared<FakeBroker>();
  broker->unknown = true;
  HelpdeskChat chat(Target::parse("org/branch01/pc999"), fake_connect(broker), fast());
  chat.open();  // "no conversation with ..." is no error yet
  chat.send("Hello");
  auto e = error_of([&] {
    pump(
        chat, [] { return false; }, 500ms);
  });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "unknown chat target 'org/branch01/pc999'");
  CHECK(error_of([&] { chat.snapshot(); }).kind() == ErrorKind::not_found);

  // A history answer other than "no conversation" fails the open itself.
  auto other = std::make_shared<FakeBroker>();
  other->history_error = "unknown chat target 'org/branch01/pc999'";
  HelpdeskChat refused(Target::parse("org/branch01/pc999"), fake_connect(other), fast());
  e = error_of([&] { refused.open(); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(std::string(e.what()) == "unknown chat target 'org/branch01/pc999'");

  // No answer at all: heraldd is not running.
  auto silent = std::make_shared<FakeBroker>();
  silent->answer = false;
  silent->reply_error("x", ErrorKind::not_found, "unrelated");  // an answer to something else: skipped
  HelpdeskChat waiting(Target::parse(kPc), fake_connect(silent), fast());
  CHECK(error_of([&] { waiting.open(); }).kind() == ErrorKind::unreachable);
}

TEST_CASE("herald chat TARGET's terminal: history, a line written, its confirmation") {
  utc();
  auto broker = std::make_shared<FakeBroker>();
  broker->stored = history_of(kPc, {line(1, kPc, "Help, a pop-up \x1b[31m!", "2026-11-22T13:10:00.000Z")}, 1);
  HelpdeskChat chat(Target::parse(kPc), fake_connect(broker), fast());
  chat.open();
  std::istringstream in("On my way\n\n" + std::string(4097, 'x') + "\n");
  std::ostringstream out;
  herald::chat::TerminalOptions options;
  options.viewer = herald::chat::Side::helpdesk;
  options.heading = "Chat with org/branch01/pc042";
  options.poll = 5ms;
  CHECK(herald::chat::run_terminal(chat, in, out, options) == 0);
  CHECK(chat.unsent().empty());
  auto text = out.str();
  CHECK(text.find("Chat with org/branch01/pc042\n") == 0);
  CHECK(text.find("[13:10] org/branch01/pc042: Help, a pop-up ?[31m!") != std::string::npos);
  CHECK(text.find("error: line too long (4097 bytes; at most 4096)\n") != std::string::npos);
  CHECK(text.find("helpdesk1: On my way (sent)") != std::string::npos);
  // The view read line 1: a read mark for it went to heraldd.
  auto reads = broker->posts(payloads::ChatOp::read);
  REQUIRE(!reads.empty());
  CHECK(reads.back().seq == 1);
}
