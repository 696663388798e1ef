// Issue 2: read receipts reach the admin, and no recorded receipt is ever lost.
#include <signal.h>

#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

TEST_CASE("opening a message on one computer shows it read there, with time and user, and pending elsewhere") {
  System sys("read");
  auto& reader = sys.agent("org/branch01/pc001", "jkowalski");
  auto& other = sys.agent("org/branch01/pc002", "anowak");
  auto id = send_and_wait(sys, {&reader, &other},
                          {"send", "--to", "org/branch01", "--title", "New rota", "--body", "See attachment"});

  auto opened_at = std::chrono::steady_clock::now();
  auto shown = reader.cli({"show", id});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("See attachment") != std::string::npos);
  // The receipt reaches the server within 2 s while the broker is up.
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "read"; }, 2s, 50ms));
  MESSAGE("read receipt visible after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_at).count()
          << " ms");

  // Delivery receipts are spread over up to 300 ms after a delivery (topics.md).
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc002") == "delivered"; }));
  auto st = herald_json(sys, {"status", id});
  auto r = recipient(st, "org/branch01/pc001");
  CHECK(r.at("state") == "read");
  CHECK(r.at("user") == "jkowalski");
  CHECK(r.at("read_at").is_string());
  CHECK(recipient(st, "org/branch01/pc002").at("state") == "delivered");
  CHECK(st.at("totals").at("read") == 1);
  CHECK(st.at("totals").at("recipients") == 2);

  // `herald pending` agrees: pc002 still has it unread, pc001 does not.
  auto pending = herald_json(sys, {"pending", "--under", "org/branch01"});
  bool pc002_unread = false, pc001_listed = false;
  for (const auto& rec : pending.at("recipients")) {
    for (const auto& m : rec.at("unread")) {
      if (m.at("id") != id) continue;
      if (rec.at("recipient") == "org/branch01/pc002") pc002_unread = true;
      if (rec.at("recipient") == "org/branch01/pc001") pc001_listed = true;
    }
  }
  CHECK(pc002_unread);
  CHECK_FALSE(pc001_listed);

  // And the list shows the read count.
  auto list = herald_json(sys, {"list"});
  bool found = false;
  for (const auto& m : list.at("messages"))
    if (m.at("id") == id) {
      found = true;
      CHECK(m.at("read") == 1);
    }
  CHECK(found);
}

TEST_CASE("heraldd killed with -9 keeps every recorded receipt, and records receipts sent while it was down") {
  System sys("heraldd-crash");
  auto& a = sys.agent("org/branch01/pc001", "jkowalski");
  auto& b = sys.agent("org/branch01/pc002", "anowak");
  auto id = send_and_wait(sys, {&a, &b}, {"send", "--to", "org/branch01", "--title", "T", "--body", "B"});
  REQUIRE(a.cli({"show", id}).exit_code == 0);
  REQUIRE(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "read"; }));

  sys.heraldd().kill9();
  REQUIRE(b.cli({"show", id}).exit_code == 0);  // sent while heraldd is down
  std::this_thread::sleep_for(1s);
  sys.heraldd().start();
  REQUIRE(sys.wait_heraldd_connected());
  // Generous: heraldd replays its persistent session first, and under ASan every part
  // runs several times slower.
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc002") == "read"; }, 30s, 200ms));
  CHECK(state_of(sys, id, "org/branch01/pc001") == "read");
}

TEST_CASE("a receipt queued while the broker is down survives the agent being killed and is sent on restart") {
  System sys("agent-crash");
  auto& a = sys.agent("org/branch01/pc001", "jkowalski");
  auto id = send_and_wait(sys, {&a}, {"send", "--to", "org/branch01/pc001", "--title", "T", "--body", "B"});
  REQUIRE(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "delivered"; }));

  sys.broker().stop();
  REQUIRE(a.cli({"show", id}).exit_code == 0);  // no broker: the receipt waits in the agent's LMDB
  std::this_thread::sleep_for(500ms);
  a.kill9();
  auto connections_before = sys.heraldd_connections();
  sys.broker().start();
  a.start();
  // heraldd reconnects on its own; status queries need it subscribed again.
  REQUIRE(eventually([&] { return sys.heraldd_connections() > connections_before; }, 20s, 200ms));
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "read"; }, 20s, 200ms));
}
