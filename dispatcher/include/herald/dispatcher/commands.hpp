#pragma once
// One function per `herald` command. Each takes the parsed options and the output
// streams, validates all input before connecting, and returns the exit code (0) or
// throws herald::Error whose kind is the exit code (see cli.hpp for the top-level
// handler that prints it).
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"

namespace herald::dispatcher {

struct GlobalOptions {
  std::string config_path;  // --config; empty: $HERALD_CONFIG or the default files
};

// herald alert / herald send
struct SendOptions {
  topics::Kind kind = topics::Kind::alert;
  std::vector<std::string> to;
  std::string title;
  std::string body;         // "-" reads stdin
  bool body_given = false;  // --body was on the command line (even if empty)
  std::string body_file;    // --body-file FILE ("-" = stdin)
  std::string severity;     // empty: info
  std::vector<std::string> links;
  std::string expires;  // empty: default_expiry(kind)
  bool json = false;
  // send --require-confirm: the employee must confirm it (messages only; an alert
  // with it is refused: an alert is a pop-up to notice, not a text to sign off).
  bool require_confirm = false;
  // Later instead of now (plans_commands.hpp): --repeat RULE, and/or --at TIME, with
  // --tz, --start, --skip-dates. All empty: sent at once, as always.
  std::string repeat;
  std::string at;
  std::string tz;
  std::string start;
  std::string skip_dates;
  bool later() const { return !repeat.empty() || !at.empty(); }
};

struct PreparedSend {
  topics::Kind kind = topics::Kind::alert;
  std::vector<Target> targets;  // parsed, duplicates removed, in command-line order
  payloads::Delivery delivery;
};

// Alerts live a day, messages 90 days, unless --expires says otherwise.
std::chrono::seconds default_expiry(topics::Kind kind);
// Every check a send needs, before any connection: targets, body (reads --body-file
// or stdin), title, severity, links, duration, encoded size. Throws Error(usage) or
// Error(not_found) for an unreadable body file.
PreparedSend prepare_send(const SendOptions& options, TimePoint sent_at);

int run_send(const SendOptions& options, const GlobalOptions& global, std::ostream& out, std::ostream& err);

struct StatusOptions {
  std::string id;
  bool json = false;
};
int run_status(const StatusOptions& options, const GlobalOptions& global, std::ostream& out);

struct PendingOptions {
  std::string under;  // empty: config scope
  bool json = false;
};
int run_pending(const PendingOptions& options, const GlobalOptions& global, std::ostream& out);

struct ListOptions {
  std::string under;
  std::size_t limit = 50;
  bool json = false;
};
int run_list(const ListOptions& options, const GlobalOptions& global, std::ostream& out);

struct RecallOptions {
  std::string id;
  bool json = false;
};
int run_recall(const RecallOptions& options, const GlobalOptions& global, std::ostream& out);

struct ImportOptions {
  std::string file;
  bool json = false;
};
int run_import(const ImportOptions& options, const GlobalOptions& global, std::ostream& out);

// Exact texts, shared with the tests.
std::string send_refused_text(std::string_view account, topics::Kind kind, const Target& target);
std::string recall_refused_text(std::string_view account, const Target& target);
std::string unconfirmed_warning(std::string_view id, bool reports_refusals);
// Validates a message id given on the command line; throws Error(usage).
void require_message_id(std::string_view id);
// Validates --under / the config scope; throws Error(usage) naming `what`.
void require_scope(std::string_view scope, std::string_view what);

}  // namespace herald::dispatcher
