// herald::Config::from_string: the "key = value" files of herald, herald-agent and
// heraldd. Only the public text entry point and one integer lookup, so the target does
// not depend on how the parser works inside.
#include "herald/common/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "herald/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto config = herald::Config::from_string(text, "fuzz.conf");
    (void)config.get_int("port", 0);
  } catch (const herald::Error&) {
  }
  return 0;
}
