// Schedules through libical: RFC 5545 recurrence rules have corners (BYSETPOS, BYWEEKNO,
// fifth weekdays, leap days) that hand-written date arithmetic gets wrong, and libical
// also brings the IANA zones (Debian's build reads the system's /usr/share/zoneinfo)
// and an iCalendar parser for holiday files.
//
// libical's zones are process-wide state (the builtin zone cache, each zone's lazily
// extended table of changes), so every call that touches a zone holds one mutex. Rule
// parsing and expansion on floating times touch no zone (icalerrno and libical's
// temporary buffers are per thread in Debian's pthread build) and run outside it: a
// rule that can never match in a way libical does not see at once
// (FREQ=MONTHLY;BYDAY=-1FR;BYMONTHDAY=13) makes libical search up to the year 2582
// before giving up, about 3 s, and must not stall other threads' schedules meanwhile.
#include "herald/common/schedule.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "herald/common/error.hpp"

namespace herald::schedule {

namespace {

// Instances in a row that may be dropped (skip dates) before a rule counts as having no
// occurrence: only a guard, as a rule yields at most one instance per local date.
constexpr std::size_t kMaxSkippedInARow = 100'000;
constexpr std::size_t kMaxRuleBytes = 1000;
// A holiday longer than this in a .ics file is a mistake (or an attack), not a holiday.
constexpr int kMaxEventDays = 366;

std::mutex& ical_mutex() {
  static std::mutex m;
  return m;
}

// Errors are read from icalerrno, never printed or fatal: libical's own reporting is
// switched off once, before the first call into it.
void quiet_libical() {
  static const bool quiet = [] {
    icalerror_set_errors_are_fatal(0);
    // libical fills its TZID prefix in lazily on first use, which icalrecur_iterator_new
    // also does outside the lock (a data race helgrind reports). Loading a zone fills
    // it once, here; it is only read after. No other thread is in libical yet: every
    // call into it comes after this first call of quiet_libical().
    (void)icaltimezone_get_builtin_timezone("Etc/UTC");
    return true;
  }();
  (void)quiet;
  icalerror_clear_errno();
}

// Holds libical's zones for one operation.
class IcalLock {
 public:
  IcalLock() : lock_(ical_mutex()) { quiet_libical(); }

 private:
  std::lock_guard<std::mutex> lock_;
};

Error usage(const std::string& message) { return Error(ErrorKind::usage, message); }

// Input quoted in an error message: one line, valid UTF-8 (it may end up in a JSON
// reply), at most ~60 bytes.
std::string quote(std::string_view text, std::size_t max_bytes = 60) {
  std::string out = "'";
  std::size_t i = 0;
  while (i < text.size()) {
    if (out.size() > max_bytes) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += '?';
      ++i;
    } else if (len == 1) {
      out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out + "'";
}

struct Ymd {
  int year = 0, month = 0, day = 0;
};

bool digits(std::string_view text, std::size_t pos, std::size_t width, int& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

// Exactly YYYY-MM-DD naming a real day (no 2027-02-29).
std::optional<Ymd> parse_ymd(std::string_view text) {
  Ymd d;
  if (text.size() != 10 || !digits(text, 0, 4, d.year) || text[4] != '-' || !digits(text, 5, 2, d.month) ||
      text[7] != '-' || !digits(text, 8, 2, d.day) || d.year < 1)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{d.year}, std::chrono::month{static_cast<unsigned>(d.month)},
                                  std::chrono::day{static_cast<unsigned>(d.day)}};
  if (!ymd.ok()) return std::nullopt;
  return d;
}

std::string format_ymd(int year, int month, int day) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

struct HourMinute {
  int hour = 0, minute = 0;
};

HourMinute parse_at(std::string_view at) {
  HourMinute hm;
  if (at.size() != 5 || !digits(at, 0, 2, hm.hour) || at[2] != ':' || !digits(at, 3, 2, hm.minute) || hm.hour > 23 ||
      hm.minute > 59)
    throw usage("invalid time of day " + quote(at) + ": expected HH:MM (24 h), e.g. 09:00");
  return hm;
}

// Caller holds IcalLock. libical's builtin zones are loaded once and live for the
// process, so the pointer stays valid.
icaltimezone* zone_for(std::string_view tz) {
  auto unknown = [&] {
    return usage("unknown time zone " + quote(tz) + ": use an IANA name like Europe/Warsaw or UTC");
  };
  if (tz == "UTC") return icaltimezone_get_utc_timezone();
  // Only names that look like IANA names reach libical, which maps them to files.
  if (tz.empty() || tz.size() > 64 || tz.find("..") != std::string_view::npos || tz.front() == '/') throw unknown();
  for (char c : tz)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
          c == '-' || c == '+'))
      throw unknown();
  std::string name(tz);
  icaltimezone* zone = icaltimezone_get_builtin_timezone(name.c_str());
  icalerror_clear_errno();
  if (zone == nullptr) throw unknown();
  return zone;
}

icaltimetype local_time_of(TimePoint t, icaltimezone* zone) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  // Years 1 to 9999, where libical's conversions (and YYYY-MM-DD) hold.
  if (seconds < -62135596800 || seconds > 253402300799)
    throw usage("time " + std::to_string(seconds) + " s since 1970 is outside the years 1 to 9999");
  return icaltime_from_timet_with_zone(static_cast<time_t>(seconds), 0, zone);
}

