#include "herald/common/clock.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herald/common/error.hpp"

namespace herald {

namespace {

using Steady = std::chrono::steady_clock;

// A wait longer than this is never needed (heraldd wakes at least for expiry and its
// own housekeeping), and clamping keeps far-off times (TimePoint::max() for "nothing
// due") from overflowing the steady clock's nanosecond count.
constexpr double kMaxWaitSeconds = 10.0 * 365 * 24 * 3600;

Steady::time_point steady_after(Steady::time_point base, double seconds) {
  seconds = std::clamp(seconds, -kMaxWaitSeconds, kMaxWaitSeconds);
  return base + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(TimePoint from, TimePoint to) {
  // Through double: `to` may be TimePoint::max(), whose difference overflows milliseconds.
  return (static_cast<double>(to.time_since_epoch().count()) - static_cast<double>(from.time_since_epoch().count())) /
         1000.0;
}

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return herald::now(); }
  Steady::time_point steady_at(TimePoint t) const override {
    auto steady_now = Steady::now();
    return steady_after(steady_now, seconds_between(herald::now(), t));
  }
};

class SimulatedClock final : public Clock {
 public:
  // The steady instant at which the clock read `start` is derived from the real instant
  // `anchor`, so that a restarted heraldd continues the same simulated time.
  SimulatedClock(TimePoint start, double speed, TimePoint anchor)
      : start_(start),
        speed_(speed),
        steady_start_(steady_after(Steady::now(), seconds_between(herald::now(), anchor))) {}
  TimePoint now() const override {
    double real = std::chrono::duration<double>(Steady::now() - steady_start_).count();
    return start_ + std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(real * speed_ * 1000.0)));
  }
  Steady::time_point steady_at(TimePoint t) const override {
    return steady_after(steady_start_, seconds_between(start_, t) / speed_);
  }

 private:
  TimePoint start_;
  double speed_;
  Steady::time_point steady_start_;
};

}  // namespace

std::unique_ptr<Clock> system_clock() { return std::make_unique<SystemClock>(); }

std::unique_ptr<Clock> simulated_clock(TimePoint start, double speed, std::optional<TimePoint> since) {
  if (!(speed >= 1.0 && speed <= 1e7))
    throw Error(ErrorKind::config, "simulated clock speed " + std::to_string(speed) + " is not from 1 to 10,000,000");
  return std::make_unique<SimulatedClock>(start, speed, since.value_or(herald::now()));
}

std::unique_ptr<Clock> clock_from_config(std::string_view text) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t begin = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::config, "invalid clock '" + std::string(text.substr(0, 100)) + "': " + why +
                                        " (use 'system' or 'simulated START SPEED [SINCE]', e.g. 'simulated "
                                        "2026-12-01T07:00:00Z 3600')");
  };
  if (words.empty() || (words.size() == 1 && words[0] == "system")) return system_clock();
  if (words[0] != "simulated") throw bad("unknown clock '" + std::string(words[0].substr(0, 40)) + "'");
  if (words.size() != 3 && words.size() != 4) throw bad("expected a start time, a speed and optionally SINCE");
  TimePoint start;
  try {
    start = from_rfc3339(words[1]);
  } catch (const Error& e) {
    throw bad(e.what());
  }
  double speed = 0;
  auto [end, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), speed);
  if (ec != std::errc() || end != words[2].data() + words[2].size() || !(speed >= 1.0 && speed <= 1e7))
    throw bad("speed '" + std::string(words[2].substr(0, 40)) + "' is not a number from 1 to 10,000,000");
  std::optional<TimePoint> since;
  if (words.size() == 4) {
    try {
      since = from_rfc3339(words[3]);
    } catch (const Error& e) {
      throw bad(e.what());
    }
  }
  return simulated_clock(start, speed, since);
}

}  // namespace herald
