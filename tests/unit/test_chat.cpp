// The chat contract (topics.md "Chat", issue 11): the three payloads round-trip and
// refuse hostile input as Error(protocol); the results round-trip in their documented
// layout; the terminal view shows what each side should see and nothing a line's text
// could do to a terminal.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "herald/common/chat_terminal.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"

using namespace herald;
using namespace std::chrono_literals;
namespace p = herald::payloads;
namespace r = herald::results;

namespace {

TimePoint at(const char* text) { return from_rfc3339(text); }

// A decode that must fail, and fail as the sender's protocol error (logged and dropped,
// never a crash or a usage error of the receiver).
template <typename T>
void refused(const std::string& payload, const char* why = "") {
  CAPTURE(payload.substr(0, 200));
  CAPTURE(why);
  try {
    (void)p::decode<T>(payload);
    FAIL("accepted a hostile payload");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
}

template <typename T>
void rejected_result(const std::string& text) {
  CAPTURE(text);
  try {
    (void)r::decode<T>(text);
    FAIL("accepted a malformed result");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
}

r::ChatLine helpdesk_line(std::uint64_t seq, std::string text) {
  return r::ChatLine{
      seq, "helpdesk1", std::move(text), at("2026-11-22T13:10:00.000Z"), {}, {}, "p-h" + std::to_string(seq)};
}

r::ChatLine employee_line(std::uint64_t seq, std::string text) {
  return r::ChatLine{
      seq, "org/branch01/pc042",       std::move(text), at("2026-11-22T13:12:00.000Z"), at("2026-11-22T13:12:00.000Z"),
      {},  "p-e" + std::to_string(seq)};
}

r::ChatHistory sample_history() {
  r::ChatHistory h;
  h.conversation = r::Conversation{"org/branch01/pc042", std::string("20261122T130118Z-3f9a2c1b7d"), true, 1};
  auto first = helpdesk_line(1, "Did you open the attachment?");
  first.delivered_at = at("2026-11-22T13:10:01.000Z");
  first.post = "20261122T131000Z-1a2b3c4d5e";
  h.lines.push_back(first);
  auto second = employee_line(2, "Nie. Zażółć gęślą jaźń \"quoted\" \\ \t");
  second.post = "p-1a2b3c";
  h.lines.push_back(second);
  return h;
}

// A ChatUp as JSON text with one field replaced (or removed with nullptr).
std::string chat_up_with(const std::string& key, const nlohmann::json& value) {
  nlohmann::json j = {{"v", 1},
                      {"op", "say"},
                      {"conversation", "org/branch01/pc042"},
                      {"post", "p-1a2b3c"},
                      {"text", "No."},
                      {"at", "2026-11-22T13:12:00.000Z"}};
  if (value.is_null())
    j.erase(key);
  else
    j[key] = value;
  return j.dump();
}

std::string chat_post_with(const std::string& key, const nlohmann::json& value) {
  nlohmann::json j = {{"v", 1}, {"op", "say"}, {"text", "Did you open it?"}, {"at", "2026-11-22T13:10:00.000Z"}};
  if (value.is_null())
    j.erase(key);
  else
    j[key] = value;
  return j.dump();
}

std::string local_hh_mm(TimePoint t) {
  std::time_t tt = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

}  // namespace

// ---- payloads -----------------------------------------------------------------------

TEST_CASE("ChatPost round-trips: say (with about), read, close") {
  p::ChatPost say;
  say.op = p::ChatOp::say;
  say.text = "Did you open the attachment? Zażółć";
  say.about = "20261122T130118Z-3f9a2c1b7d";
  say.at = at("2026-11-22T13:10:00.123Z");
  auto back = p::decode<p::ChatPost>(p::encode(say));
  CHECK(back.op == p::ChatOp::say);
  CHECK(back.text == say.text);
  CHECK(back.about == say.about);
  CHECK(back.at == say.at);

  p::ChatPost read;
  read.op = p::ChatOp::read;
  read.seq = 42;
  read.at = at("2026-11-22T13:11:00.000Z");
  back = p::decode<p::ChatPost>(p::encode(read));
  CHECK(back.op == p::ChatOp::read);
  CHECK(back.seq == 42);
  CHECK(back.text.empty());
  CHECK_FALSE(back.about);

  p::ChatPost close;
  close.op = p::ChatOp::close;
  close.at = at("2026-11-22T13:12:00.000Z");
  back = p::decode<p::ChatPost>(p::encode(close));
  CHECK(back.op == p::ChatOp::close);
  CHECK(back.seq == 0);

  // topics.md's example, as written there.
  auto doc = p::decode<p::ChatPost>(
      R"({"v": 1, "op": "say", "text": "Did you open the attachment?", "about": null, "at": "2026-11-22T13:10:00.000Z"})");
  CHECK(doc.text == "Did you open the attachment?");
  CHECK_FALSE(doc.about);
  // The longest line and a four-byte character are fine.
  CHECK(p::decode<p::ChatPost>(chat_post_with("text", std::string(p::kMaxChatTextBytes, 'a'))).text.size() == 4096);
  CHECK(p::decode<p::ChatPost>(chat_post_with("text", "\xF0\x9F\x98\x80")).text == "\xF0\x9F\x98\x80");
}

TEST_CASE("ChatUp round-trips: say, read, ack, sync; person conversations too") {
  p::ChatUp say;
  say.op = p::ChatUpOp::say;
  say.conversation = "org/branch01/pc042";
  say.post = "p-1a2b3c";
  say.text = "No.";
  say.about = "20261122T130118Z-3f9a2c1b7d";
  say.at = at("2026-11-22T13:12:00.000Z");
  auto back = p::decode<p::ChatUp>(p::encode(say));
  CHECK(back.op == p::ChatUpOp::say);
  CHECK(back.conversation == say.conversation);
  CHECK(back.post == say.post);
  CHECK(back.text == say.text);
  CHECK(back.about == say.about);
  CHECK(back.at == say.at);

  for (auto op : {p::ChatUpOp::read, p::ChatUpOp::ack, p::ChatUpOp::sync}) {
    CAPTURE(p::chat_up_op_name(op));
    p::ChatUp u;
    u.op = op;
    u.conversation = "user:jkowalski";
    u.seq = 7;
    u.at = at("2026-11-22T13:13:00.000Z");
    auto b = p::decode<p::ChatUp>(p::encode(u));
    CHECK(b.op == op);
    CHECK(b.conversation == "user:jkowalski");
    CHECK(b.seq == 7);
    CHECK(b.post.empty());
    CHECK(b.text.empty());
    CHECK(p::chat_up_op_from_name(p::chat_up_op_name(op)) == op);
  }
  // sync from an agent holding nothing yet: seq 0.
  CHECK(p::decode<p::ChatUp>(chat_up_with("op", "sync")).seq == 0);
  // topics.md's example.
  auto doc = p::decode<p::ChatUp>(
      R"({"v": 1, "op": "say", "conversation": "org/branch01/pc042", "post": "p-1a2b3c", "text": "No.", "at": "2026-11-22T13:12:00.000Z"})");
  CHECK(doc.post == "p-1a2b3c");
  CHECK(p::chat_op_from_name(p::chat_op_name(p::ChatOp::close)) == p::ChatOp::close);
}

TEST_CASE("ChatUpdate round-trips: the chat history plus v") {
  p::ChatUpdate u;
  u.history = sample_history();
  auto text = p::encode(u);
  CHECK(nlohmann::json::parse(text).at("v") == 1);
  CHECK(p::decode<p::ChatUpdate>(text).history == u.history);
  // 50 lines is the most one update carries.
  p::ChatUpdate full;
  full.history.conversation = r::Conversation{"user:jkowalski", std::nullopt, false, 0};
  for (std::uint64_t i = 1; i <= p::kMaxChatLinesPerUpdate; ++i) full.history.lines.push_back(helpdesk_line(i, "x"));
  CHECK(p::decode<p::ChatUpdate>(p::encode(full)).history == full.history);
}

TEST_CASE("hostile ChatPost payloads are protocol errors") {
  refused<p::ChatPost>(chat_post_with("v", 2), "wrong version");
  refused<p::ChatPost>(chat_post_with("v", "1"), "version as a string");
  refused<p::ChatPost>(chat_post_with("v", 1.0), "version as a float");
  refused<p::ChatPost>(chat_post_with("v", nullptr), "no version");
  refused<p::ChatPost>(chat_post_with("op", "shout"), "unknown op");
  refused<p::ChatPost>(chat_post_with("op", "ack"), "an agent's op");
  refused<p::ChatPost>(chat_post_with("op", nullptr), "no op");
  refused<p::ChatPost>(chat_post_with("text", ""), "empty text");
  refused<p::ChatPost>(chat_post_with("text", std::string(p::kMaxChatTextBytes + 1, 'a')), "4097 bytes");
  refused<p::ChatPost>(chat_post_with("text", nullptr), "say without text");
  refused<p::ChatPost>(chat_post_with("text", 42), "text as a number");
  refused<p::ChatPost>(chat_post_with("about", "a/b"), "about with '/'");
  refused<p::ChatPost>(chat_post_with("about", "a+b"), "about with '+'");
  refused<p::ChatPost>(chat_post_with("about", std::string(65, 'a')), "about too long");
  refused<p::ChatPost>(chat_post_with("about", 7), "about as a number");
  refused<p::ChatPost>(chat_post_with("at", "yesterday"), "bad time");
  refused<p::ChatPost>(chat_post_with("at", nullptr), "no time");
  nlohmann::json read = {{"v", 1}, {"op", "read"}, {"at", "2026-11-22T13:10:00.000Z"}};
  for (nlohmann::json bad : {nlohmann::json(-1), nlohmann::json("5"), nlohmann::json(1.5), nlohmann::json::array()}) {
    read["seq"] = bad;
    refused<p::ChatPost>(read.dump(), "read with a bad seq");
  }
  // Invalid UTF-8 cannot even be a JSON string; a valid JSON escape of a lone surrogate
  // is what a hostile sender can write instead.
  refused<p::ChatPost>(R"({"v":1,"op":"say","text":"\ud800","at":"2026-11-22T13:10:00.000Z"})", "lone surrogate");
  refused<p::ChatPost>(
      std::string(R"({"v":1,"op":"say","text":")") + "\xC3\x28" + R"(","at":"2026-11-22T13:10:00.000Z"})",
      "raw invalid UTF-8");
  refused<p::ChatPost>("not json");
  refused<p::ChatPost>("[]");
  refused<p::ChatPost>(std::string(p::kMaxPayloadBytes + 1, ' '), "oversize");
}

TEST_CASE("hostile ChatUp payloads are protocol errors") {
  refused<p::ChatUp>(chat_up_with("v", 0), "wrong version");
  refused<p::ChatUp>(chat_up_with("v", 4294967297LL), "version that wraps to 1");
  refused<p::ChatUp>(chat_up_with("op", "close"), "a helpdesk op");
  refused<p::ChatUp>(chat_up_with("op", "SAY"), "op in capitals");
  refused<p::ChatUp>(chat_up_with("text", ""), "empty text");
  refused<p::ChatUp>(chat_up_with("text", std::string(p::kMaxChatTextBytes + 1, 'a')), "4097 bytes");
  // Raw bytes: nlohmann::json would not dump them.
  refused<p::ChatUp>(std::string(R"({"v":1,"op":"say","conversation":"org/b1/pc1","post":"p1","text":")") + "\xC0\xAF" +
                         R"(","at":"2026-11-22T13:12:00.000Z"})",
                     "overlong UTF-8");
  refused<p::ChatUp>(chat_up_with("post", "p/1"), "post id with '/'");
  refused<p::ChatUp>(chat_up_with("post", "p+1"), "post id with '+'");
  refused<p::ChatUp>(chat_up_with("post", "p#1"), "post id with '#'");
  refused<p::ChatUp>(chat_up_with("post", ""), "empty post id");
  refused<p::ChatUp>(chat_up_with("post", std::string(65, 'p')), "post id too long");
  refused<p::ChatUp>(chat_up_with("post", nullptr), "say without a post id");
  for (const char* conversation : {"", "helpdesk", "org/", "org//pc1", "org/Branch01", "user:", "user:a/b", "user:a+b",
                                   "org/+/pc1", "org/#", "herald/chatup/org/pc1", "user:jk:x"}) {
    refused<p::ChatUp>(chat_up_with("conversation", conversation), conversation);
  }
  refused<p::ChatUp>(chat_up_with("conversation", nullptr), "no conversation");
  refused<p::ChatUp>(chat_up_with("about", "20261122T130118Z/3f"), "about not an id");
  refused<p::ChatUp>(chat_up_with("about", ".."), "about '..'");
  nlohmann::json ack = nlohmann::json::parse(chat_up_with("op", "ack"));
  for (nlohmann::json bad : {nlohmann::json(-1), nlohmann::json("3"), nlohmann::json(2.5), nlohmann::json(true)}) {
    ack["seq"] = bad;
    refused<p::ChatUp>(ack.dump(), "ack with a bad seq");
  }
}

TEST_CASE("hostile ChatUpdate payloads are protocol errors") {
  p::ChatUpdate u;
  u.history = sample_history();
  auto good = nlohmann::json::parse(p::encode(u));
  auto with = [&good](auto edit) {
    auto j = good;
    edit(j);
    return j.dump();
  };
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["v"] = 2; }), "wrong version");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j.erase("v"); }), "no version");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"][0]["text"] = ""; }), "empty line");
  refused<p::ChatUpdate>(
      with([](nlohmann::json& j) { j["lines"][1]["text"] = std::string(p::kMaxChatTextBytes + 1, 'a'); }),
      "4097-byte line");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"][0]["seq"] = -1; }), "negative seq");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"][0]["seq"] = "1"; }), "seq as a string");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"][0]["post"] = 5; }), "post as a number");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["conversation"]["state"] = "ajar"; }), "unknown state");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["conversation"]["unread"] = -2; }), "negative unread");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"] = nlohmann::json::object(); }), "lines not a list");
  refused<p::ChatUpdate>(with([](nlohmann::json& j) { j["lines"][0]["at"] = "now"; }), "bad time");
  // More than 50 lines in one update.
  p::ChatUpdate big;
  big.history.conversation = r::Conversation{"org/branch01/pc042", std::nullopt, true, 0};
  for (std::uint64_t i = 1; i <= p::kMaxChatLinesPerUpdate + 1; ++i) big.history.lines.push_back(helpdesk_line(i, "x"));
  refused<p::ChatUpdate>(p::encode(big), "51 lines");
}

