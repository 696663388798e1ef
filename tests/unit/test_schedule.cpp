#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "herald/common/error.hpp"
#include "herald/common/schedule.hpp"
#include "herald/common/time.hpp"

using namespace herald;
using schedule::Recurrence;

namespace {

std::vector<std::string> utc(const std::vector<TimePoint>& times) {
  std::vector<std::string> out;
  for (auto t : times) out.push_back(to_rfc3339(t));
  return out;
}

Recurrence warsaw(std::string rule, std::string start, std::string at = "09:00") {
  Recurrence r;
  r.rule = std::move(rule);
  r.start = std::move(start);
  r.at = std::move(at);
  r.tz = "Europe/Warsaw";
  return r;
}

// The error a call throws: usage, one line, naming `expected`.
void check_usage_error(const std::function<void()>& call, const std::string& expected) {
  try {
    call();
    FAIL("no error; expected one containing: " << expected);
  } catch (const Error& e) {
    std::string what = e.what();
    CAPTURE(what);
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(what.find('\n') == std::string::npos);
    CHECK(what.find(expected) != std::string::npos);
  }
}

const std::vector<std::string> kPilot = {
    "2026-12-01T08:00:00.000Z", "2026-12-02T08:00:00.000Z", "2026-12-03T08:00:00.000Z", "2026-12-04T08:00:00.000Z",
    "2026-12-08T08:00:00.000Z", "2026-12-09T08:00:00.000Z", "2026-12-10T08:00:00.000Z", "2026-12-11T08:00:00.000Z"};

}  // namespace

TEST_CASE("the library's pilot course: Tuesday to Friday, 8 lessons, from a Monday") {
  auto r = warsaw("FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8", "2026-11-30");
  CHECK_NOTHROW(schedule::validate(r));
  CHECK(utc(schedule::occurrences(r, 100)) == kPilot);
  CHECK(utc(schedule::occurrences(r, 3)) == std::vector<std::string>(kPilot.begin(), kPilot.begin() + 3));
  CHECK(schedule::occurrences(r, 0).empty());
  CHECK(schedule::finite_count(r, 1000) == std::optional<std::size_t>(8));
  CHECK(schedule::finite_count(r, 8) == std::optional<std::size_t>(8));
  CHECK(schedule::finite_count(r, 7) == std::nullopt);
  REQUIRE(schedule::occurrence(r, 0).has_value());
  CHECK(to_rfc3339(*schedule::occurrence(r, 0)) == kPilot[0]);
  CHECK(to_rfc3339(*schedule::occurrence(r, 7)) == kPilot[7]);
  CHECK(schedule::occurrence(r, 8) == std::nullopt);
  // The first occurrence is the first matching day, not the Monday `start` names.
  CHECK(schedule::local_time(*schedule::occurrence(r, 0), "Europe/Warsaw") == "2026-12-01 09:00");
}

TEST_CASE("a holiday on a Thursday moves the lessons on; COUNT still gives 8") {
  auto r = warsaw("FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8", "2026-11-30");
  r.skip_dates = {"2026-12-03"};
  CHECK(utc(schedule::occurrences(r, 100)) ==
        std::vector<std::string>{"2026-12-01T08:00:00.000Z", "2026-12-02T08:00:00.000Z", "2026-12-04T08:00:00.000Z",
                                 "2026-12-08T08:00:00.000Z", "2026-12-09T08:00:00.000Z", "2026-12-10T08:00:00.000Z",
                                 "2026-12-11T08:00:00.000Z", "2026-12-15T08:00:00.000Z"});
  CHECK(schedule::finite_count(r, 100) == std::optional<std::size_t>(8));
  // A skip date that is not an instance changes nothing; two holidays move two lessons.
  r.skip_dates = {"2026-12-05", "2026-12-06"};
  CHECK(utc(schedule::occurrences(r, 100)) == kPilot);
  r.skip_dates = {"2026-12-01", "2026-12-11"};
  auto times = schedule::occurrences(r, 100);
  REQUIRE(times.size() == 8);
  CHECK(schedule::local_date(times.front(), "Europe/Warsaw") == "2026-12-02");
  CHECK(schedule::local_date(times.back(), "Europe/Warsaw") == "2026-12-16");
}

