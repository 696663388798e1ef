// The batch processor: what the Paho callback queue feeds it, and what it publishes.
#include <set>

#include "helpers.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::scheduler;
using namespace herald::scheduler::testing;
using namespace std::chrono_literals;

namespace {
MessageRecord stored(Fixture& f, const std::string& id) {
  auto txn = f.ledger.read();
  auto m = f.ledger.message(txn, id);
  REQUIRE(m);
  return *m;
}
std::optional<Receipt> receipt(Fixture& f, const std::string& id, const std::string& who) {
  auto txn = f.ledger.read();
  return f.ledger.receipt(txn, id, who);
}
}  // namespace

TEST_CASE("a new message is recorded with the sender from the topic and confirmed on the reply topic") {
  Fixture f;
  auto out = f.feed(msg_topic("admin", "m1", "org/branch01"), delivery("Hello", "Greeting"));
  auto reply = reply_on(out, topics::reply("admin", "m1"));
  CHECK(reply.ok);
  CHECK(reply.result == nlohmann::json{{"recorded", "m1"}});
  auto m = stored(f, "m1");
  CHECK(m.sender == "admin");
  CHECK(m.kind == topics::Kind::message);
  CHECK(m.targets == std::vector<std::string>{"org/branch01"});
  CHECK(m.title == "Greeting");
  CHECK(m.recorded_at == t0());
  CHECK(f.processor.stats().recorded == 1);
}

TEST_CASE("the same id to another target from the same account adds the target") {
  Fixture f;
  f.feed(alert_topic("admin", "m1", "org/branch01"), delivery());
  auto out = f.feed(alert_topic("admin", "m1", "org/branch02"), delivery());
  CHECK(reply_on(out, topics::reply("admin", "m1")).ok);
  CHECK(stored(f, "m1").targets == std::vector<std::string>{"org/branch01", "org/branch02"});
  // The broker's replay of a known copy changes nothing and is not answered.
  CHECK(f.feed(alert_topic("admin", "m1", "org/branch02"), delivery(), true).empty());
  CHECK(stored(f, "m1").targets.size() == 2);
}

TEST_CASE("the same id from another account or as another kind is dropped") {
  Fixture f;
  f.feed(msg_topic("admin", "m1", "org/branch01"), delivery());
  // Refused, and its retained copy (on its own topic) cleared: issue 9.
  auto foreign = msg_topic("mallory", "m1", "org/branch02");
  CHECK(f.feed(foreign, delivery()) == std::vector<Outbound>{{foreign, "", true}});
  auto other_kind = alert_topic("admin", "m1", "org/branch02");
  CHECK(f.feed(other_kind, delivery()) == std::vector<Outbound>{{other_kind, "", true}});
  auto m = stored(f, "m1");
  CHECK(m.sender == "admin");
  CHECK(m.targets == std::vector<std::string>{"org/branch01"});
  CHECK(f.processor.stats().dropped == 2);
}

TEST_CASE("a receipt for another account's copy under the same id does not count for the message") {
  Fixture f;
  f.feed(msg_topic("admin", "m1", "org/branch01"), delivery());
  auto pc = "org/branch01/pc001";
  f.feed(topics::ack("m1", pc), ack(payloads::AckState::read, t0() + 1s, "jk", "ops1"));
  CHECK_FALSE(receipt(f, "m1", pc));
  CHECK(f.processor.stats().dropped == 1);
  f.feed(topics::ack("m1", pc), ack(payloads::AckState::read, t0() + 2s, "jk", "admin"));
  REQUIRE(receipt(f, "m1", pc));
  CHECK(receipt(f, "m1", pc)->read_at == t0() + 2s);
}

TEST_CASE("a message first seen in the broker's retained replay is recorded without a reply") {
  Fixture f;
  auto out = f.feed(msg_topic("admin", "m1", "org"), delivery(), true);
  CHECK(out.empty());
  CHECK(stored(f, "m1").sender == "admin");
}

TEST_CASE("zero-length payloads are clears and are ignored") {
  Fixture f;
  CHECK(f.feed(msg_topic("admin", "m1", "org"), "").empty());
  CHECK(f.feed(topics::recall("admin", "m1", Target::path("org")), "").empty());
  CHECK(f.processor.stats().dropped == 0);
  auto txn = f.ledger.read();
  CHECK_FALSE(f.ledger.message(txn, "m1"));
}

