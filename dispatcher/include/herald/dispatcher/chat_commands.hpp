#pragma once
// `herald chat` (issue 11): the helpdesk's side of the chat with a computer or a person
// (topics.md "Chat"). Like commands.hpp: one run_* per command, every input checked
// before connecting, errors thrown as herald::Error whose kind is the exit code.
//
// The interactive `herald chat TARGET` is herald::chat::run_terminal (the view the
// employee's `herald-agent chat` shares) over HelpdeskChat, a chat::Backend that keeps
// the conversation in memory: heraldd's chatlog updates and history replies upserted
// by seq, and the lines written here until heraldd confirms them. It reaches the broker
// through a ChatLink, so tests drive it without one.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/chat_terminal.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/dispatcher/commands.hpp"
#include "herald/dispatcher/settings.hpp"

namespace herald::dispatcher {

// ---- checks and output, exposed for tests/dispatcher ---------------------------------

// A conversation's target on the command line: a computer's org path or user:LOGIN.
// Throws Error(usage).
Target parse_chat_target(std::string_view text);
// `herald chat --under`: an org path, "user" or "user:LOGIN", as the request's scope in
// wire levels (org/..., user, user/LOGIN). Throws Error(usage).
std::string chat_list_scope(std::string_view under);
// The scope a request about one conversation names: the target itself, the narrowest
// scope the broker's `chat` right can grant it under.
std::string chat_scope_of(const Target& target);
// Exact texts (tested).
std::string unknown_chat_target_text(const Target& target);
std::string chat_refused_text(std::string_view account, const Target& target);

// `herald chat`'s list: `ask` about every scope, merged. When several scopes are asked
// about (by default the config scope and every person), one the account may not ask
// about is left out; throws its refusal if none answered, and any other error at once.
results::ChatList ask_chat_lists(const std::vector<std::string>& scopes,
                                 const std::function<results::ChatList(const std::string& scope)>& ask);
// Conversations of several scopes as one list, the most recently active first (as
// heraldd orders each), conversations without lines last.
results::ChatList merge_chat_lists(std::vector<results::ChatList> lists);
// TARGET, STATE, UNREAD, ABOUT, LAST (local time, who, the text shortened).
void print_chat_list(const results::ChatList& list, std::ostream& out);
// One line per chat line (herald::chat::format_line as the helpdesk sees it).
void print_chat_history(const results::ChatHistory& history, std::ostream& out);
// seq,from,at,delivered_at,read_at,text; control characters other than newline and
// tab become '?', as on a terminal.
void print_chat_history_csv(const results::ChatHistory& history, std::ostream& out);

// ---- the interactive chat ------------------------------------------------------------

// What HelpdeskChat needs of a broker connection: one that already listens to the
// account's replies and to the conversation's chatlog.
class ChatLink {
 public:
  struct Message {
    std::string topic;
    std::string payload;
  };
  virtual ~ChatLink() = default;
  virtual const std::string& account() const = 0;
  // Publishes at QoS 1, not retained, and waits for the broker's acknowledgement.
  // Returns false if the broker refused it (not permitted); throws Error(unreachable)
  // for a lost connection.
  virtual bool publish(const std::string& topic, const std::string& payload) = 0;
  // The next message received, or nullopt after `timeout`; throws Error(unreachable)
  // for a lost connection.
  virtual std::optional<Message> next(std::chrono::milliseconds timeout) = 0;
};
// Connects and subscribes (replies, chat_log(target)); throws Error as Session does.
using ChatConnect = std::function<std::unique_ptr<ChatLink>()>;
// The real one: a Session with the settings' broker (publishes wait request_timeout).
ChatConnect session_chat_connect(const Settings& settings, const Target& target);

class HelpdeskChat : public chat::Backend {
 public:
  struct Timing {
    std::chrono::milliseconds resend{3000};     // an unconfirmed post is published again after this
    std::chrono::milliseconds reconnect{2000};  // between attempts after the connection is lost
    std::chrono::milliseconds request{10000};   // open(): how long heraldd has to send the history
    // A line is shown as waiting (unsent()) only once heraldd's answer is this late, or
    // while disconnected: every line spends a round trip unconfirmed, and a notice for
    // each would be noise.
    std::chrono::milliseconds quiet{1000};
  };
  // How many of the latest lines the view asks for on open and after a reconnect.
  static constexpr std::size_t kHistoryLines = 1000;