bool same_wall_time(const icaltimetype& a, const icaltimetype& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour && a.minute == b.minute &&
         a.second == b.second;
}

// The instant of wall time `local` (floating) in `zone`, as schedule.hpp defines it for
// the hours daylight saving skips or repeats. libical converts a skipped time with the
// offset after the change (02:30 -> 01:30 CET, before the gap) and a repeated one as
// the later instant, so both are corrected here by converting back and comparing.
time_t instant_of(icaltimetype local, icaltimezone* zone) {
  local.zone = nullptr;
  local.is_date = 0;
  time_t u = icaltime_as_timet_with_zone(local, zone);
  icaltimetype back = icaltime_from_timet_with_zone(u, 0, zone);
  if (!same_wall_time(back, local)) {
    // Skipped: move forward by the gap, to the wall time as far past the change as
    // `local` was into it (02:30 -> 03:30 CEST), RFC 5545's reading too.
    back.zone = nullptr;
    time_t gap = icaltime_as_timet(local) - icaltime_as_timet(back);
    if (gap > 0 && gap <= 24 * 3600) u += gap;
    return u;
  }
  // Repeated: the earliest instant that shows this wall time (changes are 30 min to 2 h).
  for (time_t earlier : {7200, 3600, 1800})
    if (same_wall_time(icaltime_from_timet_with_zone(u - earlier, 0, zone), local)) return u - earlier;
  return u;
}

TimePoint to_time_point(time_t t) {
  return TimePoint{std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds{t})};
}

struct IteratorFree {
  void operator()(icalrecur_iterator* it) const { icalrecur_iterator_free(it); }
};

