#pragma once
// The `herald` command line (CLI11): parses argv, runs one command, and turns every
// failure into one line on `err` and an exit code (herald::ErrorKind). main() only
// calls it between Session::leave_connections_to_process_exit() and _exit(), so no
// static destructor runs under libmosquitto's network threads.
#include <ostream>

namespace herald::dispatcher {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace herald::dispatcher
