// The agent's chat: its LMDB store (real LMDB in a temp dir), the checks on heraldd's
// ChatUpdates, the conversation choice, the terminal backend and the CLI.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "herald/agent/chat_store.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/handler.hpp"
#include "herald/common/error.hpp"
#include "herald/common/topics.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::agent_conf;
using herald::agent::test::run;
using herald::agent::test::TempDir;

namespace {

const std::string kPath = "org/b1/pc1";

lmdb::Env::Options test_options() {
  auto o = agent_env_options();
  o.durable = false;
  return o;
}

results::ChatLine line(std::uint64_t seq, std::string from, std::string text, std::string post = {}) {
  results::ChatLine l;
  l.seq = seq;
  l.from = std::move(from);
  l.text = std::move(text);
  l.at = herald::now() + std::chrono::milliseconds(seq);
  l.post = std::move(post);
  return l;
}

results::ChatHistory update(std::string target, std::vector<results::ChatLine> lines) {
  results::ChatHistory h;
  h.conversation.target = std::move(target);
  h.lines = std::move(lines);
  return h;
}

std::string payload_of(const results::ChatHistory& h) { return payloads::encode(payloads::ChatUpdate{h}); }

}  // namespace

TEST_CASE("chat store: lines are upserted by seq, in seq order, never twice") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  auto g0 = store.generation();
  store.apply(update(kPath, {line(2, "helpdesk", "second"), line(1, "helpdesk", "first")}), kPath);
  CHECK(store.generation() > g0);
  auto again = line(1, "helpdesk", "first");
  again.delivered_at = herald::now();
  store.apply(update(kPath, {again}), kPath);
  auto h = store.history(kPath);
  REQUIRE(h.lines.size() == 2);
  CHECK(h.lines[0].seq == 1);
  CHECK(h.lines[0].delivered_at.has_value());  // replaced, not added
  CHECK(h.lines[1].text == "second");
  CHECK(h.conversation.unread == 2);

  // Another store in the same env (the swarm) sees none of it.
  ChatStore other(env, "s1");
  CHECK(other.history(kPath).lines.empty());
  CHECK(other.conversations().empty());
  CHECK(store.conversations() == std::vector<std::string>{kPath});
}

TEST_CASE("chat store: the highest contiguous seq skips nothing across gaps") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  auto a =
      store.apply(update(kPath, {line(1, "helpdesk", "a"), line(2, "helpdesk", "b"), line(4, "helpdesk", "d")}), kPath);
  CHECK(a.contiguous == 2);
  CHECK(a.gap);
  CHECK(store.state(kPath)->highest == 4);
  a = store.apply(update(kPath, {line(3, "helpdesk", "c")}), kPath);
  CHECK(a.contiguous == 4);
  CHECK_FALSE(a.gap);
  CHECK(store.state(kPath)->contiguous == 4);
}

TEST_CASE("chat store: an outbox line leaves only with heraldd's echo of it") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  auto p1 = store.enqueue(kPath, "first", std::string("m-1"), herald::now());
  auto p2 = store.enqueue(kPath, "second", std::nullopt, herald::now());
  CHECK(is_valid_token(p1));
  CHECK(p1 != p2);
  auto waiting = store.outbox();
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].post == p1);  // the order written
  CHECK(waiting[0].about == std::optional<std::string>("m-1"));
  CHECK(waiting[1].post == p2);
  CHECK(store.outbox("user:anna").empty());

  // The same post id from another computer, or a helpdesk account, is not our echo.
  auto a = store.apply(update(kPath, {line(1, "org/b1/pc2", "first", p1), line(2, "helpdesk", "x", p1)}), kPath);
  CHECK(a.confirmed == 0);
  CHECK(store.outbox().size() == 2);
  a = store.apply(update(kPath, {line(3, kPath, "first", p1)}), kPath);
  CHECK(a.confirmed == 1);
  REQUIRE(store.outbox().size() == 1);
  CHECK(store.outbox()[0].post == p2);
  CHECK_THROWS_AS(store.enqueue(kPath, "", std::nullopt, herald::now()), Error);
}

TEST_CASE("chat store: read marks go forward, are pending until sent, unconfirmed until heraldd marks the lines") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  store.apply(update(kPath, {line(1, "helpdesk", "a"), line(2, kPath, "b"), line(3, "helpdesk", "c")}), kPath);
  CHECK(store.history(kPath).conversation.unread == 2);
  store.mark_read(kPath, 1);
  store.mark_read(kPath, 0);  // never back
  CHECK(store.state(kPath)->read_mark == 1);
  CHECK(store.history(kPath).conversation.unread == 1);
  REQUIRE(store.pending_reads().size() == 1);
  store.read_sent(kPath, 1);
  CHECK(store.pending_reads().empty());
  CHECK(store.unconfirmed_reads().size() == 1);
  auto read = line(1, "helpdesk", "a");
  read.read_at = herald::now();
  store.apply(update(kPath, {read}), kPath);
  CHECK(store.unconfirmed_reads().empty());
}

