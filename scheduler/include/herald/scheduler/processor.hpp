#pragma once
// The heart of heraldd, free of MQTT: what the Paho callback queues (topic, payload,
// retained flag) goes in, the ledger is updated in one write transaction per batch, and
// the publishes that depend on the committed state come out. The server wires this to
// the broker; unit tests feed it strings directly. What each message type does is in
// src/handlers/, one file per type.
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

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
  using Clock = std::function<TimePoint()>;
  explicit Processor(Ledger& ledger, Clock clock = &herald::now);

  // Applies every message of the batch in one write transaction and commits it
  // (durably). A bad topic or payload is logged ("dropped message on <topic>: <why>")
  // and skipped; a storage failure aborts the whole batch and throws Error(storage).
  std::vector<Outbound> process(const std::vector<Inbound>& batch);

  // Clears the retained topics (deliveries, person copies, tombstones) of messages
  // whose expiry has passed. The ledger keeps them (state "expired").
  std::vector<Outbound> expire();
  // When expire() next has work: the earliest open expiry, or nullopt.
  std::optional<TimePoint> next_expiry();

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
  bool restoring_ = false;
  std::unordered_set<std::string> seen_;
  Stats stats_;
};

}  // namespace herald::scheduler
