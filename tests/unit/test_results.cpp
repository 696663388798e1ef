// Query results: every schema survives encode -> from_json, the fast writers' text is
// what the typed readers read back, and a malformed result is Error(protocol).
#include <doctest/doctest.h>

#include "herald/common/error.hpp"
#include "herald/common/results.hpp"

using namespace herald;
using namespace herald::results;
using nlohmann::json;

namespace {

TimePoint at(const char* text) { return from_rfc3339(text); }

Status sample_status() {
  Status s;
  s.message = MessageSummary{"20261122T130118Z-3f9a2c1b7d",        topics::Kind::alert,
                             "Say \"hi\" \\ now\n\t\x01 – zażółć", "secops",
                             {"org/branch01", "user:jk"},          at("2026-11-22T13:01:18.123Z"),
                             at("2026-11-23T13:01:18.123Z")};
  s.recalled_at = at("2026-11-22T14:00:00.000Z");
  s.recalled_by = "secops";
  s.state = MessageState::recalled;
  s.recipients.push_back(RecipientStatus{"org/branch01/pc042", ReceiptState::read, at("2026-11-22T13:01:19.000Z"),
                                         at("2026-11-22T13:01:19.500Z"), at("2026-11-22T13:05:00.000Z"),
                                         std::string("jk"), std::string("org/branch01/pc042")});
  s.recipients.push_back(RecipientStatus{"org/branch01/pc043", ReceiptState::pending, {}, {}, {}, {}, {}});
  s.recipients.push_back(RecipientStatus{
      "user:jk", ReceiptState::delivered, at("2026-11-22T13:01:20.000Z"), {}, {}, {}, std::string("org/branch01/pc7")});
  for (const auto& r : s.recipients) s.totals.add(r.state);
  return s;
}

Pending sample_pending() {
  Pending p;
  p.under = "org/branch01";
  UnreadMessage a{"m1", topics::Kind::message, "Nowy regulamin", at("2026-11-22T13:01:18.123Z")};
  UnreadMessage b{"m2", topics::Kind::alert, "", at("2026-11-22T14:00:00.000Z")};
  p.recipients.push_back(PendingRecipient{"org/branch01/pc042", std::nullopt, {a, b}});
  p.recipients.push_back(PendingRecipient{"user:jk", std::string("jk"), {b}});
  p.total_unread = 3;
  return p;
}

List sample_list() {
  List l;
  ListedMessage m;
  m.message = MessageSummary{"m1", topics::Kind::message, "T", "admin", {"org"}, at("2026-11-22T13:00:00.000Z"), {}};
  m.state = MessageState::expired;
  m.counts = Totals{12, 4, 2, 1, 5};
  l.messages.push_back(m);
  m.message.id = "m0";
  m.state = MessageState::active;
  m.counts = Totals{};
  l.messages.push_back(m);
  return l;
}

Progress sample_progress() {
  Progress p;
  p.course = "security-101";
  p.people.push_back(
      PersonProgress{"jk", "Jan Kowalski", 2, 3, 10, at("2026-11-02T09:00:00.000Z"), at("2026-11-20T10:30:00.000Z")});
  p.people.push_back(PersonProgress{"ala", "Alicja Nowak", 0, 3, 10, {}, {}});
  p.lessons.push_back(LessonProgress{"sec101-01", "Passwords", 2, 1, 1});
  p.not_started.push_back(Person{"ala", "Alicja Nowak"});
  return p;
}

CampaignList sample_campaigns() {
  CampaignList c;
  c.campaigns.push_back(Campaign{"c1",
                                 "security-101",
                                 {"org/branch01", "user:jk"},
                                 "weekdays",
                                 "09:00",
                                 "Europe/Warsaw",
                                 CampaignState::active,
                                 3,
                                 10,
                                 at("2026-11-23T08:00:00.000Z")});
  c.campaigns.push_back(
      Campaign{"c2", "gdpr", {"org"}, "weekly:mon", "10:00", "UTC", CampaignState::finished, 5, 5, {}});
  return c;
}

ChatHistory sample_chat() {
  ChatHistory h;
  h.conversation = Conversation{"org/branch01/pc042", std::string("20261122T130118Z-3f9a2c1b7d"), true, 1};
  h.lines.push_back(ChatLine{1, "helpdesk", "Did you open the attachment?", at("2026-11-22T13:10:00.000Z"),
                             at("2026-11-22T13:10:01.000Z"), at("2026-11-22T13:11:00.000Z"), "p1"});
  h.lines.push_back(ChatLine{2, "org/branch01/pc042", "No.", at("2026-11-22T13:12:00.000Z"), {}, {}, ""});
  return h;
}

// encode, parse, from_json; and to_json gives the same document.
template <typename T>
void round_trip(const T& value) {
  auto text = encode(value);
  CHECK(decode<T>(text) == value);
  json j = value;
  CHECK(j == json::parse(text));
  CHECK(read<T>(j) == value);
}

template <typename T>
void rejected(const char* text) {
  CAPTURE(text);
  try {
    (void)decode<T>(text);
    FAIL("accepted a malformed result");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
}

}  // namespace

TEST_CASE("every result round-trips") {
  round_trip(sample_status());
  round_trip(sample_pending());
  round_trip(sample_list());
  round_trip(Import{10, 6});
  round_trip(Recorded{"20261122T130118Z-3f9a2c1b7d"});
  round_trip(sample_progress());
  round_trip(sample_campaigns());
  round_trip(sample_chat());
  round_trip(Status{});
  round_trip(Pending{});
  round_trip(List{});
  round_trip(Progress{});
  round_trip(CampaignList{});
}

TEST_CASE("the layout: keys in their documented order (herald --json is a contract)") {
  CHECK(encode(Import{10, 6}) == R"({"computers":6,"entries":10})");
  CHECK(encode(Recorded{"m1"}) == R"({"recorded":"m1"})");
  CHECK(encode(sample_list()) ==
        R"({"messages":[{"id":"m1","kind":"message","title":"T","sender":"admin","targets":["org"],)"
        R"("sent_at":"2026-11-22T13:00:00.000Z","expires_at":null,"state":"expired","recipients":12,"delivered":2,)"
        R"("displayed":1,"read":5,"pending":4},{"id":"m0","kind":"message","title":"T","sender":"admin",)"
        R"("targets":["org"],"sent_at":"2026-11-22T13:00:00.000Z","expires_at":null,"state":"active",)"
        R"("recipients":0,"delivered":0,"displayed":0,"read":0,"pending":0}]})");
  auto status = encode(sample_status());
  CHECK(status.rfind(
            R"({"id":"20261122T130118Z-3f9a2c1b7d","kind":"alert","title":"Say \"hi\" \\ now\u000a\u0009\u0001)", 0) ==
        0);
  CHECK(status.find(R"("recalled_by":"secops","state":"recalled","totals":{"recipients":3,"pending":1,)"
                    R"("delivered":1,"displayed":0,"read":1},"recipients":[{"recipient":"org/branch01/pc042",)"
                    R"("state":"read","delivered_at":"2026-11-22T13:01:19.000Z","displayed_at":)"
                    R"("2026-11-22T13:01:19.500Z","read_at":"2026-11-22T13:05:00.000Z","user":"jk",)"
                    R"("computer":"org/branch01/pc042"},{"recipient":"org/branch01/pc043","state":"pending",)"
                    R"("delivered_at":null,"displayed_at":null,"read_at":null,"user":null,"computer":null})") !=
        std::string::npos);
  CHECK(encode(sample_pending()) ==
        R"({"under":"org/branch01","total_unread":3,"recipients":[{"recipient":"org/branch01/pc042","unread":[)"
        R"({"id":"m1","kind":"message","title":"Nowy regulamin","sent_at":"2026-11-22T13:01:18.123Z"},)"
        R"({"id":"m2","kind":"alert","title":"","sent_at":"2026-11-22T14:00:00.000Z"}]},)"
        R"({"recipient":"user:jk","user":"jk","unread":[{"id":"m2","kind":"alert","title":"",)"
        R"("sent_at":"2026-11-22T14:00:00.000Z"}]}]})");
}

TEST_CASE("the streaming writers write what encode writes") {
  auto s = sample_status();
  std::string out;
  StatusWriter w(out, s);
  for (const auto& r : s.recipients) {
    RecipientStatusRef ref{r.recipient, r.state, r.delivered_at, r.displayed_at, r.read_at, {}, {}};
    if (r.user) ref.user = *r.user;
    if (r.computer) ref.computer = *r.computer;
    w.add(ref);
  }
  w.finish();
  CHECK(out == encode(s));
  CHECK(decode<Status>(out) == s);

  auto p = sample_pending();
  std::string pending;
  PendingWriter pw(pending, p.under, p.total_unread);
  auto m2 = encode_unread(p.recipients[0].unread[1]);
  pw.begin_recipient(p.recipients[0].recipient);
  pw.add_unread(p.recipients[0].unread[0]);
  pw.add_unread_text(m2);
  pw.end_recipient();
  pw.begin_recipient(p.recipients[1].recipient, std::string_view("jk"));
  pw.add_unread_text(m2);
  pw.end_recipient();
  pw.finish();
  CHECK(pending == encode(p));
  CHECK(decode<Pending>(pending) == p);
}

TEST_CASE("nullable fields may be absent; required ones may not") {
  auto s = decode<Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":[],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":1,"pending":1,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[{"recipient":"org/pc1","state":"pending"}]})");
  CHECK_FALSE(s.message.expires_at);
  CHECK_FALSE(s.recalled_by);
  CHECK_FALSE(s.recipients.at(0).user);
  CHECK_FALSE(s.recipients.at(0).computer);
}