  HelpdeskChat(Target target, ChatConnect connect, Timing timing);

  // Connects and loads the history (applying chatlog updates that arrive meanwhile).
  // heraldd's "no conversation" opens an empty one: the first line starts it, and
  // heraldd's answer to that line tells whether the target exists. Throws Error
  // (not permitted, unknown target, unreachable...).
  void open();

  results::ChatHistory snapshot() override;
  void wait_for_change(std::chrono::milliseconds timeout) override;
  void send(const std::string& text) override;
  void mark_read(std::uint64_t seq) override;
  std::vector<std::string> unsent() override;
  void finish(std::chrono::milliseconds timeout) override;

  // The model's rules, for tests: a conversation's lines upserted by seq (marks once
  // set are kept), the conversation's state and unread count replaced.
  void apply(const results::ChatHistory& news);
  // Post ids waiting for heraldd's answer, oldest first (say and read).
  std::vector<std::string> pending_posts() const;
  // Every line heraldd has not confirmed yet, however recent (unsent() shows the late).
  std::vector<std::string> unconfirmed() const;

 private:
  struct Pending {
    payloads::ChatPost post;
    std::chrono::steady_clock::time_point written{};
    std::chrono::steady_clock::time_point last_sent{};
    bool published = false;
  };
  using Clock = std::chrono::steady_clock;

  // Each returns whether the view may have changed; a lost connection drops link_.
  bool handle(const ChatLink::Message& message);
  bool handle_reply(const std::string& id, const std::string& payload);
  void publish(const std::string& post_id, Pending& pending);
  void publish_due();
  void ask_history();
  bool try_reconnect();
  void lost();
  void check_failed() const;

  Target target_;
  std::string target_text_;
  ChatConnect connect_;
  Timing timing_;
  std::unique_ptr<ChatLink> link_;
  Clock::time_point next_connect_{};
  std::string history_request_;  // the id of the history request awaiting its answer
  Clock::time_point history_asked_{};
  // Chatlog updates that arrive while a history request is out: applied after the
  // history, so the view never shows a newer line before the ones the history fills in.
  std::vector<results::ChatHistory> held_;

  results::ChatHistory model_;
  std::map<std::uint64_t, results::ChatLine> lines_;
  std::vector<std::string> order_;  // pending post ids, oldest first
  std::map<std::string, Pending> pending_;
  std::uint64_t read_sent_ = 0;
  std::optional<Error> failed_;  // heraldd refused a line: the chat ends with it
};

// ---- commands --------------------------------------------------------------------------

struct ChatOptions {
  std::string target;  // chat TARGET, send, close, history
  std::string under;   // list: empty = the config scope and every person
  std::string text;    // send
  std::string about;   // send: a message id
  std::size_t limit = 0;
  bool json = false;
  bool csv = false;
};
int run_chat_list(const ChatOptions& o, const GlobalOptions& global, std::ostream& out);
int run_chat_interactive(const ChatOptions& o, const GlobalOptions& global, std::istream& in, std::ostream& out);
int run_chat_send(const ChatOptions& o, const GlobalOptions& global, std::ostream& out);
int run_chat_close(const ChatOptions& o, const GlobalOptions& global, std::ostream& out);
int run_chat_history(const ChatOptions& o, const GlobalOptions& global, std::ostream& out);

// The checks `chat send` makes before connecting (tests): target, text, --about.
payloads::ChatPost prepare_chat_say(const ChatOptions& o, TimePoint at);

}  // namespace herald::dispatcher
