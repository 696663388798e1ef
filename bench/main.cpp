// herald-bench: the benchmark orchestrator (see bench/README.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "herald/bench/bench.hpp"
#include "herald/common/error.hpp"

int main(int argc, char** argv) {
  herald::bench::BenchOptions o;
  o.bin_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
  o.source_dir = HERALD_SOURCE_DIR;
  CLI::App app{
      "herald-bench: alert fan-out, raw-broker baseline, receipts, queries, footprint and reconnect "
      "at N agents over TLS"};
  app.add_option("--agents", o.agents, "number of agents (default 10000)");
  app.add_option("--per-process", o.per_process, "agents per swarm process (default 250)");
  app.add_option("--executors", o.executors, "worker threads per swarm process (default 2)");
  app.add_option("--connects-in-flight", o.connects_in_flight, "concurrent connects over all swarms (default 240)");
  app.add_option("--pending-messages", o.pending_messages, "outstanding messages for herald pending (default 1000)");
  app.add_option("--query-runs", o.query_runs, "runs per query, the median is reported (default 5)");
  app.add_option("--idle-seconds", o.idle_seconds, "CPU sampling window of the footprint (default 10)");
  app.add_flag("--keep", o.keep, "keep the temporary directories (logs, ledger, broker)");
  app.add_flag("--skip-raw", o.skip_raw, "skip the raw-broker baseline");
  app.add_flag("--skip-reconnect", o.skip_reconnect, "skip the broker restart");
  app.add_option("--perf", o.perf_file,
                 "record a system-wide perf profile (perf record -a -g) of --perf-phase into FILE");
  app.add_option("--perf-phase", o.perf_phase, "alert (default), connect, receipts or reconnect");
  app.add_option("--bin-dir", o.bin_dir, "where herald, heraldd, herald-agent, herald-acl are (default: next to us)");
  app.add_option("--source-dir", o.source_dir, "the Herald source tree (for broker-config/)");
  app.add_option("--work-dir", o.work_root, "parent of the broker and ledger directory (default /tmp)");
  app.add_option("--swarm-dir", o.swarm_root, "parent of the swarm inboxes (default /dev/shm)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }
  try {
    return herald::bench::run_bench(o, std::cout);
  } catch (const herald::Error& e) {
    std::cerr << "herald-bench: error: " << e.what() << "\n";
    return e.exit_code();
  }
}