TEST_CASE("validate_chat_text: the messages the writer reads") {
  CHECK_NOTHROW(p::validate_chat_text("a"));
  CHECK_NOTHROW(p::validate_chat_text(std::string(p::kMaxChatTextBytes, 'a')));
  CHECK_NOTHROW(p::validate_chat_text("Zażółć gęślą jaźń \xF0\x9F\x98\x80"));
  CHECK_THROWS_WITH_AS(p::validate_chat_text(""), "empty line", Error);
  CHECK_THROWS_WITH_AS(p::validate_chat_text(std::string(p::kMaxChatTextBytes + 1, 'a')),
                       "line too long (4097 bytes; at most 4096)", Error);
  CHECK_THROWS_WITH_AS(p::validate_chat_text(std::string(5000, 'a')), "line too long (5000 bytes; at most 4096)",
                       Error);
  for (std::string bad : {std::string("\xC3\x28"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                          std::string("\xF4\x90\x80\x80"), std::string("abc\xE2\x82"), std::string("\xFF")}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(p::validate_chat_text(bad), "line is not valid UTF-8", Error);
  }
  // Usage: the writer's own mistake, shown to them (exit code 2), not a protocol error.
  try {
    p::validate_chat_text("");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
  }
}

// ---- results ------------------------------------------------------------------------

TEST_CASE("chat results round-trip: history (with post), list, posted") {
  auto h = sample_history();
  CHECK(r::decode<r::ChatHistory>(r::encode(h)) == h);
  nlohmann::json hj = h;
  CHECK(hj == nlohmann::json::parse(r::encode(h)));
  CHECK(hj.at("lines").at(1).at("post") == "p-1a2b3c");
  // An older line without post reads as "".
  auto no_post = r::decode<r::ChatHistory>(
      R"({"conversation":{"target":"org/pc1","about":null,"state":"closed","unread":0},)"
      R"("lines":[{"seq":1,"from":"hd","text":"x","at":"2026-11-22T13:10:00.000Z","delivered_at":null,"read_at":null}]})");
  CHECK(no_post.lines.at(0).post.empty());
  CHECK_FALSE(no_post.conversation.open);

  r::ChatList list;
  list.conversations.push_back(
      r::ChatSummary{r::Conversation{"user:jkowalski", std::nullopt, true, 2}, employee_line(7, "Thanks!"), 7});
  list.conversations.push_back(
      r::ChatSummary{r::Conversation{"org/branch01/pc042", std::string("m1"), false, 0}, std::nullopt, 0});
  CHECK(r::decode<r::ChatList>(r::encode(list)) == list);
  nlohmann::json lj = list;
  CHECK(r::read<r::ChatList>(lj) == list);
  CHECK(r::decode<r::ChatList>(r::encode(r::ChatList{})) == r::ChatList{});

  r::ChatPosted posted{"20261122T131000Z-1a2b3c4d5e", "org/branch01/pc042", 1};
  CHECK(r::decode<r::ChatPosted>(r::encode(posted)) == posted);
  nlohmann::json pj = posted;
  CHECK(r::read<r::ChatPosted>(pj) == posted);
}

TEST_CASE("chat results: the layouts topics.md documents") {
  CHECK(r::encode(r::ChatPosted{"20261122T131000Z-1a2b3c4d5e", "org/branch01/pc042", 1}) ==
        R"({"post":"20261122T131000Z-1a2b3c4d5e","target":"org/branch01/pc042","seq":1})");
  r::ChatList list;
  auto last = employee_line(7, "Thanks!");
  last.from = "org/branch02/pc007";
  last.at = last.delivered_at.value() = at("2026-11-22T14:00:00.000Z");
  last.post = "p-77";
  list.conversations.push_back(r::ChatSummary{r::Conversation{"user:jkowalski", std::nullopt, true, 2}, last, 7});
  CHECK(r::encode(list) ==
        R"({"conversations":[{"target":"user:jkowalski","about":null,"state":"open","unread":2,"lines":7,)"
        R"("last":{"seq":7,"from":"org/branch02/pc007","text":"Thanks!","at":"2026-11-22T14:00:00.000Z",)"
        R"("delivered_at":"2026-11-22T14:00:00.000Z","read_at":null,"post":"p-77"}}]})");
  list.conversations[0].last.reset();
  CHECK(r::encode(list).find(R"("last":null)") != std::string::npos);
  // topics.md's history example reads back as written.
  auto h = r::decode<r::ChatHistory>(
      R"({"conversation": {"target": "org/branch01/pc042", "about": "20261122T130118Z-3f9a2c1b7d",
                  "state": "open", "unread": 1},
 "lines": [{"seq": 1, "from": "helpdesk", "text": "Did you open the attachment?",
            "at": "2026-11-22T13:10:00.000Z", "delivered_at": "2026-11-22T13:10:01.000Z",
            "read_at": null, "post": "20261122T131000Z-1a2b3c4d5e"},
           {"seq": 2, "from": "org/branch01/pc042", "text": "No.",
            "at": "2026-11-22T13:12:00.000Z", "delivered_at": "2026-11-22T13:12:00.000Z",
            "read_at": null, "post": "p-1a2b3c"}]})");
  CHECK(h.lines.size() == 2);
  CHECK_FALSE(r::from_employee(h.lines[0]));
  CHECK(r::from_employee(h.lines[1]));
  CHECK(h.conversation.unread == 1);
}