TEST_CASE("receipts keep the max state per computer; unknown ids are kept aside, not counted") {
  Fixture f;
  f.feed(msg_topic("admin", "m1", "org/branch01"), delivery());
  auto pc = "org/branch01/pc001";
  f.processor.process({{topics::ack("m1", pc), ack(payloads::AckState::delivered, t0() + 1s, "jk")},
                       {topics::ack("m1", pc), ack(payloads::AckState::read, t0() + 3s, "jk")},
                       {topics::ack("m1", pc), ack(payloads::AckState::displayed, t0() + 2s, "jk")}});
  auto r = receipt(f, "m1", pc);
  REQUIRE(r);
  CHECK(r->state == ReceiptState::read);
  CHECK(r->delivered_at == t0() + 1s);
  CHECK(r->displayed_at == t0() + 2s);
  CHECK(r->read_at == t0() + 3s);
  CHECK(r->user == "jk");
  CHECK(r->computer == pc);
  CHECK(f.processor.stats().receipts == 3);

  // Kept as an early receipt until the message is recorded (test_confirmations.cpp).
  f.feed(topics::ack("nope", pc), ack(payloads::AckState::read, t0()));
  CHECK(f.processor.stats().dropped == 0);
  CHECK_FALSE(receipt(f, "nope", pc));
}

TEST_CASE("person messages are routed to the computers where the person is online, now and later") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  f.feed(topics::presence("org/b1/pc2"), presence(true, "someone-else"));
  f.feed(topics::presence("org/b2/pc7"), presence(false, "jk"));
  auto out = f.feed(msg_topic("admin", "m1", "user:jk"), delivery("For you"));
  auto copy_topic = msg_topic("admin", "m1", "org/b1/pc1");
  auto copy_payload = [&] {
    auto d = payloads::decode<payloads::Delivery>(delivery("For you"));
    d.for_user = "jk";
    return payloads::encode(d);
  }();
  CHECK(has(out, Outbound{copy_topic, copy_payload, true}));
  CHECK(reply_on(out, topics::reply("admin", "m1")).ok);
  CHECK(out.size() == 2);  // the copy and the reply: nothing for pc2 or the offline pc7

  // The copy comes back to heraldd (it subscribes to all deliveries): not a new message.
  CHECK(f.feed(copy_topic, copy_payload, false).empty());
  CHECK(stored(f, "m1").targets == std::vector<std::string>{"user:jk"});

  // jk logs in at pc7: routed there; a repeated presence does not route again.
  out = f.feed(topics::presence("org/b2/pc7"), presence(true, "jk"));
  CHECK(out.size() == 1);
  CHECK(out.at(0).topic == msg_topic("admin", "m1", "org/b2/pc7"));
  CHECK(f.feed(topics::presence("org/b2/pc7"), presence(true, "jk")).empty());
  CHECK(f.feed(topics::presence("org/b1/pc1"), presence(true, "jk")).empty());

  // A receipt from a routed copy counts for the person, with the computer recorded.
  f.feed(topics::ack("m1", "org/b2/pc7"), ack(payloads::AckState::read, t0() + 1min, "jk"));
  auto r = receipt(f, "m1", "user:jk");
  REQUIRE(r);
  CHECK(r->state == ReceiptState::read);
  CHECK(r->computer == "org/b2/pc7");

  // Once expired, a login routes nothing.
  f.clock = t0() + 25h;
  CHECK(f.feed(topics::presence("org/b3/pc1"), presence(true, "jk")).empty());
}

TEST_CASE("recall clears every retained delivery, person copies included, and late copies again") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  f.feed(msg_topic("admin", "m1", "org/b2"), delivery());
  f.feed(msg_topic("admin", "m1", "user:jk"), delivery());
  payloads::Recall recall{t0() + 1min, t0() + 24h};
  // Another account cannot recall it: dropped, its tombstone cleared, nothing changes.
  auto foreign = topics::recall("boss", "m1", Target::path("org/b2"));
  CHECK(f.feed(foreign, payloads::encode(recall)) == std::vector<Outbound>{{foreign, "", true}});
  CHECK(stored(f, "m1").state(f.clock) == MessageState::active);
  auto tomb = topics::recall("admin", "m1", Target::path("org/b2"));
  auto out = f.feed(tomb, payloads::encode(recall));
  CHECK(has(out, Outbound{msg_topic("admin", "m1", "org/b2"), "", true}));
  CHECK(has(out, Outbound{msg_topic("admin", "m1", "user:jk"), "", true}));
  CHECK(has(out, Outbound{msg_topic("admin", "m1", "org/b1/pc1"), "", true}));
  CHECK(out.size() == 3);
  auto m = stored(f, "m1");
  CHECK(m.state(f.clock) == MessageState::recalled);
  CHECK(m.recalled_by == "admin");
  CHECK(m.recalled_at == t0() + 1min);

  // The broker restored a copy (lost clear): clear it again.
  out = f.feed(msg_topic("admin", "m1", "org/b2"), delivery(), true);
  CHECK(out == std::vector<Outbound>{{msg_topic("admin", "m1", "org/b2"), "", true}});
  // A recalled person message is not routed to a new login either.
  CHECK(f.feed(topics::presence("org/b5/pc1"), presence(true, "jk")).empty());
  // The same tombstone again (replay) changes nothing.
  CHECK(f.feed(tomb, payloads::encode(recall), true).empty());
  // A recall of an unknown id is dropped.
  f.feed(topics::recall("admin", "zz", Target::path("org")), payloads::encode(recall));
  CHECK(f.processor.stats().dropped == 2);
}

