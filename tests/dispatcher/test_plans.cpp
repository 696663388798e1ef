// Courses, campaigns, delayed and recurring messages, progress (issue 10): the checks
// and defaults `herald` applies before connecting, and the human output of heraldd's
// new results.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "herald/common/error.hpp"
#include "herald/common/schedule.hpp"
#include "herald/dispatcher/cli.hpp"
#include "herald/dispatcher/format.hpp"
#include "herald/dispatcher/plans_commands.hpp"

using namespace herald::dispatcher;
using herald::ErrorKind;
using herald::from_rfc3339;
namespace results = herald::results;
namespace fs = std::filesystem;

namespace {

using herald::test::herald_cli;
using herald::test::isolate_environment;
using herald::test::Run;

template <typename F>
ErrorKind error_kind_of(F f) {
  try {
    f();
  } catch (const herald::Error& e) {
    return e.kind();
  }
  FAIL("expected a herald::Error");
  return ErrorKind::internal;
}

template <typename F>
std::string error_text_of(F f) {
  try {
    f();
  } catch (const herald::Error& e) {
    return e.what();
  }
  FAIL("expected a herald::Error");
  return {};
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "herald-plans-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    auto p = path / name;
    std::ofstream(p) << text;
    return p;
  }
};

template <typename Result, typename Print>
std::string printed(Print print, const Result& result) {
  std::ostringstream out;
  print(result, out);
  return out.str();
}

}  // namespace

// ---- defaults ----------------------------------------------------------------------

TEST_CASE("the system time zone comes from /etc/timezone, else the /etc/localtime link") {
  TempDir etc;
  CHECK(system_timezone(etc.path) == "");
  fs::create_symlink("/usr/share/zoneinfo/America/New_York", etc.path / "localtime");
  CHECK(system_timezone(etc.path) == "America/New_York");
  etc.write("timezone", "Europe/Warsaw\n");
  CHECK(system_timezone(etc.path) == "Europe/Warsaw");
}

TEST_CASE("--tz defaults to the config's timezone; the config's clock sets now for the defaults") {
  isolate_environment();
  TempDir dir;
  auto conf = dir.write("herald.conf", "timezone = Europe/Warsaw\nclock = simulated 2026-03-01T08:00:00.000Z 1\n");
  auto d = local_defaults(conf.string());
  CHECK(d.timezone == "Europe/Warsaw");
  CHECK(d.now >= from_rfc3339("2026-03-01T08:00:00.000Z"));
  CHECK(d.now < from_rfc3339("2026-03-01T08:01:00.000Z"));

  // No config at all: the system zone (or UTC), the real clock.
  auto none = local_defaults("");
  auto system = system_timezone();
  CHECK(none.timezone == (system.empty() ? "UTC" : system));
  CHECK(none.now > from_rfc3339("2026-01-01T00:00:00.000Z"));
}

TEST_CASE("next_day crosses months, years and leap days") {
  CHECK(next_day("2026-12-31") == "2027-01-01");
  CHECK(next_day("2028-02-28") == "2028-02-29");
  CHECK(next_day("2026-02-28") == "2026-03-01");
  CHECK(error_kind_of([] { next_day("2026-13-01"); }) == ErrorKind::usage);
}

TEST_CASE("--start defaults to today in the zone, or tomorrow once today's --at has passed") {
  WhenOptions o;
  o.rule = "FREQ=DAILY;COUNT=3";
  o.at = "09:00";
  // 08:00 in Warsaw (UTC+1 in December): 09:00 is still ahead.
  auto r = resolve_recurrence(o, "Europe/Warsaw", from_rfc3339("2026-12-01T07:00:00.000Z"));
  CHECK(r.start == "2026-12-01");
  CHECK(r.tz == "Europe/Warsaw");
  CHECK(r.at == "09:00");
  // 10:00 in Warsaw: tomorrow.
  r = resolve_recurrence(o, "Europe/Warsaw", from_rfc3339("2026-12-01T09:00:00.000Z"));
  CHECK(r.start == "2026-12-02");
  // 23:30 UTC on the 1st is already the 2nd in Warsaw.
  r = resolve_recurrence(o, "Europe/Warsaw", from_rfc3339("2026-12-01T23:30:00.000Z"));
  CHECK(r.start == "2026-12-02");
  // --at defaults to 09:00 (send --repeat without --at).
  o.at.clear();
  CHECK(resolve_recurrence(o, "UTC", from_rfc3339("2026-12-01T07:00:00.000Z")).at == "09:00");
}

