// Read and confirm (issue 12) in the wire contract: a Delivery's require_confirm, the
// receipt state `confirmed`, the results' confirmation fields (written only for messages
// and courses that ask for confirmation), and courses whose lessons ask for it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "temp_dir.hpp"

using namespace herald;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

TimePoint at(const char* text) { return from_rfc3339(text); }

payloads::Delivery sample_delivery() {
  payloads::Delivery d;
  d.title = "Nowy regulamin";
  d.body = "Przeczytaj i potwierdź.";
  d.sent_at = at("2026-11-22T13:00:00.000Z");
  d.expires_at = at("2026-12-22T13:00:00.000Z");
  return d;
}

}  // namespace

TEST_CASE("require_confirm travels in a Delivery only when true, so other payloads are unchanged") {
  auto d = sample_delivery();
  auto plain = payloads::encode(d);
  CHECK(plain.find("require_confirm") == std::string::npos);
  CHECK_FALSE(payloads::decode<payloads::Delivery>(plain).require_confirm);

  d.require_confirm = true;
  auto asking = payloads::encode(d);
  CHECK(json::parse(asking).at("require_confirm") == true);
  CHECK(payloads::decode<payloads::Delivery>(asking).require_confirm);
  // The same payload but for the flag: nothing else moves.
  auto without = json::parse(asking);
  without.erase("require_confirm");
  CHECK(without == json::parse(plain));

  // Explicit false and null read as false; anything but a boolean is refused.
  auto j = json::parse(plain);
  j["require_confirm"] = false;
  CHECK_FALSE(payloads::decode<payloads::Delivery>(j.dump()).require_confirm);
  j["require_confirm"] = nullptr;
  CHECK_FALSE(payloads::decode<payloads::Delivery>(j.dump()).require_confirm);
  for (auto bad : {json("true"), json(1), json::array(), json::object()}) {
    j["require_confirm"] = bad;
    CAPTURE(j.dump());
    CHECK_THROWS_WITH_AS(payloads::decode<payloads::Delivery>(j.dump()), doctest::Contains("require_confirm"), Error);
  }
}

TEST_CASE("the receipt state confirmed follows read, on the wire and in results") {
  using payloads::AckState;
  CHECK(static_cast<int>(AckState::confirmed) == 4);
  CHECK(payloads::ack_state_name(AckState::confirmed) == "confirmed");
  CHECK(payloads::ack_state_from_name("confirmed") == AckState::confirmed);
  payloads::Ack a{AckState::confirmed, at("2026-11-22T13:05:00.000Z"), "jkowalski", "admin"};
  auto back = payloads::decode<payloads::Ack>(payloads::encode(a));
  CHECK(back.state == AckState::confirmed);
  CHECK(back.at == a.at);
  payloads::Receipted r;
  r.receipts = {{"m1", AckState::read}, {"m1", AckState::confirmed}};
  CHECK(payloads::decode<payloads::Receipted>(payloads::encode(r)).receipts == r.receipts);

  using results::ReceiptState;
  CHECK(static_cast<int>(ReceiptState::confirmed) == 4);
  CHECK(ReceiptState::confirmed > ReceiptState::read);
  CHECK(results::state_name(ReceiptState::confirmed) == "confirmed");
  CHECK(results::receipt_state_from_name("confirmed") == ReceiptState::confirmed);
  results::Totals t;
  t.add(ReceiptState::read);
  t.add(ReceiptState::confirmed);
  CHECK(t == results::Totals{2, 0, 0, 0, 1, 1});
}

TEST_CASE("hostile receipt states are protocol errors") {
  for (const char* state : {"CONFIRMED", "confirmed ", "acknowledged", "5", ""}) {
    CAPTURE(state);
    auto payload = json{{"v", 1}, {"state", state}, {"at", "2026-11-22T13:00:00Z"}}.dump();
    try {
      (void)payloads::decode<payloads::Ack>(payload);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::protocol);
    }
  }
  CHECK_THROWS_AS(payloads::decode<payloads::Ack>(R"({"v":1,"state":4,"at":"2026-11-22T13:00:00Z"})"), Error);
  CHECK_THROWS_AS(payloads::decode<payloads::Receipted>(R"({"v":1,"receipts":[{"id":"m1","state":"signed"}]})"), Error);
  CHECK_THROWS_AS(results::receipt_state_from_name("Confirmed"), Error);
}