TEST_CASE("expiry clears retained deliveries, person copies and tombstones, once") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  f.feed(alert_topic("admin", "short", "org/b1"), delivery("b", "t", {}, 1h));
  f.feed(alert_topic("admin", "short", "user:jk"), delivery("b", "t", {}, 1h));
  f.feed(msg_topic("admin", "gone", "org/b2"), delivery("b", "t", {}, 2h));
  f.feed(topics::recall("admin", "gone", Target::path("org/b2")), payloads::encode(payloads::Recall{t0(), t0() + 2h}));
  f.feed(msg_topic("admin", "long", "org"), delivery("b", "t", {}, 48h));

  CHECK(f.processor.next_expiry() == t0() + 1h);
  f.clock = t0() + 30min;
  CHECK(f.processor.expire().empty());

  f.clock = t0() + 3h;
  auto out = f.processor.expire();
  CHECK(has(out, Outbound{alert_topic("admin", "short", "org/b1"), "", true}));
  CHECK(has(out, Outbound{alert_topic("admin", "short", "user:jk"), "", true}));
  CHECK(has(out, Outbound{alert_topic("admin", "short", "org/b1/pc1"), "", true}));
  CHECK(has(out, Outbound{topics::recall("admin", "gone", Target::path("org/b2")), "", true}));
  CHECK(out.size() == 4);  // the recalled message's delivery was cleared at recall
  CHECK(f.processor.next_expiry() == t0() + 48h);
  CHECK(f.processor.expire().empty());
  CHECK(stored(f, "short").state(f.clock) == MessageState::expired);

  // A late retained copy of the expired message is cleared again; so is its tombstone.
  out = f.feed(alert_topic("admin", "short", "org/b1"), delivery("b", "t", {}, 1h), true);
  CHECK(out == std::vector<Outbound>{{alert_topic("admin", "short", "org/b1"), "", true}});
  auto tomb = topics::recall("admin", "gone", Target::path("org/b2"));
  out = f.feed(tomb, payloads::encode(payloads::Recall{t0(), t0() + 2h}), true);
  CHECK(out == std::vector<Outbound>{{tomb, "", true}});
}

TEST_CASE("a message that arrives already expired is recorded and cleared by the next expiry run") {
  Fixture f;
  f.clock = t0() + 2h;
  f.feed(msg_topic("admin", "old", "org"), delivery("b", "t", {}, 1h), true);
  CHECK(f.processor.next_expiry() == t0() + 1h);
  CHECK(f.processor.expire() == std::vector<Outbound>{{msg_topic("admin", "old", "org"), "", true}});
}