TEST_CASE("malformed chat results are protocol errors") {
  rejected_result<r::ChatList>(R"({"conversations":{}})");
  rejected_result<r::ChatList>(R"({"conversations":[{"target":"org/pc1","state":"open","unread":0}]})");  // no lines
  rejected_result<r::ChatList>(R"({"conversations":[{"target":"org/pc1","state":"open","unread":0,"lines":-1}]})");
  rejected_result<r::ChatList>(
      R"({"conversations":[{"target":"org/pc1","state":"open","unread":0,"lines":1,"last":{"seq":"1"}}]})");
  rejected_result<r::ChatList>(R"({"conversations":[{"target":7,"state":"open","unread":0,"lines":0}]})");
  rejected_result<r::ChatList>("[]");
  rejected_result<r::ChatPosted>(R"({"post":"p1","target":"org/pc1"})");  // no seq
  rejected_result<r::ChatPosted>(R"({"post":"p1","target":"org/pc1","seq":"1"})");
  rejected_result<r::ChatPosted>(R"({"post":"p1","target":"org/pc1","seq":-1})");
  rejected_result<r::ChatPosted>(R"({"post":1,"target":"org/pc1","seq":1})");
  rejected_result<r::ChatPosted>(R"({"target":"org/pc1","seq":1})");
  rejected_result<r::ChatHistory>(
      R"({"conversation":{"target":"org/pc1","state":"open","unread":0},"lines":[{"seq":1,"from":"hd","text":"x",)"
      R"("at":"2026-11-22T13:10:00.000Z","delivered_at":null,"read_at":null,"post":["p"]}]})");
  rejected_result<r::ChatHistory>(R"({"lines":[]})");
  rejected_result<r::ChatHistory>("not json");
}

