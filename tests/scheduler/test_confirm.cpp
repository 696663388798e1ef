// Read and confirm (issue 12) in heraldd: the ledger records `confirmed` per recipient,
// a message that asks for it stays pending until confirmed, status/list/progress count
// confirmations, and a `confirmed` receipt for any other message is dropped.
#include <memory>

#include "helpers.hpp"
#include "herald/common/clock.hpp"
#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "herald/common/plans.hpp"
#include "herald/common/results.hpp"
#include "herald/scheduler/queries.hpp"

using namespace herald;
using namespace herald::scheduler;
using namespace herald::scheduler::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using payloads::AckState;

namespace {

std::string confirm_delivery(std::chrono::milliseconds sent_offset = {}) {
  payloads::Delivery d;
  d.title = "Regulamin";
  d.body = "Read and confirm.";
  d.sent_at = t0() + sent_offset;
  d.expires_at = d.sent_at + std::chrono::hours(24);
  d.require_confirm = true;
  return payloads::encode(d);
}

payloads::Reply ask(Fixture& f, std::string_view op, std::string body, std::string_view scope = "org") {
  static int n = 0;
  auto rid = "cq" + std::to_string(++n);
  auto out = f.feed(topics::request("admin", rid, op, scope), std::move(body));
  return reply_on(out, topics::reply("admin", rid));
}

std::optional<Receipt> receipt(Ledger& ledger, const std::string& id, const std::string& who) {
  auto txn = ledger.read();
  return ledger.receipt(txn, id, who);
}

// The ids pending for `recipient` in a pending result.
std::vector<std::string> pending_of(const results::Pending& p, const std::string& recipient) {
  std::vector<std::string> ids;
  for (const auto& r : p.recipients)
    if (r.recipient == recipient)
      for (const auto& m : r.unread) ids.push_back(m.id);
  return ids;
}

class ManualClock : public herald::Clock {
 public:
  explicit ManualClock(TimePoint t) : t_(t) {}
  TimePoint now() const override { return t_; }
  std::chrono::steady_clock::time_point steady_at(TimePoint t) const override {
    return std::chrono::steady_clock::now() + (t - t_);
  }
  void set(TimePoint t) { t_ = t; }

 private:
  TimePoint t_;
};

}  // namespace

TEST_CASE("a receipt record keeps confirmed_at; records written before confirmations read as before") {
  Receipt r;
  r.merge(AckState::delivered, t0() + 1s, "jk", "org/b/pc1");
  auto old_layout = encode_receipt(r);
  CHECK(old_layout.size() == 26 + 2 + 9);  // no room taken by confirmations
  r.merge(AckState::read, t0() + 5s, "jk", "org/b/pc1");
  r.merge(AckState::confirmed, t0() + 9s, "jk", "org/b/pc1");
  CHECK(r.state == ReceiptState::confirmed);
  CHECK(r.confirmed_at == t0() + 9s);
  CHECK(r.read_at == t0() + 5s);
  auto back = decode_receipt(encode_receipt(r));
  CHECK(back.state == ReceiptState::confirmed);
  CHECK(back.delivered_at == t0() + 1s);
  CHECK(back.read_at == t0() + 5s);
  CHECK(back.confirmed_at == t0() + 9s);
  CHECK(back.user == "jk");
  CHECK(back.computer == "org/b/pc1");
  // The view points into the encoded bytes, so they must outlive it.
  auto encoded = encode_receipt(r);
  auto view = view_receipt(encoded);
  CHECK(view.confirmed_at == t0() + 9s);
  CHECK(view.user == "jk");

  // A lone `confirmed` (the only receipt that arrived) implies read and delivered.
  Receipt lone;
  lone.merge(AckState::confirmed, t0() + 7s, "an", "org/b/pc2");
  CHECK(lone.state == ReceiptState::confirmed);
  CHECK(lone.read_at == t0() + 7s);
  CHECK(lone.delivered_at == t0() + 7s);
  // A later `read` never lowers the state.
  lone.merge(AckState::read, t0() + 8s, "an", "org/b/pc2");
  CHECK(lone.state == ReceiptState::confirmed);
  CHECK(lone.read_at == t0() + 7s);

  // A damaged confirmed record (cut short) is storage damage, not a crash.
  auto cut = encode_receipt(r).substr(0, 30);
  CHECK_THROWS_AS(view_receipt(cut), Error);
}

