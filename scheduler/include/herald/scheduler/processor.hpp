#pragma once
// The heart of heraldd, free of MQTT: what the Paho callback queues (topic, payload,
// retained flag) goes in, the ledger is updated in one write transaction per batch, and
// the publishes that depend on the committed state come out. The server wires this to
// the broker; unit tests feed it strings directly. What each message type does is in
// src/handlers/, one file per type.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "herald/common/clock.hpp"
#include "herald/common/time.hpp"
#include "herald/scheduler/ledger.hpp"

namespace herald::scheduler {

// A message received from the broker.
struct Inbound {
  std::string topic;
  std::string payload;
  bool retained = false;  // true for the broker's replay of its retained store
};

// A publish to do after the batch committed. Always QoS 1.
struct Outbound {
  std::string topic;
  std::string payload;  // empty + retained = clear the retained copy
  bool retained = false;
  bool operator==(const Outbound&) const = default;
};

class Processor {
 public:
  // The real time: stamps messages, decides expiry and receipt ages.
  using Clock = std::function<TimePoint()>;
  // `due_clock` (the system clock if null) is the only clock that decides when a
  // campaign lesson or scheduled occurrence is due, and whether a requested start is in
  // the past: a simulated one runs a course in seconds (herald/common/clock.hpp).
  explicit Processor(Ledger& ledger, Clock clock = &herald::now,
                     std::shared_ptr<const herald::Clock> due_clock = nullptr);

  // Applies every message of the batch in one write transaction and commits it
  // (durably). A bad topic or payload is logged ("dropped message on <topic>: <why>")
  // and skipped; a storage failure aborts the whole batch and throws Error(storage).
  std::vector<Outbound> process(const std::vector<Inbound>& batch);

  // Clears the retained topics (deliveries, person copies, tombstones) of messages
  // whose expiry has passed. The ledger keeps them (state "expired").
  std::vector<Outbound> expire();
  // When expire() next has work: the earliest open expiry, or nullopt.
  std::optional<TimePoint> next_expiry();

  // Sends every lesson and scheduled occurrence due by due_clock().now() (the catch-up
  // policy is in scheduler/README.md): records each as a message of its account and
  // marks it sent, schedules the next, in one write transaction; returns the retained
  // deliveries (and person copies) to publish. A crash before they are published is
  // repaired by the next restore, which republishes active messages the broker lacks.
  std::vector<Outbound> fire_due();
  // When fire_due() next has work, in due_clock()'s time (Clock::steady_at converts it).
  std::optional<TimePoint> next_due();
  const herald::Clock& due_clock() const { return *due_clock_; }

  // Chat (scheduler/README.md "Chat").
  // Conversations whose last line is older than this are deleted (heraldd.conf
  // chat_retention_days; 365 days unless set).
  void set_chat_retention(std::chrono::seconds retention) { chat_retention_ = retention; }
  // Deletes the conversations past retention, with their lines, post ids and marks.
  void expire_chats();
  // When expire_chats() next has work: when the oldest conversation passes retention,
  // but at most once an hour (each run is one more write transaction).
  std::optional<TimePoint> next_chat_expiry();
  // Re-sends the helpdesk lines agents have not acknowledged to the online computers of
  // their conversations (handlers::resend_chats). Armed when a restore finishes and
  // when a batch sends agents lines they must acknowledge; it runs again
  // kChatResendInterval later while it finds something to send, and is disarmed once
  // it finds nothing, so an idle heraldd does not wake for it.
  std::vector<Outbound> resend_chats();
  std::optional<TimePoint> next_chat_resend() const { return chat_resend_at_; }
  static constexpr std::chrono::seconds kChatResendInterval{30};
  static constexpr std::chrono::hours kChatExpiryInterval{1};

  // Restoring the broker's retained store after a (re)connect: begin when subscribing,
  // then every delivery/tombstone the broker replays is noted; finish when the replay
  // is over, which returns the retained publishes of active messages (and tombstones
  // of recalled, unexpired ones) that the broker did not send.
  void begin_restore();
  std::vector<Outbound> finish_restore();
  bool restoring() const { return restoring_; }

  struct Stats {
    std::size_t recorded = 0;  // new messages
    std::size_t receipts = 0;
    std::size_t dropped = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  Ledger& ledger_;
  Clock clock_;
  std::shared_ptr<const herald::Clock> due_clock_;
  bool restoring_ = false;
  std::chrono::seconds chat_retention_{std::chrono::hours(24 * 365)};
  std::optional<TimePoint> chat_resend_at_;
  std::optional<TimePoint> chats_expired_at_;  // the last expire_chats() run
  std::unordered_set<std::string> seen_;
  Stats stats_;
};

}  // namespace herald::scheduler
