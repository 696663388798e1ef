// Issue 9, items 5 and 6: no receipt is lost. The broker's PUBACK to an agent does not
// prove heraldd has the receipt; only heraldd's confirmation (herald/receipted/{agent})
// after its commit does. And a receipt that reaches heraldd before its message counts
// once the message is recorded.
#include <fstream>

#include "helpers.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;
namespace payloads = herald::payloads;
namespace topics = herald::topics;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// An agent that re-sends unconfirmed receipts after `receipt_timeout` seconds instead
// of the default 30, so the test does not wait half a minute.
Agent& quick_agent(System& sys, const std::string& path, const std::string& user) {
  auto& a = sys.agent(path, user);
  a.stop();
  std::ofstream(a.config(), std::ios::app) << "receipt_timeout = 2\n";
  a.start();
  return a;
}

}  // namespace

TEST_CASE("reads made while the broker has lost heraldd's session all reach herald status") {
  System sys("receipts-durable");
  auto& a = quick_agent(sys, "org/branch01/pc001", "jkowalski");
  auto& b = quick_agent(sys, "org/branch02/pc001", "pwisniewski");
  auto id1 = send_and_wait(sys, {&a, &b}, {"send", "--to", "org", "--title", "One", "--body", "First"});
  auto id2 = send_and_wait(sys, {&a, &b}, {"send", "--to", "org", "--title", "Two", "--body", "Second"});
  REQUIRE(a.cli({"show", id1}).exit_code == 0);
  CHECK(eventually([&] { return state_of(sys, id1, a.path()) == "read"; }));

  // The broker restarts without heraldd's session (its persistence file lost): heraldd
  // is away, and the agents reconnect and flush before heraldd has subscribed again.
  // The broker acknowledges their receipts and drops them: nobody is subscribed.
  auto a_connects = count_of(a.log(), "subscribed"), b_connects = count_of(b.log(), "subscribed");
  sys.heraldd().stop();
  sys.broker().stop();
  sys.broker().wipe_persistence();
  sys.broker().start();
  REQUIRE(eventually([&] { return count_of(a.log(), "subscribed") > a_connects; }, 20s));
  REQUIRE(eventually([&] { return count_of(b.log(), "subscribed") > b_connects; }, 20s));
  REQUIRE(a.cli({"show", id2}).exit_code == 0);
  REQUIRE(b.cli({"show", id1}).exit_code == 0);
  REQUIRE(b.cli({"show", id2}).exit_code == 0);
  // The agents sent them and the broker acknowledged them (PUBACK).
  CHECK(eventually([&] { return count_of(a.log(), "sent receipt read for " + id2) >= 1; }));
  CHECK(eventually([&] { return count_of(b.log(), "sent receipt read for " + id2) >= 1; }));

  auto heraldd_connects = count_of(sys.heraldd().log(), "subscribed");
  sys.heraldd().start();
  REQUIRE(eventually([&] { return count_of(sys.heraldd().log(), "subscribed") > heraldd_connects; }, 20s));

  // Every read is in `herald status`: the agents kept the unconfirmed receipts and sent
  // them again.
  auto all_read = [&] {
    return state_of(sys, id1, a.path()) == "read" && state_of(sys, id2, a.path()) == "read" &&
           state_of(sys, id1, b.path()) == "read" && state_of(sys, id2, b.path()) == "read";
  };
  CHECK(eventually(all_read, 30s, 500ms));
}

TEST_CASE("a receipt that reaches heraldd before its message counts once the message is recorded") {
  System sys("receipts-early");
  const std::string path = "org/branch01/pc001";
  RawClient agent(sys, path, true);
  agent.subscribe(topics::receipted(path));
  const std::string id = "20261122T130118Z-early00001";

  // The employee read the message and the agent sent the receipt, but heraldd has not
  // recorded the message (it missed the live delivery, say during a failed commit).
  payloads::Ack ack{payloads::AckState::read, herald::now(), "jkowalski", "admin"};
  agent.publish(topics::ack(id, path), payloads::encode(ack));
  // heraldd keeps it durably and confirms it, so the agent may forget it.
  bool confirmed = false;
  for (const auto& [topic, payload] : agent.received(3s)) {
    if (topic != topics::receipted(path)) continue;
    for (const auto& item : payloads::decode<payloads::Receipted>(payload).receipts)
      if (item.id == id && item.state == payloads::AckState::read) confirmed = true;
  }
  CHECK(confirmed);

  // The message reaches heraldd now (the broker's retained copy, as after a restart).
  payloads::Delivery d;
  d.title = "Late";
  d.body = "Recorded after its receipt";
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  RawClient admin(sys, "admin");
  admin.publish(topics::delivery(topics::Kind::message, "admin", id, herald::Target::path("org/branch01")),
                payloads::encode(d), true);
  CHECK(eventually([&] { return state_of(sys, id, path) == "read"; }, 10s, 200ms));
  auto st = herald_json(sys, {"status", id});
  CHECK(recipient(st, path).at("user") == "jkowalski");
  CHECK(sys.heraldd().log().find("receipt for unknown message id") == std::string::npos);
}
