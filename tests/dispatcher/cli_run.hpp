#pragma once
// Running `herald ARGS` in-process, as the dispatcher's tests do, with no config from the
// machine unless a test writes one.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "herald/dispatcher/cli.hpp"

namespace herald::test {

struct Run {
  int code;
  std::string out;
  std::string err;
};

inline Run herald_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "herald");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = dispatcher::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// No config anywhere unless a test writes one.
inline void isolate_environment() {
  for (const char* name : {"HERALD_CONFIG", "HERALD_BROKER", "HERALD_USERNAME", "HERALD_PASSWORD", "HERALD_CA_FILE"})
    unsetenv(name);
  setenv("HOME", "/nonexistent-herald-home", 1);
}

}  // namespace herald::test