TEST_CASE("a malformed or wrong-typed result is Error(protocol)") {
  rejected<Status>("not json");
  rejected<Status>("[]");
  rejected<Status>(R"({"id":"m","kind":"message"})");
  // Rows named as heraldd never names them ("path", "agent") are not rows.
  rejected<Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":["org"],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":1,"pending":1,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[{"path":"org/pc1","state":"pending"}]})");
  rejected<Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":["org"],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":-1,"pending":1,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[]})");
  rejected<Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":["org"],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"gone","totals":{"recipients":0,"pending":0,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[]})");
  rejected<Status>(
      R"({"id":"m","kind":"note","title":"","sender":"a","targets":["org"],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":0,"pending":0,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[]})");
  rejected<Status>(
      R"({"id":"m","kind":"message","title":"","sender":"a","targets":[1],"sent_at":"2026-11-22T13:00:00.000Z",)"
      R"("state":"active","totals":{"recipients":0,"pending":0,"delivered":0,"displayed":0,"read":0},)"
      R"("recipients":[]})");
  rejected<Status>(R"({"id":"m","kind":"message","title":"","sender":"a","targets":["org"],"sent_at":"yesterday",)"
                   R"("state":"active","totals":{"recipients":0,"pending":0,"delivered":0,"displayed":0,"read":0},)"
                   R"("recipients":[]})");
  rejected<Pending>(R"({"scope":"org","total_unread":0,"recipients":[]})");  // "under", not "scope"
  rejected<Pending>(R"({"under":"org","total_unread":"1","recipients":[]})");
  rejected<Pending>(R"({"under":"org","total_unread":1,"recipients":[{"recipient":"org/pc1","unread":{}}]})");
  rejected<List>(R"({"messages":{}})");
  rejected<List>(R"({"messages":[{"id":"m1"}]})");
  rejected<Import>(R"({"entries":10})");
  rejected<Import>(R"({"entries":10,"computers":1.5})");
  rejected<Recorded>(R"({"recorded":7})");
  rejected<Progress>(R"({"course":"c","people":[{"login":"jk"}],"lessons":[],"not_started":[]})");
  rejected<CampaignList>(
      R"({"campaigns":[{"id":"c","course":"x","targets":[],"schedule":"daily","at":"09:00","tz":"UTC",)"
      R"("state":"stopped","sent":0,"total":1,"next_at":null}]})");
  rejected<ChatHistory>(R"({"conversation":{"target":"org/pc1","state":"ajar","unread":0},"lines":[]})");
  rejected<ChatHistory>(R"({"conversation":{"target":"org/pc1","state":"open","unread":0},"lines":[{"seq":-1}]})");
}