// ---- the terminal view --------------------------------------------------------------

TEST_CASE("format_line: who wrote it, marks on the viewer's own lines only, no control characters") {
  using chat::Side;
  auto h = helpdesk_line(1, "Did you open it?");
  auto e = employee_line(2, "No.");
  e.delivered_at.reset();
  const std::string hh = "[" + local_hh_mm(h.at) + "] ";
  const std::string he = "[" + local_hh_mm(e.at) + "] ";

  // The employee: their own lines are "you" with a mark; the helpdesk's carry none.
  CHECK(chat::format_line(h, Side::employee) == hh + "helpdesk1: Did you open it?");
  CHECK(chat::format_line(e, Side::employee) == he + "you: No. (sent)");
  e.delivered_at = at("2026-11-22T13:12:00.000Z");
  CHECK(chat::format_line(e, Side::employee) == he + "you: No. (delivered)");
  e.read_at = at("2026-11-22T13:13:00.000Z");
  CHECK(chat::format_line(e, Side::employee) == he + "you: No. (read)");
  h.read_at = at("2026-11-22T13:13:00.000Z");  // the helpdesk's mark is not the employee's to see
  CHECK(chat::format_line(h, Side::employee) == hh + "helpdesk1: Did you open it?");

  // The helpdesk: the employee's lines name the computer, without marks; the helpdesk's
  // own side's lines carry theirs.
  CHECK(chat::format_line(e, Side::helpdesk) == he + "org/branch01/pc042: No.");
  CHECK(chat::format_line(h, Side::helpdesk) == hh + "helpdesk1: Did you open it? (read)");
  h.read_at.reset();
  CHECK(chat::format_line(h, Side::helpdesk) == hh + "helpdesk1: Did you open it? (sent)");
  CHECK(chat::is_mine(h, Side::helpdesk));
  CHECK_FALSE(chat::is_mine(h, Side::employee));
  CHECK(chat::is_mine(e, Side::employee));

  // A line's text (and a hostile `from`) never reaches the terminal as an escape.
  auto evil = helpdesk_line(3, "\x1b[2J\x1b]0;pwned\x07gone\r\n");
  evil.from = "hd\x1b[31m";
  auto shown = chat::format_line(evil, Side::employee);
  CHECK(shown == hh + "hd?[31m: ?[2J?]0;pwned?gone??");
  for (char c : shown) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
  // Any time a line may carry, years 0000 to 9999 (the fuzzer's finding: a conversion
  // through nanoseconds overflowed past 2262).
  for (const char* when : {"9999-12-31T23:59:59.999Z", "2526-11-22T13:12:00.000Z", "0000-01-01T00:00:00.000Z"}) {
    CAPTURE(when);
    auto far = helpdesk_line(5, "x");
    far.at = at(when);
    CHECK(chat::format_line(far, Side::employee) == "[" + local_hh_mm(far.at) + "] helpdesk1: x");
  }
  // UTF-8 text is kept as it is.
  CHECK(chat::format_line(helpdesk_line(4, "Zażółć"), Side::employee) == hh + "helpdesk1: Zażółć");
}