TEST_CASE("an explicit --start whose first delivery has passed is refused (exit 2)") {
  WhenOptions o;
  o.rule = "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8";
  o.at = "09:00";
  o.start = "2026-12-01";
  auto now = from_rfc3339("2026-12-01T09:00:00.000Z");
  CHECK(error_text_of([&] { resolve_recurrence(o, "Europe/Warsaw", now); }) ==
        "the first delivery, 2026-12-01 09:00 Europe/Warsaw, is in the past");
  o.start = "2026-12-02";
  auto r = resolve_recurrence(o, "Europe/Warsaw", now);
  CHECK(r.start == "2026-12-02");
  CHECK(herald::schedule::occurrences(r, 1).front() == from_rfc3339("2026-12-02T08:00:00.000Z"));
}

TEST_CASE("bad schedules are usage errors: rule, zone, time, date") {
  auto now = from_rfc3339("2026-12-01T07:00:00.000Z");
  WhenOptions o;
  o.at = "09:00";
  o.rule = "FREQ=SOMETIMES";
  CHECK(error_kind_of([&] { resolve_recurrence(o, "UTC", now); }) == ErrorKind::usage);
  o.rule = "FREQ=DAILY";
  CHECK(error_kind_of([&] { resolve_recurrence(o, "Mars/Olympus", now); }) == ErrorKind::usage);
  o.at = "25:00";
  CHECK(error_kind_of([&] { resolve_recurrence(o, "UTC", now); }) == ErrorKind::usage);
  o.at = "09:00";
  o.start = "2026-12-32";
  CHECK(error_kind_of([&] { resolve_recurrence(o, "UTC", now); }) == ErrorKind::usage);
}

TEST_CASE("--at alone: HH:MM, a local day and time, or an RFC 3339 instant") {
  auto now = from_rfc3339("2026-12-01T07:00:00.000Z");  // 08:00 in Warsaw
  WhenOptions o;
  o.at = "08:30";
  auto r = resolve_delayed(o, "Europe/Warsaw", now);
  CHECK(r.rule.empty());
  CHECK(r.start == "2026-12-01");
  CHECK(r.at == "08:30");
  o.at = "07:30";  // passed today: tomorrow
  CHECK(resolve_delayed(o, "Europe/Warsaw", now).start == "2026-12-02");

  o.at = "2026-12-24 16:00";
  r = resolve_delayed(o, "Europe/Warsaw", now);
  CHECK(r.start == "2026-12-24");
  CHECK(r.at == "16:00");
  CHECK(r.tz == "Europe/Warsaw");
  o.at = "2026-11-30 16:00";
  CHECK(error_text_of([&] { resolve_delayed(o, "Europe/Warsaw", now); }) ==
        "the first delivery, 2026-11-30 16:00 Europe/Warsaw, is in the past");

  // An instant is kept exact in UTC and rounded up to the minute.
  o.at = "2026-12-24T16:00:30+01:00";
  r = resolve_delayed(o, "Europe/Warsaw", now);
  CHECK(r.tz == "UTC");
  CHECK(r.start == "2026-12-24");
  CHECK(r.at == "15:01");
  o.at = "2026-12-24T15:00:00.000Z";
  CHECK(resolve_delayed(o, "Europe/Warsaw", now).at == "15:00");
  o.at = "2026-11-24T15:00:00Z";
  CHECK(error_text_of([&] { resolve_delayed(o, "UTC", now); }) == "--at 2026-11-24T15:00:00Z is in the past");

  for (const char* bad : {"noon", "9:00", "2026-12-24", "2026-12-24T16:00:00+1"}) {
    CAPTURE(bad);
    o.at = bad;
    CHECK(error_kind_of([&] { resolve_delayed(o, "UTC", now); }) == ErrorKind::usage);
  }
  o.at = "2026-12-24 16:00";
  o.start = "2026-12-20";
  CHECK(error_text_of([&] { resolve_delayed(o, "UTC", now); }) ==
        "--at 2026-12-24 16:00 names a day already: drop --start");
}