namespace {

CampaignDetail sample_campaign_detail() {
  CampaignDetail d;
  d.campaign = sample_campaigns().campaigns.at(0);
  d.sender = "trainer1";
  d.occurrences.push_back(Occurrence{1, at("2026-11-20T08:00:00.000Z"), at("2026-11-20T08:00:01.000Z"),
                                     std::string("20261120T080001Z-0a1b2c3d4e")});
  d.occurrences.push_back(Occurrence{2, at("2026-11-23T08:00:00.000Z"), {}, {}});
  return d;
}

CourseList sample_courses() {
  CourseList l;
  l.courses.push_back(CourseSummary{"bhp-2026", "Health and safety", 8, "trainer1", at("2026-11-01T10:00:00.000Z"), 2});
  l.courses.push_back(CourseSummary{"gdpr", "GDPR \"basics\"", 1, "admin", at("2026-10-01T10:00:00.000Z"), 0});
  return l;
}

CourseDetail sample_course_detail() {
  CourseDetail d;
  d.course = sample_courses().courses.at(0);
  d.lessons.push_back(LessonSummary{1, "Fire exits", 2, 1, 120000});
  d.lessons.push_back(LessonSummary{2, "First aid", 0, 0, 900});
  return d;
}

ScheduleList sample_schedules() {
  ScheduleList l;
  l.schedules.push_back(ScheduledMessage{"s1",
                                         "message",
                                         "Timesheets due",
                                         "ops1",
                                         {"org/branch01"},
                                         "FREQ=MONTHLY;BYMONTHDAY=1",
                                         "09:00",
                                         "Europe/Warsaw",
                                         "2026-12-01",
                                         ScheduleState::active,
                                         2,
                                         {},
                                         at("2027-01-01T08:00:00.000Z"),
                                         std::string("20261201T080000Z-aa11bb22cc")});
  l.schedules.push_back(ScheduledMessage{"s2",
                                         "alert",
                                         "Drill",
                                         "ops1",
                                         {"user:jk"},
                                         "",
                                         "14:30",
                                         "UTC",
                                         "2026-12-05",
                                         ScheduleState::finished,
                                         1,
                                         1,
                                         {},
                                         {}});
  return l;
}

}  // namespace

