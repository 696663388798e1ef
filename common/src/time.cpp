#include "herald/common/time.hpp"

#include <date/date.h>

#include <algorithm>
#include <cstdio>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"

namespace herald {

TimePoint now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

void append_rfc3339(std::string& out, TimePoint t) {
  // Digits written by hand: snprintf and date::format's iostreams were visible shares
  // of a 10,000-recipient status and of every agent's work per alert in the
  // benchmark's profiles (bench/README.md). Days to a civil date:
  // H. Hinnant's civil_from_days (the algorithm behind std::chrono's).
  std::int64_t unix_ms = to_unix_ms(t);
  std::int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : (unix_ms - 86399999) / 86400000;
  std::int64_t in_day = unix_ms - days * 86400000;
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t day_of_month = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year >= 0 && year <= 9999) {
    char buf[24];
    auto put = [&](std::size_t at, std::int64_t v, std::size_t width) {
      for (std::size_t i = width; i-- > 0; v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
    };
    put(0, year, 4);
    buf[4] = '-';
    put(5, month, 2);
    buf[7] = '-';
    put(8, day_of_month, 2);
    buf[10] = 'T';
    put(11, in_day / 3600000, 2);
    buf[13] = ':';
    put(14, in_day / 60000 % 60, 2);
    buf[16] = ':';
    put(17, in_day / 1000 % 60, 2);
    buf[19] = '.';
    put(20, in_day % 1000, 3);
    buf[23] = 'Z';
    out.append(buf, sizeof buf);
    return;
  }
  // Years outside 0-9999 (never in practice): the general path.
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  auto ms = (t - day).count();
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60),
                        static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  out.append(buf, static_cast<std::size_t>(std::max(n, 0)));
}

std::string to_rfc3339(TimePoint t) {
  std::string out;
  out.reserve(24);
  append_rfc3339(out, t);
  return out;
}

namespace {

// Reads exactly `width` digits at `pos`; false if any is not a digit.
bool digits(std::string_view text, std::size_t pos, std::size_t width, int& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

}  // namespace

// Hand-written rather than date::parse: every payload carries two or three timestamps,
// and the istream-based parser was a visible share of an agent's CPU per message in the
// benchmark's profile. Accepts exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z.
TimePoint from_rfc3339(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorKind::protocol, "invalid timestamp '" + std::string(text.substr(0, 64)) +
                                          "': expected RFC 3339 UTC like 2026-11-22T13:01:18.123Z");
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !digits(text, 0, 4, year) || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day) || text[10] != 'T' || !digits(text, 11, 2, hour) || text[13] != ':' ||
      !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second))
    throw bad();
  std::size_t pos = 19;
  int millis = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - first < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == first) throw bad();
    for (std::size_t n = pos - first; n < 3; ++n) millis *= 10;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') throw bad();
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) throw bad();
  return TimePoint{date::sys_days{ymd}.time_since_epoch() + std::chrono::hours{hour} + std::chrono::minutes{minute} +
                   std::chrono::seconds{second} + std::chrono::milliseconds{millis}};
}

std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_unix_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

std::chrono::seconds parse_duration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::usage,
                 trf("invalid duration '{1}': {2} (use e.g. 90s, 15m, 2h, 7d, 2w or 1h30m)", {text, why}));
  };
  if (text.empty()) throw bad(tr("empty"));
  std::chrono::seconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > 100'000'000) throw bad(tr("too large"));
      ++i;
      ++digits;
    }
    if (digits == 0 || i == text.size()) throw bad(digits == 0 ? tr("expected a number") : tr("missing unit"));
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        throw bad(trf("unknown unit '{1}'", {std::string_view(&text[i], 1)}));
    }
    ++i;
    // Past the limit the answer is already known; adding on would overflow the count
    // (UB: 200,000 x "99999999w" does) and could wrap back into range.
    if (total <= kMaxExpiry) total += std::chrono::seconds{number * unit};
  }
  if (total.count() <= 0) throw bad(tr("must be positive"));
  if (total > kMaxExpiry) throw bad(tr("longer than 366 days"));
  return total;
}

}  // namespace herald
