#include <date/date.h>
#include <doctest/doctest.h>

#include "herald/common/error.hpp"
#include "herald/common/time.hpp"

using namespace herald;
using namespace std::chrono_literals;

TEST_CASE("durations accept the units admins type") {
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("15m") == 15min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("7d") == 7 * 24h);
  CHECK(parse_duration("1h30m") == 90min);
  for (const char* bad : {"", "h", "10", "10x", "-5m", "0s", "400d"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_duration(bad), Error);
  }
  // Long enough to overflow a 64-bit count of seconds if every term were added.
  std::string huge;
  for (int i = 0; i < 200'000; ++i) huge += "99999999w";
  CHECK_THROWS_WITH_AS(parse_duration(huge), doctest::Contains("longer than 366 days"), Error);
}

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds") {
  auto t = from_rfc3339("2026-11-22T13:01:18.123Z");
  CHECK(to_rfc3339(t) == "2026-11-22T13:01:18.123Z");
  CHECK(to_rfc3339(from_rfc3339("2026-11-22T13:01:18Z")) == "2026-11-22T13:01:18.000Z");
  CHECK(to_rfc3339(from_rfc3339("2026-11-22T13:01:18.1Z")) == "2026-11-22T13:01:18.100Z");
  CHECK(to_rfc3339(from_rfc3339("2026-11-22T13:01:18.123456Z")) == "2026-11-22T13:01:18.123Z");
  CHECK(to_rfc3339(from_rfc3339("2024-02-29T23:59:59.999Z")) == "2024-02-29T23:59:59.999Z");
  CHECK(to_rfc3339(from_rfc3339("1970-01-01T00:00:00Z")) == "1970-01-01T00:00:00.000Z");
  for (const char* bad : {"22.11.2026", "", "2026-11-22", "2026-11-22T13:01:18", "2026-11-22T13:01:18.Z",
                          "2026-11-22T13:01:18+01:00", "2026-13-22T13:01:18Z", "2026-02-30T13:01:18Z",
                          "2026-11-22T24:01:18Z", "2026-11-22T13:01:18ZZ", "2026-11-22 13:01:18Z", "yesterday"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(from_rfc3339(bad), Error);
  }
}

TEST_CASE("the hand-written time writer gives exactly date::format(\"%FT%TZ\")") {
  auto t0 = from_rfc3339("2026-11-22T13:01:18.123Z");
  for (auto t : {t0, t0 + 1ms, t0 + 999ms + 59s + 59min + 10h, from_rfc3339("2000-02-29T23:59:59.999Z"),
                 from_rfc3339("1999-12-31T00:00:00.000Z"), from_rfc3339("2099-01-01T00:00:00.007Z"),
                 from_rfc3339("1970-01-01T00:00:00.000Z"), from_rfc3339("1969-12-31T23:59:59.999Z"),
                 from_rfc3339("1900-03-01T12:34:56.789Z"), from_rfc3339("0000-01-01T00:00:00.000Z"),
                 from_rfc3339("9999-12-31T23:59:59.999Z"), from_rfc3339("2100-02-28T00:00:00.000Z")}) {
    std::string out;
    append_rfc3339(out, t);
    CHECK(out == date::format("%FT%TZ", t));
    CHECK(to_rfc3339(t) == out);
  }
  // Every day of four years (a leap year among them), at a varying time of day.
  auto day = from_rfc3339("2027-12-30T00:00:00.000Z");
  for (int i = 0; i < 4 * 366; ++i) {
    auto t = day + std::chrono::days(i) + std::chrono::milliseconds(i * 60013);
    std::string out = "x";
    append_rfc3339(out, t);
    REQUIRE(out == "x" + date::format("%FT%TZ", t));
  }
}

TEST_CASE("every accepted time round-trips: no leap seconds, no year past 9999") {
  for (const char* bad : {"9999-12-31T23:59:60.500Z", "2026-06-30T23:59:60Z", "10000-01-01T00:00:00Z"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(from_rfc3339(bad), Error);
  }
  for (const char* good : {"9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"}) {
    CAPTURE(good);
    CHECK(to_rfc3339(from_rfc3339(good)) == good);
  }
}