TEST_CASE("a message that asks for confirmation is pending until confirmed; status shows confirmed_at") {
  Fixture f;
  auto pc1 = "org/b1/pc1", pc2 = "org/b1/pc2";
  f.feed(topics::presence(pc1), presence(true, "jk"));
  f.feed(topics::presence(pc2), presence(true, "an"));
  f.feed(msg_topic("admin", "rc", "org/b1"), confirm_delivery());
  f.feed(msg_topic("admin", "plain", "org/b1"), delivery("b", "Plain", 1s));
  {
    auto txn = f.ledger.read();
    CHECK(f.ledger.message(txn, "rc")->require_confirm);
    CHECK_FALSE(f.ledger.message(txn, "plain")->require_confirm);
  }

  // Both read on pc1: the plain one is done, the one to confirm is still pending.
  f.feed(topics::ack("rc", pc1), ack(AckState::read, t0() + 5s, "jk", "admin"));
  f.feed(topics::ack("plain", pc1), ack(AckState::read, t0() + 5s, "jk", "admin"));
  auto pending = results::read<results::Pending>(ask(f, topics::kOpPending, request()).result);
  CHECK(pending_of(pending, pc1) == std::vector<std::string>{"rc"});
  CHECK(pending_of(pending, pc2) == std::vector<std::string>{"rc", "plain"});
  CHECK(pending.total_unread == 3);
  for (const auto& r : pending.recipients)
    for (const auto& m : r.unread) CHECK(m.require_confirm == (m.id == "rc"));

  auto status = ask(f, topics::kOpStatus, request("rc"));
  REQUIRE(status.ok);
  auto s = results::read<results::Status>(status.result);
  CHECK(s.require_confirm);
  CHECK(s.totals == results::Totals{2, 1, 0, 0, 1, 0});
  REQUIRE(s.recipients.size() == 2);
  CHECK(s.recipients[0].state == ReceiptState::read);
  CHECK_FALSE(s.recipients[0].confirmed_at);
  CHECK(status.result.at("recipients").at(0).contains("confirmed_at"));

  // Confirmed (agents send read, then confirmed): no longer pending; status says when.
  auto out = f.feed(topics::ack("rc", pc1), ack(AckState::confirmed, t0() + 9s, "jk", "admin"));
  bool confirmed_to_agent = false;
  for (const auto& o : out)
    if (o.topic == topics::receipted(pc1))
      for (const auto& item : payloads::decode<payloads::Receipted>(o.payload).receipts)
        confirmed_to_agent = confirmed_to_agent || (item.id == "rc" && item.state == AckState::confirmed);
  CHECK(confirmed_to_agent);
  pending = results::read<results::Pending>(ask(f, topics::kOpPending, request()).result);
  CHECK(pending_of(pending, pc1).empty());
  s = results::read<results::Status>(ask(f, topics::kOpStatus, request("rc")).result);
  CHECK(s.totals == results::Totals{2, 1, 0, 0, 0, 1});
  CHECK(s.recipients[0].state == ReceiptState::confirmed);
  CHECK(s.recipients[0].read_at == t0() + 5s);
  CHECK(s.recipients[0].confirmed_at == t0() + 9s);
  CHECK(s.recipients[0].user == "jk");

  // The status of a message that does not ask has none of the new keys.
  auto plain = ask(f, topics::kOpStatus, request("plain"));
  CHECK(plain.result.dump().find("confirm") == std::string::npos);

  // list counts them; a lone `confirmed` from pc2 (its read was lost) counts as read too.
  f.feed(topics::ack("rc", pc2), ack(AckState::confirmed, t0() + 20s, "an", "admin"));
  auto list = results::read<results::List>(ask(f, topics::kOpList, request()).result);
  REQUIRE(list.messages.size() == 2);
  CHECK(list.messages[1].message.id == "rc");
  CHECK(list.messages[1].require_confirm);
  CHECK(list.messages[1].counts == results::Totals{2, 0, 0, 0, 0, 2});
  CHECK_FALSE(list.messages[0].require_confirm);
  s = results::read<results::Status>(ask(f, topics::kOpStatus, request("rc")).result);
  CHECK(s.recipients[1].read_at == t0() + 20s);
}

