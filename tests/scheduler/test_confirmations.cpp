// Receipts confirmed to their agent once durable, and receipts that arrive before their
// message (early receipts) kept, confirmed and applied when the message is recorded.
#include "helpers.hpp"

using namespace herald;
using namespace herald::scheduler;
using namespace herald::scheduler::testing;
using namespace std::chrono_literals;
using payloads::AckState;

namespace {

std::optional<Receipt> receipt(Ledger& ledger, const std::string& id, const std::string& who) {
  auto txn = ledger.read();
  return ledger.receipt(txn, id, who);
}

std::size_t early_count(Ledger& ledger) {
  auto txn = ledger.read();
  return ledger.early_receipt_count(txn);
}

// The confirmations published to `agent` among `out`, in order.
std::vector<payloads::Receipted> confirmations(const std::vector<Outbound>& out, const std::string& agent) {
  std::vector<payloads::Receipted> found;
  for (const auto& o : out) {
    if (o.topic != topics::receipted(agent)) continue;
    CHECK_FALSE(o.retained);
    found.push_back(payloads::decode<payloads::Receipted>(o.payload));
  }
  return found;
}

using Items = std::vector<payloads::Receipted::Item>;

}  // namespace

TEST_CASE("recorded receipts are confirmed to their agent after the commit, one publish per agent per batch") {
  Fixture f;
  f.feed(msg_topic("admin", "m1", "org"), delivery());
  f.feed(msg_topic("admin", "m2", "org"), delivery());
  auto pc1 = "org/branch01/pc001", pc2 = "org/branch02/pc001";
  auto out = f.processor.process({{topics::ack("m1", pc1), ack(AckState::delivered, t0() + 1s)},
                                  {topics::ack("m2", pc1), ack(AckState::read, t0() + 2s)},
                                  {topics::ack("m1", pc2), ack(AckState::displayed, t0() + 1s)},
                                  {topics::presence(pc2), presence(true, "jk")}});
  CHECK(out.size() == 2);
  auto c1 = confirmations(out, pc1);
  REQUIRE(c1.size() == 1);
  CHECK(c1[0].receipts == Items{{"m1", AckState::delivered}, {"m2", AckState::read}});
  auto c2 = confirmations(out, pc2);
  REQUIRE(c2.size() == 1);
  CHECK(c2[0].receipts == Items{{"m1", AckState::displayed}});

  // A repeat (the agent never got the confirmation) is recorded once and confirmed again.
  out = f.feed(topics::ack("m2", pc1), ack(AckState::read, t0() + 2s));
  REQUIRE(confirmations(out, pc1).size() == 1);
  CHECK(confirmations(out, pc1)[0].receipts == Items{{"m2", AckState::read}});
  CHECK(receipt(f.ledger, "m2", pc1)->read_at == t0() + 2s);

  // A receipt about another account's copy will never count: confirmed, so the agent
  // stops sending it. A payload that is not a receipt is not confirmed.
  out = f.feed(topics::ack("m1", pc1), ack(AckState::read, t0() + 3s, "", "mallory"));
  CHECK(confirmations(out, pc1).size() == 1);
  CHECK(receipt(f.ledger, "m1", pc1)->state == ReceiptState::delivered);
  CHECK(f.feed(topics::ack("m1", pc1), "{nope").empty());
}

TEST_CASE("a long list of confirmations is split at kMaxReceiptedItems") {
  Fixture f;
  std::vector<Inbound> batch;
  auto pc = "org/branch01/pc001";
  for (std::size_t i = 0; i < payloads::kMaxReceiptedItems + 1; ++i) {
    auto id = "m" + std::to_string(i);
    batch.push_back({msg_topic("admin", id, "org"), delivery(), true});
    batch.push_back({topics::ack(id, pc), ack(AckState::delivered, t0())});
  }
  auto c = confirmations(f.processor.process(batch), pc);
  REQUIRE(c.size() == 2);
  CHECK(c[0].receipts.size() == payloads::kMaxReceiptedItems);
  CHECK(c[1].receipts.size() == 1);
}

TEST_CASE("heraldd drops what is published on a confirmation topic") {
  Fixture f;
  payloads::Receipted r;
  r.receipts = {{"m1", AckState::read}};
  CHECK(f.feed(topics::receipted("org/branch01/pc001"), payloads::encode(r)).empty());
  CHECK(f.processor.stats().dropped == 1);
}