TEST_CASE("UNTIL stays a hard end, skip dates or not") {
  auto r = warsaw("FREQ=DAILY;UNTIL=20261204T080000Z", "2026-12-01");
  CHECK(utc(schedule::occurrences(r, 100)) ==
        std::vector<std::string>{"2026-12-01T08:00:00.000Z", "2026-12-02T08:00:00.000Z", "2026-12-03T08:00:00.000Z",
                                 "2026-12-04T08:00:00.000Z"});
  r.skip_dates = {"2026-12-02"};
  CHECK(schedule::finite_count(r, 100) == std::optional<std::size_t>(3));
  // A date UNTIL includes that day.
  r = warsaw("FREQ=DAILY;UNTIL=20261203", "2026-12-01");
  CHECK(schedule::finite_count(r, 100) == std::optional<std::size_t>(3));
  // An end before the start: no occurrence at all.
  r = warsaw("FREQ=DAILY;UNTIL=20261101T000000Z", "2026-12-01");
  check_usage_error([&] { schedule::validate(r); }, "has no occurrence");
}

TEST_CASE("monthly on the 1st, across the spring change") {
  auto r = warsaw("FREQ=MONTHLY;BYMONTHDAY=1", "2026-11-30");
  CHECK(utc(schedule::occurrences(r, 5)) ==
        std::vector<std::string>{"2026-12-01T08:00:00.000Z", "2027-01-01T08:00:00.000Z", "2027-02-01T08:00:00.000Z",
                                 "2027-03-01T08:00:00.000Z", "2027-04-01T07:00:00.000Z"});
  // Open-ended: more than any cap.
  CHECK(schedule::finite_count(r, 100000) == std::nullopt);
  CHECK(schedule::occurrence(r, 1000).has_value());
}

TEST_CASE("09:00 Europe/Warsaw stays 09:00 across the March and October 2027 changes") {
  auto march = schedule::occurrences(warsaw("FREQ=DAILY;COUNT=4", "2027-03-26"), 10);
  CHECK(utc(march) == std::vector<std::string>{"2027-03-26T08:00:00.000Z", "2027-03-27T08:00:00.000Z",
                                               "2027-03-28T07:00:00.000Z", "2027-03-29T07:00:00.000Z"});
  auto october = schedule::occurrences(warsaw("FREQ=DAILY;COUNT=4", "2027-10-29"), 10);
  CHECK(utc(october) == std::vector<std::string>{"2027-10-29T07:00:00.000Z", "2027-10-30T07:00:00.000Z",
                                                 "2027-10-31T08:00:00.000Z", "2027-11-01T08:00:00.000Z"});
  for (auto t : march) CHECK(schedule::local_time(t, "Europe/Warsaw").substr(11) == "09:00");
  for (auto t : october) CHECK(schedule::local_time(t, "Europe/Warsaw").substr(11) == "09:00");
  // The pilot course in a DST week: weekly lessons keep their hour too.
  auto weekly = schedule::occurrences(warsaw("FREQ=WEEKLY;BYDAY=FR,MO;COUNT=2", "2027-03-23"), 10);
  REQUIRE(weekly.size() == 2);
  CHECK(weekly[1] - weekly[0] == std::chrono::hours(3 * 24 - 1));
}

TEST_CASE("a local time the spring change skips is the next existing one; a repeated one the first") {
  // 02:30 on 2027-03-28 does not exist in Warsaw: 03:30 CEST = 01:30Z. The day after
  // is 02:30 again.
  auto spring = schedule::occurrences(warsaw("FREQ=DAILY;COUNT=3", "2027-03-27", "02:30"), 10);
  CHECK(utc(spring) ==
        std::vector<std::string>{"2027-03-27T01:30:00.000Z", "2027-03-28T01:30:00.000Z", "2027-03-29T00:30:00.000Z"});
  CHECK(schedule::local_time(spring[1], "Europe/Warsaw") == "2027-03-28 03:30");
  CHECK(schedule::local_time(spring[2], "Europe/Warsaw") == "2027-03-29 02:30");
  // The same for a one-off.
  auto one = schedule::occurrences(warsaw("", "2027-03-28", "02:30"), 10);
  CHECK(utc(one) == std::vector<std::string>{"2027-03-28T01:30:00.000Z"});
  // 02:30 on 2027-10-31 happens twice (CEST, then CET): the first, 00:30Z.
  auto autumn = schedule::occurrences(warsaw("FREQ=DAILY;COUNT=3", "2027-10-30", "02:30"), 10);
  CHECK(utc(autumn) ==
        std::vector<std::string>{"2027-10-30T00:30:00.000Z", "2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"});
  CHECK(schedule::local_time(autumn[1], "Europe/Warsaw") == "2027-10-31 02:30");
  // New York changes at 02:00 too, on other days.
  Recurrence ny;
  ny.tz = "America/New_York";
  ny.start = "2027-03-14";
  ny.at = "02:15";
  CHECK(utc(schedule::occurrences(ny, 1)) == std::vector<std::string>{"2027-03-14T07:15:00.000Z"});
}

