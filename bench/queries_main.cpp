// herald-bench-queries: what status and pending cost at N recipients (queries_bench.hpp).
#include <CLI/CLI.hpp>
#include <iostream>

#include "herald/bench/queries_bench.hpp"
#include "herald/common/error.hpp"

int main(int argc, char** argv) {
  herald::bench::QueriesBenchOptions o;
  CLI::App app{
      "herald-bench-queries: heraldd's status/pending answers and the CLI's parsing at N recipients, "
      "on a real LMDB ledger without a broker"};
  app.add_option("--computers", o.computers, "computers in the directory, all recipients (default 10000)");
  app.add_option("--per-branch", o.per_branch, "computers per branch (default 250)");
  app.add_option("--pending-messages", o.pending_messages, "outstanding messages, one per computer (default 1000)");
  app.add_option("--runs", o.runs, "timed runs per figure, the median is printed (default 9)");
  app.add_option("--only", o.only, "status or pending: time only that query (for perf record)");
  app.add_option("--repeat", o.repeat_only, "with --only: run the query this many more times untimed");
  app.add_flag("--keep", o.keep, "keep the ledger directory");
  app.add_option("--save", o.save_dir, "write the replies, tables and --json outputs into this existing directory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(herald::ErrorKind::usage);
  }
  try {
    return herald::bench::run_queries_bench(o, std::cout);
  } catch (const herald::Error& e) {
    std::cerr << "herald-bench-queries: error: " << e.what() << '\n';
    return e.exit_code();
  }
}
