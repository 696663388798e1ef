#pragma once
// herald-bench-queries: what heraldd's answers to `status` and `pending` cost at N
// recipients, without a broker. Builds a real LMDB ledger in a temp dir through the
// scheduler's own Processor (directory import, presences, deliveries and receipts, as
// heraldd records them), then times each stage of a query separately:
//   heraldd:  the query alone (read txn), the whole request through Processor::process
//             (the batch's write txn and commit, durable like heraldd's), the reply size;
//   herald:   decoding the Reply payload (payloads::decode, as the CLI's session does),
//             printing the table (format.cpp) and `--json` (result.dump()).
// Medians over --runs. The ledger mirrors herald-bench: 250 computers per branch
// (org/b000/pc00000...), one org-wide message read by all, and --pending-messages
// messages each to one computer, delivered but unread.
#include <cstddef>
#include <ostream>
#include <string>

namespace herald::bench {

struct QueriesBenchOptions {
  std::size_t computers = 10000;
  std::size_t per_branch = 250;
  std::size_t pending_messages = 1000;
  int runs = 9;
  std::string only;      // "status" or "pending": time just that (for perf record)
  int repeat_only = 0;   // with `only`: run the query this many more times untimed
  bool keep = false;     // keep the ledger directory
  std::string save_dir;  // write each reply, table and --json output there (to compare builds)
};

// Prints the figures to `out`; returns 0.
int run_queries_bench(const QueriesBenchOptions& options, std::ostream& out);

}  // namespace herald::bench
