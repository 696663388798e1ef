#include <doctest/doctest.h>

#include <sstream>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::agent;
using herald::agent::test::TempDir;

namespace {
topics::DeliveryTopic alert_topic(std::string id, std::string target = "org/b1") {
  return topics::DeliveryTopic{topics::Kind::alert, "secops", std::move(id), Target::parse(target)};
}
const std::string kPath = "org/b1/pc1";

payloads::Ack ack_of(const OutboxEntry& e) { return payloads::decode<payloads::Ack>(e.payload); }
}  // namespace

TEST_CASE("a new delivery is stored once and acked once, in the same transaction") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  auto d = test::delivery();
  CHECK(inbox.accept(alert_topic("m1"), d, kPath, "jkowalski", now) == DeliveryOutcome::stored);
  CHECK(inbox.accept(alert_topic("m1"), d, kPath, "jkowalski", now) == DeliveryOutcome::duplicate);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == topics::ack("m1", kPath));
  CHECK(ack_of(out[0]).state == payloads::AckState::delivered);
  CHECK(ack_of(out[0]).user == "jkowalski");
  auto m = inbox.find("m1");
  REQUIRE(m);
  CHECK(m->sender == "secops");
  CHECK(m->target == "org/b1");
  CHECK(m->kind == topics::Kind::alert);
  CHECK(m->state() == "delivered");
  CHECK(m->received_at == now);
}

TEST_CASE("check answers what accept would, without writing anything") {
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  auto now = herald::now();
  auto d = test::delivery();
  CHECK(inbox.check(alert_topic("c1"), d, now) == DeliveryOutcome::stored);
  CHECK_FALSE(inbox.find("c1"));
  CHECK(inbox.outbox_size() == 0);
  inbox.accept(alert_topic("c1"), d, kPath, "anna", now);
  CHECK(inbox.check(alert_topic("c1"), d, now) == DeliveryOutcome::duplicate);
  auto old = d;
  old.expires_at = now - std::chrono::seconds(1);
  CHECK(inbox.check(alert_topic("c2"), old, now) == DeliveryOutcome::expired);
}

TEST_CASE("an alert accepted as already shown is stored displayed with one displayed receipt") {
  TempDir dir;
  lmdb::Env env{dir.path, agent_env_options()};
  Inbox inbox{env};
  auto now = herald::now();
  std::string key;
  auto shown = now + std::chrono::milliseconds(3);
  CHECK(inbox.accept(alert_topic("d1"), test::delivery(), kPath, "anna", now, &key, shown) == DeliveryOutcome::stored);
  CHECK(key.empty());  // no `delivered` receipt to replace later
  CHECK(inbox.find("d1")->displayed_at == shown);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 1);
  auto ack = payloads::decode<payloads::Ack>(out[0].payload);
  CHECK(ack.state == payloads::AckState::displayed);
  CHECK(ack.at == shown);
  CHECK_FALSE(inbox.mark_displayed("d1", shown, kPath, "anna"));  // already displayed
}

TEST_CASE("outbox keeps send order across receipts and survives reopening the env") {
  TempDir dir;
  auto now = herald::now();
  {
    lmdb::Env env(dir.path, agent_env_options());
    Inbox inbox(env);
    for (int i = 0; i < 12; ++i) inbox.accept(alert_topic("m" + std::to_string(i)), test::delivery(), kPath, "", now);
    CHECK(inbox.mark_displayed("m3", now, kPath, ""));
    CHECK_FALSE(inbox.mark_displayed("m3", now, kPath, ""));  // once
    CHECK_FALSE(inbox.mark_displayed("nope", now, kPath, ""));
  }
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 13);
  for (int i = 0; i < 12; ++i)
    CHECK(out[static_cast<std::size_t>(i)].topic == topics::ack("m" + std::to_string(i), kPath));
  CHECK(ack_of(out[12]).state == payloads::AckState::displayed);
  for (std::size_t i = 1; i < out.size(); ++i) CHECK(out[i - 1].key < out[i].key);
  CHECK(out[0].key == "00000000000000000001");
  CHECK(inbox.remove_outbox(out[0].key));
  CHECK_FALSE(inbox.remove_outbox(out[0].key));
  CHECK(inbox.outbox_size() == 12);
  CHECK(inbox.outbox(2).size() == 2);
  // New entries continue the sequence, never reuse a key.
  inbox.enqueue("t", "p");
  CHECK(inbox.outbox().back().key == "00000000000000000014");
}

