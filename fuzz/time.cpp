// herald::from_rfc3339 and herald::parse_duration, each on the whole input. Every time
// from_rfc3339 accepts must round-trip through to_rfc3339 (topics.md: no leap seconds,
// no year past 9999), and every duration parse_duration accepts lies in (0, 366 days].
#include "herald/common/time.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "finding.hpp"
#include "herald/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto t = herald::from_rfc3339(text);
    std::string encoded = herald::to_rfc3339(t);
    herald::TimePoint back;
    try {
      back = herald::from_rfc3339(encoded);
    } catch (const herald::Error& e) {
      herald::fuzz::finding("to_rfc3339 of an accepted time does not parse", encoded + " | " + e.what());
    }
    if (back != t) herald::fuzz::finding("from_rfc3339(to_rfc3339(t)) != t", std::string(text) + " | " + encoded);
  } catch (const herald::Error&) {
  }
  try {
    auto d = herald::parse_duration(text);
    if (d.count() <= 0 || d > herald::kMaxExpiry) herald::fuzz::finding("duration out of range", std::string(text));
  } catch (const herald::Error&) {
  }
  return 0;
}