TEST_CASE("restore republishes only what the broker did not replay") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  auto d1 = delivery("one");
  f.feed(msg_topic("admin", "m1", "org/b1"), d1);
  f.feed(msg_topic("admin", "m1", "org/b2"), d1);
  f.feed(msg_topic("admin", "p1", "user:jk"), delivery("person"));
  f.feed(msg_topic("admin", "r1", "org"), delivery());
  auto tomb = topics::recall("admin", "r1", Target::path("org"));
  auto tomb_payload = payloads::encode(payloads::Recall{t0(), t0() + 24h});
  f.feed(tomb, tomb_payload);
  f.feed(msg_topic("admin", "x1", "org"), delivery("b", "t", {}, 1h));
  f.clock = t0() + 2h;  // x1 expired (not yet cleared): not restored

  f.processor.begin_restore();
  CHECK(f.processor.restoring());
  f.feed(msg_topic("admin", "m1", "org/b1"), d1, true);
  f.feed(msg_topic("admin", "p1", "user:jk"), delivery("person"), true);
  auto out = f.processor.finish_restore();
  CHECK_FALSE(f.processor.restoring());
  CHECK(has(out, Outbound{msg_topic("admin", "m1", "org/b2"), d1, true}));
  CHECK(has(out, Outbound{tomb, tomb_payload, true}));
  auto copy = std::find_if(out.begin(), out.end(),
                           [&](const Outbound& o) { return o.topic == msg_topic("admin", "p1", "org/b1/pc1"); });
  REQUIRE(copy != out.end());
  CHECK(payloads::decode<payloads::Delivery>(copy->payload).for_user == "jk");
  CHECK(out.size() == 3);

  // A second connection where the broker has everything: nothing to republish.
  f.processor.begin_restore();
  for (const auto& o : out) f.feed(o.topic, o.payload, true);
  f.feed(msg_topic("admin", "m1", "org/b1"), d1, true);
  f.feed(msg_topic("admin", "p1", "user:jk"), delivery("person"), true);
  CHECK(f.processor.finish_restore().empty());
}

TEST_CASE("a bad request payload is answered with a protocol error") {
  Fixture f;
  auto topic = topics::request("admin", "r1", topics::kOpStatus, "org");
  auto out = f.feed(topic, "{not json");
  auto reply = reply_on(out, topics::reply("admin", "r1"));
  CHECK_FALSE(reply.ok);
  CHECK(reply.error_kind == static_cast<int>(ErrorKind::protocol));
  out = f.feed(topics::request("admin", "r2", topics::kOpStatus, "org"), request("nope"));
  reply = reply_on(out, topics::reply("admin", "r2"));
  CHECK_FALSE(reply.ok);
  CHECK(reply.error_kind == static_cast<int>(ErrorKind::not_found));
  CHECK(reply.error == "unknown message id 'nope'");
}

TEST_CASE("hostile topics and payloads are dropped, never a crash, and change nothing") {
  Fixture f;
  f.feed(msg_topic("admin", "m1", "org/b1"), delivery());
  std::string huge(payloads::kMaxPayloadBytes + 1, ' ');
  std::string deep(200000, '[');
  std::vector<Inbound> hostile = {
      {msg_topic("admin", "m2", "org"), "{not json"},
      {msg_topic("admin", "m2", "org"), "[]"},
      {msg_topic("admin", "m2", "org"), "null"},
      {msg_topic("admin", "m2", "org"), R"({"v":1})"},
      {msg_topic("admin", "m2", "org"), R"({"v":2,"body":"b","sent_at":"2026-11-22T13:00:00.000Z"})"},
      {msg_topic("admin", "m2", "org"), R"({"v":"1","body":"b","sent_at":"2026-11-22T13:00:00.000Z"})"},
      {msg_topic("admin", "m2", "org"), R"({"v":1,"body":42,"sent_at":"2026-11-22T13:00:00.000Z"})"},
      {msg_topic("admin", "m2", "org"), R"({"v":1,"body":"b","sent_at":"yesterday"})"},
      {msg_topic("admin", "m2", "org"), R"({"v":1,"body":"b","sent_at":"2026-11-22T13:00:00.000Z","links":"x"})"},
      {msg_topic("admin", "m2", "org"),
       R"({"v":1,"body":"b","sent_at":"2026-11-22T13:00:00.000Z","expires_at":"2026-11-21T13:00:00.000Z"})"},
      {msg_topic("admin", "m2", "org"), R"({"v":1,"body":"","sent_at":"2026-11-22T13:00:00.000Z"})"},
      {msg_topic("admin", "m2", "org"), "\xff\xfe\x00\x01"},
      {msg_topic("admin", "m2", "org"), huge},
      {msg_topic("admin", "m2", "org"), deep},
      {topics::ack("m1", "org/b1/pc1"), R"({"v":1,"state":"eaten","at":"2026-11-22T13:00:00.000Z"})"},
      {topics::ack("m1", "org/b1/pc1"), R"({"v":1,"state":"read","at":12})"},
      {topics::ack("m1", "org/b1/pc1"), R"({"v":1,"state":"read","at":"2026-11-22T13:00:00.000Z","user":[]})"},
      {topics::presence("org/b1/pc1"), R"({"v":1,"state":"maybe","at":"2026-11-22T13:00:00.000Z"})"},
      {topics::recall("admin", "m1", Target::path("org")), R"({"v":1})"},
      {"herald/msg/admin/m2", delivery()},
      {"herald/msg/admin/m2/Org/B1", delivery()},
      {"herald/msg/admin/m2/org/+", delivery()},
      {"herald/msg/admin/m2/org//b1", delivery()},
      {"herald/msg/ad min/m2/org", delivery()},
      {"herald/msg/admin/m2/user/jk/extra", delivery()},
      {"herald/ack/m1", ack(payloads::AckState::read, t0())},
      {"herald/ack/m1/not-org/pc1", ack(payloads::AckState::read, t0())},
      {"herald/presence", presence(true, "jk")},
      {"herald/req/admin/r1/drop-tables/org", request()},
      {"herald/reply/admin/r1", R"({"v":1,"ok":true})"},
      {"herald/chat/admin/c1/org", "{}"},
      {"other/thing", "x"},
      {"", "x"},
      {std::string(5000, 'a'), "x"},
      {"herald/msg/admin/m2/org\n2026-01-01T00:00:00.000Z INFO heraldd: forged", delivery()},
  };
  auto out = f.processor.process(hostile);
  // What changes is on the broker only: each refused Delivery or Recall on a valid topic
  // is cleared from the retained store (issue 9), and nothing else is published.
  std::set<std::string> cleared;
  for (const auto& o : out) {
    CHECK(o.payload.empty());
    CHECK(o.retained);
    cleared.insert(o.topic);
  }
  CHECK(cleared ==
        std::set<std::string>{msg_topic("admin", "m2", "org"), topics::recall("admin", "m1", Target::path("org"))});
  CHECK(f.processor.stats().dropped == hostile.size());
  auto txn = f.ledger.read();
  CHECK_FALSE(f.ledger.message(txn, "m2"));
  CHECK_FALSE(f.ledger.receipt(txn, "m1", "org/b1/pc1"));
  CHECK_FALSE(f.ledger.presence(txn, "org/b1/pc1"));
  CHECK(f.ledger.message(txn, "m1")->targets == std::vector<std::string>{"org/b1"});
}

