// The ledger on a real LMDB: encodings, receipt merging, indexes.
#include "helpers.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::scheduler;
using namespace herald::scheduler::testing;
using namespace std::chrono_literals;

TEST_CASE("a message record survives the round trip through the ledger") {
  Fixture f;
  MessageRecord m;
  m.id = "20261122T130000Z-abc";
  m.kind = topics::Kind::alert;
  m.sender = "admin";
  m.targets = {"org/branch01", "user:jkowalski"};
  m.title = "Tytuł – ążś";
  m.severity = "critical";
  m.sent_at = t0();
  m.expires_at = t0() + 1h;
  m.recorded_at = t0() + 5ms;
  {
    auto txn = f.ledger.write();
    f.ledger.put_message(txn, m, true);
    txn.commit();
  }
  auto txn = f.ledger.read();
  auto back = f.ledger.message(txn, m.id);
  REQUIRE(back);
  CHECK(back->kind == topics::Kind::alert);
  CHECK(back->targets == m.targets);
  CHECK(back->title == m.title);
  CHECK(back->expires_at == m.expires_at);
  CHECK_FALSE(back->recalled_at);
  CHECK(back->state(t0()) == MessageState::active);
  CHECK(back->state(t0() + 1h) == MessageState::expired);
  CHECK_FALSE(f.ledger.message(txn, "other"));
}

TEST_CASE("a receipt keeps the highest state and the first time of each state") {
  Receipt r;
  r.merge(payloads::AckState::read, t0() + 10s, "jk", "org/b/pc1");
  r.merge(payloads::AckState::delivered, t0() + 1s, "", "org/b/pc1");
  r.merge(payloads::AckState::delivered, t0() + 5s, "", "org/b/pc1");  // a re-sent receipt
  r.merge(payloads::AckState::read, t0() + 20s, "", "org/b/pc1");
  CHECK(r.state == ReceiptState::read);
  CHECK(r.delivered_at == t0() + 1s);
  CHECK_FALSE(r.displayed_at);
  CHECK(r.read_at == t0() + 10s);
  CHECK(r.user == "jk");
  auto back = decode_receipt(encode_receipt(r));
  CHECK(back.state == ReceiptState::read);
  CHECK(back.delivered_at == r.delivered_at);
  CHECK_FALSE(back.displayed_at);
  CHECK(back.read_at == r.read_at);
  CHECK(back.user == "jk");
  CHECK(back.computer == "org/b/pc1");
}

TEST_CASE("a displayed or read receipt alone implies delivered_at, never displayed_at") {
  // Agents send only `displayed` for an alert stored and shown in one step.
  Receipt shown;
  shown.merge(payloads::AckState::displayed, t0() + 2s, "jk", "org/b/pc1");
  CHECK(shown.state == ReceiptState::displayed);
  CHECK(shown.delivered_at == t0() + 2s);
  CHECK(shown.displayed_at == t0() + 2s);
  CHECK_FALSE(shown.read_at);
  // A `delivered` that does come (sent earlier, re-sent) still gives the earliest time.
  shown.merge(payloads::AckState::delivered, t0() + 1s, "", "org/b/pc1");
  CHECK(shown.state == ReceiptState::displayed);
  CHECK(shown.delivered_at == t0() + 1s);
  // A later `displayed` does not move delivered_at.
  shown.merge(payloads::AckState::displayed, t0() + 3s, "", "org/b/pc1");
  CHECK(shown.delivered_at == t0() + 1s);
  CHECK(shown.displayed_at == t0() + 2s);

  // An inbox message read: delivered is implied, displayed is not.
  Receipt read;
  read.merge(payloads::AckState::read, t0() + 9s, "jk", "org/b/pc1");
  CHECK(read.state == ReceiptState::read);
  CHECK(read.delivered_at == t0() + 9s);
  CHECK_FALSE(read.displayed_at);
  CHECK(read.read_at == t0() + 9s);
  auto back = decode_receipt(encode_receipt(read));
  CHECK(back.delivered_at == t0() + 9s);
  CHECK_FALSE(back.displayed_at);
}

TEST_CASE("receipts of one message are one prefix scan, restricted by recipient prefix") {
  Fixture f;
  auto txn = f.ledger.write();
  for (auto who : {"org/b1/pc1", "org/b1/pc2", "org/b2/pc1", "user:jk"})
    f.ledger.put_receipt(txn, "m1", who, Receipt{ReceiptState::delivered, t0(), {}, {}, "", who});
  f.ledger.put_receipt(txn, "m10", "org/b1/pc1", Receipt{});  // id prefix of another id: not included
  std::vector<std::string> seen;
  f.ledger.scan_receipts(txn, "m1", "org/b1", [&](std::string_view r, const Receipt&) {
    seen.emplace_back(r);
    return true;
  });
  CHECK(seen == std::vector<std::string>{"org/b1/pc1", "org/b1/pc2"});
  seen.clear();
  f.ledger.scan_receipts(txn, "m1", "", [&](std::string_view r, const Receipt&) {
    seen.emplace_back(r);
    return true;
  });
  CHECK(seen.size() == 4);
}