// One expansion of a Recurrence: the held occurrences, one at a time. Locks libical's
// zones only while it converts.
class Expansion {
 public:
  explicit Expansion(const Recurrence& r) : rule_text_(r.rule) {
    auto start = parse_ymd(r.start);
    if (!start) throw usage("invalid start date " + quote(r.start) + ": expected YYYY-MM-DD");
    HourMinute at = parse_at(r.at);
    for (const auto& d : r.skip_dates)
      if (!parse_ymd(d)) throw usage("invalid skip date " + quote(d) + ": expected YYYY-MM-DD");
    skip_ = r.skip_dates;
    std::sort(skip_.begin(), skip_.end());
    {
      IcalLock lock;
      zone_ = zone_for(r.tz);
    }

    // Floating (zone-less) wall times: libical then expands the rule on the calendar
    // alone, and each instance is placed in the zone afterwards, which keeps the local
    // time of day across daylight saving. (Expanding with a zoned DTSTART, libical
    // 3.0.16 carries a skipped 02:30 forward as 03:30 into the following days.)
    first_ = icaltime_null_time();
    first_.year = start->year;
    first_.month = start->month;
    first_.day = start->day;
    first_.hour = at.hour;
    first_.minute = at.minute;
    first_.is_date = 0;
    if (r.rule.empty()) return;
    open_ended_ = true;

    quiet_libical();
    auto invalid = [&](const std::string& why) { return usage("invalid rule " + quote(r.rule) + ": " + why); };
    if (r.rule.size() > kMaxRuleBytes) throw invalid("longer than 1000 characters");
    if (r.rule.find('\0') != std::string::npos) throw invalid("contains a NUL byte");
    if (r.rule.rfind("RRULE:", 0) == 0) throw invalid("write it without the 'RRULE:' prefix");
    icalerror_clear_errno();
    icalrecurrencetype recur = icalrecurrencetype_from_string(r.rule.c_str());
    bool parsed = recur.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
    if (recur.rscale != nullptr) {
      std::free(recur.rscale);
      recur.rscale = nullptr;
      if (parsed) throw invalid("RSCALE (non-Gregorian calendars) is not supported");
    }
    if (!parsed) throw invalid(diagnose(r.rule));
    switch (recur.freq) {
      case ICAL_DAILY_RECURRENCE:
      case ICAL_WEEKLY_RECURRENCE:
      case ICAL_MONTHLY_RECURRENCE:
      case ICAL_YEARLY_RECURRENCE:
        break;
      default:
        // Not for messages to people, and libical searches an impossible sub-daily rule
        // (FREQ=MINUTELY;BYMONTHDAY=30;BYMONTH=2) second by second for minutes.
        throw invalid("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
    }
    if (recur.by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX || recur.by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
        recur.by_second[0] != ICAL_RECURRENCE_ARRAY_MAX)
      throw invalid("BYHOUR, BYMINUTE and BYSECOND are not used: the time of day is 'at'");

    // RFC 5545: a numbered BYDAY (2TU, -1FR) only with MONTHLY or YEARLY, and not with
    // BYWEEKNO; libical 3.0.16 expands FREQ=WEEKLY;BYDAY=2TU,WE out of order.
    bool numbered_day = false;
    for (int i = 0; i < ICAL_BY_DAY_SIZE && recur.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i)
      numbered_day = numbered_day || icalrecurrencetype_day_position(recur.by_day[i]) != 0;
    bool weekno = recur.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX;
    if (numbered_day && (!(recur.freq == ICAL_MONTHLY_RECURRENCE || recur.freq == ICAL_YEARLY_RECURRENCE) || weekno))
      throw invalid("a numbered BYDAY (like 2TU) needs FREQ=MONTHLY or FREQ=YEARLY without BYWEEKNO");

    // COUNT counts held occurrences only (skip dates do not use it up), so libical gets
    // the rule without it and the count is kept here.
    if (recur.count > 0) {
      count_ = static_cast<std::size_t>(recur.count);
      open_ended_ = false;
      recur.count = 0;
    }
    if (!icaltime_is_null_time(recur.until)) {
      open_ended_ = false;
      if (recur.until.is_date) {
        // UNTIL=20270131 ends after that whole local day (with a date-time DTSTART,
        // libical would end before its 00:00, dropping the day's occurrence).
        recur.until.is_date = 0;
        recur.until.hour = 23;
        recur.until.minute = 59;
        recur.until.second = 59;
      } else if (icaltime_is_utc(recur.until)) {
        // A UTC end: compared as an instant below; libical compares floating wall
        // times, so it gets the end as a wall time in the zone.
        until_ = icaltime_as_timet(recur.until);
        IcalLock lock;
        recur.until = icaltime_from_timet_with_zone(*until_, 0, zone_);
      }
      recur.until.zone = nullptr;
    }
    icalerror_clear_errno();
    iterator_.reset(icalrecur_iterator_new(recur, first_));
    // libical refuses some rules that can never match (BYMONTH=2;BYMONTHDAY=30)
    // already here; the others end up with no instance below.
    if (!iterator_) throw usage("rule " + quote(r.rule) + " has no occurrence");
    icalerror_clear_errno();
  }

  std::optional<TimePoint> next() {
    if (count_ && held_ >= *count_) return std::nullopt;
    if (!iterator_) {  // empty rule: the one occurrence on `start`
      if (single_done_) return std::nullopt;
      single_done_ = true;
      if (skipped(first_)) {
        ++skipped_total_;
        return std::nullopt;
      }
      ++held_;
      IcalLock lock;
      return to_time_point(instant_of(first_, zone_));
    }
    for (std::size_t in_a_row = 0; in_a_row < kMaxSkippedInARow; ++in_a_row) {
      icaltimetype local = icalrecur_iterator_next(iterator_.get());
      icalerror_clear_errno();
      if (icaltime_is_null_time(local)) return std::nullopt;
      // Each instance must come after the previous one: a defence against libical
      // handing back an out-of-order instance, so that occurrence(i) stays meaningful.
      if (have_last_ && icaltime_compare(local, last_) <= 0) continue;
      have_last_ = true;
      last_ = local;
      if (skipped(local)) {
        ++skipped_total_;
        continue;
      }
      time_t t = 0;
      {
        IcalLock lock;
        t = instant_of(local, zone_);
      }
      if (until_ && t > *until_) return std::nullopt;
      ++held_;
      return to_time_point(t);
    }
    throw usage("rule " + quote(rule_text_) + " has no occurrence outside the skip dates");
  }

  bool open_ended() const { return open_ended_; }
  std::size_t skipped_total() const { return skipped_total_; }

 private:
  bool skipped(const icaltimetype& local) const {
    return !skip_.empty() &&
           std::binary_search(skip_.begin(), skip_.end(), format_ymd(local.year, local.month, local.day));
  }

  // libical says only "malformed"; name the part of the rule it cannot read.
  static std::string diagnose(const std::string& rule) {
    std::string reason = std::string("libical: ") + icalerror_strerror(ICAL_MALFORMEDDATA_ERROR);
    std::string freq;
    std::vector<std::string> parts;
    for (std::size_t begin = 0; begin <= rule.size();) {
      std::size_t end = rule.find(';', begin);
      if (end == std::string::npos) end = rule.size();
      std::string part = rule.substr(begin, end - begin);
      std::string upper = part;
      for (auto& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (upper.rfind("FREQ=", 0) == 0)
        freq = part;
      else if (!part.empty())
        parts.push_back(part);
      begin = end + 1;
    }
    if (freq.empty()) return "no FREQ (e.g. FREQ=WEEKLY) (" + reason + ")";
    auto reads = [](const std::string& text) {
      icalerror_clear_errno();
      icalrecurrencetype t = icalrecurrencetype_from_string(text.c_str());
      bool ok = t.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
      std::free(t.rscale);
      icalerror_clear_errno();
      return ok;
    };
    if (!reads(freq)) return quote(freq) + " is not a frequency (" + reason + ")";
    for (const auto& part : parts)
      if (!reads(freq + ";" + part)) return quote(part) + " cannot be read (" + reason + ")";
    return reason;
  }

  std::string rule_text_;
  std::vector<std::string> skip_;
  icaltimezone* zone_ = nullptr;
  icaltimetype first_{};
  std::unique_ptr<icalrecur_iterator, IteratorFree> iterator_;
  std::optional<std::size_t> count_;
  std::optional<time_t> until_;
  bool open_ended_ = false;
  bool single_done_ = false;
  bool have_last_ = false;
  icaltimetype last_{};
  std::size_t held_ = 0;
  std::size_t skipped_total_ = 0;
};

[[noreturn]] void throw_no_occurrence(const Recurrence& r, const Expansion& expansion) {
  if (expansion.skipped_total() > 0)
    throw usage("schedule has no occurrence: every instance of " +
                (r.rule.empty() ? std::string("the one-off message") : "rule " + quote(r.rule)) +
                " falls on a skip date");
  throw usage("rule " + quote(r.rule) + " has no occurrence from " + r.start);
}

// The first `limit` held occurrences; throws if the series has none at all.
std::vector<TimePoint> expand(const Recurrence& r, std::size_t limit) {
  Expansion expansion(r);
  auto first = expansion.next();
  if (!first) throw_no_occurrence(r, expansion);
  std::vector<TimePoint> out;
  if (limit > 0) out.push_back(*first);
  while (out.size() < limit) {
    auto t = expansion.next();
    if (!t) break;
    out.push_back(*t);
  }
  return out;
}

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};

std::string date_of(const icaltimetype& t) { return format_ymd(t.year, t.month, t.day); }

// "event 3 ('Wigilia')" for error messages.
std::string event_name(icalcomponent* event, std::size_t number) {
  std::string name = "event " + std::to_string(number);
  const char* summary = icalcomponent_get_summary(event);
  const char* uid = icalcomponent_get_uid(event);
  icalerror_clear_errno();
  if (summary != nullptr && *summary != '\0') return name + " (" + quote(summary) + ")";
  if (uid != nullptr && *uid != '\0') return name + " (UID " + quote(uid) + ")";
  return name;
}

// Caller holds IcalLock.
void add_event_days(icalcomponent* event, std::size_t number, std::vector<std::string>& out) {
  auto bad = [&](const std::string& why) { return usage("skip dates: " + event_name(event, number) + ": " + why); };
  if (icalproperty* p = icalcomponent_get_first_property(event, ICAL_XLICERROR_PROPERTY)) {
    const char* what = icalproperty_get_xlicerror(p);
    throw bad(std::string("cannot be read (libical: ") + quote(what != nullptr ? what : "?", 160) + ")");
  }
  if (icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY) != nullptr ||
      icalcomponent_get_first_property(event, ICAL_RDATE_PROPERTY) != nullptr)
    throw bad("repeats (RRULE/RDATE): list each year's holiday as its own event");
  if (icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY) == nullptr) throw bad("has no DTSTART");
  icaltimetype start = icalcomponent_get_dtstart(event);
  icaltimetype end = icalcomponent_get_dtend(event);
  icalerror_clear_errno();
  // libical takes 20261232 as a date; YYYY-MM-DD checks it.
  if (icaltime_is_null_time(start) || !parse_ymd(date_of(start))) throw bad("has no valid DTSTART");
  if (!icaltime_is_null_time(end) && !parse_ymd(date_of(end))) throw bad("has no valid DTEND");
  // The days the event covers, as the dates written in the file: a DATE event up to
  // but excluding DTEND (RFC 5545), a timed one up to DTEND's day unless it ends at
  // midnight.
  icaltimetype last_excluded = start;
  last_excluded.is_date = 1;
  icaltime_adjust(&last_excluded, 1, 0, 0, 0);
  if (!icaltime_is_null_time(end)) {
    icaltimetype end_day = end;
    end_day.is_date = 1;
    if (!end.is_date && (end.hour != 0 || end.minute != 0 || end.second != 0)) icaltime_adjust(&end_day, 1, 0, 0, 0);
    if (icaltime_compare_date_only(end_day, last_excluded) > 0) last_excluded = end_day;
  }
  icaltimetype day = start;
  day.is_date = 1;
  for (int n = 0; icaltime_compare_date_only(day, last_excluded) < 0; ++n) {
    if (n == kMaxEventDays) throw bad("lasts more than " + std::to_string(kMaxEventDays) + " days");
    if (day.year > 9999) break;
    out.push_back(date_of(day));
    icaltime_adjust(&day, 1, 0, 0, 0);
  }
  icalerror_clear_errno();
}

