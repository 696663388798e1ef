// herald-drill: the crash drill (drill/README.md).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <iostream>

#include "herald/common/error.hpp"
#include "herald/drill/drill.hpp"

namespace {

std::atomic<bool> g_stop{false};

// Only sets the flag: the drill checks it between steps and stops what it started.
void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) {
  herald::drill::Options o;
  o.bin_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
  o.source_dir = HERALD_SOURCE_DIR;
  bool json_only = false;
  CLI::App app{"herald-drill: kill -9 the broker, heraldd and agents under traffic; check nothing is lost"};
  app.add_option("--agents", o.agents, "number of agents (default 4)");
  app.add_option("--rounds", o.rounds, "rounds, one kill each (default 100)");
  app.add_option("--seed", o.seed, "random seed (default: a new one, printed)");
  app.add_option("--settle", o.settle_seconds, "seconds the system may take to converge at the end (default 60)");
  app.add_option("--work-dir", o.work_dir, "parent of the drill's directory (default /tmp)");
  app.add_option("--bin-dir", o.bin_dir, "where herald, heraldd, herald-agent, herald-acl are (default: next to us)");
  app.add_option("--source-dir", o.source_dir, "the Herald source tree (for broker-config/)");
  app.add_flag("--keep", o.keep, "keep the drill's directory (logs, ledger, inboxes)");
  app.add_flag("--json", json_only, "print only the JSON line on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, nullptr) != 0 || sigaction(SIGTERM, &sa, nullptr) != 0) {
    std::cerr << "herald-drill: error: sigaction failed\n";
    return static_cast<int>(herald::ErrorKind::internal);
  }
  try {
    auto report = herald::drill::run(o, std::cerr, g_stop);
    if (!json_only) herald::drill::print_report(report, std::cout);
    std::cout << herald::drill::to_json(report).dump() << std::endl;
    return report.passed() ? 0 : 1;
  } catch (const herald::Error& e) {
    std::cerr << "herald-drill: error: " << e.what() << "\n";
    return g_stop.load() ? 130 : e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "herald-drill: error: " << e.what() << "\n";
    return static_cast<int>(herald::ErrorKind::internal);
  }
}