TEST_CASE("--skip-dates: a comma-separated list, or a file") {
  CHECK(read_skip_dates("2026-12-25,2026-12-24") == std::vector<std::string>{"2026-12-24", "2026-12-25"});
  CHECK(read_skip_dates("2026-12-24") == std::vector<std::string>{"2026-12-24"});
  TempDir dir;
  auto list = dir.write("holidays.txt", "# Poland\n2026-12-25\n2026-12-26\n");
  CHECK(read_skip_dates(list.string()) == std::vector<std::string>{"2026-12-25", "2026-12-26"});
  CHECK(error_kind_of([] { read_skip_dates("/nonexistent/holidays.ics"); }) == ErrorKind::not_found);
  auto bad = dir.write("bad.txt", "Christmas\n");
  CHECK(error_kind_of([&] { read_skip_dates(bad.string()); }) == ErrorKind::usage);
}

TEST_CASE("a plan's scope covers its targets; computers and people cannot be mixed") {
  using herald::Target;
  CHECK(plan_scope({Target::parse("org/branch01/pc1"), Target::parse("org/branch01/pc2")}) == "org/branch01");
  CHECK(plan_scope({Target::parse("org/branch01"), Target::parse("org/branch02")}) == "org");
  CHECK(plan_scope({Target::parse("user:anowak")}) == "user/anowak");
  CHECK(error_text_of([] {
          plan_scope({Target::parse("org"), Target::parse("user:anowak")});
        }) ==
        "cannot plan for computers (org/...) and people (user:...) at once: make one for each, as they need "
        "different rights");
  CHECK(error_kind_of([] { plan_scope({}); }) == ErrorKind::usage);
}

TEST_CASE("remind: new_id()'s shape is a message id, anything else a course id") {
  CHECK(looks_like_message_id("20261122T130118Z-3f9a2c1b7d"));
  CHECK_FALSE(looks_like_message_id("bhp-2026"));
  CHECK_FALSE(looks_like_message_id("20261122T130118Z-"));
  CHECK_FALSE(looks_like_message_id("20261122T130118Z-XYZ"));
  CHECK_FALSE(looks_like_message_id("2026112xT130118Z-3f9a"));
}

// ---- the command line --------------------------------------------------------------

