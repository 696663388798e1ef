#pragma once
// One agent's connection to the broker. Paho callbacks only post events to an Executor;
// the MessageHandler, LMDB, displays and publishes all run there.
//
// On every (re)connect: subscribe QoS 1 to topics::agent_filters(path) and to
// heraldd's confirmations (topics::receipted(path)), publish a retained online
// Presence, re-send the whole outbox, and (with a ChatStore) sync the chat and re-send
// the chat outbox. The last will is a retained offline Presence.
// A receipt leaves the outbox only when heraldd confirmed it recorded it durably: the
// broker's PUBACK only proves the broker has it, and a broker that lost heraldd's
// session drops it (topics.md, "Receipts").
// Many sessions can share one Executor and one lmdb::Env (each with its own Inbox key
// prefix): the swarm benchmark runs hundreds in one process. Paho stays in session.cpp.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "herald/agent/chat_store.hpp"
#include "herald/agent/display.hpp"
#include "herald/agent/executor.hpp"
#include "herald/agent/front_end.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/mqtt.hpp"
#include "herald/common/time.hpp"

namespace herald::agent {

struct SessionSettings {
  mqtt_edge::BrokerSettings broker;
  std::string path;  // the agent's org path (its certificate's CN)
  // Who is logged in: a fixed login, or (if user_source is set) asked at each event.
  std::string user;
  std::function<std::string()> user_source;
  std::string client_id;  // default: path (the broker imposes its certificate's CN anyway)
  std::string host;       // default: gethostname()
  // Reconnects are the session's own timer, not Paho's automatic reconnect (which
  // retries every client at the same instants): the first retry after a lost
  // connection or a failed connect waits a random 0.2..3 s, later ones back off
  // min_retry, 2*min_retry, ... up to max_retry, each with +-50 % jitter (at most
  // max_retry), so thousands of agents do not hit a restarted broker at once.
  // Each retry also waits longer for the broker (broker.connect_timeout doubled per
  // failed attempt, at most max_connect_timeout): a broker busy with thousands of TLS
  // handshakes finishes ours late, and giving up would waste the work it already did.
  std::chrono::seconds min_retry{1};
  std::chrono::seconds max_connect_timeout{30};
  std::chrono::seconds max_retry{30};
  std::size_t max_in_flight = 32;  // outbox publishes awaiting PUBACK at once
  // A receipt the broker acknowledged (PUBACK) stays in the outbox, marked sent in
  // memory, until heraldd confirms it on herald/receipted/{path}. One still
  // unconfirmed receipt_timeout after its PUBACK is sent again; each further attempt
  // waits twice as long, at most max_receipt_timeout, with +-25 % jitter. Every
  // reconnect (and every restart) sends all unconfirmed receipts again at once.
  // heraldd records repeats once and confirms them again.
  std::chrono::milliseconds receipt_timeout{30000};
  std::chrono::milliseconds max_receipt_timeout{600000};
  // Receipts heraldd confirmed leave the LMDB outbox together, this long after the
  // first of them (or at once when cleanup_batch are waiting, and on stop): one write
  // transaction and fsync per batch instead of one per receipt. A crash before the
  // cleanup re-sends them, which heraldd confirms again (receipts are at-least-once).
  std::chrono::milliseconds cleanup_delay{1000};
  std::size_t cleanup_batch = 64;
  // After a delivery, the outbox is flushed after a random delay in 0..max_flush_delay,
  // so the receipts of thousands of agents follow an alert's fan-out instead of
  // competing with the deliveries to the last agents. wake() and (re)connects flush
  // at once. Zero: flush at once after deliveries too.
  std::chrono::milliseconds max_flush_delay{300};
  // A delivery addressed to the whole org reached every computer at the same moment:
  // its receipts wait a random org_wide_flush_min..org_wide_flush_max instead, so the
  // receipt wave of 10,000 computers comes after the fan-out and is spread over
  // seconds (bench/README.md: receipts during a fan-out tripled its p99). Admins see
  // such a message's `displayed`/`delivered` within org_wide_flush_max.
  std::chrono::milliseconds org_wide_flush_min{1000};
  std::chrono::milliseconds org_wide_flush_max{5000};
  // The chat (topics.md "Chat"); nullptr: chat lines are ignored (the swarm). With a
  // store, on every (re)connect the session sends `sync` for its computer's
  // conversation and the logged-in person's (and again when that person changes), and
  // the chat outbox and read marks; each ChatUpdate on its chatdown topic is stored
  // and answered with `ack`. An outbox line heraldd has not echoed is sent again every
  // chat_resend; a person's line waits while that person is not logged in here.
  ChatStore* chat = nullptr;
  std::chrono::milliseconds chat_resend{10000};
  // The desktop socket (DesktopServer); nullptr: none (the swarm, tests). Told of new
  // alerts, inbox and chat changes; while it takes_alerts(), new alerts are handed to
  // it instead of the display.
  FrontEnd* front_end = nullptr;
  bool verbose = true;  // per-message log lines at INFO (false: DEBUG)
  // Called on the worker after each (re)connect has subscribed and flushed.
  std::function<void()> on_connected;
};

// Called on the worker thread right after an alert was shown and recorded.
using DisplayedHook = std::function<void(const std::string& id, TimePoint displayed_at)>;

class AgentSession {
 public:
  // executor == nullptr: the session owns a worker thread of its own.
  AgentSession(SessionSettings settings, Inbox& inbox, Display& display, Executor* executor = nullptr,
               DisplayedHook on_displayed = {});
  ~AgentSession();  // stop()
  AgentSession(const AgentSession&) = delete;
  AgentSession& operator=(const AgentSession&) = delete;

  // Purges expired messages, arms the expiry timer and starts connecting; returns at
  // once. Connection failures are logged and retried (jittered min_retry..max_retry
  // backoff, see SessionSettings).
  void start();
  // Publishes a retained offline Presence, disconnects and waits until no task of this
  // session is left on the executor. Not from the executor's thread.
  void stop();
  // Flush the outbox, the chat outbox and chat read marks now (after `herald-agent
  // show` queued a receipt: it must reach heraldd within 2 s; after `herald-agent chat`
  // queued a line: it should reach the helpdesk within 100 ms). Thread-safe.
  void wake();
  // The logged-in user may have changed: re-read it, republish presence (and sync the
  // new person's chat). Thread-safe.
  void refresh_user();
  // Shows these stored alerts through the display after all (a desktop program took
  // them and went away without answering `displayed`) and sends their `displayed`
  // receipts; ones gone, read or displayed meanwhile are skipped. Thread-safe.
  void show_alerts(std::vector<std::string> ids);
  bool is_connected() const;
  const std::string& path() const;

 private:
  class Impl;  // the Paho client and the worker-thread state (session.cpp)
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::agent
