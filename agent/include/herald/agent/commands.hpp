#pragma once
// The herald-agent commands as functions, so tests run the same code as the binary.
#include <filesystem>
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
// `herald-agent show ID [--json] [--save-images DIR]`: prints the message, marks it
// read (queuing the `read` receipt in the same transaction) and wakes the daemon.
// Throws Error(not_found) "unknown message id 'X'". With `save_images_dir`, also
// writes the message's images there (save_images) and prints "saved PATH" per image
// (not with --json).
void show_message(const AgentConfig& config, const std::string& id, bool json, std::ostream& out,
                  const std::filesystem::path& save_images_dir = {});

// Writes each image to DIR/NAME, creating DIR if needed; returns the paths written.
// Refuses, before writing anything, a name that is not a safe file name (names were
// checked on receipt; checked again because this writes files) and a file that exists
// (Error(usage): never overwritten, links not followed). Other failures: Error(storage).
std::vector<std::filesystem::path> save_images(const std::vector<payloads::Image>& images,
                                               const std::filesystem::path& dir);

std::string format_inbox_table(const std::vector<StoredMessage>& messages);
std::string format_message(const StoredMessage& message);

}  // namespace herald::agent
