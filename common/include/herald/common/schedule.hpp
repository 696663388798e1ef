#pragma once
// When scheduled things happen: an iCalendar recurrence rule (RFC 5545 RRULE, expanded
// by libical, never by hand-written date arithmetic), a local time of day, an IANA time
// zone and a first day; and the dates to skip (holidays). All of heraldd's campaigns and
// recurring messages, and `herald campaign preview`, expand schedules here.
//
// Local time is kept across daylight saving: "09:00 Europe/Warsaw" is 08:00 UTC in
// winter and 07:00 UTC in summer. A local time that does not exist on a day (02:30 on
// the spring change) is taken as the next existing one (03:30, as RFC 5545 reads it);
// one that occurs twice (02:30 on the autumn change) as the first.
//
// Skip dates: an occurrence whose local date is a skip date is not held; the series
// instead continues with the rule's next instance, and a COUNT in the rule counts only
// held occurrences. So "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8" with a holiday on a
// Thursday still has 8 occurrences and ends one working day later. UNTIL stays a hard
// end.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/time.hpp"

namespace herald::schedule {

struct Recurrence {
  // RFC 5545 RRULE value without the "RRULE:" prefix, e.g.
  // "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8". Empty: a single occurrence on `start`.
  // FREQ is DAILY, WEEKLY, MONTHLY or YEARLY; no BYHOUR/BYMINUTE/BYSECOND (the time
  // of day is `at`); an UNTIL date (UNTIL=20270131) includes that day.
  std::string rule;
  std::string at = "09:00";             // local time of day, HH:MM (24 h)
  std::string tz = "UTC";               // IANA zone, e.g. "Europe/Warsaw"
  std::string start;                    // local date of the first possible occurrence, YYYY-MM-DD
  std::vector<std::string> skip_dates;  // local dates YYYY-MM-DD, sorted, unique
  bool operator==(const Recurrence&) const = default;
};

// Throws Error(usage) with one line naming what is wrong: an invalid RRULE (libical's
// reason), an unknown time zone, `at` not HH:MM, a `start` or skip date not
// YYYY-MM-DD, a rule with no occurrence at all.
void validate(const Recurrence& r);

// The first `limit` occurrences (UTC instants) in order, skip dates applied. Fewer if
// the rule ends first (COUNT, UNTIL). Throws like validate().
std::vector<TimePoint> occurrences(const Recurrence& r, std::size_t limit);
// The occurrence with index `index` (0-based), or nullopt if the series has ended.
std::optional<TimePoint> occurrence(const Recurrence& r, std::size_t index);
// How many occurrences the series has, if it is finite within `cap` (COUNT, UNTIL);
// nullopt if it has more than `cap` (an open-ended rule).
std::optional<std::size_t> finite_count(const Recurrence& r, std::size_t cap);

// Holidays for --skip-dates: an iCalendar file (each VEVENT's DTSTART, and every day up
// to but excluding DTEND for multi-day events, as local dates) or a plain list (one
// YYYY-MM-DD per line, '#' comments and blank lines ignored). Sorted and unique. An
// event that repeats (RRULE) is refused: each year's holiday is its own event.
// Throws Error(usage) with the line or event that could not be read.
std::vector<std::string> parse_skip_dates(std::string_view text);

// "YYYY-MM-DD" of instant `t` in zone `tz` (for listings and tests).
std::string local_date(TimePoint t, std::string_view tz);
// "YYYY-MM-DD HH:MM" of `t` in `tz`.
std::string local_time(TimePoint t, std::string_view tz);
// Today's local date in `tz` at instant `now`.
inline std::string today(TimePoint now, std::string_view tz) { return local_date(now, tz); }

}  // namespace herald::schedule