TEST_CASE("a status of a message that asks for confirmation: require_confirm, totals.confirmed, confirmed_at") {
  results::Status s;
  s.message = results::MessageSummary{"m1",
                                      topics::Kind::message,
                                      "Regulamin",
                                      "hr",
                                      {"org/b1"},
                                      at("2026-11-22T13:00:00.000Z"),
                                      at("2026-12-22T13:00:00.000Z")};
  s.require_confirm = true;
  results::RecipientStatus done{"org/b1/pc1",
                                results::ReceiptState::confirmed,
                                at("2026-11-22T13:00:01.000Z"),
                                {},
                                at("2026-11-22T13:02:00.000Z"),
                                std::string("jk"),
                                std::string("org/b1/pc1")};
  done.confirmed_at = at("2026-11-22T13:03:00.000Z");
  s.recipients.push_back(done);
  s.recipients.push_back(results::RecipientStatus{"org/b1/pc2",
                                                  results::ReceiptState::read,
                                                  at("2026-11-22T13:00:01.000Z"),
                                                  {},
                                                  at("2026-11-22T13:04:00.000Z"),
                                                  std::string("an"),
                                                  std::string("org/b1/pc2")});
  for (const auto& r : s.recipients) s.totals.add(r.state);
  auto text = results::encode(s);
  CHECK(results::decode<results::Status>(text) == s);
  CHECK(text.find(R"("state":"active","require_confirm":true,"totals":{"recipients":2,"pending":0,"delivered":0,)"
                  R"("displayed":0,"read":1,"confirmed":1},)") != std::string::npos);
  CHECK(text.find(R"("read_at":"2026-11-22T13:02:00.000Z","confirmed_at":"2026-11-22T13:03:00.000Z","user":"jk")") !=
        std::string::npos);
  CHECK(text.find(R"("read_at":"2026-11-22T13:04:00.000Z","confirmed_at":null,"user":"an")") != std::string::npos);

  // The streaming writer writes the same.
  std::string out;
  results::StatusWriter w(out, s);
  for (const auto& r : s.recipients) {
    results::RecipientStatusRef ref{r.recipient, r.state, r.delivered_at, r.displayed_at, r.read_at,
                                    {},          {},      r.confirmed_at};
    if (r.user) ref.user = *r.user;
    if (r.computer) ref.computer = *r.computer;
    w.add(ref);
  }
  w.finish();
  CHECK(out == text);

  // Any other message's status has none of these keys.
  s.require_confirm = false;
  s.recipients.clear();
  s.totals = {};
  text = results::encode(s);
  CHECK(text.find("confirm") == std::string::npos);
}

TEST_CASE("list, pending and progress carry confirmations only where asked for") {
  results::List l;
  results::ListedMessage m;
  m.message =
      results::MessageSummary{"m1", topics::Kind::message, "T", "hr", {"org"}, at("2026-11-22T13:00:00.000Z"), {}};
  m.counts = results::Totals{5, 1, 1, 0, 1, 2};
  m.require_confirm = true;
  l.messages.push_back(m);
  m.message.id = "m0";
  m.counts = results::Totals{1, 0, 0, 0, 1, 0};
  m.require_confirm = false;
  l.messages.push_back(m);
  auto list = results::encode(l);
  CHECK(results::decode<results::List>(list) == l);
  CHECK(list.find(R"("state":"active","require_confirm":true,"recipients":5,"delivered":1,"displayed":0,"read":1,)"
                  R"("confirmed":2,"pending":1})") != std::string::npos);
  CHECK(list.find(R"("state":"active","recipients":1,"delivered":0,"displayed":0,"read":1,"pending":0})") !=
        std::string::npos);

  results::Pending p;
  p.under = "org";
  p.total_unread = 2;
  results::UnreadMessage a{"m1", topics::Kind::message, "T", at("2026-11-22T13:00:00.000Z"), true};
  results::UnreadMessage b{"m2", topics::Kind::message, "U", at("2026-11-22T14:00:00.000Z")};
  p.recipients.push_back(results::PendingRecipient{"org/b1/pc1", std::nullopt, {a, b}});
  auto pending = results::encode(p);
  CHECK(results::decode<results::Pending>(pending) == p);
  CHECK(pending.find(R"("title":"T","sent_at":"2026-11-22T13:00:00.000Z","require_confirm":true})") !=
        std::string::npos);
  CHECK(pending.find(R"("title":"U","sent_at":"2026-11-22T14:00:00.000Z"})") != std::string::npos);

  results::Progress progress;
  progress.course = "bhp";
  progress.people.push_back(
      results::PersonProgress{"jk", "Jan", 2, 2, 2, at("2026-11-22T13:00:00.000Z"), at("2026-11-22T14:00:00.000Z"), 1});
  results::LessonProgress first{"l1", "One", 1, 1, 0};
  results::LessonProgress second{"l2", "Two", 1, 1, 0};
  second.confirmed = 1;
  second.require_confirm = true;
  progress.lessons = {first, second};
  auto text = results::encode(progress);
  CHECK(results::decode<results::Progress>(text) == progress);
  CHECK(text.find(R"("last_at":"2026-11-22T14:00:00.000Z","confirmed":1})") != std::string::npos);
  CHECK(text.find(R"("title":"Two","sent":1,"read":1,"unread":0,"confirmed":1,"require_confirm":true})") !=
        std::string::npos);
  CHECK(text.find(R"("title":"One","sent":1,"read":1,"unread":0,"confirmed":0})") != std::string::npos);
  // A course without lessons to confirm: no confirmation keys at all.
  progress.lessons = {first};
  progress.people[0].confirmed = 0;
  CHECK(results::encode(progress).find("confirm") == std::string::npos);

  results::CourseDetail course;
  course.course.id = "bhp";
  course.lessons.push_back(results::LessonSummary{1, "One", 0, 0, 10});
  course.lessons.push_back(results::LessonSummary{2, "Two", 0, 0, 10, true});
  auto detail = results::encode(course);
  CHECK(results::decode<results::CourseDetail>(detail) == course);
  CHECK(detail.find(R"("bytes":10,"require_confirm":true})") != std::string::npos);
}

