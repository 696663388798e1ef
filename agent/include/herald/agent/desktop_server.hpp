#pragma once
// The agent's desktop socket (docs/desktop-protocol.md): a unix stream server at
// <data_dir>/desktop.sock through which the employee's desktop program reads the inbox,
// opens messages (read receipts), shows alerts (displayed receipts) and chats, while
// the daemon stays the only MQTT client.
//
// Who is served: the peer's uid (SO_PEERCRED) is mapped to its login (getpwuid); only
// the logged-in employee (current_user()) is served. Anyone else reads one `refused`
// line and is disconnected; when the logged-in employee changes (refresh_user), the
// previous one's connections end the same way.
//
// Threads: the server runs its own thread (one poll() loop over the listening socket,
// the connections and an eventfd). Requests run there too: LMDB is opened MDB_NOTLS and
// its writers serialise themselves, as `herald-agent show` in another process already
// does. The session's worker only calls the FrontEnd methods, which note the change,
// poke the eventfd and return. Receipts a request queued are sent by the session's
// worker after settings.wake().
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "herald/agent/chat_store.hpp"
#include "herald/agent/front_end.hpp"
#include "herald/agent/inbox.hpp"

namespace herald::agent {

struct DesktopServerSettings {
  std::string socket_path;  // desktop_protocol::socket_path(data_dir)
  std::string agent_path;   // the computer's org path (hello's `computer`, receipts)
  // Who is logged in now ("" nobody): the config's `user`, else utmp's first user.
  std::function<std::string()> current_user;
  // The outbox (or the chat outbox) has something new: flush it (AgentSession::wake).
  std::function<void()> wake;
  // Alerts a desktop program took and did not answer before it went away, with no
  // other program to take them: show them with the agent's display
  // (AgentSession::show_alerts).
  std::function<void(std::vector<std::string>)> show_elsewhere;
  std::size_t max_connections = 32;
};

class DesktopServer final : public FrontEnd {
 public:
  // chat may be nullptr (the chat ops then answer code 2).
  DesktopServer(DesktopServerSettings settings, Inbox& inbox, ChatStore* chat);
  ~DesktopServer() override;  // stop()
  DesktopServer(const DesktopServer&) = delete;
  DesktopServer& operator=(const DesktopServer&) = delete;

  // Binds the socket (mode 0666: the server decides per connection; a stale socket of a
  // crashed daemon is replaced) and starts the thread. Throws Error(storage).
  void start();
  // Closes every connection (alerts they held go to show_elsewhere) and joins the
  // thread; removes the socket file. Not from the server's own thread.
  void stop();
  // The logged-in employee may have changed: connections of anyone else are refused
  // and closed. Thread-safe.
  void refresh_user();

  // FrontEnd (thread-safe; called on the session's worker).
  bool takes_alerts() const override;
  void alert_arrived(const std::string& id, bool handed) override;
  void inbox_changed() override;
  void chat_changed() override;

  // Connections being served now (for tests and the log).
  std::size_t connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The `inbox` rows the peer `login` may see: messages for the computer (for_user empty)
// or for that login, unexpired, newest first.
std::vector<StoredMessage> visible_messages(const Inbox& inbox, const std::string& login, TimePoint now);
// The `courses` reply's array, from the lessons among `messages`.
nlohmann::json courses_json(const std::vector<StoredMessage>& messages);

}  // namespace herald::agent