TEST_CASE("an empty rule is one occurrence on the start day") {
  auto r = warsaw("", "2026-12-24", "18:30");
  CHECK(utc(schedule::occurrences(r, 10)) == std::vector<std::string>{"2026-12-24T17:30:00.000Z"});
  CHECK(schedule::finite_count(r, 10) == std::optional<std::size_t>(1));
  CHECK(schedule::occurrence(r, 1) == std::nullopt);
  Recurrence plain;  // UTC, 09:00
  plain.start = "2027-01-15";
  CHECK(utc(schedule::occurrences(plain, 10)) == std::vector<std::string>{"2027-01-15T09:00:00.000Z"});
  r.skip_dates = {"2026-12-24"};
  check_usage_error([&] { schedule::validate(r); }, "falls on a skip date");
}

TEST_CASE("invalid schedules are refused with one line naming the problem") {
  auto good = warsaw("FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8", "2026-11-30");
  auto with = [&](auto change) {
    auto r = good;
    change(r);
    return r;
  };
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=WEEKLY;BYDAY=XX"; })); },
                    "'BYDAY=XX' cannot be read");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=FORTNIGHTLY"; })); },
                    "'FREQ=FORTNIGHTLY' is not a frequency");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "BYDAY=MO"; })); }, "no FREQ");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "every tuesday"; })); },
                    "invalid rule 'every tuesday'");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "RRULE:FREQ=DAILY"; })); },
                    "without the 'RRULE:' prefix");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=DAILY;COUNT=x"; })); },
                    "'COUNT=x' cannot be read");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=HOURLY"; })); },
                    "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=DAILY;BYHOUR=9,14"; })); },
                    "the time of day is 'at'");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=WEEKLY;BYDAY=2TU,WE"; })); },
                    "a numbered BYDAY (like 2TU) needs FREQ=MONTHLY or FREQ=YEARLY");
  // Rules that never produce an instance.
  check_usage_error(
      [&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"; })); },
      "has no occurrence");
  check_usage_error(
      [&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"; })); },
      "has no occurrence");
  check_usage_error([&] { schedule::occurrences(with([](Recurrence& r) { r.tz = "Mars/Olympus_Mons"; }), 3); },
                    "unknown time zone 'Mars/Olympus_Mons'");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.tz = "../../etc/passwd"; })); },
                    "unknown time zone");
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.tz = ""; })); }, "unknown time zone ''");
  check_usage_error([&] { schedule::local_date(TimePoint{}, "Nowhere/Land"); }, "unknown time zone 'Nowhere/Land'");
  for (const char* at : {"9:00", "24:00", "09:60", "0900", "09:00:00", "", "ab:cd"}) {
    CAPTURE(at);
    check_usage_error([&] { schedule::validate(with([&](Recurrence& r) { r.at = at; })); }, "invalid time of day");
  }
  for (const char* date : {"2026-02-29", "2026-13-01", "30.11.2026", "2026-11-3", "", "2026-11-30x"}) {
    CAPTURE(date);
    check_usage_error([&] { schedule::validate(with([&](Recurrence& r) { r.start = date; })); }, "invalid start date");
    check_usage_error([&] { schedule::validate(with([&](Recurrence& r) { r.skip_dates = {date}; })); },
                      "invalid skip date");
  }
  // Input quoted in errors stays one printable line.
  check_usage_error([&] { schedule::validate(with([](Recurrence& r) { r.rule = "FREQ=DAILY\n;X=\x1b[2J"; })); },
                    "invalid rule 'FREQ=DAILY?;X=?[2J'");
  check_usage_error(
      [&] { schedule::validate(with([](Recurrence& r) { r.rule = std::string("FREQ=DAILY\0;X", 13); })); },
      "contains a NUL byte");
}

TEST_CASE("numbered weekdays in a monthly rule") {
  // The last Friday of each month (with a lesson per month), and the 2nd Tuesday.
  auto last_friday = schedule::occurrences(warsaw("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2026-11-30"), 10);
  CHECK(utc(last_friday) ==
        std::vector<std::string>{"2026-12-25T08:00:00.000Z", "2027-01-29T08:00:00.000Z", "2027-02-26T08:00:00.000Z"});
  auto r = warsaw("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2026-11-30");
  r.skip_dates = {"2026-12-25"};  // the series goes on to March, still 3
  CHECK(schedule::local_date(schedule::occurrences(r, 10).back(), "Europe/Warsaw") == "2027-03-26");
}