TEST_CASE("displayed replaces the delivered receipt queued in the same step, and only that") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env, "s1");
  Inbox other(env, "s2");
  auto now = herald::now();
  std::string key1, key2, key3;
  CHECK(inbox.accept(alert_topic("m1"), test::delivery(), kPath, "anna", now, &key1) == DeliveryOutcome::stored);
  CHECK(inbox.accept(alert_topic("m2"), test::delivery(), kPath, "anna", now, &key2) == DeliveryOutcome::stored);
  CHECK(other.accept(alert_topic("m3"), test::delivery(), kPath, "anna", now, &key3) == DeliveryOutcome::stored);
  std::string unset = "untouched";
  CHECK(inbox.accept(alert_topic("m1"), test::delivery(), kPath, "anna", now, &unset) == DeliveryOutcome::duplicate);
  CHECK(unset == "untouched");

  // Stored and shown in one step: one entry, `displayed`, in the delivered one's place.
  auto shown_at = now + std::chrono::milliseconds(40);
  CHECK(inbox.mark_displayed("m1", shown_at, kPath, "anna", key1));
  auto out = inbox.outbox();
  REQUIRE(out.size() == 2);
  CHECK(out[0].key == key1);
  CHECK(out[0].topic == topics::ack("m1", kPath));
  CHECK(ack_of(out[0]).state == payloads::AckState::displayed);
  CHECK(ack_of(out[0]).at == shown_at);
  CHECK(ack_of(out[0]).user == "anna");
  CHECK(ack_of(out[1]).state == payloads::AckState::delivered);

  // A key that is not this message's own `delivered` is never overwritten: `displayed`
  // is queued as a new entry instead.
  CHECK(inbox.mark_displayed("m2", now, kPath, "anna", key1));           // m1's (now displayed) entry
  CHECK(inbox.mark_displayed("m1", now, kPath, "anna", key2) == false);  // already displayed
  out = inbox.outbox();
  REQUIRE(out.size() == 3);
  CHECK(ack_of(out[0]).state == payloads::AckState::displayed);
  CHECK(out[1].topic == topics::ack("m2", kPath));
  CHECK(ack_of(out[1]).state == payloads::AckState::delivered);
  CHECK(out[2].topic == topics::ack("m2", kPath));
  CHECK(ack_of(out[2]).state == payloads::AckState::displayed);
  // Another inbox's key, or an entry already gone (acknowledged): a new entry too.
  CHECK(other.mark_displayed("m3", now, kPath, "anna", key1));
  CHECK(other.outbox().size() == 2);
  CHECK(inbox.remove_outbox(key2));
  CHECK(inbox.outbox_size() == 2);
}

TEST_CASE("mark_read queues one read receipt and reports unknown ids") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  inbox.accept(alert_topic("m1"), test::delivery(), kPath, "", now);
  auto m = inbox.mark_read("m1", now, kPath, "anna");
  REQUIRE(m.read_at);
  CHECK(m.state() == "read");
  inbox.mark_read("m1", now + std::chrono::seconds(5), kPath, "anna");
  auto out = inbox.outbox();
  REQUIRE(out.size() == 2);
  CHECK(ack_of(out[1]).state == payloads::AckState::read);
  CHECK(ack_of(out[1]).user == "anna");
  CHECK(*inbox.find("m1")->read_at == now);
  try {
    inbox.mark_read("zzz", now, kPath, "");
    FAIL("expected not_found");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()) == "unknown message id 'zzz'");
  }
}