TEST_CASE("a confirmed receipt for a message that does not ask for it is dropped, and still confirmed to the agent") {
  Fixture f;
  auto pc = "org/b1/pc1";
  f.feed(msg_topic("admin", "plain", "org/b1"), delivery());
  f.feed(topics::ack("plain", pc), ack(AckState::read, t0() + 5s, "jk", "admin"));
  auto out = f.feed(topics::ack("plain", pc), ack(AckState::confirmed, t0() + 6s, "jk", "admin"));
  auto r = receipt(f.ledger, "plain", pc);
  REQUIRE(r);
  CHECK(r->state == ReceiptState::read);
  CHECK_FALSE(r->confirmed_at);
  // Confirmed so the agent stops sending it: it will never count.
  bool confirmed = false;
  for (const auto& o : out)
    if (o.topic == topics::receipted(pc)) confirmed = true;
  CHECK(confirmed);

  // The same for an early receipt applied when its message is recorded later.
  f.feed(topics::ack("late", pc), ack(AckState::confirmed, t0() + 6s, "jk", "admin"));
  f.feed(msg_topic("admin", "late", "org/b1"), delivery());
  r = receipt(f.ledger, "late", pc);
  CHECK_FALSE(r);
  // ...while an early `confirmed` for a message that asks for it counts.
  f.feed(topics::ack("late2", pc), ack(AckState::confirmed, t0() + 6s, "jk", "admin"));
  f.feed(msg_topic("admin", "late2", "org/b1"), confirm_delivery());
  r = receipt(f.ledger, "late2", pc);
  REQUIRE(r);
  CHECK(r->state == ReceiptState::confirmed);
}

TEST_CASE("a person-addressed message to confirm: pending for the person until confirmed on any computer") {
  Fixture f;
  f.feed(topics::presence("org/b1/pc1"), presence(true, "jk"));
  f.feed(msg_topic("hr", "p", "user:jk"), confirm_delivery());
  f.feed(topics::ack("p", "org/b1/pc1"), ack(AckState::read, t0() + 5s, "jk", "hr"));
  auto pending = results::read<results::Pending>(ask(f, topics::kOpPending, request()).result);
  CHECK(pending_of(pending, "user:jk") == std::vector<std::string>{"p"});
  f.feed(topics::ack("p", "org/b1/pc1"), ack(AckState::confirmed, t0() + 6s, "jk", "hr"));
  pending = results::read<results::Pending>(ask(f, topics::kOpPending, request()).result);
  CHECK(pending_of(pending, "user:jk").empty());
  auto s = results::read<results::Status>(ask(f, topics::kOpStatus, request("p")).result);
  REQUIRE(s.recipients.size() == 1);
  CHECK(s.recipients[0].recipient == "user:jk");
  CHECK(s.recipients[0].state == ReceiptState::confirmed);
}

