#include "herald/common/chat_terminal.hpp"

#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/text.hpp"

namespace herald::chat {
namespace {

std::string local_hh_mm(TimePoint at) {
  // Not system_clock::to_time_t: it goes through nanoseconds, which overflow past the
  // year 2262, and a line's time may be any year to 9999.
  std::time_t t = std::chrono::floor<std::chrono::seconds>(at).time_since_epoch().count();
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}

enum class Mark { sent, delivered, read };

Mark mark_of(const results::ChatLine& line) {
  if (line.read_at) return Mark::read;
  if (line.delivered_at) return Mark::delivered;
  return Mark::sent;
}

std::string_view mark_name(Mark m) {
  switch (m) {
    case Mark::sent:
      return "sent";
    case Mark::delivered:
      return "delivered";
    case Mark::read:
      return "read";
  }
  return "sent";
}

// Input lines from the reader thread: std::getline blocks, so it cannot share the
// loop that also waits for the other side.
class InputQueue {
 public:
  void push(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  std::deque<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(lines_, {});
  }
  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

class Screen {
 public:
  Screen(std::ostream& out, Side viewer) : out_(out), viewer_(viewer) {}

  // Prints what is new since the last call; returns the highest seq of the other side
  // before any gap in the lines.
  std::uint64_t show(const results::ChatHistory& h) {
    if (open_ && *open_ != h.conversation.open)
      out_ << "-- " << (h.conversation.open ? tr("the conversation is open again") : tr("the conversation was closed"))
           << '\n';
    open_ = h.conversation.open;
    std::uint64_t others = 0;
    // A read mark covers every line up to its seq, so it stops before a gap: a line
    // not here yet has not been seen.
    std::uint64_t previous = 0;
    bool gap = false;
    for (const auto& line : h.lines) {
      bool mine = is_mine(line, viewer_);
      if (previous != 0 && line.seq != previous + 1) gap = true;
      previous = line.seq;
      if (!mine && !gap) others = std::max(others, line.seq);
      // By seq, not above the highest shown: a line can fill a gap later (the agent
      // got seq 4 before heraldd re-sent a lost seq 3).
      if (printed_.insert(line.seq).second) {
        out_ << format_line(line, viewer_) << '\n';
        if (mine) marks_[line.seq] = mark_of(line);
        continue;
      }
      if (!mine) continue;
      auto it = marks_.find(line.seq);
      if (it == marks_.end() || it->second == mark_of(line)) continue;
      it->second = mark_of(line);
      out_ << "-- "
           << trf("your line {1} ({2}) is now {3}",
                  {std::to_string(line.seq), text::printable(text::shorten(line.text, 30)),
                   tr_word(mark_name(it->second))})
           << '\n';
    }
    out_.flush();
    return others;
  }

  void waiting(const std::vector<std::string>& unsent) {
    if (unsent.size() == reported_unsent_) return;
    if (unsent.size() > reported_unsent_)
      out_ << "-- " << trn("{1} line is waiting to be sent", "{1} lines are waiting to be sent", unsent.size()) << '\n';
    reported_unsent_ = unsent.size();
    out_.flush();
  }

 private:
  std::ostream& out_;
  Side viewer_;
  std::set<std::uint64_t> printed_;
  std::map<std::uint64_t, Mark> marks_;
  std::optional<bool> open_;
  std::size_t reported_unsent_ = 0;
};

}  // namespace

bool is_mine(const results::ChatLine& line, Side viewer) {
  return results::from_employee(line) == (viewer == Side::employee);
}

std::string format_line(const results::ChatLine& line, Side viewer) {
  bool mine = is_mine(line, viewer);
  std::string out = "[" + local_hh_mm(line.at) + "] ";
  // Several helpdesk accounts share a conversation: on the helpdesk's side each line
  // keeps its account's name (the view does not know which account is "you").
  out += mine ? (viewer == Side::employee ? std::string(tr("you")) : text::printable(line.from, 64))
              : text::printable(line.from, 64);
  out += ": ";
  out += text::printable(line.text, 4 * 4096);
  if (mine) out += " (" + std::string(tr_word(mark_name(mark_of(line)))) + ")";
  return out;
}

int run_terminal(Backend& backend, std::istream& in, std::ostream& out, const TerminalOptions& options) {
  if (!options.heading.empty()) out << text::printable(options.heading) << "\n";
  out << tr("(type a line and press Enter to send it; Ctrl-D leaves)") << '\n';
  Screen screen(out, options.viewer);
  std::uint64_t read_mark = 0;
  auto refresh = [&] {
    auto others = screen.show(backend.snapshot());
    if (others > read_mark) {
      backend.mark_read(others);
      read_mark = others;
    }
    screen.waiting(backend.unsent());
  };
  refresh();

  InputQueue input;
  std::thread reader([&input, &in] {
    std::string line;
    while (std::getline(in, line)) input.push(line);
    input.close();
  });
  // A backend failure ends the chat while the reader may still wait for a line: it
  // is detached then (the process is about to exit), joined otherwise.
  try {
    for (;;) {
      bool closed = input.closed();
      for (auto& line : input.take()) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;  // empty lines are ignored
        try {
          backend.send(line);
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::usage) throw;
          out << trf("error: {1}", {e.what()}) << '\n';
        }
      }
      refresh();
      if (closed) break;
      backend.wait_for_change(options.poll);
    }
  } catch (...) {
    reader.detach();
    throw;
  }
  reader.join();
  backend.finish(std::chrono::seconds(5));
  refresh();
  return 0;
}

}  // namespace herald::chat
