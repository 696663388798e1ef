#pragma once
// The interactive terminal chat that `herald-agent chat` (the employee) and `herald chat
// TARGET` (the helpdesk) share: history on open, new lines as they arrive, delivered and
// read marks on the viewer's own lines, Ctrl-D (end of input) leaves. Each side supplies
// a Backend over its own transport (the agent's LMDB and daemon, the helpdesk's MQTT
// session); this file only decides what the person sees.
#include <chrono>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "herald/common/results.hpp"

namespace herald::chat {

enum class Side { employee, helpdesk };

// Lines the viewer's side wrote (and so carry marks): an employee's lines come from an
// agent path, a helpdesk's from an account.
bool is_mine(const results::ChatLine& line, Side viewer);

// One line for a terminal, with the local time: "[13:10] helpdesk: Did you ...". The
// viewer's side's lines carry their mark, "(sent)", "(delivered)" or "(read)"; the
// employee's own are "you", the helpdesk's keep their account names (several share).
// Control characters in any field become '?' (herald::text::printable), so a line's
// text never reaches the terminal as an escape sequence.
std::string format_line(const results::ChatLine& line, Side viewer);

class Backend {
 public:
  virtual ~Backend() = default;
  // The conversation as it stands (lines by seq, the viewer's unread count). Throws
  // Error when the state cannot be read (shown, and the chat ends).
  virtual results::ChatHistory snapshot() = 0;
  // Returns when something may have changed, or after `timeout`.
  virtual void wait_for_change(std::chrono::milliseconds timeout) = 0;
  // Queues one line for heraldd. Throws Error(usage) for a line validate_chat_text
  // refuses (shown to the writer, the chat goes on).
  virtual void send(const std::string& text) = 0;
  // The viewer has seen every line of the other side up to `seq`.
  virtual void mark_read(std::uint64_t seq) = 0;
  // Lines written here that heraldd has not recorded yet (shown as waiting).
  virtual std::vector<std::string> unsent() = 0;
  // Called once before leaving: a backend that keeps unsent lines only in memory waits
  // up to `timeout` for heraldd to record them.
  virtual void finish(std::chrono::milliseconds timeout) { (void)timeout; }
};

struct TerminalOptions {
  Side viewer = Side::employee;
  std::string heading;  // first line printed, e.g. "Chat with the helpdesk"
  std::chrono::milliseconds poll{50};
};

// Runs the chat until end of input; returns the exit code (0). Empty input lines are
// ignored; a refused line prints "error: ..." and the chat goes on.
int run_terminal(Backend& backend, std::istream& in, std::ostream& out, const TerminalOptions& options);

}  // namespace herald::chat