TEST_CASE("a scheduled message to confirm: every occurrence asks for confirmation") {
  TempDir dir;
  auto real = from_rfc3339("2026-11-30T12:00:00.000Z");
  auto due = std::make_shared<ManualClock>(real);
  Ledger ledger(Ledger::Options{dir.path.string(), false, std::size_t{1} << 28});
  Processor processor(
      ledger, [&] { return real; }, due);
  plans::ScheduleRequest r;
  r.op = plans::ScheduleOp::create;
  r.id = "s1";
  r.title = "Timesheet";
  r.body = "Confirm your timesheet.";
  r.require_confirm = true;
  r.lifetime = std::chrono::hours(24);
  r.targets = {"org/b1"};
  r.when.at = "13:00";
  r.when.tz = "UTC";
  r.when.start = "2026-11-30";
  json j = r;
  CHECK(j.at("require_confirm") == true);
  CHECK(json::parse(j.dump()).get<plans::ScheduleRequest>().require_confirm);
  auto out = processor.process({{topics::schedule("it", "s1r", topics::Kind::message, "org"), j.dump(), false}});
  REQUIRE(reply_on(out, topics::reply("it", "s1r")).ok);
  // Kept across a reload of the record.
  {
    auto txn = ledger.read();
    CHECK(ledger.schedule(txn, "s1")->require_confirm);
  }
  real = from_rfc3339("2026-11-30T13:00:00.000Z");
  due->set(real);
  std::size_t sent = 0;
  for (const auto& o : processor.fire_due()) {
    if (!o.retained || o.payload.empty()) continue;
    CHECK(payloads::decode<payloads::Delivery>(o.payload).require_confirm);
    ++sent;
  }
  CHECK(sent == 1);
}

TEST_CASE("progress counts confirmations of lessons that ask for them; course show marks them") {
  TempDir dir;
  auto real = from_rfc3339("2026-11-30T12:00:00.000Z");
  auto due = std::make_shared<ManualClock>(real);
  Ledger ledger(Ledger::Options{dir.path.string(), false, std::size_t{1} << 28});
  Processor processor(
      ledger, [&] { return real; }, due);
  int n = 0;
  auto send = [&](std::string topic, std::string payload) {
    return processor.process({{std::move(topic), std::move(payload), false}});
  };
  auto campaign = [&](const plans::CampaignRequest& r) {
    auto rid = "c" + std::to_string(++n);
    json j = r;
    return reply_on(send(topics::campaign("hr", rid, "org"), j.dump()), topics::reply("hr", rid));
  };
  auto query = [&](std::string_view op, std::string id) {
    auto rid = "q" + std::to_string(++n);
    return reply_on(send(topics::request("hr", rid, op, "org"), request(std::move(id))), topics::reply("hr", rid));
  };
  auto csv = std::string("path,kind,name,login,person\norg,central,Library,,\norg/b1,branch,B1,,\n") +
             "org/b1/pc1,computer,PC 1,anowak,Anna Nowak\norg/b1/pc2,computer,PC 2,bkowal,Bartosz Kowal\n";
  REQUIRE(reply_on(send(topics::request("hr", "imp", topics::kOpImport, "org"), request({}, csv)),
                   topics::reply("hr", "imp"))
              .ok);

  course::Course c;
  c.id = "rodo";
  c.title = "RODO";
  c.lessons.push_back(course::Lesson{"One", "First.", {}, {}});
  c.lessons.push_back(course::Lesson{"Two", "Second.", {}, {}, true});
  plans::CampaignRequest create;
  create.op = plans::CampaignOp::course_create;
  create.course = c;
  REQUIRE(campaign(create).ok);
  auto shown = results::read<results::CourseDetail>(query(topics::kOpCourses, "rodo").result);
  REQUIRE(shown.lessons.size() == 2);
  CHECK_FALSE(shown.lessons[0].require_confirm);
  CHECK(shown.lessons[1].require_confirm);

  plans::CampaignRequest start;
  start.op = plans::CampaignOp::start;
  start.id = "k1";
  start.course_id = "rodo";
  start.targets = {"org/b1"};
  start.when.rule = "FREQ=DAILY;COUNT=2";
  start.when.at = "09:00";
  start.when.tz = "UTC";
  start.when.start = "2026-12-01";
  auto started = campaign(start);
  REQUIRE_MESSAGE(started.ok, started.error);
  real = from_rfc3339("2026-12-02T10:00:00.000Z");
  due->set(real);
  std::vector<std::string> ids;
  for (const auto& o : processor.fire_due()) {
    if (!o.retained || o.payload.empty()) continue;
    auto topic = topics::parse(o.topic);
    if (!std::holds_alternative<topics::DeliveryTopic>(topic)) continue;
    ids.push_back(std::get<topics::DeliveryTopic>(topic).id);
    auto d = payloads::decode<payloads::Delivery>(o.payload);
    CHECK(d.require_confirm == (d.title == "Two"));
  }
  REQUIRE(ids.size() == 2);

  // Anna reads both and confirms lesson 2; Bartosz reads lesson 2 only.
  auto t = real;
  send(topics::ack(ids[0], "org/b1/pc1"), ack(AckState::read, t, "anowak", "hr"));
  send(topics::ack(ids[1], "org/b1/pc1"), ack(AckState::read, t + 1min, "anowak", "hr"));
  send(topics::ack(ids[1], "org/b1/pc1"), ack(AckState::confirmed, t + 2min, "anowak", "hr"));
  send(topics::ack(ids[1], "org/b1/pc2"), ack(AckState::read, t + 3min, "bkowal", "hr"));
  auto reply = query(topics::kOpProgress, "rodo");
  REQUIRE_MESSAGE(reply.ok, reply.error);
  auto p = results::read<results::Progress>(reply.result);
  REQUIRE(p.people.size() == 2);
  CHECK(p.people[0] == results::PersonProgress{"anowak", "Anna Nowak", 2, 2, 2, t, t + 2min, 1});
  CHECK(p.people[1].read == 1);
  CHECK(p.people[1].confirmed == 0);
  REQUIRE(p.lessons.size() == 2);
  CHECK_FALSE(p.lessons[0].require_confirm);
  CHECK(p.lessons[0].confirmed == 0);
  CHECK(p.lessons[1].require_confirm);
  CHECK(p.lessons[1].read == 2);
  CHECK(p.lessons[1].confirmed == 1);
  CHECK(reply.result.at("people").at(0).at("confirmed") == 1);
}