TEST_CASE("results of an older heraldd (no confirmation keys) still read; wrong types do not") {
  auto s = results::decode<results::Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":[],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":1,"pending":0,"delivered":0,"displayed":0,"read":1},)"
      R"("recipients":[{"recipient":"org/pc1","state":"read"}]})");
  CHECK_FALSE(s.require_confirm);
  CHECK(s.totals.confirmed == 0);
  CHECK_FALSE(s.recipients.at(0).confirmed_at);
  CHECK_THROWS_AS(
      results::decode<results::Status>(
          R"({"id":"m","kind":"message","title":"","sender":"a","targets":[],"sent_at":"2026-11-22T13:00:00.000Z",)"
          R"("state":"active","require_confirm":"yes","totals":{"recipients":0,"pending":0,"delivered":0,)"
          R"("displayed":0,"read":0},"recipients":[]})"),
      Error);
  CHECK_THROWS_AS(
      results::decode<results::Status>(
          R"({"id":"m","kind":"message","title":"","sender":"a","targets":[],"sent_at":"2026-11-22T13:00:00.000Z",)"
          R"("state":"active","totals":{"recipients":0,"pending":0,"delivered":0,"displayed":0,"read":0,)"
          R"("confirmed":-1},"recipients":[]})"),
      Error);
}

TEST_CASE("a course asks for confirmation per course or per lesson; its lessons' deliveries carry it") {
  herald::test::TempDir tmp;
  auto dir = tmp.path / "c";
  fs::create_directories(dir);
  std::ofstream(dir / "course.json") << R"({"id":"rodo","title":"RODO","require_confirm":true,"lessons":[
    {"title":"One","body":"First."},
    {"title":"Two","body":"Second.","require_confirm":false}]})";
  auto c = course::load(dir);
  REQUIRE(c.lessons.size() == 2);
  CHECK(c.lessons[0].require_confirm);
  CHECK_FALSE(c.lessons[1].require_confirm);
  CHECK(course::lesson_delivery(c, 0).require_confirm);
  CHECK_FALSE(course::lesson_delivery(c, 1).require_confirm);

  // The wire form: only a lesson that asks carries the key; it round-trips.
  json j = c;
  CHECK(j.at("lessons").at(0).at("require_confirm") == true);
  CHECK_FALSE(j.at("lessons").at(1).contains("require_confirm"));
  CHECK(json::parse(j.dump()).get<course::Course>() == c);
  auto bad = j;
  bad["lessons"][0]["require_confirm"] = "yes";
  CHECK_THROWS_AS(bad.get<course::Course>(), Error);

  // Per lesson only, and a wrong type in a manifest is one line naming the file.
  std::ofstream(dir / "course.json", std::ios::trunc) << R"({"id":"rodo","title":"RODO","lessons":[
    {"title":"One","body":"First."},{"title":"Two","body":"Second.","require_confirm":true}]})";
  c = course::load(dir);
  CHECK_FALSE(c.lessons[0].require_confirm);
  CHECK(c.lessons[1].require_confirm);
  CHECK_FALSE(json(c).at("lessons").at(0).contains("require_confirm"));
  std::ofstream(dir / "course.json", std::ios::trunc)
      << R"({"id":"rodo","title":"RODO","lessons":[{"title":"One","body":"First.","require_confirm":1}]})";
  try {
    course::load(dir);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find("course.json: lesson 1: 'require_confirm' must be true or false") !=
          std::string::npos);
  }
}