TEST_CASE("other zones and UTC") {
  Recurrence r;
  r.rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=2";
  r.start = "2026-11-30";
  r.at = "10:00";
  CHECK(utc(schedule::occurrences(r, 5)) ==
        std::vector<std::string>{"2026-11-30T10:00:00.000Z", "2026-12-14T10:00:00.000Z"});
  r.tz = "Asia/Kolkata";
  CHECK(utc(schedule::occurrences(r, 1)) == std::vector<std::string>{"2026-11-30T04:30:00.000Z"});
  r.tz = "Etc/UTC";
  CHECK_NOTHROW(schedule::validate(r));
}

TEST_CASE("local dates and times of an instant") {
  auto t = from_rfc3339("2026-12-31T23:30:00.999Z");
  CHECK(schedule::local_date(t, "UTC") == "2026-12-31");
  CHECK(schedule::local_date(t, "Europe/Warsaw") == "2027-01-01");
  CHECK(schedule::local_time(t, "Europe/Warsaw") == "2027-01-01 00:30");
  CHECK(schedule::local_time(t, "America/New_York") == "2026-12-31 18:30");
  CHECK(schedule::today(t, "Europe/Warsaw") == "2027-01-01");
  CHECK(schedule::local_time(from_rfc3339("1970-01-01T00:00:00Z"), "UTC") == "1970-01-01 00:00");
  check_usage_error([] { schedule::local_date(TimePoint::max(), "UTC"); }, "outside the years 1 to 9999");
}

TEST_CASE("schedules expand from many threads at once (libical's zone cache is shared)") {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&ok, i] {
      const char* zones[] = {"Europe/Warsaw", "America/New_York", "Asia/Tokyo", "Australia/Sydney"};
      for (int k = 0; k < 50; ++k) {
        Recurrence r;
        r.rule = "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8";
        r.start = "2027-03-22";
        r.tz = zones[(i + k) % 4];
        if (schedule::occurrences(r, 100).size() == 8) ++ok[static_cast<std::size_t>(i)];
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == std::vector<int>(4, 50));
}

