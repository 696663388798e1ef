#pragma once
// The agent's side of the helpdesk chat (topics.md "Chat") in its LMDB: the lines of
// its conversations (its computer's and the people logged in there), their state, the
// chat outbox of the employee's lines and the employee's read marks.
//
// The daemon writes what heraldd sends (apply); `herald-agent chat` (another process)
// reads the lines and writes the outbox and read marks, then wakes the daemon, which
// publishes them. Every write bumps a generation counter, so an open chat notices a
// change by reading one key.
//
// An outbox line stays until heraldd echoes it (a ChatUpdate line whose `from` is this
// agent's path and whose `post` is the line's post id): heraldd records a post once, so
// re-sending is safe, and the echo is the only proof that it was recorded durably.
//
// Several stores can share one Env (the swarm benchmark), like Inbox: the same named
// databases ("chat_lines", "chat_state", "chat_outbox") with keys prefixed by
// `key_prefix` + '/'; the single agent uses an empty prefix.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/lmdb.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/time.hpp"

namespace herald::agent {

// One of the employee's lines waiting for heraldd's echo.
struct ChatOutboxLine {
  std::string key;           // the store's key: key order is the order written
  std::string post;          // the post id heraldd records it by
  std::string conversation;  // the agent's path or "user:LOGIN"
  std::string text;
  std::optional<std::string> about;  // a message id, sent with a conversation's first line
  TimePoint at{};                    // when the employee wrote it
};

// What the agent knows of one conversation.
struct ChatState {
  std::string target;
  std::uint64_t contiguous = 0;  // every line 1..contiguous is stored (ack and sync carry it)
  std::uint64_t highest = 0;     // the highest seq stored
  std::optional<std::string> about;
  bool open = true;
  std::uint64_t read_mark = 0;       // the employee has seen every helpdesk line up to here
  std::uint64_t read_sent = 0;       // the read mark last handed to the broker
  std::size_t unread = 0;            // as heraldd last counted it
  std::optional<TimePoint> last_at;  // the latest line's time
};

// What applying one ChatUpdate did.
struct ChatApplied {
  std::size_t stored = 0;     // lines stored or replaced
  std::size_t confirmed = 0;  // outbox lines heraldd echoed, removed
  std::uint64_t contiguous = 0;
  bool gap = false;  // a line above `contiguous` is held while one below is missing
};

class ChatStore {
 public:
  // Opens (creating if needed) the named databases in `env`.
  explicit ChatStore(lmdb::Env& env, std::string key_prefix = {});

  // Stores the update's conversation state and lines (upsert by seq: a line held is
  // replaced) and removes the outbox lines it echoes (from == agent_path, post known),
  // in one write transaction. The caller checks the conversation is this agent's.
  ChatApplied apply(const results::ChatHistory& update, std::string_view agent_path);

  // nullopt if the agent holds nothing of that conversation.
  std::optional<ChatState> state(std::string_view conversation) const;
  // The conversation as the employee sees it: lines by seq; `unread` counts the
  // helpdesk lines after the employee's read mark that are not marked read.
  results::ChatHistory history(std::string_view conversation) const;
  // The conversations it holds lines, state or outbox lines of.
  std::vector<std::string> conversations() const;
  // The newest line or outbox line of `conversation`.
  std::optional<TimePoint> last_activity(std::string_view conversation) const;

  // Queues one of the employee's lines; returns its post id. The text is checked
  // (payloads::validate_chat_text: Error(usage)).
  std::string enqueue(std::string_view conversation, std::string_view text, std::optional<std::string> about,
                      TimePoint at);
  // In the order written; only `conversation`'s if it is not empty.
  std::vector<ChatOutboxLine> outbox(std::string_view conversation = {}) const;
  // Removes one outbox line (one the broker refused for good). False if absent.
  bool remove_outbox(std::string_view key);

  // The employee saw every helpdesk line up to seq (a mark never goes back).
  void mark_read(std::string_view conversation, std::uint64_t seq);
  // Conversations whose read mark has not been handed to the broker: (target, seq).
  std::vector<std::pair<std::string, std::uint64_t>> pending_reads() const;
  // Read marks that heraldd has not reflected yet (a helpdesk line up to the mark is
  // not marked read): re-sent after a reconnect.
  std::vector<std::pair<std::string, std::uint64_t>> unconfirmed_reads() const;
  void read_sent(std::string_view conversation, std::uint64_t seq);

  // Bumped by every write: an open chat compares it to notice a change.
  std::uint64_t generation() const;

  lmdb::Env& env() { return env_; }

 private:
  std::string state_key(std::string_view conversation) const;
  std::string line_prefix(std::string_view conversation) const;
  std::optional<ChatState> state_in(lmdb::Txn& txn, std::string_view conversation) const;
  void put_state(lmdb::Txn& txn, const ChatState& s) const;
  void bump(lmdb::Txn& txn) const;

  lmdb::Env& env_;
  std::string prefix_;
  lmdb::Db lines_;   // prefix + conversation + ' ' + zero-padded seq -> line
  lmdb::Db state_;   // prefix + "c " + conversation -> ChatState; prefix + "generation", "next"
  lmdb::Db outbox_;  // prefix + zero-padded local sequence -> ChatOutboxLine
};

// Which conversation `herald-agent chat` opens: the computer's if `computer`; else,
// of the computer's and (if someone is logged in) the person's, the one with the most
// recent line (or line waiting to be sent); if neither has any, the computer's (a
// helpdesk scoped to the computer's branch sees it; tests/integration/test_chat.cpp).
std::string choose_conversation(const ChatStore& store, std::string_view agent_path, std::string_view user,
                                bool computer);

// "user:LOGIN" for a login.
std::string person_conversation(std::string_view login);

}  // namespace herald::agent
