// herald::schedule: the first byte picks what the rest is ('0' a skip-dates file for
// parse_skip_dates, '1' a recurrence rule, '2' a time zone name: the byte mod 3).
// Accepted skip dates are valid, sorted and unique; an accepted rule's occurrences are
// strictly increasing, at most as many as asked for, and agree with occurrence(i) and
// finite_count.
#include "herald/common/schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "finding.hpp"
#include "herald/common/error.hpp"
#include "herald/common/time.hpp"

namespace {

bool is_date(const std::string& d) {
  herald::schedule::Recurrence r;
  r.start = d;
  try {
    herald::schedule::validate(r);
    return true;
  } catch (const herald::Error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      try {
        auto dates = herald::schedule::parse_skip_dates(text);
        for (std::size_t i = 0; i < dates.size(); ++i) {
          if (!is_date(dates[i])) herald::fuzz::finding("parse_skip_dates gave an invalid date", dates[i]);
          if (i > 0 && !(dates[i - 1] < dates[i]))
            herald::fuzz::finding("parse_skip_dates: not sorted and unique", dates[i - 1] + " " + dates[i]);
        }
      } catch (const herald::Error&) {
      }
      break;
    case 1: {
      herald::schedule::Recurrence r;
      r.rule = std::string(text);
      r.tz = "Europe/Warsaw";
      r.start = "2026-11-30";
      r.skip_dates = {"2026-12-03", "2027-03-28", "2027-10-31"};
      try {
        auto times = herald::schedule::occurrences(r, 20);
        if (times.empty() || times.size() > 20) herald::fuzz::finding("occurrences: wrong number", r.rule);
        for (std::size_t i = 1; i < times.size(); ++i)
          if (!(times[i - 1] < times[i])) herald::fuzz::finding("occurrences not increasing", r.rule);
        auto last = herald::schedule::occurrence(r, times.size() - 1);
        if (!last || *last != times.back()) herald::fuzz::finding("occurrence(i) disagrees", r.rule);
        auto count = herald::schedule::finite_count(r, 20);
        // nullopt is also right for a rule with neither COUNT nor UNTIL whose instances
        // lie past the years libical expands (FREQ=YEARLY;INTERVAL=1000).
        if (count && (times.size() < 20 ? *count != times.size() : *count < 20))
          herald::fuzz::finding("finite_count disagrees with occurrences", r.rule);
      } catch (const herald::Error&) {
      }
      break;
    }
    default:
      try {
        auto local = herald::schedule::local_time(herald::from_rfc3339("2026-11-30T12:00:00Z"), text);
        if (local.size() != 16) herald::fuzz::finding("local_time: not YYYY-MM-DD HH:MM", local);
      } catch (const herald::Error&) {
      }
      break;
  }
  return 0;
}
