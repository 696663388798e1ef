#pragma once
// Wall-clock instants as UTC milliseconds; on the wire they are RFC 3339 strings
// ("2026-11-22T13:01:18.123Z") so monitoring tools can read them without a schema.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

TimePoint now();
std::string to_rfc3339(TimePoint t);                 // "2026-11-22T13:01:18.123Z"
void append_rfc3339(std::string& out, TimePoint t);  // the same, appended; no iostreams
TimePoint from_rfc3339(std::string_view text);       // throws Error(protocol)
std::int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(std::int64_t ms);

// "90s", "15m", "2h", "7d", "2w", "1h30m" -> duration. Throws Error(usage).
std::chrono::seconds parse_duration(std::string_view text);
inline constexpr std::chrono::seconds kMaxExpiry{std::chrono::hours(24 * 366)};

}  // namespace herald