namespace {

// An in-memory conversation: the employee's side, as herald-agent's backend would see
// it, with heraldd recording each line at once.
class FakeBackend : public chat::Backend {
 public:
  explicit FakeBackend(r::ChatHistory h) : history_(std::move(h)) {}

  r::ChatHistory snapshot() override {
    ++snapshots_;
    return history_;
  }
  void wait_for_change(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(1)));
  }
  void send(const std::string& text) override {
    p::validate_chat_text(text);
    sent_.push_back(text);
    auto line = employee_line(history_.lines.back().seq + 1, text);
    line.delivered_at.reset();
    history_.lines.push_back(line);
    // Each later line tells that the employee's earlier line (seq 2) was delivered.
    for (auto& l : history_.lines)
      if (l.seq == 2) l.delivered_at = at("2026-11-22T13:12:30.000Z");
  }
  void mark_read(std::uint64_t seq) override { read_marks_.push_back(seq); }
  std::vector<std::string> unsent() override { return {}; }
  void finish(std::chrono::milliseconds) override { ++finished_; }

  r::ChatHistory history_;
  std::vector<std::string> sent_;
  std::vector<std::uint64_t> read_marks_;
  int snapshots_ = 0;
  int finished_ = 0;
};

r::ChatHistory terminal_history() {
  r::ChatHistory h;
  h.conversation = r::Conversation{"org/branch01/pc042", std::nullopt, true, 1};
  h.lines.push_back(helpdesk_line(1, "Did you open the attachment?"));
  auto mine = employee_line(2, "No.");
  mine.delivered_at.reset();
  h.lines.push_back(mine);
  return h;
}

}  // namespace

