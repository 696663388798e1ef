// Issue 11: chat between the helpdesk and an employee, driven as people drive it: both
// sides in real pseudo-terminals (tmux), against a real broker, heraldd and agents.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "herald/common/topics.hpp"
#include "herald/testing/fixture.hpp"
#include "herald/testing/terminal.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

namespace {

const std::string kPc1 = "org/branch01/pc001";  // Jan Kowalski's computer
const std::string kPc2 = "org/branch01/pc002";
const std::string kHelpdesk = "helpdesk1";
const std::string kHelpdesk2 = "helpdesk2";
const std::string kBranchHelpdesk = "helpdesk-b2";  // chat over branch 2 only

std::vector<Account> chat_accounts() {
  return {{kHelpdesk, "helpdesk1-pw", {"helpdesk"}, {}, false},
          {kHelpdesk2, "helpdesk2-pw", {"helpdesk"}, {}, false},
          {kBranchHelpdesk, "helpdesk-b2-pw", {}, {{"chat", {"org/branch02"}}, {"status", {"org/branch02"}}}, false}};
}

nlohmann::json agent_history(Agent& agent, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"chat", "history", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = agent.cli(args);
  INFO("herald-agent chat history: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

nlohmann::json helpdesk_history(System& sys, const std::string& target, const std::string& account = kHelpdesk) {
  return herald_json(sys, {"chat", "history", target}, account);
}

std::vector<std::string> texts(const nlohmann::json& history) {
  std::vector<std::string> out;
  for (const auto& line : history.at("lines")) out.push_back(line.at("text").get<std::string>());
  return out;
}

std::vector<std::string> authors(const nlohmann::json& history) {
  std::vector<std::string> out;
  for (const auto& line : history.at("lines")) out.push_back(line.at("from").get<std::string>());
  return out;
}

bool seqs_are_1_to_n(const nlohmann::json& history) {
  std::uint64_t expected = 1;
  for (const auto& line : history.at("lines"))
    if (line.at("seq").get<std::uint64_t>() != expected++) return false;
  return true;
}

nlohmann::json conversation_row(System& sys, const std::string& target, const std::string& account = kHelpdesk) {
  auto list = herald_json(sys, {"chat"}, account);
  for (const auto& row : list.at("conversations"))
    if (row.at("target") == target) return row;
  return nullptr;
}

std::vector<std::string> employee_chat(Agent& agent, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {bin("herald-agent").string(), "chat"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--config");
  argv.push_back(agent.config().string());
  return argv;
}

std::vector<std::string> helpdesk_chat(System& sys, const std::string& target, const std::string& account = kHelpdesk) {
  return {bin("herald").string(), "--config", sys.cli_config(account).string(), "chat", target};
}

// The agent's history once it holds `n` lines.
bool agent_has_lines(Agent& agent, std::size_t n, std::vector<std::string> extra = {}) {
  return eventually([&] { return agent_history(agent, extra).at("lines").size() >= n; }, 15s, 200ms);
}

}  // namespace

TEST_CASE("issue 11: the helpdesk and an employee chat in two terminals: order, marks, unread counts") {
  System sys("chat-terminals", chat_accounts());
  auto& pc1 = sys.agent(kPc1, "jkowalski");
  REQUIRE(pc1.wait_connected());

  // The employee writes first, before any helpdesk has the conversation open: with no
  // conversation yet, it is the computer's (a helpdesk scoped to the branch sees it).
  Terminal employee(sys.tmp().path(), "employee", employee_chat(pc1));
  REQUIRE(employee.wait_for("Ctrl-D leaves"));
  employee.type_line("My printer prints blank pages");
  employee.type_line("It is the one in the reading room");
  REQUIRE(employee.wait_for("It is the one in the reading room (delivered)", 10s));

  // Unread for the helpdesk until someone opens it.
  REQUIRE(eventually([&] { return !conversation_row(sys, kPc1).is_null(); }, 10s, 200ms));
  auto row = conversation_row(sys, kPc1);
  CHECK(row.at("unread") == 2);
  CHECK(row.at("state") == "open");
  CHECK(row.at("last").at("text") == "It is the one in the reading room");
  // ... and helpdesk2, which shares the conversation, sees the same.
  CHECK(conversation_row(sys, kPc1, kHelpdesk2).at("unread") == 2);

  Terminal helpdesk(sys.tmp().path(), "helpdesk", helpdesk_chat(sys, kPc1));
  REQUIRE(helpdesk.wait_for("My printer prints blank pages"));
  REQUIRE(helpdesk.wait_for("It is the one in the reading room"));
  // Shown to the helpdesk, so read: the employee's screen says so, the list agrees.
  CHECK(employee.wait_for("is now read", 10s, 2));
  CHECK(eventually([&] { return conversation_row(sys, kPc1).at("unread") == 0; }, 10s, 200ms));

  // The helpdesk answers: on the employee's screen at once, delivered and read.
  helpdesk.type_line("Which toner does it show?");
  REQUIRE(employee.wait_for("helpdesk1: Which toner does it show?", 10s));
  CHECK(helpdesk.wait_for("is now read", 10s));
  employee.type_line("Zażółć gęślą jaźń: toner K");
  REQUIRE(helpdesk.wait_for("Zażółć gęślą jaźń: toner K", 10s));

  // A second helpdesk account writes in the same conversation, under its own name.
  auto posted = herald_json(sys, {"chat", "send", kPc1, "I am sending a new one"}, kHelpdesk2);
  CHECK(posted.at("seq") == 5);
  REQUIRE(employee.wait_for("helpdesk2: I am sending a new one", 10s));
  REQUIRE(helpdesk.wait_for("helpdesk2: I am sending a new one", 10s));

  // Ctrl-D leaves both, with exit 0.
  employee.press_ctrl_d();
  helpdesk.press_ctrl_d();
  REQUIRE(employee.wait_exit());
  REQUIRE(helpdesk.wait_exit());
  CHECK(employee.exit_status() == 0);
  CHECK(helpdesk.exit_status() == 0);

  // The system of record: every line once, in the order written, with its author.
  auto h = helpdesk_history(sys, kPc1);
  CHECK(seqs_are_1_to_n(h));
  CHECK(texts(h) == std::vector<std::string>{"My printer prints blank pages", "It is the one in the reading room",
                                             "Which toner does it show?", "Zażółć gęślą jaźń: toner K",
                                             "I am sending a new one"});
  CHECK(authors(h) == std::vector<std::string>{kPc1, kPc1, kHelpdesk, kPc1, kHelpdesk2});
  for (const auto& line : h.at("lines")) CHECK_FALSE(line.at("delivered_at").is_null());
  // The employee's copy is the same conversation.
  auto mine = agent_history(pc1);
  CHECK(texts(mine) == texts(h));
  CHECK(mine.at("conversation").at("target") == kPc1);
}

TEST_CASE(
    "issue 11: lines written while the other side is offline arrive in order, exactly once, across kill -9 "
    "of the agent, heraldd and the broker with its persistence lost") {
  System sys("chat-offline", chat_accounts());
  auto& pc2 = sys.agent(kPc2, "anowak");
  REQUIRE(pc2.wait_connected());
  REQUIRE(sys.wait_heraldd_connected());

  // The computer is off: the helpdesk writes three lines to it.
  pc2.kill9();
  for (const auto* text : {"one", "two", "three"}) herald_ok(sys, {"chat", "send", kPc2, text}, kHelpdesk);
  auto h = helpdesk_history(sys, kPc2);
  CHECK(texts(h) == std::vector<std::string>{"one", "two", "three"});
  for (const auto& line : h.at("lines")) CHECK(line.at("delivered_at").is_null());

  // It comes back: all three, in order, once; the helpdesk sees them delivered.
  pc2.start();
  REQUIRE(pc2.wait_connected());
  REQUIRE(agent_has_lines(pc2, 3, {"--computer"}));
  CHECK(texts(agent_history(pc2, {"--computer"})) == std::vector<std::string>{"one", "two", "three"});
  CHECK(eventually(
      [&] {
        auto lines = helpdesk_history(sys, kPc2).at("lines");
        return std::all_of(lines.begin(), lines.end(), [](const auto& l) { return !l.at("delivered_at").is_null(); });
      },
      10s, 200ms));

  // heraldd dies: the employee's line waits in the agent's outbox and is recorded once
  // when heraldd returns.
  sys.heraldd().kill9();
  auto queued = pc2.cli({"chat", "send", "--computer", "four, while heraldd is down"});
  CHECK(queued.exit_code == 0);
  CHECK(queued.out.find("queued") != std::string::npos);
  sys.heraldd().start();
  REQUIRE(sys.wait_heraldd_connected());
  REQUIRE(eventually([&] { return helpdesk_history(sys, kPc2).at("lines").size() == 4; }, 30s, 300ms));

  // The broker dies and loses its persistence file; the employee writes meanwhile.
  auto agent_connects = count_of(pc2.log(), "subscribed");
  auto heraldd_connects = sys.heraldd_connections();
  sys.broker().kill9();
  sys.broker().wipe_persistence();
  auto offline = pc2.cli({"chat", "send", "--computer", "five, while the broker is down"});
  CHECK(offline.exit_code == 0);
  sys.broker().start();
  REQUIRE(eventually([&] { return count_of(pc2.log(), "subscribed") > agent_connects; }, 60s, 200ms));
  REQUIRE(eventually([&] { return sys.heraldd_connections() > heraldd_connects; }, 60s, 200ms));
  // The queued line is recorded once the agent is back (before the helpdesk's next).
  REQUIRE(eventually([&] { return helpdesk_history(sys, kPc2).at("lines").size() == 5; }, 30s, 300ms));
  herald_ok(sys, {"chat", "send", kPc2, "six"}, kHelpdesk);
  REQUIRE(agent_has_lines(pc2, 6, {"--computer"}));

  // The agent is killed with lines in flight and restarted.
  pc2.kill9();
  herald_ok(sys, {"chat", "send", kPc2, "seven"}, kHelpdesk);
  pc2.start();
  REQUIRE(agent_has_lines(pc2, 7, {"--computer"}));

  auto expected = std::vector<std::string>{
      "one", "two", "three", "four, while heraldd is down", "five, while the broker is down", "six", "seven"};
  auto final_h = helpdesk_history(sys, kPc2);
  CHECK(seqs_are_1_to_n(final_h));
  CHECK(texts(final_h) == expected);
  // Give any late duplicate time to arrive, then check the agent's copy once more.
  std::this_thread::sleep_for(1s);
  auto agent_h = agent_history(pc2, {"--computer"});
  CHECK(seqs_are_1_to_n(agent_h));
  CHECK(texts(agent_h) == expected);
}

TEST_CASE("issue 11: a conversation with a person follows them to the computer they log in to") {
  System sys("chat-person", chat_accounts());
  auto& pc1 = sys.agent(kPc1, "jkowalski");
  REQUIRE(pc1.wait_connected());
  herald_ok(sys, {"chat", "send", "user:jkowalski", "Your password expires today"}, "admin");
  REQUIRE(agent_has_lines(pc1, 1));

  // Jan logs in at branch 2 (pc1 is switched off): the conversation is there too.
  pc1.stop();
  auto& other = sys.agent("org/branch02/pc001", "jkowalski");
  REQUIRE(other.wait_connected());
  herald_ok(sys, {"chat", "send", "user:jkowalski", "Are you at branch 2 today?"}, "admin");
  REQUIRE(agent_has_lines(other, 2));
  CHECK(texts(agent_history(other)) ==
        std::vector<std::string>{"Your password expires today", "Are you at branch 2 today?"});
  auto reply = other.cli({"chat", "send", "Yes"});
  REQUIRE(reply.exit_code == 0);
  REQUIRE(
      eventually([&] { return helpdesk_history(sys, "user:jkowalski", "admin").at("lines").size() == 3; }, 10s, 200ms));
  CHECK(authors(helpdesk_history(sys, "user:jkowalski", "admin")).back() == "org/branch02/pc001");
}

TEST_CASE(
    "issue 11: bad input: empty lines ignored, over-long lines refused, unknown targets named, hostile "
    "payloads dropped, control characters never reach a terminal") {
  System sys("chat-bad", chat_accounts());
  auto& pc1 = sys.agent(kPc1, "jkowalski");
  REQUIRE(pc1.wait_connected());

  SUBCASE("over-long and empty lines") {
    std::string long_line(4097, 'x');
    auto r = sys.herald({"chat", "send", kPc1, long_line}, kHelpdesk);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("line too long (4097 bytes; at most 4096)") != std::string::npos);
    auto e = pc1.cli({"chat", "send", long_line});
    CHECK(e.exit_code == 2);
    CHECK(e.err.find("line too long (4097 bytes; at most 4096)") != std::string::npos);
    CHECK(sys.herald({"chat", "send", kPc1, ""}, kHelpdesk).exit_code == 2);

    // A terminal in canonical mode never passes a line over 4,096 bytes; a pipe does.
    auto piped = run(employee_chat(pc1, {"--computer"}), {}, "\n   \n" + long_line + "\nfirst real question\n");
    CHECK(piped.exit_code == 0);
    CHECK(piped.out.find("error: line too long (4097 bytes; at most 4096)") != std::string::npos);

    Terminal employee(sys.tmp().path(), "employee", employee_chat(pc1, {"--computer"}));
    REQUIRE(employee.wait_for("Ctrl-D leaves"));
    employee.press_enter();
    employee.type_line("   ");
    employee.type_line("a real question");
    REQUIRE(employee.wait_for("a real question (delivered)"));
    // Only the real lines were sent.
    CHECK(texts(helpdesk_history(sys, kPc1)) == std::vector<std::string>{"first real question", "a real question"});
    employee.press_ctrl_d();
    CHECK(employee.wait_exit());
  }

  SUBCASE("unknown targets and targets outside the account's scope") {
    auto r = sys.herald({"chat", "send", "org/branch01/pc999", "hello?"}, kHelpdesk);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("unknown chat target 'org/branch01/pc999'") != std::string::npos);
    auto p = sys.herald({"chat", "send", "user:nobody", "hello?"}, "admin");
    CHECK(p.exit_code == 3);
    // The broker refuses what the chat right does not cover.
    auto outside = sys.herald({"chat", "send", kPc1, "hello"}, kBranchHelpdesk);
    CHECK(outside.exit_code != 0);
    CHECK(outside.err.find("not permitted") != std::string::npos);
    CHECK(sys.herald({"chat", "history", kPc1}, kBranchHelpdesk).exit_code != 0);
  }

  SUBCASE("control characters are shown as '?' on both terminals and kept in --json") {
    Terminal employee(sys.tmp().path(), "employee", employee_chat(pc1, {"--computer"}));
    REQUIRE(employee.wait_for("Ctrl-D leaves"));
    herald_ok(sys, {"chat", "send", kPc1, "\x1b]0;pwned\x07\x1b[2Jcleared?"}, kHelpdesk);
    REQUIRE(employee.wait_for("?]0;pwned??[2Jcleared?"));
    auto h = agent_history(pc1, {"--computer"});
    CHECK(h.at("lines").at(0).at("text") == "\x1b]0;pwned\x07\x1b[2Jcleared?");
    auto text = sys.herald({"chat", "history", kPc1}, kHelpdesk);
    CHECK(text.out.find('\x1b') == std::string::npos);
    employee.press_ctrl_d();
    CHECK(employee.wait_exit());
  }

  SUBCASE("hostile payloads on chat topics are dropped and logged, nothing is recorded") {
    RawClient as_pc2(sys, kPc2, true);  // pc2's certificate; its agent is not running
    auto topic = herald::topics::chat_up(kPc2);
    as_pc2.publish(topic, "not json");
    as_pc2.publish(
        topic,
        R"({"v":1,"op":"say","conversation":"org/branch01/pc002","post":"p1","text":"","at":"2026-11-27T10:00:00.000Z"})");
    // Another computer's conversation, and a person who is not logged in there.
    as_pc2.publish(
        topic,
        R"({"v":1,"op":"say","conversation":"org/branch01/pc001","post":"p2","text":"I am pc1","at":"2026-11-27T10:00:00.000Z"})");
    as_pc2.publish(
        topic,
        R"({"v":1,"op":"say","conversation":"user:jkowalski","post":"p3","text":"I am Jan","at":"2026-11-27T10:00:00.000Z"})");
    REQUIRE(eventually([&] { return count_of(sys.heraldd().log(), "dropped message on " + topic) >= 4; }, 10s, 200ms));
    CHECK(conversation_row(sys, kPc1).is_null());
    CHECK(conversation_row(sys, "user:jkowalski", "admin").is_null());
    CHECK(conversation_row(sys, kPc2).is_null());
  }
}
