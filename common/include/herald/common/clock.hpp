#pragma once
// The one clock heraldd's scheduler reads. In production it is the system clock; tests
// (and demos) run a simulated clock that starts at a chosen instant and runs N times as
// fast, so a two-week course plays out in seconds against a real broker, heraldd and
// agents. Only *when* an occurrence is due comes from this clock: messages are stamped
// with the real time, because every receiver checks `sent_at` against its own clock.
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "herald/common/time.hpp"

namespace herald {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // The moment on the machine's steady clock at which now() will read `t` (for
  // waiting on a condition variable). A `t` in the past gives a moment in the past.
  virtual std::chrono::steady_clock::time_point steady_at(TimePoint t) const = 0;
};

std::unique_ptr<Clock> system_clock();
// Reads `start` at the real instant `since` (default: when created) and advances
// `speed` times as fast as real time. With `since` fixed, a restarted process continues
// the same simulated time (tests kill -9 heraldd in the middle of a course).
std::unique_ptr<Clock> simulated_clock(TimePoint start, double speed, std::optional<TimePoint> since = std::nullopt);
// heraldd's config value `clock`: "" or "system", or "simulated START SPEED [SINCE]" with
// START and SINCE RFC 3339 times and SPEED a factor from 1 to 10,000,000. Throws
// Error(config).
std::unique_ptr<Clock> clock_from_config(std::string_view text);

}  // namespace herald