TEST_CASE("run_terminal: history, sending, refused lines, marks, end of input") {
  FakeBackend backend(terminal_history());
  std::istringstream in("hello\n\n   \n" + std::string(p::kMaxChatTextBytes + 1, 'a') + "\nthanks\r\n");
  std::ostringstream out;
  chat::TerminalOptions options;
  options.viewer = chat::Side::employee;
  options.heading = "Chat with the helpdesk\x1b[1m";
  options.poll = 1ms;
  CHECK(chat::run_terminal(backend, in, out, options) == 0);
  auto text = out.str();
  CAPTURE(text);

  CHECK(text.rfind("Chat with the helpdesk?[1m\n", 0) == 0);
  // The history first, in order.
  auto first = text.find("helpdesk1: Did you open the attachment?\n");
  auto second = text.find("you: No. (sent)\n");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < second);
  // Empty and blank lines are not sent; the over-long one is refused and the chat goes
  // on; a trailing CR (a pasted Windows line) is not part of the line.
  CHECK(backend.sent_ == std::vector<std::string>{"hello", "thanks"});
  CHECK(count(text, "error: line too long (4097 bytes; at most 4096)\n") == 1);
  CHECK(text.find("you: hello (sent)\n") != std::string::npos);
  CHECK(text.find("you: thanks (sent)\n") != std::string::npos);
  CHECK(text.find("error: line too long") < text.find("you: thanks"));
  // The employee's line 2 became delivered: said once, however often the view refreshed.
  CHECK(count(text, "-- your line 2 (No.) is now delivered\n") == 1);
  CHECK(count(text, "is now") == 1);
  CHECK(backend.snapshots_ > 2);
  // The helpdesk's line 1 was shown, so it is read, once.
  CHECK(backend.read_marks_ == std::vector<std::uint64_t>{1});
  CHECK(backend.finished_ == 1);
  // Each line is printed once.
  CHECK(count(text, "Did you open the attachment?") == 1);
  CHECK(count(text, "you: hello") == 1);
}