TEST_CASE("chat: which conversation `herald-agent chat` opens") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  // Nothing yet: the computer's, whoever is logged in.
  CHECK(choose_conversation(store, kPath, "anna", false) == kPath);
  CHECK(choose_conversation(store, kPath, "", false) == kPath);
  CHECK(choose_conversation(store, kPath, "anna", true) == kPath);
  store.apply(update(kPath, {line(1, "helpdesk", "about your PC")}), kPath);
  CHECK(choose_conversation(store, kPath, "anna", false) == kPath);
  auto later = line(1, "helpdesk", "about you");
  later.at += std::chrono::seconds(5);
  store.apply(update("user:anna", {later}), kPath);
  CHECK(choose_conversation(store, kPath, "anna", false) == "user:anna");
  CHECK(choose_conversation(store, kPath, "bob", false) == kPath);  // anna's is not bob's
  CHECK(choose_conversation(store, kPath, "anna", true) == kPath);
  CHECK(chat_heading(kPath) == "Chat with the helpdesk (computer org/b1/pc1)");
  CHECK(chat_heading("user:anna") == "Chat with the helpdesk (as anna)");
}

TEST_CASE("chat: hostile ChatUpdates are dropped, never stored, never fatal") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  auto topic = topics::chat_down(kPath);
  auto good = update(kPath, {line(1, "helpdesk", "hello")});
  auto over_long = update(kPath, {line(1, "helpdesk", std::string(payloads::kMaxChatTextBytes + 1, 'x'))});
  std::vector<results::ChatLine> many;
  for (std::uint64_t i = 1; i <= payloads::kMaxChatLinesPerUpdate + 1; ++i) many.push_back(line(i, "helpdesk", "x"));
  auto no_seq = update(kPath, {line(0, "helpdesk", "x")});
  auto no_author = update(kPath, {line(1, "", "x")});
  auto wrong_version = nlohmann::json::parse(payload_of(good));
  wrong_version["v"] = 99;
  auto wrong_type = nlohmann::json::parse(payload_of(good));
  wrong_type["lines"][0]["seq"] = "one";

  struct Case {
    std::string name, topic, payload;
  };
  std::vector<Case> cases = {
      {"not JSON", topic, "{not json"},
      {"wrong version", topic, wrong_version.dump()},
      {"wrong type", topic, wrong_type.dump()},
      {"another computer's conversation", topic, payload_of(update("org/b1/pc2", {line(1, "helpdesk", "x")}))},
      {"an ancestor's conversation", topic, payload_of(update("org/b1", {line(1, "helpdesk", "x")}))},
      {"not a target", topic, payload_of(update("user:", {line(1, "helpdesk", "x")}))},
      {"over-long text", topic, payload_of(over_long)},
      {"too many lines", topic, payload_of(update(kPath, many))},
      {"seq 0", topic, payload_of(no_seq)},
      {"no author", topic, payload_of(no_author)},
      {"another agent's topic", topics::chat_down("org/b1/pc2"), payload_of(good)},
      {"not a chat topic", topics::presence(kPath), payload_of(good)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = handle_chat_down(store, kPath, c.topic, c.payload);
    CHECK(r.dropped);
    CHECK_FALSE(r.reason.empty());
  }
  CHECK(store.conversations().empty());

  auto ok = handle_chat_down(store, kPath, topic, payload_of(good));
  CHECK_FALSE(ok.dropped);
  CHECK(ok.conversation == kPath);
  CHECK(ok.applied.contiguous == 1);
  auto person = handle_chat_down(store, kPath, topic, payload_of(update("user:zoe", {line(1, "helpdesk", "hi")})));
  CHECK_FALSE(person.dropped);
  CHECK(person.conversation == "user:zoe");
}

TEST_CASE("chat: control characters in lines never reach the terminal") {
  auto h = update(kPath, {line(1, "help\x1b]0;x\x07", "\x1b[2J\x1b[31mred\rgone\x7f"), line(2, kPath, "ok\x1b[1m")});
  ChatOutboxLine waiting;
  waiting.text = "wait\x1b[5m";
  waiting.at = herald::now();
  auto out = format_chat_history(h, {waiting}, kPath);
  for (char c : out) {
    auto u = static_cast<unsigned char>(c);
    if (c != '\n') CHECK_MESSAGE((u >= 0x20 && u != 0x7f), "control character " << int(u));
  }
  CHECK(out.find("red") != std::string::npos);
  CHECK(out.find("you: ok?[1m (sent)") != std::string::npos);
  CHECK(out.find("you: wait?[5m (waiting to be sent)") != std::string::npos);
  CHECK(format_chat_history(update(kPath, {}), {}, kPath) == "no chat lines yet\n");
}