TEST_CASE("the course, campaign, schedule and reminder results round-trip") {
  round_trip(sample_campaign_detail());
  round_trip(sample_courses());
  round_trip(sample_course_detail());
  round_trip(sample_schedules());
  round_trip(Reminded{"bhp-2026", {"org/branch01/pc042", "org/branch02/pc001"}});
  round_trip(CampaignDetail{});
  round_trip(CourseList{});
  round_trip(CourseDetail{});
  round_trip(ScheduleList{});
  round_trip(Reminded{});
}

TEST_CASE("schedule states have names, and unknown names are protocol errors") {
  for (auto s : {ScheduleState::active, ScheduleState::cancelled, ScheduleState::finished})
    CHECK(schedule_state_from_name(state_name(s)) == s);
  CHECK(state_name(ScheduleState::cancelled) == "cancelled");
  CHECK_THROWS_AS(schedule_state_from_name("paused"), Error);
}

TEST_CASE("the new results' layout: keys in their documented order") {
  CHECK(encode(Reminded{"m1", {"org/b1/pc1"}}) == R"({"id":"m1","recipients":["org/b1/pc1"]})");
  CHECK(encode(sample_courses()) ==
        R"({"courses":[{"id":"bhp-2026","title":"Health and safety","lessons":8,"created_by":"trainer1",)"
        R"("created_at":"2026-11-01T10:00:00.000Z","campaigns":2},{"id":"gdpr","title":"GDPR \"basics\"",)"
        R"("lessons":1,"created_by":"admin","created_at":"2026-10-01T10:00:00.000Z","campaigns":0}]})");
  CHECK(encode(sample_course_detail()) ==
        R"({"course":{"id":"bhp-2026","title":"Health and safety","lessons":8,"created_by":"trainer1",)"
        R"("created_at":"2026-11-01T10:00:00.000Z","campaigns":2},"lessons":[{"number":1,"title":"Fire exits",)"
        R"("images":2,"links":1,"bytes":120000},{"number":2,"title":"First aid","images":0,"links":0,"bytes":900}]})");
  CHECK(encode(sample_campaign_detail()) ==
        R"({"campaign":{"id":"c1","course":"security-101","targets":["org/branch01","user:jk"],)"
        R"("schedule":"weekdays","at":"09:00","tz":"Europe/Warsaw","state":"active","sent":3,"total":10,)"
        R"("next_at":"2026-11-23T08:00:00.000Z"},"sender":"trainer1","occurrences":[{"number":1,)"
        R"("due_at":"2026-11-20T08:00:00.000Z","sent_at":"2026-11-20T08:00:01.000Z",)"
        R"("message":"20261120T080001Z-0a1b2c3d4e"},{"number":2,"due_at":"2026-11-23T08:00:00.000Z",)"
        R"("sent_at":null,"message":null}]})");
  CHECK(encode(sample_schedules()) ==
        R"({"schedules":[{"id":"s1","kind":"message","title":"Timesheets due","sender":"ops1",)"
        R"("targets":["org/branch01"],"schedule":"FREQ=MONTHLY;BYMONTHDAY=1","at":"09:00","tz":"Europe/Warsaw",)"
        R"("start":"2026-12-01","state":"active","sent":2,"total":null,"next_at":"2027-01-01T08:00:00.000Z",)"
        R"("last_message":"20261201T080000Z-aa11bb22cc"},{"id":"s2","kind":"alert","title":"Drill",)"
        R"("sender":"ops1","targets":["user:jk"],"schedule":"","at":"14:30","tz":"UTC","start":"2026-12-05",)"
        R"("state":"finished","sent":1,"total":1,"next_at":null,"last_message":null}]})");
}