TEST_CASE("run_terminal: a line from the other side and a closed conversation are shown as they come") {
  // The view looks at least three times, even when input ends at once: on opening, in
  // its loop, and on leaving. The helpdesk answers by the second look and closes the
  // conversation by the third.
  class Scripted : public FakeBackend {
   public:
    using FakeBackend::FakeBackend;
    r::ChatHistory snapshot() override {
      ++looks_;
      if (looks_ == 2) history_.lines.push_back(helpdesk_line(3, "Thanks, \x1b[5mall good"));
      if (looks_ == 3) history_.conversation.open = false;
      return FakeBackend::snapshot();
    }
    int looks_ = 0;
  };
  Scripted backend(terminal_history());
  std::istringstream in("");
  std::ostringstream out;
  chat::TerminalOptions options;
  options.poll = 1ms;
  CHECK(chat::run_terminal(backend, in, out, options) == 0);
  auto text = out.str();
  CAPTURE(text);
  CHECK(count(text, "helpdesk1: Thanks, ?[5mall good\n") == 1);
  CHECK(count(text, "-- the conversation was closed\n") == 1);
  CHECK(text.find("Thanks,") < text.find("-- the conversation was closed"));
  // Read up to the newest helpdesk line, each mark once.
  CHECK(backend.read_marks_ == std::vector<std::uint64_t>{1, 3});
  CHECK(backend.sent_.empty());
}