TEST_CASE("plan commands check their input before reading any configuration") {
  isolate_environment();
  auto r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--to", "user:anowak", "--schedule",
                       "FREQ=DAILY;COUNT=8", "--at", "09:00"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "herald: error: cannot plan for computers (org/...) and people (user:...) at once: make one for each, as "
        "they need different rights\n");

  r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--at", "09:00"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: missing --schedule RULE (e.g. FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8)\n");

  r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--schedule", "FREQ=DAILY", "--at", "9am"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid --at '9am': expected HH:MM\n");

  r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--schedule", "FREQ=DAILY;COUNT=2", "--at", "09:00",
                  "--tz", "Mars/Olympus"});
  CHECK(r.code == 2);
  CHECK(r.err.rfind("herald: error: ", 0) == 0);

  r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--schedule", "FREQ=DAILY;COUNT=2", "--at", "09:00",
                  "--start", "2020-01-01", "--tz", "UTC"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: the first delivery, 2020-01-01 09:00 UTC, is in the past\n");

  r = herald_cli({"campaign", "start", "bhp-2026", "--to", "org", "--schedule", "FREQ=DAILY;COUNT=2", "--at", "09:00",
                  "--skip-dates", "/nonexistent/holidays.ics"});
  CHECK(r.code == 3);
  CHECK(r.err == "herald: error: cannot read skip dates file /nonexistent/holidays.ics\n");

  r = herald_cli({"campaign", "preview", "courses/missing", "--schedule", "FREQ=DAILY", "--at", "09:00"});
  CHECK(r.code == 3);

  r = herald_cli({"course", "create", "/nonexistent/course"});
  CHECK(r.code == 3);

  r = herald_cli({"course", "show", "../x"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid course id '../x': an id is 1-64 letters, digits, '.', '_' or '-'\n");

  r = herald_cli({"progress", "bhp-2026", "--json", "--csv"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: use either --json or --csv, not both\n");

  r = herald_cli({"progress", "bhp-2026", "--under", "org/#"});
  CHECK(r.code == 2);

  r = herald_cli({"alert", "--to", "org", "--body", "x", "--tz", "Europe/Warsaw"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: --tz, --start and --skip-dates need --repeat RULE or --at TIME\n");

  r = herald_cli({"send", "--to", "org", "--title", "T", "--body", "x", "--repeat", "FREQ=MONTHLY;BYMONTHDAY=1", "--at",
                  "2026-12-01 09:00"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid --at '2026-12-01 09:00': with --repeat it is a time of day, HH:MM\n");

  r = herald_cli({"send", "--to", "org", "--title", "T", "--body", "x", "--at", "16:00", "--skip-dates", "2026-12-24"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: --skip-dates needs --repeat (one delayed message has no series to skip in)\n");

  r = herald_cli({"alert", "--to", "org", "--to", "user:anowak", "--body", "x", "--repeat", "FREQ=DAILY"});
  CHECK(r.code == 2);

  r = herald_cli({"alert", "--to", "org", "--body", "x", "--at", "yesterday"});
  CHECK(r.code == 2);

  r = herald_cli({"schedule", "cancel", "a/b"});
  CHECK(r.code == 2);

  r = herald_cli({"campaign", "pause", "../x"});
  CHECK(r.code == 2);
  CHECK(r.err == "herald: error: invalid campaign id '../x': an id is 1-64 letters, digits, '.', '_' or '-'\n");

  for (auto args : std::vector<std::vector<std::string>>{{"course"},
                                                         {"campaign"},
                                                         {"schedule"},
                                                         {"progress"},
                                                         {"remind"},
                                                         {"campaign", "show"},
                                                         {"course", "rename"}}) {
    CAPTURE(args.size());
    r = herald_cli(args);
    CHECK(r.code == 2);
    CHECK(r.err.rfind("herald: error: ", 0) == 0);
  }
}

TEST_CASE("valid plan commands get as far as the configuration") {
  isolate_environment();
  for (auto args : std::vector<std::vector<std::string>>{
           {"course", "list"},
           {"campaign", "start", "bhp-2026", "--to", "org/branch01", "--schedule",
            "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8", "--at", "09:00", "--tz", "Europe/Warsaw", "--skip-dates",
            "2026-12-24,2026-12-25"},
           {"send", "--to", "org", "--title", "IT", "--body", "Restart", "--repeat", "FREQ=MONTHLY;BYMONTHDAY=1"},
           {"alert", "--to", "user:anowak", "--body", "x", "--at", "2099-01-01T09:00:00Z"},
           {"schedule", "list"},
           {"progress", "bhp-2026", "--csv"},
           {"remind", "20261122T130118Z-3f9a2c1b7d"}}) {
    auto r = herald_cli(args);
    CHECK(r.code == 9);
    CHECK(r.err.find("no configuration") != std::string::npos);
  }
}

TEST_CASE("--help works on every new command") {
  for (auto args : std::vector<std::vector<std::string>>{{"course", "create", "--help"},
                                                         {"course", "list", "--help"},
                                                         {"campaign", "start", "--help"},
                                                         {"campaign", "preview", "--help"},
                                                         {"campaign", "cancel", "--help"},
                                                         {"schedule", "list", "--help"},
                                                         {"progress", "--help"},
                                                         {"remind", "--help"}}) {
    auto r = herald_cli(args);
    CHECK(r.code == 0);
    CHECK(r.out.find("--config") != std::string::npos);
  }
}

// ---- formatting --------------------------------------------------------------------

TEST_CASE("course list and course show") {
  results::CourseList list;
  CHECK(printed(print_course_list, list) == "no courses\n");
  list.courses.push_back({"bhp-2026", "Health and safety", 8, "trainer", from_rfc3339("2026-11-20T10:00:00.000Z"), 1});
  list.courses.push_back({"it-101", "Passwords\x1b[31m", 1, "it", from_rfc3339("2026-11-21T10:00:00.000Z"), 0});
  CHECK(printed(print_course_list, list) ==
        "ID        LESSONS  CAMPAIGNS  CREATED                   BY       TITLE\n"
        "bhp-2026  8        1          2026-11-20T10:00:00.000Z  trainer  Health and safety\n"
        "it-101    1        0          2026-11-21T10:00:00.000Z  it       Passwords?[31m\n");

  results::CourseDetail detail;
  detail.course = list.courses[0];
  detail.lessons = {{1, "Fire exits", 2, 1, 180000}, {2, "First aid", 0, 0, 900}};
  CHECK(printed(print_course_detail, detail) ==
        "bhp-2026: Health and safety, 8 lessons, created 2026-11-20T10:00:00.000Z by trainer, used by 1 active or "
        "paused campaign\n"
        "#  IMAGES  LINKS  BYTES   TITLE\n"
        "1  2       1      180000  Fire exits\n"
        "2  0       0      900     First aid\n");
}

TEST_CASE("campaign list and campaign show: due times in the campaign's zone and in UTC") {
  results::Campaign c;
  c.id = "20261124T100000Z-aaaaaaaaaa";
  c.course = "bhp-2026";
  c.targets = {"org/branch01"};
  c.schedule = "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8";
  c.at = "09:00";
  c.tz = "Europe/Warsaw";
  c.state = results::CampaignState::active;
  c.sent = 1;
  c.total = 2;
  c.next_at = from_rfc3339("2026-12-02T08:00:00.000Z");
  results::CampaignList list{{c}};
  CHECK(printed(print_campaign_list, list) ==
        "ID                           COURSE    STATE   SENT  NEXT              AT                   TARGETS       "
        "SCHEDULE\n"
        "20261124T100000Z-aaaaaaaaaa  bhp-2026  active  1/2   2026-12-02 09:00  09:00 Europe/Warsaw  org/branch01  "
        "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8\n");
  CHECK(printed(print_campaign_list, results::CampaignList{}) == "no campaigns\n");

  results::CampaignDetail detail;
  detail.campaign = c;
  detail.sender = "trainer";
  detail.occurrences = {{1, from_rfc3339("2026-12-01T08:00:00.000Z"), from_rfc3339("2026-12-01T08:00:00.120Z"),
                         std::string("20261201T080000Z-bbbbbbbbbb")},
                        {2, from_rfc3339("2026-12-02T08:00:00.000Z"), std::nullopt, std::nullopt}};
  CHECK(printed(print_campaign_detail, detail) ==
        "20261124T100000Z-aaaaaaaaaa (active): course bhp-2026 to org/branch01, FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8 "
        "at 09:00 Europe/Warsaw, 1 of 2 lessons sent, started by trainer\n"
        "LESSON  DUE (Europe/Warsaw)  DUE (UTC)                 SENT                      MESSAGE\n"
        "1       2026-12-01 09:00     2026-12-01T08:00:00.000Z  2026-12-01T08:00:00.120Z  20261201T080000Z-bbbbbbbbbb\n"
        "2       2026-12-02 09:00     2026-12-02T08:00:00.000Z  -                         -\n");
}

TEST_CASE("schedule list: recurring and delayed messages") {
  results::ScheduledMessage monthly;
  monthly.id = "20261124T100000Z-cccccccccc";
  monthly.kind = "message";
  monthly.title = "Restart your computer";
  monthly.sender = "it";
  monthly.targets = {"org"};
  monthly.schedule = "FREQ=MONTHLY;BYMONTHDAY=1";
  monthly.at = "09:00";
  monthly.tz = "Europe/Warsaw";
  monthly.start = "2026-12-01";
  monthly.sent = 2;
  monthly.next_at = from_rfc3339("2027-02-01T08:00:00.000Z");
  results::ScheduledMessage once;
  once.id = "20261124T100000Z-dddddddddd";
  once.kind = "alert";
  once.title = "";
  once.sender = "secops";
  once.targets = {"user:anowak"};
  once.at = "16:00";
  once.tz = "UTC";
  once.start = "2026-12-24";
  once.state = results::ScheduleState::finished;
  once.sent = 1;
  once.total = 1;
  results::ScheduleList list{{monthly, once}};
  CHECK(
      printed(print_schedule_list, list) ==
      "ID                           KIND     STATE     SENT  NEXT              WHEN                                   "
      "           TARGETS      TITLE\n"
      "20261124T100000Z-cccccccccc  message  active    2     2027-02-01 09:00  FREQ=MONTHLY;BYMONTHDAY=1 at 09:00 "
      "Europe/Warsaw  org          Restart your computer\n"
      "20261124T100000Z-dddddddddd  alert    finished  1/1   -                 once at 16:00 UTC                      "
      "           user:anowak  -\n");
  CHECK(printed(print_schedule_list, results::ScheduleList{}) == "nothing scheduled\n");
}

namespace {
results::Progress sample_progress() {
  results::Progress p;
  p.course = "bhp-2026";
  p.people.push_back({"anowak", "Anna Nowak", 3, 5, 8, from_rfc3339("2026-12-01T08:05:00.000Z"),
                      from_rfc3339("2026-12-04T09:00:00.000Z")});
  p.people.push_back({"jkowalski", "Kowalski, \"Janek\"", 0, 5, 8, std::nullopt, std::nullopt});
  p.lessons.push_back({"20261201T080000Z-bbbbbbbbbb", "Fire exits", 2, 1, 1});
  p.lessons.push_back({"20261202T080000Z-eeeeeeeeee", "First aid", 2, 0, 2});
  p.not_started.push_back({"jkowalski", "Kowalski, \"Janek\""});
  return p;
}
}  // namespace

TEST_CASE("progress: per person, per lesson, not started") {
  CHECK(printed(print_progress, sample_progress()) ==
        "course bhp-2026: 2 people, 1 not started\n"
        "\n"
        "PERSON                         READ                  FIRST                     LAST\n"
        "Anna Nowak (anowak)            3 of 5 sent, 8 total  2026-12-01T08:05:00.000Z  2026-12-04T09:00:00.000Z\n"
        "Kowalski, \"Janek\" (jkowalski)  0 of 5 sent, 8 total  -                         -\n"
        "\n"
        "LESSON  SENT  READ  UNREAD  TITLE\n"
        "1       2     1     1       Fire exits\n"
        "2       2     0     2       First aid\n"
        "\n"
        "not started:\n"
        "  Kowalski, \"Janek\" (jkowalski)\n");
}

TEST_CASE("progress --csv: one escaped row per person") {
  CHECK(printed(print_progress_csv, sample_progress()) ==
        "login,name,read,sent,total,first_at,last_at\n"
        "anowak,Anna Nowak,3,5,8,2026-12-01T08:05:00.000Z,2026-12-04T09:00:00.000Z\n"
        "jkowalski,\"Kowalski, \"\"Janek\"\"\",0,5,8,,\n");
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("") == "");
}

TEST_CASE("planned deliveries: lesson, local time, UTC and title") {
  std::vector<PlannedDelivery> planned{{1, "Fire exits", from_rfc3339("2026-03-27T08:00:00.000Z")},
                                       {2, "First aid", from_rfc3339("2026-03-31T07:00:00.000Z")}};
  // 09:00 local on both sides of the March change.
  CHECK(
      printed([](const std::vector<PlannedDelivery>& p, std::ostream& out) { print_planned(p, "Europe/Warsaw", out); },
              planned) ==
      "#  LOCAL (Europe/Warsaw)  UTC                       TITLE\n"
      "1  2026-03-27 09:00       2026-03-27T08:00:00.000Z  Fire exits\n"
      "2  2026-03-31 09:00       2026-03-31T07:00:00.000Z  First aid\n");
  planned[0].title.clear();
  planned[1].title.clear();
  CHECK(printed([](const std::vector<PlannedDelivery>& p, std::ostream& out) { print_planned(p, "UTC", out); },
                planned) ==
        "#  LOCAL (UTC)       UTC\n"
        "1  2026-03-27 08:00  2026-03-27T08:00:00.000Z\n"
        "2  2026-03-31 07:00  2026-03-31T07:00:00.000Z\n");
}