TEST_CASE("a malformed course, campaign, schedule or reminder result is Error(protocol)") {
  rejected<CampaignDetail>(R"({"campaign":null,"sender":"a","occurrences":[]})");
  rejected<CampaignDetail>(R"({"campaign":[],"sender":"a","occurrences":[]})");
  rejected<CampaignDetail>(
      R"({"campaign":{"id":"c","course":"x","targets":[],"schedule":"","at":"09:00","tz":"UTC",)"
      R"("state":"active","sent":0,"total":1,"next_at":null},"sender":"a","occurrences":[{"number":1}]})");
  rejected<CampaignDetail>(R"({"campaign":{"id":"c","course":"x","targets":[],"schedule":"","at":"09:00","tz":"UTC",)"
                           R"("state":"active","sent":0,"total":1,"next_at":null},"occurrences":[]})");
  rejected<CourseList>(R"({"courses":{}})");
  rejected<CourseList>(
      R"({"courses":[{"id":"c","title":"t","lessons":-1,"created_by":"a","created_at":"2026-11-01T10:00:00.000Z",)"
      R"("campaigns":0}]})");
  rejected<CourseList>(
      R"({"courses":[{"id":"c","title":"t","lessons":1,"created_by":"a","created_at":null,"campaigns":0}]})");
  rejected<CourseDetail>(
      R"({"course":{"id":"c","title":"t","lessons":1,"created_by":"a","created_at":"2026-11-01T10:00:00.000Z",)"
      R"("campaigns":0},"lessons":[{"number":1,"title":"t","images":0,"links":0}]})");
  rejected<CourseDetail>(R"({"lessons":[]})");
  const char* row_head = R"({"schedules":[{"id":"s","kind":"message","title":"t","sender":"a","targets":[],)"
                         R"("schedule":"","at":"09:00","tz":"UTC","start":"2026-12-01",)";
  rejected<ScheduleList>((std::string(row_head) + R"("state":"paused","sent":0,"total":null}]})").c_str());
  rejected<ScheduleList>((std::string(row_head) + R"("state":"active","sent":0,"total":"many"}]})").c_str());
  rejected<ScheduleList>((std::string(row_head) + R"("state":"active","total":1}]})").c_str());
  rejected<ScheduleList>(R"({"schedules":[{"id":"s","kind":"note","title":"t","sender":"a","targets":[],)"
                         R"("schedule":"","at":"09:00","tz":"UTC","start":"2026-12-01","state":"active","sent":0}]})");
  rejected<Reminded>(R"({"id":"m1","recipients":"org/pc1"})");
  rejected<Reminded>(R"({"recipients":[]})");
}
