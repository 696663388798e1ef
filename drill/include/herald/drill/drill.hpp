#pragma once
// The crash drill: a real broker, heraldd and N agents (started by the integration
// fixture, herald::testing) under steady traffic of alerts, messages, reads and
// recalls made with the real programs (`herald`, `herald-agent show`), while each round
// kills one part with SIGKILL at a random moment (the broker sometimes with its
// persistence deleted) and starts it again. At the end it lets the system settle and
// checks what a user is promised: every live message is in every targeted inbox exactly
// once, a recalled one is in none, every delivery and every read is in heraldd's
// ledger. drill/README.md says what counts as lost and why.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace herald::drill {

struct Options {
  int agents = 4;
  int rounds = 100;
  std::uint64_t seed = 0;   // 0: a random seed (the report names it, to repeat a run)
  std::string work_dir;     // parent of the drill's directory (default /tmp)
  std::string bin_dir;      // the built programs (empty: the fixture's build)
  std::string source_dir;   // the source tree, for broker-config/ (empty: the fixture's)
  bool keep = false;        // keep the directory (logs, ledger, inboxes)
  int settle_seconds = 60;  // at most this long for the system to converge at the end
};

// The parts a round may kill.
inline constexpr const char* kBroker = "broker";
inline constexpr const char* kBrokerWiped = "broker_wiped";  // of the broker kills: persistence deleted
inline constexpr const char* kHeraldd = "heraldd";
inline constexpr const char* kAgent = "agent";

struct Report {
  std::uint64_t seed = 0;
  int agents = 0;
  int rounds = 0;
  double seconds = 0;
  std::map<std::string, int> kills;   // kBroker, kBrokerWiped, kHeraldd, kAgent
  int messages = 0;                   // sends `herald` reported done (exit 0)
  int sends_failed = 0;               // sends that failed (killed broker): their fate is the ledger's
  int recalls = 0;                    // recalls `herald` reported done
  int deliveries = 0;                 // (live message, targeted agent) pairs checked
  int reads_done = 0;                 // `herald-agent show` succeeded
  int reads_recorded = 0;             // ... and heraldd's status says `read` for that computer
  int lost_deliveries = 0;            // a targeted inbox lacks a live message
  int lost_receipts = 0;              // an inbox holds it, heraldd still says `pending`
  int lost_reads = 0;                 // shown, yet not `read` in heraldd's status
  int lost_messages = 0;              // sent (exit 0), yet unknown to heraldd
  int duplicated = 0;                 // an id twice in one inbox, or one send under two ids
  int not_recalled = 0;               // recalled, yet still in an inbox or active in the ledger
  bool checked = false;               // the last look got answers from heraldd and every agent
  std::vector<std::string> problems;  // one line per finding above

  int lost() const { return lost_deliveries + lost_receipts + lost_reads + lost_messages; }
  bool passed() const { return checked && lost() == 0 && duplicated == 0 && not_recalled == 0; }
};

// Runs the drill; progress lines (one per round) go to `progress`. Returns once
// everything it started is stopped. `stop` (set by a signal handler) ends it early with
// Error(internal, "interrupted"). Set-up failures are exceptions too.
Report run(const Options& options, std::ostream& progress, const std::atomic<bool>& stop);

nlohmann::json to_json(const Report& report);
// The human summary: a table of the figures, then the problems, one a line.
void print_report(const Report& report, std::ostream& out);

}  // namespace herald::drill