TEST_CASE("skip dates from an iCalendar file") {
  const char* ics =
      "BEGIN:VCALENDAR\r\n"
      "VERSION:2.0\r\n"
      "PRODID:-//Library//Holidays//EN\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:1@example.org\r\n"
      "DTSTAMP:20261101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20261224\r\n"
      "DTEND;VALUE=DATE:20261227\r\n"
      "SUMMARY:Christmas\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:2@example.org\r\n"
      "DTSTAMP:20261101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20261111\r\n"
      "SUMMARY:Independence Day\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:3@example.org\r\n"
      "DTSTAMP:20261101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20270101\r\n"
      "DTEND;VALUE=DATE:20270102\r\n"
      "SUMMARY:New Year\r\n"
      "END:VEVENT\r\n"
      "BEGIN:VEVENT\r\n"
      "UID:4@example.org\r\n"
      "DTSTAMP:20261101T000000Z\r\n"
      "DTSTART;TZID=Europe/Warsaw:20261231T120000\r\n"
      "DTEND;TZID=Europe/Warsaw:20261231T180000\r\n"
      "SUMMARY:Closing early\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  CHECK(schedule::parse_skip_dates(ics) ==
        std::vector<std::string>{"2026-11-11", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"});
  // Lower case, LF line ends, a leading blank line and a UTF-8 BOM are fine.
  CHECK(schedule::parse_skip_dates("\xEF\xBB\xBF\nbegin:vcalendar\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20270506\nEND:"
                                   "VEVENT\nEND:VCALENDAR\n") == std::vector<std::string>{"2027-05-06"});
  CHECK(schedule::parse_skip_dates("BEGIN:VCALENDAR\nEND:VCALENDAR\n").empty());

  check_usage_error(
      [] { schedule::parse_skip_dates("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:No date\nEND:VEVENT\nEND:VCALENDAR\n"); },
      "event 1 ('No date'): has no DTSTART");
  check_usage_error(
      [] {
        schedule::parse_skip_dates(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20261224\nRRULE:FREQ="
            "YEARLY\nEND:VEVENT\nEND:VCALENDAR\n");
      },
      "event 1 (UID 'x'): repeats");
  check_usage_error(
      [] {
        schedule::parse_skip_dates(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:"
            "20300101\nEND:VEVENT\nEND:VCALENDAR\n");
      },
      "lasts more than 366 days");
  check_usage_error(
      [] {
        schedule::parse_skip_dates(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:24.12.2026\nEND:VEVENT\nEND:VCALENDAR\n");
      },
      "skip dates: event 1: cannot be read (libical: 'Can't parse as DATE value in DTSTART property");
  check_usage_error(
      [] {
        schedule::parse_skip_dates(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261232\nEND:VEVENT\nEND:VCALENDAR\n");
      },
      "event 1: has no valid DTSTART");
  check_usage_error(
      [] {
        schedule::parse_skip_dates(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261230\nDTEND;VALUE=DATE:"
            "20261300\nEND:VEVENT\nEND:VCALENDAR\n");
      },
      "event 1: has no valid DTEND");
  check_usage_error([] { schedule::parse_skip_dates("BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VEVENT\n"); },
                    "skip dates, line 3: 'END:VEVENT' without BEGIN");
  check_usage_error([] { schedule::parse_skip_dates("BEGIN:VCALENDAR\nthis is no iCalendar\nEND:VCALENDAR\n"); },
                    "the iCalendar file cannot be read (libical:");
  check_usage_error([] { schedule::parse_skip_dates("BEGIN:VCALENDAR\nBEGIN:VEVENT\n"); },
                    "not a readable iCalendar file");
}

TEST_CASE("skip dates from a plain list") {
  CHECK(schedule::parse_skip_dates("# Polish public holidays 2026/27\n"
                                   "2026-12-25\n"
                                   "\n"
                                   "  2026-12-24  # Wigilia\r\n"
                                   "2026-12-25\n"
                                   "\t2027-01-06") ==
        std::vector<std::string>{"2026-12-24", "2026-12-25", "2027-01-06"});
  CHECK(schedule::parse_skip_dates("").empty());
  CHECK(schedule::parse_skip_dates("# nothing\n\n").empty());
  check_usage_error([] { schedule::parse_skip_dates("2026-12-24\n24.12.2026\n"); },
                    "skip dates, line 2: '24.12.2026' is not a date YYYY-MM-DD");
  check_usage_error([] { schedule::parse_skip_dates("2027-02-29\n"); }, "line 1: '2027-02-29'");
  check_usage_error([] { schedule::parse_skip_dates(std::string("\x00\x01\xff garbage\n", 13)); }, "line 1: '??? ");
  check_usage_error([] { schedule::parse_skip_dates(std::string("BEGIN:VCALENDAR\n\0\nEND:VCALENDAR", 31)); },
                    "NUL byte");
}

TEST_CASE("libical prints nothing of its own on bad input") {
  // libical's icalerror_warn writes to stderr unconditionally; Herald's errors carry the
  // reason instead. Capture fd 2 around calls that reach libical's error paths.
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  int saved = ::dup(2);
  REQUIRE(saved >= 0);
  REQUIRE(::dup2(::fileno(capture), 2) >= 0);
  for (const char* text : {"BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VCALENDAR\n", "END:VCALENDAR\n",
                           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage\nEND:VEVENT\nEND:VCALENDAR\n",
                           "BEGIN:VCALENDAR\nnonsense\nBEGIN:VEVENT\nX-FOO;VALUE=BAR:1\nEND:VEVENT\n",
                           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VALARM\nEND:VEVENT\nEND:VCALENDAR\n"}) {
    try {
      schedule::parse_skip_dates(text);
    } catch (const Error&) {
    }
  }
  for (const char* rule :
       {"FREQ=DAILY;BYDAY=XX", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "junk", "FREQ=DAILY;UNTIL=x"}) {
    try {
      schedule::validate(warsaw(rule, "2026-11-30"));
    } catch (const Error&) {
    }
  }
  try {
    schedule::validate(warsaw("", "2026-11-30"));
    schedule::local_date(TimePoint{}, "No/Such_Zone");
  } catch (const Error&) {
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fseek(capture, 0, SEEK_END);
  long written = std::ftell(capture);
  std::string text(static_cast<std::size_t>(std::max(written, 0L)), '\0');
  std::rewind(capture);
  auto got = std::fread(text.data(), 1, text.size(), capture);
  std::fclose(capture);
  CHECK(got == text.size());
  CHECK(text == "");
}
