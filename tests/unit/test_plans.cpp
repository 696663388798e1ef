// Campaign and schedule requests (herald/campaign/..., herald/schedule/...): each op
// survives to_json -> from_json with the fields it needs, and everything else a sender
// could get wrong is Error(protocol).
#include <doctest/doctest.h>

#include <string>

#include "herald/common/error.hpp"
#include "herald/common/plans.hpp"

using namespace herald;
using namespace herald::plans;
using nlohmann::json;

namespace {

schedule::Recurrence weekdays() {
  schedule::Recurrence w;
  w.rule = "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8";
  w.at = "09:00";
  w.tz = "Europe/Warsaw";
  w.start = "2026-12-01";
  w.skip_dates = {"2026-12-24", "2026-12-25"};
  return w;
}

CampaignRequest start_request() {
  CampaignRequest r;
  r.op = CampaignOp::start;
  r.id = "c-20261201-1";
  r.course_id = "bhp-2026";
  r.targets = {"org/branch01", "org/branch02/pc007"};
  r.when = weekdays();
  r.lifetime = std::chrono::hours(24 * 30);
  return r;
}

ScheduleRequest create_request() {
  ScheduleRequest r;
  r.op = ScheduleOp::create;
  r.id = "s-1";
  r.title = "Timesheets";
  r.body = "Please send your timesheets by Friday.";
  r.severity = "warning";
  r.links = {"https://intranet.example/timesheets"};
  r.lifetime = std::chrono::hours(24);
  r.targets = {"user:jkowalski", "user:anowak"};
  r.when = weekdays();
  r.when.rule = "FREQ=MONTHLY;BYMONTHDAY=1";
  return r;
}

bool same(const CampaignRequest& a, const CampaignRequest& b) {
  return a.op == b.op && a.course == b.course && a.id == b.id && a.course_id == b.course_id && a.targets == b.targets &&
         a.when == b.when && a.lifetime == b.lifetime;
}

bool same(const ScheduleRequest& a, const ScheduleRequest& b) {
  return a.op == b.op && a.id == b.id && a.title == b.title && a.body == b.body && a.severity == b.severity &&
         a.links == b.links && a.lifetime == b.lifetime && a.targets == b.targets && a.when == b.when;
}

template <typename T>
T round_trip(const T& value) {
  json j = value;
  auto back = json::parse(j.dump()).get<T>();
  CHECK(same(back, value));
  return back;
}

template <typename T>
void refused(const json& j) {
  CAPTURE(j.dump());
  try {
    (void)j.get<T>();
    FAIL("accepted a malformed request");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::protocol);
  }
}

// `base` with `key` set to `value` (or removed, for a null value).
json with(json base, const char* key, json value) {
  if (value.is_null())
    base.erase(key);
  else
    base[key] = std::move(value);
  return base;
}

}  // namespace

TEST_CASE("op names are the wire's") {
  CHECK(op_name(CampaignOp::course_create) == "course-create");
  CHECK(op_name(CampaignOp::course_delete) == "course-delete");
  CHECK(op_name(CampaignOp::start) == "start");
  CHECK(op_name(CampaignOp::pause) == "pause");
  CHECK(op_name(CampaignOp::resume) == "resume");
  CHECK(op_name(CampaignOp::cancel) == "cancel");
  CHECK(op_name(CampaignOp::remind) == "remind");
  CHECK(op_name(ScheduleOp::create) == "create");
  CHECK(op_name(ScheduleOp::cancel) == "cancel");
  CHECK(op_name(ScheduleOp::remind) == "remind");
}

TEST_CASE("a campaign start round-trips with every schedule field") {
  auto r = start_request();
  json j = r;
  CHECK(j["v"] == 1);
  CHECK(j["op"] == "start");
  CHECK(j["id"] == "c-20261201-1");
  CHECK(j["course_id"] == "bhp-2026");
  CHECK(j["targets"] == json::array({"org/branch01", "org/branch02/pc007"}));
  CHECK(j["rule"] == "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8");
  CHECK(j["at"] == "09:00");
  CHECK(j["tz"] == "Europe/Warsaw");
  CHECK(j["start"] == "2026-12-01");
  CHECK(j["skip_dates"] == json::array({"2026-12-24", "2026-12-25"}));
  CHECK(j["lifetime_s"] == 30 * 24 * 3600);
  CHECK_FALSE(j.contains("course"));
  round_trip(r);
}