// Calls visit(line, number) for each line of `text` (without its '\n'), numbered from 1.
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
  std::size_t number = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    visit(text.substr(begin, end - begin), ++number);
    begin = end + 1;
  }
}

// libical's parser prints "Encountered END before BEGIN" to stderr itself (icalerror_warn
// cannot be switched off), so that one structural error is found here first.
void check_nesting(std::string_view text) {
  std::size_t depth = 0;
  for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return;  // a folded line goes on
    std::string name(line.substr(0, std::min(line.find_first_of(":;"), line.size())));
    for (auto& c : name)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (name == "BEGIN") {
      ++depth;
    } else if (name == "END") {
      if (depth == 0)
        throw usage("skip dates, line " + std::to_string(line_number) + ": " + quote(line) + " without BEGIN");
      --depth;
    }
  });
}

std::vector<std::string> parse_ics(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) throw usage("skip dates: the iCalendar file contains a NUL byte");
  check_nesting(text);
  std::string copy(text);
  IcalLock lock;
  std::unique_ptr<icalcomponent, ComponentFree> root(icalparser_parse_string(copy.c_str()));
  icalerror_clear_errno();
  if (!root) throw usage("skip dates: not a readable iCalendar file");
  std::vector<icalcomponent*> calendars;
  if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
    calendars.push_back(root.get());
  } else {
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT); c != nullptr;
         c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT))
      calendars.push_back(c);
  }
  if (calendars.empty()) throw usage("skip dates: no VCALENDAR in the iCalendar file");
  std::vector<std::string> out;
  std::size_t number = 0;
  for (icalcomponent* calendar : calendars) {
    if (icalproperty* p = icalcomponent_get_first_property(calendar, ICAL_XLICERROR_PROPERTY)) {
      const char* what = icalproperty_get_xlicerror(p);
      throw usage(std::string("skip dates: the iCalendar file cannot be read (libical: ") +
                  quote(what != nullptr ? what : "?", 160) + ")");
    }
    for (icalcomponent* event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT); event != nullptr;
         event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT))
      add_event_days(event, ++number, out);
  }
  return out;
}

