#include "herald/common/time.hpp"

#include <date/date.h>

#include <sstream>

#include "herald/common/error.hpp"

namespace herald {

TimePoint now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

std::string to_rfc3339(TimePoint t) { return date::format("%FT%TZ", t); }

TimePoint from_rfc3339(std::string_view text) {
  std::istringstream in{std::string(text)};
  TimePoint t;
  in >> date::parse("%FT%TZ", t);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
    std::istringstream again{std::string(text)};
    date::sys_seconds whole;
    again >> date::parse("%FT%TZ", whole);
    if (again.fail())
      throw Error(ErrorKind::protocol, "invalid timestamp '" + std::string(text) + "': expected RFC 3339 UTC like 2026-11-22T13:01:18.123Z");
    return std::chrono::time_point_cast<std::chrono::milliseconds>(whole);
  }
  return t;
}

std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_unix_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

std::chrono::seconds parse_duration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::usage, "invalid duration '" + std::string(text) + "': " + why +
                                       " (use e.g. 90s, 15m, 2h, 7d, 2w or 1h30m)");
  };
  if (text.empty()) throw bad("empty");
  std::chrono::seconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > 100'000'000) throw bad("too large");
      ++i;
      ++digits;
    }
    if (digits == 0 || i == text.size()) throw bad(digits == 0 ? "expected a number" : "missing unit");
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: throw bad(std::string("unknown unit '") + text[i] + "'");
    }
    ++i;
    total += std::chrono::seconds{number * unit};
  }
  if (total.count() <= 0) throw bad("must be positive");
  if (total > kMaxExpiry) throw bad("longer than 366 days");
  return total;
}

}  // namespace herald
