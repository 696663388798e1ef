#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "herald/common/clock.hpp"
#include "herald/common/error.hpp"
#include "herald/common/time.hpp"

using namespace herald;
using namespace std::chrono_literals;

TEST_CASE("the system clock reads real time") {
  auto clock = system_clock();
  auto before = herald::now();
  auto t = clock->now();
  CHECK(t >= before);
  CHECK(t - before < 5s);
  // steady_at of now+1s is about one second from now; of the past, in the past.
  auto steady_now = std::chrono::steady_clock::now();
  auto in_a_second = clock->steady_at(clock->now() + 1s);
  CHECK(in_a_second - steady_now > 500ms);  // loose: a loaded machine may pause between lines
  CHECK(in_a_second - steady_now < 5s);
  CHECK(clock->steady_at(clock->now() - 1h) < steady_now);
  // "Nothing due" must not overflow the steady clock.
  CHECK(clock->steady_at(TimePoint::max()) > steady_now + 24h);
  CHECK(clock->steady_at(TimePoint::min()) < steady_now);
}

TEST_CASE("a simulated clock starts where it is told and runs `speed` times as fast") {
  auto start = from_rfc3339("2026-12-01T07:00:00Z");
  // Read before the clock is made, so every bound below holds however loaded the
  // machine is (the clock's own start lies between the two).
  auto steady_start = std::chrono::steady_clock::now();
  auto clock = simulated_clock(start, 3600);  // an hour per second
  auto t0 = clock->now();
  auto real0 = std::chrono::steady_clock::now() - steady_start;
  CHECK(t0 >= start);
  CHECK(t0 - start <= std::chrono::duration_cast<std::chrono::milliseconds>(real0 * 3600) + 1ms);
  std::this_thread::sleep_for(50ms);
  auto t1 = clock->now();
  auto real = std::chrono::steady_clock::now() - steady_start;
  // 50 ms of real time is 180 s of simulated time (and not more than real x speed).
  CHECK(t1 - t0 >= 170s);
  CHECK(t1 - start <= std::chrono::duration_cast<std::chrono::milliseconds>(real * 3600) + 1ms);
  // steady_at is now()'s inverse: 8 simulated hours from the start are 8 real seconds
  // from the clock's creation.
  auto due = clock->steady_at(start + 8h);
  CHECK(due - steady_start >= 7999ms);
  CHECK(due - steady_start < 8s + real);
  CHECK(clock->steady_at(start - 24h) < steady_start);
  CHECK(clock->steady_at(clock->now()) <= std::chrono::steady_clock::now() + 1ms);
  CHECK(clock->steady_at(TimePoint::max()) > steady_start + 24h);
}

TEST_CASE("the clock config value") {
  CHECK(dynamic_cast<Clock*>(clock_from_config("").get()) != nullptr);
  auto system = clock_from_config("system");
  CHECK(system->now() - herald::now() < 5s);
  auto simulated = clock_from_config("simulated 2026-12-01T07:00:00Z 86400");
  auto t = simulated->now();
  CHECK(t >= from_rfc3339("2026-12-01T07:00:00Z"));
  CHECK(t < from_rfc3339("2026-12-02T07:00:00Z"));
  CHECK(clock_from_config("  simulated   2030-01-01T00:00:00.5Z   1  ")->now() >= from_rfc3339("2030-01-01T00:00:00Z"));
  for (const char* bad : {"sundial", "simulated", "simulated 2026-12-01T07:00:00Z", "simulated 2026-12-01 3600",
                          "simulated 2026-12-01T07:00:00Z fast", "simulated 2026-12-01T07:00:00Z 0.5",
                          "simulated 2026-12-01T07:00:00Z 20000000", "simulated 2026-12-01T07:00:00Z 10 extra",
                          "system now", "simulated 2026-12-01T07:00:00Z nan", "simulated 2026-12-01T07:00:00Z 10x"}) {
    CAPTURE(bad);
    try {
      clock_from_config(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::config);
      CHECK(std::string(e.what()).find("invalid clock") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(simulated_clock(TimePoint{}, 0), Error);
}

TEST_CASE("a simulated clock with SINCE continues where a restarted process left it") {
  // Read START ten real seconds ago at an hour per second: it reads START + 10 h now.
  auto since = herald::now() - 10s;
  auto clock = clock_from_config("simulated 2027-03-19T12:00:00Z 3600 " + to_rfc3339(since));
  auto t = clock->now();
  CHECK(t >= from_rfc3339("2027-03-19T22:00:00Z"));
  CHECK(t < from_rfc3339("2027-03-19T22:00:00Z") + std::chrono::hours(2));
  // A second process made with the same line reads the same time.
  auto again = clock_from_config("simulated 2027-03-19T12:00:00Z 3600 " + to_rfc3339(since));
  CHECK(again->now() - clock->now() < std::chrono::minutes(30));
}
