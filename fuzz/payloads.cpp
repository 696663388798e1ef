// herald::payloads::decode<T> for every payload type; the first byte picks the type, the
// rest is the payload as a receiver would get it from the broker. Whatever decode
// accepts must survive what heraldd does with it next (encode to store or republish,
// and decode that again) and come back the same.
#include "herald/common/payloads.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "finding.hpp"
#include "herald/common/error.hpp"

namespace {

template <typename T>
void check(std::string_view payload) {
  namespace p = herald::payloads;
  T value;
  try {
    value = p::decode<T>(payload);
  } catch (const herald::Error&) {
    return;
  }
  std::string once = p::encode(value);
  std::string twice;
  try {
    twice = p::encode(p::decode<T>(once));
  } catch (const herald::Error& e) {
    herald::fuzz::finding("an accepted payload's own encoding is refused", std::string(e.what()) + " | " + once);
  }
  if (once != twice) herald::fuzz::finding("encode(decode(encode(x))) != encode(x)", once + " | " + twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      check<herald::payloads::Delivery>(payload);
      break;
    case 1:
      check<herald::payloads::Recall>(payload);
      break;
    case 2:
      check<herald::payloads::Ack>(payload);
      break;
    case 3:
      check<herald::payloads::Presence>(payload);
      break;
    case 4:
      check<herald::payloads::Request>(payload);
      break;
    default:
      check<herald::payloads::Reply>(payload);
      break;
  }
  return 0;
}
