#pragma once
// The herald-agent commands as functions, so tests run the same code as the binary.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "herald/agent/agent_config.hpp"
#include "herald/agent/chat_store.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/chat_terminal.hpp"
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

// `herald-agent confirm ID [--json]`: the employee confirms a message that asks for it
// ("I have read and understood"): Inbox::mark_confirmed (read and confirmed receipts
// queued in one transaction), wakes the daemon, prints the confirmation (--json: the
// message as `show --json` prints it). Throws Error(usage) "message 'X' does not ask for
// confirmation" (exit 2) and Error(not_found) "unknown message id 'X'" (exit 3). Returns
// the message; confirming again is no error and sends nothing.
StoredMessage confirm_message(const AgentConfig& config, const std::string& id, bool json, std::ostream& out);

// Writes each image to DIR/NAME, creating DIR if needed; returns the paths written.
// Refuses, before writing anything, a name that is not a safe file name (names were
// checked on receipt; checked again because this writes files) and a file that exists
// (Error(usage): never overwritten, links not followed). Other failures: Error(storage).
std::vector<std::filesystem::path> save_images(const std::vector<payloads::Image>& images,
                                               const std::filesystem::path& dir);

// ---- chat (topics.md "Chat") --------------------------------------------------------
struct ChatOptions {
  std::string about;      // --about MESSAGE_ID: must be in this computer's inbox
  bool computer = false;  // --computer: the computer's conversation, not the person's
};

// The employee's side of run_terminal: reads the agent's LMDB (the daemon stores what
// heraldd sends), queues lines and read marks there and wakes the daemon to send them.
class AgentChatBackend : public chat::Backend {
 public:
  // `about`: sent with the first line written here.
  AgentChatBackend(ChatStore& store, std::string conversation, std::optional<std::string> about, std::string wake_path);
  results::ChatHistory snapshot() override;
  // Polls the store's generation (a one-key read) every 10 ms until it changes.
  void wait_for_change(std::chrono::milliseconds timeout) override;
  void send(const std::string& text) override;  // Error(usage) for a refused text
  void mark_read(std::uint64_t seq) override;
  std::vector<std::string> unsent() override;
  // Waits (at most 2 s, and only if a daemon took the last wake-up) for this chat's
  // lines to be recorded, so the last screen shows them sent; they are kept in the
  // outbox either way.
  void finish(std::chrono::milliseconds timeout) override;
  const std::string& conversation() const { return conversation_; }
  // The post id of the last line sent.
  const std::string& last_post() const { return last_post_; }

 private:
  ChatStore& store_;
  std::string conversation_;
  std::optional<std::string> about_;
  std::string wake_path_;
  std::uint64_t generation_ = 0;
  std::optional<results::ChatHistory> cached_;
  std::string last_post_;
  bool daemon_ = false;  // the last wake-up reached a daemon
};

// The login `herald-agent chat` speaks for: the configured user, else utmp's.
std::string chat_user(const AgentConfig& config);
// Throws Error(not_found) "unknown message id 'X' (not in this computer's inbox)".
void check_about(lmdb::Env& env, const std::string& id);
// "Chat with the helpdesk (computer org/...)" or "Chat with the helpdesk (as LOGIN)".
std::string chat_heading(const std::string& conversation);

// `herald-agent chat [--about ID] [--computer]`: the interactive chat; returns 0.
int chat_interactive(const AgentConfig& config, const ChatOptions& options, std::istream& in, std::ostream& out);
// `herald-agent chat send TEXT [--about ID] [--computer]`: queues the line and wakes the
// daemon, then waits up to `wait` for heraldd's echo: prints "sent (line N)" or
// "queued: will be sent when the helpdesk server is reachable". A refused text:
// Error(usage).
void chat_send(const AgentConfig& config, const std::string& text, const ChatOptions& options, std::ostream& out,
               std::chrono::milliseconds wait = std::chrono::seconds(5));
// `herald-agent chat history [--json] [--computer] [--mark-read]`.
void chat_history(const AgentConfig& config, bool json, bool computer, bool mark_read, std::ostream& out);
// One line per chat line (chat::format_line), then the lines still waiting to be sent.
std::string format_chat_history(const results::ChatHistory& history, const std::vector<ChatOutboxLine>& unsent,
                                const std::string& agent_path);

std::string format_inbox_table(const std::vector<StoredMessage>& messages);
std::string format_message(const StoredMessage& message);

}  // namespace herald::agent
