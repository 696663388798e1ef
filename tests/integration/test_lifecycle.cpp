// Issue 2: expiry and recall clear inboxes and the broker; heraldd restores what the broker lost.
#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

TEST_CASE("recall removes the message from every inbox, also from agents offline at the time") {
  System sys("recall");
  auto& online = sys.agent("org/branch01/pc001", "jkowalski");
  auto& offline = sys.agent("org/branch01/pc002", "anowak");
  auto id = send_and_wait(sys, {&online, &offline},
                          {"send", "--to", "org/branch01", "--title", "Wrong", "--body", "Sent by mistake"});
  offline.stop();

  auto out = herald_ok(sys, {"recall", id});
  CHECK(out.find(id) != std::string::npos);
  CHECK(eventually([&] { return !inbox_has(online, id); }));
  offline.start();
  CHECK(eventually([&] { return !inbox_has(offline, id); }));
  // Nothing of it stays in the broker's retained store but the tombstone.
  CHECK(eventually([&] { return retained(sys, "herald/msg/#").empty(); }));
  CHECK(herald_json(sys, {"status", id}).at("state") == "recalled");
  // A computer joining later never sees it.
  auto& later = sys.agent("org/branch01/pc003", "");
  REQUIRE(later.wait_connected());
  std::this_thread::sleep_for(1s);
  CHECK_FALSE(inbox_has(later, id));
}

TEST_CASE("an expired message leaves inboxes and the broker's retained store") {
  System sys("expiry");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  auto id = send_and_wait(sys, {&pc}, {"alert", "--to", "org/branch01", "--body", "Short-lived", "--expires", "3s"});
  CHECK(eventually([&] { return !inbox_has(pc, id); }, 10s, 200ms));
  CHECK(eventually([&] { return retained(sys, "herald/alert/#").empty(); }, 10s, 300ms));
  CHECK(herald_json(sys, {"status", id}).at("state") == "expired");
}

TEST_CASE("heraldd restores every unexpired message when the broker lost its retained store") {
  System sys("restore");
  auto id = herald_ok(sys, {"send", "--to", "org/branch02", "--title", "Keep me", "--body", "Important"});
  REQUIRE(eventually([&] { return retained(sys, "herald/msg/#").size() == 1; }));
  // A crash between two autosaves: the broker comes back without its retained store.
  sys.broker().kill9();
  sys.broker().wipe_persistence();
  sys.broker().start();
  CHECK(eventually([&] { return retained(sys, "herald/msg/#").size() == 1; }, 30s, 500ms));
  auto& pc = sys.agent("org/branch02/pc001", "pwisniewski");
  CHECK(waits_for_inbox(pc, id, 20s));
}
