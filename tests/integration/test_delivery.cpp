// Issue 2: alerts and messages reach exactly the targeted agents.
#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

TEST_CASE("an alert to a branch is shown on exactly that branch's computers") {
  System sys("alert-branch");
  auto& b1a = sys.agent("org/branch01/pc001", "jkowalski");
  auto& b1b = sys.agent("org/branch01/pc002", "anowak");
  auto& b2 = sys.agent("org/branch02/pc001", "pwisniewski");
  REQUIRE(b2.wait_connected());

  auto id = send_and_wait(sys, {&b1a, &b1b},
                          {"alert", "--to", "org/branch01", "--title", "Phishing", "--body", "Do not open the invoice",
                           "--severity", "critical"});
  CHECK(id.size() > 10);
  CHECK(eventually([&] { return b1a.log().find("ALERT id=" + id) != std::string::npos; }));
  CHECK(eventually([&] { return b1b.log().find("ALERT id=" + id) != std::string::npos; }));
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(inbox_has(b2, id));
  CHECK(b2.log().find(id) == std::string::npos);

  // The server knows who got it and that it was shown.
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "displayed"; }));
  auto st = herald_json(sys, {"status", id});
  CHECK(st.at("kind") == "alert");
  CHECK(st.at("sender") == "admin");
  CHECK(recipient(st, "org/branch02/pc001").is_null());
}

TEST_CASE(
    "an org-wide alert is shown at once; its receipts follow within the 1-5 s spread; the status table lists all") {
  System sys("alert-org");
  auto& a = sys.agent("org/branch01/pc001", "jkowalski");
  auto& b = sys.agent("org/branch02/pc001", "pwisniewski");
  for (auto* x : {&a, &b}) REQUIRE(x->wait_connected());

  auto sent = std::chrono::steady_clock::now();
  auto id = herald_ok(
      sys, {"alert", "--to", "org", "--title", "Outage", "--body", "Catalogue down", "--severity", "warning"});
  for (auto* x : {&a, &b}) CHECK(eventually([&] { return x->log().find("ALERT id=" + id) != std::string::npos; }));
  // Receipts of an org-wide delivery wait a random 1-5 s (AgentSession::org_wide_flush_*).
  CHECK(eventually(
      [&] {
        return state_of(sys, id, "org/branch01/pc001") == "displayed" &&
               state_of(sys, id, "org/branch02/pc001") == "displayed";
      },
      10s, 250ms));
  auto took = std::chrono::steady_clock::now() - sent;
  MESSAGE("both displayed receipts recorded after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took >= 1s);

  // The human table (read with simdjson from the raw reply) says the same as --json.
  auto table = herald_ok(sys, {"status", id});
  CHECK(table.find(id + " (alert, active) to org: ") == 0);
  CHECK(table.find(" 2 displayed") != std::string::npos);
  CHECK(table.find("org/branch01/pc001") != std::string::npos);
  CHECK(table.find("org/branch02/pc001") != std::string::npos);
}

TEST_CASE("a message to org reaches every computer; one to a person reaches where they are logged in") {
  System sys("msg-org");
  auto& hq = sys.agent("org/hq/pc001", "admin1");
  auto& b1 = sys.agent("org/branch01/pc001", "jkowalski");
  auto& b2 = sys.agent("org/branch02/pc001", "pwisniewski");

  auto id = send_and_wait(sys, {&hq, &b1, &b2},
                          {"send", "--to", "org", "--title", "Holiday hours", "--body", "Closed on 24 December"});
  // Inbox messages are not popped up.
  CHECK(b1.log().find("ALERT id=" + id) == std::string::npos);

  auto personal =
      herald_ok(sys, {"send", "--to", "user:pwisniewski", "--title", "Your badge", "--body", "Ready at HQ"});
  CHECK(waits_for_inbox(b2, personal));
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(inbox_has(b1, personal));
  CHECK_FALSE(inbox_has(hq, personal));
}

TEST_CASE("an agent that was offline gets the message once on reconnect, and a new computer gets its subtree's") {
  System sys("offline");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  REQUIRE(pc.wait_connected());
  pc.stop();
  auto id = herald_ok(sys, {"send", "--to", "org/branch01", "--title", "While you were away", "--body", "Hello"});
  pc.start();
  CHECK(waits_for_inbox(pc, id));
  // Reconnecting again (retained messages come again) keeps one copy and one delivery receipt.
  pc.stop();
  pc.start();
  REQUIRE(pc.wait_connected());
  std::this_thread::sleep_for(1s);
  int copies = 0;
  for (const auto& m : inbox(pc)) copies += m.at("id") == id;
  CHECK(copies == 1);

  // A computer enrolled after the send (certificate, directory entry, ACL) still gets it.
  sys.broker().enroll_computer("org/branch01/pc099", "nowy");
  auto& newcomer = sys.agent("org/branch01/pc099", "nowy");
  CHECK(waits_for_inbox(newcomer, id));
}

TEST_CASE("an agent whose subtree holds 2,000 unexpired messages gets all of them on first connect") {
  System sys("backlog");
  constexpr int kMessages = 2000;
  // Publish the backlog straight to the broker as the admin account, exactly as
  // `herald send` would (2,000 CLI runs would only slow the test down).
  auto sent_at = herald::to_rfc3339(herald::now());
  auto expires_at = herald::to_rfc3339(herald::now() + std::chrono::hours(24));
  {
    RawClient admin(sys, "admin");
    for (int i = 0; i < kMessages; ++i) {
      nlohmann::json payload = {{"v", 1},
                                {"title", "Lesson " + std::to_string(i)},
                                {"body", "Text"},
                                {"sent_at", sent_at},
                                {"expires_at", expires_at}};
      admin.publish("herald/msg/admin/bulk-" + std::to_string(i) + "/org/branch01", payload.dump(), true);
    }
  }
  REQUIRE(retained(sys, "herald/msg/admin/+/org/branch01").size() == kMessages);

  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  CHECK(eventually([&] { return inbox(pc).size() == kMessages; }, 60s, 500ms));
  CHECK(inbox(pc).size() == kMessages);
}