// ---- issue 9: heraldd's receive rules, refused retained copies, unrecorded deliveries

TEST_CASE("a delivery from a clock more than 5 minutes ahead is refused and its retained copy cleared") {
  Fixture f;
  auto topic = msg_topic("ops1", "future", "org/b1");
  auto out = f.feed(topic, delivery("b", "t", std::chrono::minutes(6)), true);
  CHECK(out == std::vector<Outbound>{{topic, "", true}});
  auto txn = f.ledger.read();
  CHECK_FALSE(f.ledger.message(txn, "future"));
  CHECK(f.processor.stats().dropped == 1);
  // Within the skew it is recorded.
  CHECK(reply_on(f.feed(msg_topic("ops1", "soon", "org/b1"), delivery("b", "t", std::chrono::minutes(4))),
                 topics::reply("ops1", "soon"))
            .ok);
}

TEST_CASE("a bad payload on a topic heraldd keeps puts heraldd's own copy back instead of clearing it") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  auto original = delivery("Hello");
  f.feed(msg_topic("admin", "m1", "org/b2"), original);
  f.feed(msg_topic("admin", "p1", "user:jk"), delivery("For you"));
  // The recorded target.
  auto out = f.feed(msg_topic("admin", "m1", "org/b2"), R"({"v":1})");
  CHECK(out == std::vector<Outbound>{{msg_topic("admin", "m1", "org/b2"), original, true}});
  // The person copy heraldd routed to pc1.
  auto copy = msg_topic("admin", "p1", "org/b1/pc1");
  out = f.feed(copy, R"({"v":1,"body":42})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == copy);
  CHECK(payloads::decode<payloads::Delivery>(out[0].payload).for_user == "jk");
  // A copy with another for_user on the routed topic is not heraldd's: put back too.
  out = f.feed(copy, delivery("For you", "Title", {}, std::chrono::hours(24), "nobody"));
  REQUIRE(out.size() == 1);
  CHECK(payloads::decode<payloads::Delivery>(out[0].payload).for_user == "jk");
  // A recorded tombstone.
  auto tomb = topics::recall("admin", "m1", Target::path("org/b2"));
  auto tomb_payload = payloads::encode(payloads::Recall{t0() + 1min, t0() + 24h});
  f.feed(tomb, tomb_payload);
  CHECK(f.feed(tomb, "{not json") == std::vector<Outbound>{{tomb, tomb_payload, true}});
  CHECK(stored(f, "m1").targets == std::vector<std::string>{"org/b2"});
}

