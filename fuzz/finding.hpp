#pragma once
// Shared by the fuzz targets. herald::Error is the expected answer to bad input; anything
// else escaping a parser reaches std::terminate, which libFuzzer reports as a crash. A
// broken property (a round trip that does not close) is reported here the same way, so
// that it too leaves a reproducer in the findings directory.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace herald::fuzz {

[[noreturn]] inline void finding(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "FUZZ FINDING: %.*s\n  %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

}  // namespace herald::fuzz