TEST_CASE("recall deletes a message under its target and blocks late copies") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  payloads::Recall recall{now, now + std::chrono::hours(1)};
  inbox.accept(alert_topic("m1", "org/b1"), test::delivery(), kPath, "", now);
  inbox.accept(alert_topic("m2", "org"), test::delivery(), kPath, "", now);

  // Only the sending account may recall: another account's recall removes nothing and
  // its tombstone does not block the sender's copies.
  CHECK_FALSE(inbox.apply_recall(topics::RecallTopic{"intruder", "m1", Target::parse("org")}, recall, now));
  CHECK(inbox.find("m1"));
  // A recall for org/b1 does not cover a copy that came addressed to the whole org.
  CHECK_FALSE(inbox.apply_recall(topics::RecallTopic{"secops", "m2", Target::parse("org/b1")}, recall, now));
  CHECK(inbox.find("m2"));
  CHECK(inbox.apply_recall(topics::RecallTopic{"secops", "m1", Target::parse("org")}, recall, now));
  CHECK_FALSE(inbox.find("m1"));
  CHECK(inbox.tombstone("m1"));
  // The retained delivery arriving again after a reconnect is ignored.
  CHECK(inbox.accept(alert_topic("m1"), test::delivery(), kPath, "", now) == DeliveryOutcome::recalled);
  // Recall before the message: the message never enters the inbox.
  inbox.apply_recall(topics::RecallTopic{"secops", "m3", Target::parse(kPath)}, recall, now);
  CHECK(inbox.accept(alert_topic("m3"), test::delivery(), kPath, "", now) == DeliveryOutcome::recalled);
  CHECK(inbox.outbox().size() == 2);
}

TEST_CASE("expired messages and tombstones are purged; next_expiry is the earliest") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  CHECK_FALSE(inbox.next_expiry());
  CHECK(inbox.accept(alert_topic("old"), test::delivery("x", "info", std::chrono::milliseconds(-1)), kPath, "", now) ==
        DeliveryOutcome::expired);
  inbox.accept(alert_topic("soon"), test::delivery("x", "info", std::chrono::seconds(10)), kPath, "", now);
  inbox.accept(alert_topic("late"), test::delivery("x", "info", std::chrono::hours(10)), kPath, "", now);
  inbox.apply_recall(topics::RecallTopic{"secops", "r1", Target::parse("org")},
                     payloads::Recall{now, now + std::chrono::seconds(20)}, now);
  auto soon = inbox.find("soon")->delivery.expires_at;
  CHECK(inbox.next_expiry() == soon);
  CHECK(inbox.messages(now).size() == 2);
  CHECK(inbox.messages(*soon).size() == 1);  // listing hides expired ones already

  CHECK(inbox.purge_expired(now) == 0);
  CHECK(inbox.purge_expired(now + std::chrono::seconds(30)) == 1);
  CHECK_FALSE(inbox.find("soon"));
  CHECK_FALSE(inbox.tombstone("r1"));
  CHECK(inbox.find("late"));
  CHECK(inbox.next_expiry() == inbox.find("late")->delivery.expires_at);
}

TEST_CASE("several inboxes share one env through key prefixes") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox a(env, "s001");
  Inbox b(env, "s002");
  Inbox c(env, "s0010");  // not confused with s001 by prefix scans
  auto now = herald::now();
  a.accept(alert_topic("m1"), test::delivery(), "org/b1/pc1", "", now);
  b.accept(alert_topic("m1"), test::delivery(), "org/b1/pc2", "", now);
  b.accept(alert_topic("m2"), test::delivery(), "org/b1/pc2", "", now);
  CHECK(a.messages(now).size() == 1);
  CHECK(b.messages(now).size() == 2);
  CHECK(c.messages(now).empty());
  CHECK(a.outbox().size() == 1);
  CHECK(b.outbox().size() == 2);
  CHECK(a.outbox_size() == 1);
  CHECK(c.outbox_size() == 0);
  CHECK(a.outbox()[0].topic == topics::ack("m1", "org/b1/pc1"));
  CHECK(b.outbox()[0].key == "s002/00000000000000000001");
}

TEST_CASE("inbox JSON has the documented fields") {
  StoredMessage m;
  m.id = "m1";
  m.kind = topics::Kind::alert;
  m.sender = "secops";
  m.target = "org";
  m.delivery = test::delivery();
  m.delivery.links = {"https://intranet.example/x"};
  m.received_at = herald::now();
  auto j = to_json(m);
  for (const char* field : {"id", "kind", "title", "body", "severity", "links", "sender", "target", "sent_at",
                            "expires_at", "received_at", "displayed_at", "read_at", "for_user", "state"})
    CHECK_MESSAGE(j.contains(field), field);
  CHECK(j["kind"] == "alert");
  CHECK(j["read_at"].is_null());
  CHECK(j["displayed_at"].is_null());
  auto back = stored_message_from_json(j);
  CHECK(back.id == "m1");
  CHECK(back.delivery.links == m.delivery.links);
  CHECK(back.delivery.expires_at == m.delivery.expires_at);
}