TEST_CASE("remind of a message to confirm: those who read it but have not confirmed are reminded too") {
  Fixture f;
  auto pc1 = "org/b1/pc1", pc2 = "org/b1/pc2", pc3 = "org/b1/pc3";
  f.feed(msg_topic("admin", "rc", "org/b1"), confirm_delivery());
  f.feed(topics::ack("rc", pc1), ack(AckState::read, t0() + 5s, "jk", "admin"));
  f.feed(topics::ack("rc", pc2), ack(AckState::confirmed, t0() + 6s, "an", "admin"));
  f.feed(topics::ack("rc", pc3), ack(AckState::delivered, t0() + 7s, "bo", "admin"));
  f.feed(msg_topic("admin", "plain", "org/b1"), delivery());
  f.feed(topics::ack("plain", pc1), ack(AckState::read, t0() + 5s, "jk", "admin"));
  f.feed(topics::ack("plain", pc3), ack(AckState::delivered, t0() + 7s, "bo", "admin"));

  auto remind = [&](const std::string& id) {
    plans::ScheduleRequest r;
    r.op = plans::ScheduleOp::remind;
    r.id = id;
    json j = r;
    auto rid = "rm-" + id;
    auto out = f.feed(topics::schedule("admin", rid, topics::Kind::message, "org"), j.dump());
    auto reply = reply_on(out, topics::reply("admin", rid));
    REQUIRE_MESSAGE(reply.ok, reply.error);
    return results::read<results::Reminded>(reply.result).recipients;
  };
  CHECK(remind("rc") == std::vector<std::string>{pc1, pc3});
  CHECK(remind("plain") == std::vector<std::string>{pc3});
}