TEST_CASE("chat: the terminal backend queues lines, marks and wakes") {
  TempDir dir;
  lmdb::Env env(dir.path, test_options());
  ChatStore store(env);
  store.apply(update("user:anna", {line(1, "helpdesk", "did you click it?")}), kPath);
  AgentChatBackend backend(store, "user:anna", std::string("m-7"), dir / "agent.sock");
  auto snap = backend.snapshot();
  REQUIRE(snap.lines.size() == 1);
  CHECK(snap.conversation.unread == 1);

  auto start = std::chrono::steady_clock::now();
  backend.wait_for_change(std::chrono::milliseconds(60));  // nothing changes: waits it out
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(60));

  CHECK_THROWS_WITH_AS(backend.send(""), "empty line", Error);
  CHECK_THROWS_WITH_AS(backend.send(std::string(4097, 'a')), "line too long (4097 bytes; at most 4096)", Error);
  backend.send("no");
  backend.send("sorry");
  start = std::chrono::steady_clock::now();
  backend.wait_for_change(std::chrono::seconds(5));  // changed since the snapshot: at once
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK(backend.unsent() == std::vector<std::string>{"no", "sorry"});
  auto waiting = store.outbox("user:anna");
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].about == std::optional<std::string>("m-7"));  // with the first line only
  CHECK_FALSE(waiting[1].about.has_value());

  backend.mark_read(1);
  CHECK(backend.snapshot().conversation.unread == 0);
  CHECK(store.pending_reads() == std::vector<std::pair<std::string, std::uint64_t>>{{"user:anna", 1}});

  // The terminal itself: an empty line is ignored, a refused one shown, Ctrl-D leaves.
  std::istringstream in("\n   \nthanks\n");
  std::ostringstream out;
  chat::TerminalOptions options;
  options.heading = chat_heading("user:anna");
  CHECK(chat::run_terminal(backend, in, out, options) == 0);
  CHECK(out.str().find("Chat with the helpdesk (as anna)") == 0);
  CHECK(backend.unsent().size() == 3);
}

TEST_CASE("chat through the binary: bad input is refused, lines are queued without a daemon") {
  TempDir dir;
  auto conf = agent_conf(dir);
  auto empty = run("chat send '' " + conf);
  CHECK(empty.code == 2);
  CHECK(empty.out == "herald-agent: error: empty line\n");
  auto too_long = run("chat send " + std::string(4097, 'a') + " " + conf);
  CHECK(too_long.code == 2);
  CHECK(too_long.out == "herald-agent: error: line too long (4097 bytes; at most 4096)\n");
  auto unknown = run("chat send hello --about nope " + conf);
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: error: unknown message id 'nope' (not in this computer's inbox)\n");
  CHECK(run("chat --about nope " + conf + " </dev/null").code == 3);

  auto queued = run("chat send 'my screen is blue' " + conf);
  CHECK(queued.code == 0);
  CHECK(queued.out == "queued: will be sent when the helpdesk server is reachable\n");
  auto history = run("chat history " + conf);
  CHECK(history.code == 0);
  CHECK(history.out.find("you: my screen is blue (waiting to be sent)") != std::string::npos);
  auto json = run("chat history --json " + conf);
  CHECK(json.code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["conversation"]["target"] == "org/b1/pc1");  // nothing but this line: the computer's
  CHECK(j["lines"].empty());
  CHECK(run("chat history --computer --json " + conf).out.find("\"org/b1/pc1\"") != std::string::npos);

  {
    lmdb::Env env(dir / "data", agent_env_options());
    ChatStore store(env);
    store.apply(update("user:anna", {line(1, "helpdesk", "which program?")}), kPath);
  }
  std::ofstream(dir / "input") << "the mail one\n";
  auto piped = run("chat " + conf + " < " + dir / "input");
  CHECK(piped.code == 0);
  CHECK(piped.out.find("Chat with the helpdesk (as anna)") != std::string::npos);
  CHECK(piped.out.find("helpdesk: which program?") != std::string::npos);
  auto marked = run("chat history --mark-read --json " + conf);
  CHECK(marked.code == 0);
  lmdb::Env env(dir / "data", agent_env_options());
  ChatStore store(env);
  // The helpdesk's line to anna came later than hers to the computer: the chat is hers.
  auto texts = std::vector<std::string>{};
  for (const auto& l : store.outbox()) texts.push_back(l.conversation + " " + l.text);
  CHECK(texts == std::vector<std::string>{"org/b1/pc1 my screen is blue", "user:anna the mail one"});
  CHECK(store.state("user:anna")->read_mark == 1);
}