// ---- issue 9: a damaged stored record never stops the agent or `herald-agent inbox`

TEST_CASE("a damaged inbox record is skipped and reported, then set aside; the rest works") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto now = herald::now();
  CHECK(inbox.accept(alert_topic("good"), test::delivery(), kPath, "anna", now) == DeliveryOutcome::stored);
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    lmdb::Db::open(txn, "inbox").put(txn, "broken", "{\"id\":\"broken\",");
    lmdb::Db::open(txn, "tombstones").put(txn, "broken-t", "not json");
    txn.commit();
  }
  // Reads go on around them.
  auto listed = inbox.messages(now);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == "good");
  CHECK_FALSE(inbox.find("broken"));
  CHECK_FALSE(inbox.tombstone("broken-t"));
  CHECK(inbox.next_expiry());
  // A delivery under the damaged tombstone's id is not taken for recalled.
  CHECK(inbox.accept(alert_topic("broken-t"), test::delivery(), kPath, "anna", now) == DeliveryOutcome::stored);
  // Reading a damaged message sets it aside and says so.
  CHECK_THROWS_AS(inbox.mark_read("broken", now, kPath, "anna"), Error);
  // purge_expired moves what is left to `quarantine`.
  inbox.purge_expired(now);
  lmdb::Txn txn(env, lmdb::Txn::Mode::read);
  auto quarantine = lmdb::Db::open(txn, "quarantine");
  CHECK(quarantine.get(txn, "inbox/broken") == std::string("{\"id\":\"broken\","));
  CHECK(quarantine.get(txn, "tombstones/broken-t") == std::string("not json"));
  CHECK_FALSE(lmdb::Db::open(txn, "inbox").get(txn, "broken"));
}

TEST_CASE("herald-agent inbox lists around a damaged record") {
  TempDir dir;
  {
    lmdb::Env env(dir.path, agent_env_options());
    Inbox inbox(env);
    inbox.accept(alert_topic("good"), test::delivery(), kPath, "anna", herald::now());
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    lmdb::Db::open(txn, "inbox").put(txn, "broken", "\xff");
    txn.commit();
  }
  AgentConfig config;
  config.data_dir = dir.path;
  std::ostringstream out;
  list_inbox(config, true, out);
  CHECK(out.str().find("\"good\"") != std::string::npos);
}

// ---- issue 10: a lesson's images and reference survive storage

TEST_CASE("a lesson is stored with its images and lesson reference; the listing summarises the images") {
  TempDir dir;
  lmdb::Env env(dir.path, agent_env_options());
  Inbox inbox(env);
  auto d = test::delivery("Fire exits", "info");
  d.images = {payloads::Image{"exit.png", "image/png", std::string("\x89PNG\r\n\x1a\n\0\xff", 10)}};
  d.lesson = payloads::LessonRef{"bhp-2026", "c1", 3, 8};
  REQUIRE(inbox.accept(topics::DeliveryTopic{topics::Kind::message, "hr", "l1", Target::parse("org")}, d, "org/b1/pc1",
                       "anna", herald::now()) == DeliveryOutcome::stored);
  auto stored = inbox.find("l1");
  REQUIRE(stored);
  CHECK(stored->delivery.images == d.images);
  REQUIRE(stored->delivery.lesson);
  CHECK(*stored->delivery.lesson == *d.lesson);
  // Read back after another write (mark_read rewrites the record).
  auto read = inbox.mark_read("l1", herald::now(), "org/b1/pc1", "anna");
  CHECK(read.delivery.images == d.images);
  CHECK(inbox.find("l1")->delivery.images == d.images);

  auto listing = to_json(*stored);
  CHECK(listing["lesson"]["of"] == 8);
  CHECK(listing["images"][0] == nlohmann::json::parse(R"({"name":"exit.png","type":"image/png","size":10})"));
  auto full = to_json(*stored, true);
  CHECK(full["images"][0]["data"] == payloads::base64_encode(d.images[0].data));
  CHECK(stored_message_from_json(full).delivery.images == d.images);
  // A stored image that no longer passes the receipt checks is a damaged record.
  full["images"][0]["name"] = "../x.png";
  CHECK_THROWS_AS(stored_message_from_json(full), Error);
}