TEST_CASE("presence keeps the online-user index in step") {
  Fixture f;
  auto txn = f.ledger.write();
  f.ledger.put_presence(txn, "org/b1/pc1", PresenceRecord{true, t0(), "jk"});
  f.ledger.put_presence(txn, "org/b1/pc2", PresenceRecord{true, t0(), "jk"});
  CHECK(f.ledger.online_computers_of(txn, "jk") == std::vector<std::string>{"org/b1/pc1", "org/b1/pc2"});
  f.ledger.put_presence(txn, "org/b1/pc1", PresenceRecord{false, t0() + 1s, "jk"});
  f.ledger.put_presence(txn, "org/b1/pc2", PresenceRecord{true, t0() + 1s, "an"});
  CHECK(f.ledger.online_computers_of(txn, "jk").empty());
  CHECK(f.ledger.online_computers_of(txn, "an") == std::vector<std::string>{"org/b1/pc2"});
  CHECK_FALSE(f.ledger.presence(txn, "org/b1/pc1")->online);
}

TEST_CASE("the open index yields due messages in expiry order; no expiry is never due") {
  Fixture f;
  auto txn = f.ledger.write();
  auto put = [&](std::string id, std::optional<TimePoint> exp) {
    MessageRecord m;
    m.id = id;
    m.sent_at = t0();
    m.expires_at = exp;
    f.ledger.put_message(txn, m, true);
    return m;
  };
  put("late", t0() + 2h);
  auto early = put("early", t0() + 1h);
  put("never", std::nullopt);
  CHECK(f.ledger.next_expiry(txn) == t0() + 1h);
  CHECK(f.ledger.open_due(txn, t0() + 30min).empty());
  CHECK(f.ledger.open_due(txn, t0() + 1h) == std::vector<std::string>{"early"});
  CHECK(f.ledger.open_due(txn, t0() + 24h * 365) == std::vector<std::string>{"early", "late"});
  f.ledger.close_open(txn, early);
  CHECK(f.ledger.next_expiry(txn) == t0() + 2h);
  std::vector<std::string> open;
  f.ledger.scan_open(txn, TimePoint{}, [&](std::string_view id, std::optional<TimePoint>) {
    open.emplace_back(id);
    return true;
  });
  CHECK(open == std::vector<std::string>{"late", "never"});
}

TEST_CASE("the directory is replaced whole") {
  Fixture f;
  auto txn = f.ledger.write();
  CHECK_FALSE(f.ledger.has_directory(txn));
  f.ledger.replace_directory(txn, {{"org", "central", "HQ", "", ""}, {"org/b1/pc1", "computer", "Desk", "jk", "J K"}});
  f.ledger.replace_directory(txn, {{"org", "central", "HQ", "", ""}, {"org/b2/pc9", "computer", "", "", ""}});
  CHECK(f.ledger.has_directory(txn));
  std::vector<std::string> paths;
  f.ledger.scan_directory(txn, "org", [&](const DirectoryEntry& e) {
    paths.push_back(e.path + ":" + e.kind);
    return true;
  });
  CHECK(paths == std::vector<std::string>{"org:central", "org/b2/pc9:computer"});
}

TEST_CASE("a key LMDB cannot hold fails its write with a protocol error and is never found") {
  // Recipients and scopes come from topics of up to 1024 bytes; LMDB keys stop at 511.
  Fixture f;
  auto txn = f.ledger.write();
  std::string deep = "org/" + std::string(600, 'b');
  try {
    f.ledger.put_receipt(txn, "m1", deep, Receipt{});
    FAIL("a 600-byte key was written");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
  CHECK_FALSE(f.ledger.receipt(txn, "m1", deep));
  CHECK_FALSE(f.ledger.has_route(txn, "m1", deep));
  std::size_t seen = 0;
  f.ledger.scan_receipt_views(txn, "m1", deep, [&](std::string_view, const ReceiptView&) {
    ++seen;
    return true;
  });
  CHECK(seen == 0);
  // The transaction is still good.
  f.ledger.put_receipt(txn, "m1", "org/b1/pc1", Receipt{});
  txn.commit();
  auto read = f.ledger.read();
  CHECK(f.ledger.receipt(read, "m1", "org/b1/pc1"));
}