TEST_CASE("a start without lifetime_s or skip dates takes the defaults") {
  json j = start_request();
  j.erase("lifetime_s");
  j.erase("skip_dates");
  j.erase("rule");
  auto r = j.get<CampaignRequest>();
  CHECK(r.lifetime == kDefaultLessonLifetime);
  CHECK(r.when.skip_dates.empty());
  CHECK(r.when.rule.empty());
}

TEST_CASE("targets are read as Target::parse reads them") {
  json j = start_request();
  j["targets"] = json::array({"user:jkowalski", "org"});
  CHECK(j.get<CampaignRequest>().targets == std::vector<std::string>{"user:jkowalski", "org"});
}

TEST_CASE("the campaign ops that name one thing carry only its id") {
  for (auto op :
       {CampaignOp::course_delete, CampaignOp::pause, CampaignOp::resume, CampaignOp::cancel, CampaignOp::remind}) {
    CampaignRequest r;
    r.op = op;
    r.id = "c1";
    json j = r;
    CAPTURE(j.dump());
    CHECK(j == json{{"v", 1}, {"op", op_name(op)}, {"id", "c1"}});
    round_trip(r);
    refused<CampaignRequest>(with(j, "id", nullptr));
    refused<CampaignRequest>(with(j, "id", "c/1"));
    refused<CampaignRequest>(with(j, "id", ""));
    refused<CampaignRequest>(with(j, "id", 7));
  }
}

TEST_CASE("schedule requests round-trip, per op") {
  auto r = create_request();
  json j = r;
  CHECK(j["op"] == "create");
  CHECK(j["title"] == "Timesheets");
  CHECK(j["severity"] == "warning");
  CHECK(j["lifetime_s"] == 86400);
  CHECK(j["targets"] == json::array({"user:jkowalski", "user:anowak"}));
  CHECK(j["rule"] == "FREQ=MONTHLY;BYMONTHDAY=1");
  round_trip(r);

  // One delayed message: no rule.
  r.when.rule.clear();
  r.when.skip_dates.clear();
  round_trip(r);

  for (auto op : {ScheduleOp::cancel, ScheduleOp::remind}) {
    ScheduleRequest other;
    other.op = op;
    other.id = "s-1";
    json o = other;
    CHECK(o == json{{"v", 1}, {"op", op_name(op)}, {"id", "s-1"}});
    round_trip(other);
    refused<ScheduleRequest>(with(o, "id", nullptr));
    refused<ScheduleRequest>(with(o, "id", "s#1"));
  }
}

TEST_CASE("a schedule create without severity or links is info with no links") {
  json j = create_request();
  j.erase("severity");
  j.erase("links");
  j.erase("title");
  auto r = j.get<ScheduleRequest>();
  CHECK(r.severity == "info");
  CHECK(r.links.empty());
  CHECK(r.title.empty());
}

TEST_CASE("a campaign request is refused for a bad version, op or field") {
  json start = start_request();
  refused<CampaignRequest>(json::array());
  refused<CampaignRequest>(json("start"));
  refused<CampaignRequest>(with(start, "v", nullptr));
  refused<CampaignRequest>(with(start, "v", 2));
  refused<CampaignRequest>(with(start, "v", "1"));
  refused<CampaignRequest>(with(start, "v", 4294967297LL));
  refused<CampaignRequest>(with(start, "op", nullptr));
  refused<CampaignRequest>(with(start, "op", "launch"));
  refused<CampaignRequest>(with(start, "op", "Start"));
  refused<CampaignRequest>(with(start, "op", 1));
  // Required for start.
  for (const char* key : {"id", "course_id", "targets", "at", "tz", "start"}) {
    CAPTURE(key);
    refused<CampaignRequest>(with(start, key, nullptr));
  }
  refused<CampaignRequest>(with(start, "course_id", "bhp 2026"));
  refused<CampaignRequest>(with(start, "targets", json::array()));
  refused<CampaignRequest>(with(start, "targets", "org"));
  refused<CampaignRequest>(with(start, "targets", json::array({"org", 5})));
  refused<CampaignRequest>(with(start, "targets", json::array({"org/#"})));
  refused<CampaignRequest>(with(start, "targets", json::array({"user:"})));
  refused<CampaignRequest>(with(start, "targets", json::array({"branch01"})));
  refused<CampaignRequest>(with(start, "rule", 5));
  refused<CampaignRequest>(with(start, "at", 900));
  refused<CampaignRequest>(with(start, "tz", json::array()));
  refused<CampaignRequest>(with(start, "skip_dates", "2026-12-24"));
  refused<CampaignRequest>(with(start, "skip_dates", json::array({20261224})));
  // lifetime_s: 1 s .. 366 days, an integer.
  refused<CampaignRequest>(with(start, "lifetime_s", 0));
  refused<CampaignRequest>(with(start, "lifetime_s", -1));
  refused<CampaignRequest>(with(start, "lifetime_s", 366 * 86400 + 1));
  refused<CampaignRequest>(with(start, "lifetime_s", 18446744073709551615ULL));
  refused<CampaignRequest>(with(start, "lifetime_s", 1.5));
  refused<CampaignRequest>(with(start, "lifetime_s", "3600"));
  CHECK(with(start, "lifetime_s", 1).get<CampaignRequest>().lifetime == std::chrono::seconds(1));
  CHECK(with(start, "lifetime_s", 366 * 86400).get<CampaignRequest>().lifetime == std::chrono::hours(24 * 366));
  // course-create needs its course.
  refused<CampaignRequest>(json{{"v", 1}, {"op", "course-create"}});
  refused<CampaignRequest>(json{{"v", 1}, {"op", "course-create"}, {"course", "bhp-2026"}});
  refused<CampaignRequest>(json{{"v", 1}, {"op", "course-create"}, {"course", json::object()}});
}

