#pragma once
// The `herald` command line (CLI11): parses argv, runs one command, and turns every
// failure into one line on `err` and an exit code (herald::ErrorKind). main() is only
// `return run_cli(argc, argv, std::cout, std::cerr);`.
#include <ostream>

namespace herald::dispatcher {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace herald::dispatcher