std::vector<std::string> parse_list(std::string_view text) {
  std::vector<std::string> out;
  for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) return;
    if (!parse_ymd(line))
      throw usage("skip dates, line " + std::to_string(line_number) + ": " + quote(line) +
                  " is not a date YYYY-MM-DD (or give an iCalendar file)");
    out.emplace_back(line);
  });
  return out;
}

}  // namespace

void validate(const Recurrence& r) { expand(r, 0); }

std::vector<TimePoint> occurrences(const Recurrence& r, std::size_t limit) { return expand(r, limit); }

std::optional<TimePoint> occurrence(const Recurrence& r, std::size_t index) {
  auto first = expand(r, index + 1);
  if (first.size() <= index) return std::nullopt;
  return first[index];
}

std::optional<std::size_t> finite_count(const Recurrence& r, std::size_t cap) {
  Expansion expansion(r);
  if (!expansion.next()) throw_no_occurrence(r, expansion);
  // Neither COUNT nor UNTIL: the calendar repeats every 400 years, so a rule with one
  // instance has endlessly many.
  if (expansion.open_ended()) return std::nullopt;
  std::size_t n = 1;
  while (expansion.next())
    if (++n > cap) return std::nullopt;
  return n > cap ? std::nullopt : std::optional<std::size_t>(n);
}

std::vector<std::string> parse_skip_dates(std::string_view text) {
  std::string_view body = text;
  if (body.rfind("\xEF\xBB\xBF", 0) == 0) body.remove_prefix(3);  // a UTF-8 BOM, as some exporters write
  std::size_t first = body.find_first_not_of(" \t\r\n");
  bool ics = first != std::string_view::npos && body.size() - first >= 15;
  if (ics) {
    std::string head(body.substr(first, 15));
    for (auto& c : head)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    ics = head == "BEGIN:VCALENDAR";
  }
  auto dates = ics ? parse_ics(body) : parse_list(body);
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  return dates;
}

std::string local_date(TimePoint t, std::string_view tz) {
  IcalLock lock;
  icaltimetype local = local_time_of(t, zone_for(tz));
  return format_ymd(local.year, local.month, local.day);
}

std::string local_time(TimePoint t, std::string_view tz) {
  IcalLock lock;
  icaltimetype local = local_time_of(t, zone_for(tz));
  char buf[16];
  std::snprintf(buf, sizeof buf, " %02d:%02d", local.hour, local.minute);
  return format_ymd(local.year, local.month, local.day) + buf;
}

}  // namespace herald::schedule