TEST_CASE("a schedule request is refused for a bad version, op or field") {
  json create = create_request();
  refused<ScheduleRequest>(json::object());
  refused<ScheduleRequest>(with(create, "v", 0));
  refused<ScheduleRequest>(with(create, "op", "start"));
  refused<ScheduleRequest>(with(create, "op", "pause"));
  for (const char* key : {"id", "body", "lifetime_s", "targets", "at", "tz", "start"}) {
    CAPTURE(key);
    refused<ScheduleRequest>(with(create, key, nullptr));
  }
  refused<ScheduleRequest>(with(create, "title", 1));
  refused<ScheduleRequest>(with(create, "body", ""));
  refused<ScheduleRequest>(with(create, "body", std::string(payloads::kMaxBodyBytes + 1, 'x')));
  refused<ScheduleRequest>(with(create, "title", std::string(payloads::kMaxTitleBytes + 1, 'x')));
  refused<ScheduleRequest>(with(create, "severity", "urgent"));
  refused<ScheduleRequest>(with(create, "links", json::array({"ftp://x"})));
  refused<ScheduleRequest>(with(create, "links", "https://x"));
  refused<ScheduleRequest>(with(create, "lifetime_s", 0));
  refused<ScheduleRequest>(with(create, "lifetime_s", 366 * 86400 + 1));
  refused<ScheduleRequest>(with(create, "targets", json::array()));
  refused<ScheduleRequest>(with(create, "targets", json::array({"user:a b"})));
}

TEST_CASE("a course-create request carries the whole course, images base64 inside") {
  course::Course c;
  c.id = "bhp-2026";
  c.title = "Health and safety";
  payloads::Image png{"exit.png", "image/png", std::string("\x89PNG\r\n\x1a\n", 8) + "pixels\0\xff"};
  c.lessons.push_back(course::Lesson{"Fire exits", "Use the stairs.", {"https://intranet.example/fire"}, {png}});
  c.lessons.push_back(course::Lesson{"First aid", "Call 112.", {}, {}});
  CampaignRequest r;
  r.op = CampaignOp::course_create;
  r.course = c;
  json j = r;
  CHECK(j["op"] == "course-create");
  CHECK(j["course"]["id"] == "bhp-2026");
  CHECK_FALSE(j.contains("id"));
  CHECK(j.dump().find("pixels") == std::string::npos);  // the image travels encoded
  auto back = round_trip(r);
  REQUIRE(back.course);
  CHECK(back.course->lessons.at(0).images.at(0).data == png.data);

  // The course's own checks are protocol errors here.
  auto no_lessons = j;
  no_lessons["course"]["lessons"] = json::array();
  refused<CampaignRequest>(no_lessons);
  auto bad_id = j;
  bad_id["course"]["id"] = "bhp 2026";
  refused<CampaignRequest>(bad_id);
  auto no_title = j;
  no_title["course"].erase("title");
  refused<CampaignRequest>(no_title);
}

TEST_CASE("a course-create request cannot be written without its course") {
  CampaignRequest r;
  r.op = CampaignOp::course_create;
  json j;
  CHECK_THROWS_AS(to_json(j, r), Error);
}