TEST_CASE("a receipt before its message is kept, confirmed, and applied when the message is recorded") {
  Fixture f;
  auto pc = "org/branch01/pc001", other = "org/branch02/pc001";
  auto out = f.processor.process({{topics::ack("m1", pc), ack(AckState::delivered, t0() + 1s, "jk", "admin")},
                                  {topics::ack("m1", pc), ack(AckState::read, t0() + 5s, "jk", "admin")},
                                  {topics::ack("m1", other), ack(AckState::read, t0() + 6s, "ann", "mallory")}});
  CHECK(f.processor.stats().dropped == 0);
  CHECK(early_count(f.ledger) == 3);
  // Kept durably: confirmed like a recorded receipt, or the agent would re-send forever.
  REQUIRE(confirmations(out, pc).size() == 1);
  CHECK(confirmations(out, pc)[0].receipts == Items{{"m1", AckState::delivered}, {"m1", AckState::read}});
  CHECK(confirmations(out, other).size() == 1);
  CHECK_FALSE(receipt(f.ledger, "m1", pc));
  // A repeat replaces its early copy.
  f.feed(topics::ack("m1", pc), ack(AckState::read, t0() + 5s, "jk", "admin"));
  CHECK(early_count(f.ledger) == 3);

  // The message arrives (here from the broker's retained store, as after heraldd missed
  // the live delivery): its early receipts count, for its own sender only, and are gone.
  f.feed(msg_topic("admin", "m1", "org"), delivery(), true);
  auto r = receipt(f.ledger, "m1", pc);
  REQUIRE(r);
  CHECK(r->state == ReceiptState::read);
  CHECK(r->delivered_at == t0() + 1s);
  CHECK(r->read_at == t0() + 5s);
  CHECK(r->user == "jk");
  CHECK_FALSE(receipt(f.ledger, "m1", other));  // about mallory's copy: dropped
  CHECK(early_count(f.ledger) == 0);
}

TEST_CASE("early receipts of a live delivery's person target are applied too") {
  Fixture f;
  auto pc = "org/branch01/pc001";
  f.feed(topics::ack("p1", pc), ack(AckState::displayed, t0() + 1s, "jk", "admin"));
  f.feed(alert_topic("admin", "p1", "user:jk"), delivery());
  auto r = receipt(f.ledger, "p1", "user:jk");
  REQUIRE(r);
  CHECK(r->state == ReceiptState::displayed);
  CHECK(early_count(f.ledger) == 0);
}

TEST_CASE("early receipts are bounded: 24 hours, and a maximum count beyond which they are not confirmed") {
  TempDir dir;
  TimePoint clock = t0();
  Ledger::Options options{dir.path.string(), false, std::size_t{1} << 28};
  options.max_early_receipts = 2;
  Ledger ledger(options);
  Processor processor(ledger, [&] { return clock; });
  auto pc = "org/branch01/pc001";
  auto feed = [&](const std::string& id) {
    return processor.process({{topics::ack(id, pc), ack(AckState::read, clock)}});
  };
  CHECK(confirmations(feed("a"), pc).size() == 1);
  clock += 1h;
  CHECK(confirmations(feed("b"), pc).size() == 1);
  // Full: dropped, and not confirmed, so the agent keeps it and sends it again later.
  auto out = feed("c");
  CHECK(out.empty());
  CHECK(processor.stats().dropped == 1);
  CHECK(early_count(ledger) == 2);
  // A repeat of a kept one still fits (it replaces itself).
  CHECK(confirmations(feed("b"), pc).size() == 1);
  // 24 h after "a" was kept it is deleted unapplied, which makes room again.
  clock = t0() + kEarlyReceiptMaxAge + 1ms;
  CHECK(confirmations(feed("c"), pc).size() == 1);
  CHECK(early_count(ledger) == 2);  // b and c
  processor.process({{msg_topic("admin", "a", "org"), delivery(), true}});
  CHECK_FALSE(receipt(ledger, "a", pc));
  processor.process({{msg_topic("admin", "c", "org"), delivery(), true}});
  CHECK(receipt(ledger, "c", pc));
}
