#pragma once
// The benchmark orchestrator (`herald-bench`): builds a throw-away Herald installation
// (a real Mosquitto over TLS made by broker-config/setup-broker, herald-acl's ACL for a
// generated org of N computers, a real heraldd), starts N agents in swarm processes
// and measures fan-out, the raw-broker baseline, receipt ingestion, queries,
// footprint and a broker restart. See bench/README.md for what each figure means.
#include <cstddef>
#include <ostream>
#include <string>

namespace herald::bench {

struct BenchOptions {
  std::size_t agents = 10000;
  std::size_t per_process = 250;         // agents per swarm process
  std::size_t executors = 2;             // worker threads per swarm process
  std::size_t connects_in_flight = 240;  // in total, over all swarm processes
  std::size_t pending_messages = 1000;   // outstanding messages for `herald pending`
  int query_runs = 5;                    // median of this many runs per query
  int idle_seconds = 10;                 // CPU sampling window for the footprint
  bool keep = false;                     // keep the temporary directories
  bool skip_raw = false;
  bool skip_reconnect = false;
  std::string perf_file;                // non-empty: `perf record -a -g` during perf_phase
  std::string perf_phase = "alert";     // alert (8 s) | reconnect (20 s) | connect (first 20 s)
  std::string bin_dir;                  // herald, heraldd, herald-agent, herald-acl, herald-bench-swarm
  std::string source_dir;               // for broker-config/setup-broker
  std::string work_root = "/tmp";       // broker, heraldd ledger (on disk: fsync is real)
  std::string swarm_root = "/dev/shm";  // the swarm agents' LMDB (see README: one disk cannot be 10,000)
};

// Runs the whole benchmark; the human table goes to `out`, then one JSON object on the
// last line. Returns 0 if every phase ran (targets met or not), else throws Error.
int run_bench(const BenchOptions& options, std::ostream& out);

}  // namespace herald::bench
