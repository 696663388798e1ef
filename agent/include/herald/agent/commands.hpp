#pragma once
// The herald-agent commands as functions, so tests run the same code as the binary.
#include <ostream>
#include <string>
#include <vector>

#include "herald/agent/agent_config.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/lmdb.hpp"

namespace herald::agent {

// One agent's LMDB: a 64 MiB map (address space only), few readers: an idle agent
// stays small.
lmdb::Env::Options agent_env_options();

// `herald-agent run`: connects, serves until SIGTERM/SIGINT, then publishes an offline
// presence and returns 0. Setup errors throw Error.
int run_daemon(const AgentConfig& config);

// `herald-agent inbox [--json]`.
void list_inbox(const AgentConfig& config, bool json, std::ostream& out);
// `herald-agent show ID [--json]`: prints the message, marks it read (queuing the
// `read` receipt in the same transaction) and wakes the daemon. Throws
// Error(not_found) "unknown message id 'X'".
void show_message(const AgentConfig& config, const std::string& id, bool json, std::ostream& out);

std::string format_inbox_table(const std::vector<StoredMessage>& messages);
std::string format_message(const StoredMessage& message);

}  // namespace herald::agent
