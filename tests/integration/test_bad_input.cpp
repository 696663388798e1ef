// Issue 2: bad input gets one clear line and a non-zero exit; hostile payloads are
// logged and dropped; the broker keeps every agent to its own messages.
#include <fstream>

#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

namespace {
void expect_error(const RunResult& r, int code, const std::string& text) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.err.find(text) != std::string::npos);
  // One line, no stack trace or abort message.
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 1);
}
}  // namespace

TEST_CASE("the dispatcher refuses bad input with one line and its exit code, sending nothing") {
  System sys("bad-input");
  expect_error(sys.herald({"send", "--to", "branch1", "--title", "T", "--body", "B"}), 2, "invalid target 'branch1'");
  expect_error(sys.herald({"send", "--to", "org/+", "--title", "T", "--body", "B"}), 2, "invalid target");
  expect_error(sys.herald({"send", "--to", "user:", "--title", "T", "--body", "B"}), 2, "invalid target");
  expect_error(sys.herald({"send", "--to", "org", "--title", "T", "--body", ""}), 2, "empty body");
  expect_error(sys.herald({"send", "--to", "org", "--title", "T", "--body", std::string(70000, 'x')}), 2,
               "over the limit");
  expect_error(sys.herald({"alert", "--to", "org", "--body", "x", "--severity", "apocalyptic"}), 2, "severity");
  expect_error(sys.herald({"alert", "--to", "org", "--body", "x", "--expires", "soon"}), 2, "invalid duration");
  expect_error(sys.herald({"status", "20990101T000000Z-0000000000"}), 3, "unknown message id");
  expect_error(sys.herald({"recall", "20990101T000000Z-0000000000"}), 3, "unknown message id");
  CHECK(retained(sys, "herald/#").empty());
}

TEST_CASE("an unreachable broker is reported within 5 s, bad credentials as such") {
  System sys("unreachable");
  auto conf = sys.tmp().path() / "nowhere.conf";
  {
    std::ofstream out(conf);
    out << "broker = ssl://127.0.0.1:" << free_port() << "\nca_file = " << sys.broker().ca_file().string()
        << "\nusername = admin\npassword = x\n";
  }
  auto started = std::chrono::steady_clock::now();
  auto r = run({bin("herald").string(), "--config", conf.string(), "alert", "--to", "org", "--body", "x"});
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.exit_code == 5);
  CHECK(took < 6s);

  auto wrong = sys.tmp().path() / "wrong.conf";
  {
    std::ofstream out(wrong);
    out << "broker = " << sys.broker().people_uri() << "\nca_file = " << sys.broker().ca_file().string()
        << "\nusername = admin\npassword = not-the-password\n";
  }
  r = run({bin("herald").string(), "--config", wrong.string(), "alert", "--to", "org", "--body", "x"});
  CHECK(r.exit_code == 6);
}

TEST_CASE("hostile payloads on any topic are logged and dropped by heraldd and the agent") {
  System sys("hostile");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  REQUIRE(pc.wait_connected());
  {
    RawClient server(sys, "heraldd");  // may write anywhere: the worst case of a compromised sender
    const std::vector<std::string> payloads = {"not json",
                                               "[1,2,3]",
                                               R"({"v":1})",
                                               R"({"v":99,"body":"x","sent_at":"2026-11-22T13:00:00Z"})",
                                               R"({"v":1,"body":{"nested":true},"sent_at":"2026-11-22T13:00:00Z"})",
                                               R"({"v":1,"body":"x","sent_at":12345})",
                                               std::string(300 * 1024, '{'),
                                               "\xff\xfe\x00garbage"};
    int n = 0;
    for (const auto& p : payloads) {
      auto id = "hostile-" + std::to_string(n++);
      server.publish("herald/msg/admin/" + id + "/org/branch01", p);
      server.publish("herald/alert/admin/" + id + "/org/branch01/pc001", p);
      server.publish("herald/recall/admin/" + id + "/org", p);
      server.publish("herald/ack/" + id + "/org/branch01/pc001", p);
      server.publish("herald/presence/org/branch01/pc001", p);
      server.publish("herald/req/admin/" + id + "/status/org", p);
    }
  }
  std::this_thread::sleep_for(1s);
  CHECK(sys.heraldd().running());
  CHECK(pc.process().running());
  CHECK(sys.heraldd().log().find("dropped") != std::string::npos);
  CHECK(pc.log().find("dropped") != std::string::npos);
  // Both still work.
  auto id = herald_ok(sys, {"send", "--to", "org/branch01", "--title", "Still here", "--body", "OK"});
  CHECK(waits_for_inbox(pc, id));
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "delivered"; }));
}

TEST_CASE("the broker keeps an agent to its own messages, whatever it subscribes to") {
  System sys("isolation");
  auto& b2 = sys.agent("org/branch02/pc001", "pwisniewski");
  REQUIRE(b2.wait_connected());
  // A tampered branch-1 computer asks for everything.
  RawClient rogue(sys, "org/branch01/pc001", true);
  for (const char* f : {"#", "herald/#", "herald/alert/+/+/org/branch02", "herald/msg/+/+/org/branch02/#",
                        "herald/msg/+/+/user/pwisniewski", "herald/ack/#", "herald/reply/#"})
    rogue.subscribe(f);
  auto to_b2 = herald_ok(sys, {"alert", "--to", "org/branch02", "--body", "Branch 2 only"});
  auto to_person = herald_ok(sys, {"send", "--to", "user:pwisniewski", "--title", "T", "--body", "Personal"});
  auto to_b1 = herald_ok(sys, {"send", "--to", "org/branch01", "--title", "T", "--body", "Branch 1"});
  REQUIRE(waits_for_inbox(b2, to_b2));
  REQUIRE(waits_for_inbox(b2, to_person));
  auto got = rogue.received(2s);
  bool saw_own = false;
  for (const auto& [topic, payload] : got) {
    INFO("rogue received " << topic);
    CHECK(topic.find(to_b2) == std::string::npos);
    CHECK(topic.find(to_person) == std::string::npos);
    CHECK(topic.find("org/branch02") == std::string::npos);
    if (topic.find(to_b1) != std::string::npos) saw_own = true;
  }
  CHECK(saw_own);  // no over-blocking: its own branch still reaches it
}