TEST_CASE("run_terminal: a line that fills a gap (seq 3 after seq 4) is still shown") {
  // An agent can hold seq 4 before seq 3 (a lost chatdown that heraldd re-sends later):
  // the view must show 3 when it arrives, not only lines past the highest one shown,
  // and not mark 3 read before it was shown.
  class Gap : public FakeBackend {
   public:
    using FakeBackend::FakeBackend;
    r::ChatHistory snapshot() override {
      if (++looks_ == 2) {
        auto three = helpdesk_line(3, "the missing one");
        history_.lines.insert(history_.lines.end() - 1, three);
      }
      return FakeBackend::snapshot();
    }
    int looks_ = 0;
  };
  auto h = terminal_history();
  h.lines.push_back(helpdesk_line(4, "the later one"));
  Gap backend(h);
  std::istringstream in("");
  std::ostringstream out;
  chat::TerminalOptions options;
  options.poll = 1ms;
  CHECK(chat::run_terminal(backend, in, out, options) == 0);
  auto text = out.str();
  CAPTURE(text);
  CHECK(count(text, "helpdesk1: the later one\n") == 1);
  CHECK(count(text, "helpdesk1: the missing one\n") == 1);
  // Read only up to the gap until it is filled: the employee had not seen seq 3.
  CHECK(backend.read_marks_ == std::vector<std::uint64_t>{1, 4});
}

TEST_CASE("ChatUpdate sizes: 50 plain lines fit the broker's limit; escaped text needs splitting by size") {
  auto update_of = [](std::size_t lines, const std::string& text) {
    p::ChatUpdate u;
    u.history.conversation = r::Conversation{"org/branch01/pc042", std::string(64, 'a'), true, 50};
    for (std::uint64_t i = 1; i <= lines; ++i) {
      auto line = helpdesk_line(i, text);
      line.from = std::string(64, 'h');
      line.post = std::string(64, 'p');
      line.read_at = line.delivered_at = line.at;
      u.history.lines.push_back(line);
    }
    return p::encode(u);
  };
  // 50 of the longest lines, every byte a plain character (or a UTF-8 byte): fits.
  auto plain = update_of(p::kMaxChatLinesPerUpdate, std::string(p::kMaxChatTextBytes, 'a'));
  CHECK(plain.size() < p::kMaxPayloadBytes);
  CHECK_NOTHROW(p::decode<p::ChatUpdate>(plain));
  // The same lines of control characters are escaped six-fold ("\u0001"): 50 of them
  // are over the limit, so whoever sends updates must split by encoded size too...
  auto escaped = update_of(p::kMaxChatLinesPerUpdate, std::string(p::kMaxChatTextBytes, '\x01'));
  CHECK(escaped.size() > p::kMaxPayloadBytes);
  // ... which always makes progress: even 10 such lines fit.
  auto ten = update_of(10, std::string(p::kMaxChatTextBytes, '\x01'));
  CHECK(ten.size() < p::kMaxPayloadBytes);
  CHECK(p::decode<p::ChatUpdate>(ten).history.lines.size() == 10);
}