TEST_CASE("a copy with for_user that heraldd did not route is recorded as a delivery of its account") {
  Fixture f;
  auto topic = msg_topic("ops1", "X", "org/branch02/pc001");
  auto out = f.feed(topic, delivery("b", "t", {}, std::chrono::hours(24), "nobody"));
  CHECK(reply_on(out, topics::reply("ops1", "X")).ok);
  auto m = stored(f, "X");
  CHECK(m.sender == "ops1");
  CHECK(m.targets == std::vector<std::string>{"org/branch02/pc001"});
  {
    auto txn = f.ledger.read();
    CHECK(payloads::decode<payloads::Delivery>(*f.ledger.payload(txn, "X")).for_user == "nobody");
  }
  // Listed, and recallable: the recall clears its copy.
  auto recall = topics::recall("ops1", "X", Target::path("org/branch02/pc001"));
  out = f.feed(recall, payloads::encode(payloads::Recall{t0() + 1min, t0() + 24h}));
  CHECK(out == std::vector<Outbound>{{topic, "", true}});
  CHECK(stored(f, "X").state(f.clock) == MessageState::recalled);
}

TEST_CASE("heraldd's own routed copy coming back is recognised by its route, not by for_user alone") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  auto out = f.feed(msg_topic("admin", "p1", "user:jk"), delivery("For you"));
  auto copy = msg_topic("admin", "p1", "org/b1/pc1");
  auto routed = std::find_if(out.begin(), out.end(), [&](const Outbound& o) { return o.topic == copy; });
  REQUIRE(routed != out.end());
  CHECK(f.feed(copy, routed->payload).empty());
  CHECK(f.processor.stats().dropped == 0);
  CHECK(stored(f, "p1").targets == std::vector<std::string>{"user:jk"});
  // The same id with for_user to a computer heraldd never routed it to: a target of it.
  auto other = msg_topic("admin", "p1", "org/b1/pc9");
  out = f.feed(other, delivery("For you", "Title", {}, std::chrono::hours(24), "jk"));
  CHECK(reply_on(out, topics::reply("admin", "p1")).ok);
  CHECK(stored(f, "p1").targets == std::vector<std::string>{"user:jk", "org/b1/pc9"});
}

TEST_CASE("a recall of an unknown id is dropped but not cleared: its delivery may come later") {
  Fixture f;
  CHECK(f.feed(topics::recall("admin", "zz", Target::path("org")), payloads::encode(payloads::Recall{t0(), t0() + 1h}))
            .empty());
  CHECK(f.processor.stats().dropped == 1);
}

TEST_CASE("a damaged message record is skipped, reported and set aside; heraldd carries on") {
  Fixture f;
  f.feed(msg_topic("admin", "ok", "org"), delivery("fine", "t", {}, 1h));
  f.feed(msg_topic("admin", "bad", "org"), delivery("soon broken", "t", {}, 1h));
  {
    auto txn = f.ledger.write();
    auto messages = lmdb::Db::open(txn, "messages");
    messages.put(txn, "bad", "{this is not json");
    auto receipts = lmdb::Db::open(txn, "receipts");
    receipts.put(txn, std::string("ok\0org/pc1", 10), "short");
    txn.commit();
  }
  {
    auto txn = f.ledger.read();
    CHECK_FALSE(f.ledger.message(txn, "bad"));
    CHECK_FALSE(f.ledger.receipt(txn, "ok", "org/pc1"));
    std::size_t seen = 0;
    f.ledger.scan_receipts(txn, "ok", "", [&](std::string_view, const Receipt&) { return ++seen, true; });
    CHECK(seen == 0);
  }
  // Restore and expiry go on around it.
  f.processor.begin_restore();
  auto out = f.processor.finish_restore();
  CHECK(out == std::vector<Outbound>{{msg_topic("admin", "ok", "org"), delivery("fine", "t", {}, 1h), true}});
  f.clock = t0() + 2h;
  out = f.processor.expire();
  CHECK(out == std::vector<Outbound>{{msg_topic("admin", "ok", "org"), "", true}});
  CHECK_FALSE(f.processor.next_expiry());  // the damaged one is no longer due
  auto txn = f.ledger.read();
  auto quarantine = lmdb::Db::open(txn, "quarantine");
  CHECK(quarantine.get(txn, std::string("messages\0bad", 12)) == std::string("{this is not json"));
}
