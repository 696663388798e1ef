#pragma once
// The agent's durable state in LMDB: the inbox (messages this computer received), the
// recall tombstones, and the outbox of receipts waiting for heraldd's confirmation.
//
// Durability: every state change and the receipt it causes are written in ONE write
// transaction (a message is stored together with its `delivered` Ack, a read mark
// together with its `read` Ack, a confirmation together with its `confirmed` Ack and,
// if it was not read yet, its read mark and `read` Ack), so after a crash either both
// exist or neither does.
// An alert shown right after it was stored has its queued `delivered` Ack replaced by
// `displayed` (see mark_displayed), so only the furthest state goes out.
// An outbox entry is deleted only after heraldd confirmed it recorded the receipt
// durably (AgentSession; the broker's PUBACK is not enough), so a receipt is sent at
// least once; heraldd treats repeated receipts as one.
//
// Several inboxes can share one Env (the swarm benchmark runs hundreds of agents in one
// process): each uses the same named databases ("inbox", "tombstones", "outbox",
// "meta") with its keys prefixed by `key_prefix` + '/'. The single agent uses an empty
// prefix, so outbox keys are the bare zero-padded sequence numbers.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/common/lmdb.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"

namespace herald::agent {

struct StoredMessage {
  std::string id;
  topics::Kind kind = topics::Kind::message;
  std::string sender;  // the {account} level of the topic
  std::string target;  // Target::to_string() of the topic's target
  payloads::Delivery delivery;
  TimePoint received_at{};
  std::optional<TimePoint> displayed_at;
  std::optional<TimePoint> read_at;
  // When the employee confirmed it (only a delivery with require_confirm can be).
  std::optional<TimePoint> confirmed_at;

  // "delivered", "displayed", "read" or "confirmed": the furthest receipt this
  // computer reached.
  std::string state() const;
  // It asks for confirmation and has none yet.
  bool awaits_confirmation() const { return delivery.require_confirm && !confirmed_at; }
  bool expired(TimePoint now) const { return delivery.expires_at && *delivery.expires_at <= now; }
};

// The `herald-agent inbox --json` / `show --json` shape, also the stored form:
// id, kind, title, body, severity, links, sender, target, sent_at, expires_at,
// received_at, displayed_at, read_at, confirmed_at, for_user, state. Times are RFC 3339
// or null. A message that asks for confirmation adds "require_confirm": true.
// A lesson adds "lesson" {course, campaign, number, of}; a message with images adds
// "images": [{name, type, size}], or with `with_image_data` (the stored form)
// [{name, type, data (base64)}].
nlohmann::json to_json(const StoredMessage& m, bool with_image_data = false);
// Throws Error(storage) if a stored document is damaged.
StoredMessage stored_message_from_json(const nlohmann::json& j);

// Only the account that sent a message may recall it: the broker binds the account
// level of both topics, so comparing them is trusting topics, not payloads.
struct Tombstone {
  std::string id;
  std::string account;
  std::string target;
  TimePoint recalled_at{};
  TimePoint expires_at{};  // a recall without expiry is kept for kMaxExpiry
};

struct OutboxEntry {
  std::string key;  // prefix + zero-padded sequence: key order is send order
  std::string topic;
  std::string payload;
};

enum class DeliveryOutcome {
  stored,     // new: stored and `delivered` queued
  duplicate,  // already in the inbox (retained copies come again on every reconnect)
  expired,    // expires_at has passed
  recalled,   // a recall tombstone for this id exists
  conflict,   // the inbox holds this id from another account: not this message, dropped
};

class Inbox {
 public:
  // Opens (creating if needed) the named databases in `env`.
  explicit Inbox(lmdb::Env& env, std::string key_prefix = {});

  // Stores a new delivery and queues its `delivered` Ack on
  // herald/ack/{id}/{agent_path} in the same write transaction. Target checks are the
  // caller's job (MessageHandler); this only dedupes, honours tombstones and expiry.
  // If `delivered_key` is given, it receives the outbox key of that Ack (when stored).
  // `displayed_at` set: the alert was already shown (MessageHandler shows an alert
  // before storing it); it is stored as displayed and its one receipt is `displayed`,
  // which heraldd takes to imply `delivered`.
  // Duplicates, expired and recalled deliveries are answered from a read transaction:
  // retained copies come again on every reconnect and need no writer lock.
  DeliveryOutcome accept(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                         std::string_view agent_path, std::string_view user, TimePoint now,
                         std::string* delivered_key = nullptr, std::optional<TimePoint> displayed_at = std::nullopt);

  // What accept() would answer now, read-only: `stored` means "new".
  DeliveryOutcome check(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery, TimePoint now) const;

  // Records displayed_at and queues a `displayed` Ack (one transaction). Returns false
  // (and changes nothing) if the message is absent or was already displayed.
  // `replaces`: the outbox key of this message's `delivered` Ack, given only when that
  // Ack was queued in the same handling step and so cannot have been handed to the
  // broker yet. The `displayed` Ack then takes its place instead of being added: one
  // receipt instead of two per alert (heraldd takes `displayed` to imply `delivered`),
  // which halves the broker's receipt work during an alert fan-out. If that entry is
  // gone or is not this message's `delivered` Ack, `displayed` is queued as usual.
  bool mark_displayed(std::string_view id, TimePoint at, std::string_view agent_path, std::string_view user,
                      std::string_view replaces = {});

  // Records read_at and queues a `read` Ack (one transaction) unless it was already
  // read. Returns the message. Throws Error(not_found) "unknown message id 'X'" if it
  // is not in the inbox (or has expired).
  StoredMessage mark_read(std::string_view id, TimePoint at, std::string_view agent_path, std::string_view user);

  // The employee confirms a message that asks for it ("I have read and understood"):
  // in ONE write transaction, marks it read and queues the `read` Ack if it was not
  // read yet, then records confirmed_at and queues the `confirmed` Ack. Confirmed once:
  // a repeat changes and queues nothing (the returned confirmed_at is the first one,
  // earlier than `at`). Returns the message. Throws Error(not_found) "unknown message
  // id 'X'" as mark_read does, and Error(usage) "message 'X' does not ask for
  // confirmation" (nothing changed, not even the read mark).
  StoredMessage mark_confirmed(std::string_view id, TimePoint at, std::string_view agent_path, std::string_view user);

  // Stores the tombstone and deletes the message if the inbox holds it and its target
  // lies under the recall's target. Returns true if a message was deleted.
  bool apply_recall(const topics::RecallTopic& topic, const payloads::Recall& recall, TimePoint now);

  // Deletes expired messages and tombstones; returns how many messages went. Damaged
  // records (ones that do not parse) are moved to the `quarantine` database, keyed
  // "<table>/<key>", and logged.
  //
  // DAMAGED RECORDS never stop the agent or `herald-agent inbox`: every read skips a
  // record it cannot parse (logged once per key per process, "damaged record ... set
  // aside"), and the writers that meet one (purge_expired, mark_read, apply_recall)
  // move it to `quarantine`, where an operator can inspect it.
  std::size_t purge_expired(TimePoint now);
  // The earliest expiry of any stored message or tombstone.
  std::optional<TimePoint> next_expiry() const;

  std::optional<StoredMessage> find(std::string_view id) const;
  // Unexpired messages in id order (ids sort by creation time).
  std::vector<StoredMessage> messages(TimePoint now) const;
  std::optional<Tombstone> tombstone(std::string_view id) const;

  // Outbox, in send order.
  void enqueue(std::string_view topic, std::string_view payload);
  std::vector<OutboxEntry> outbox(std::size_t limit = SIZE_MAX) const;
  bool remove_outbox(std::string_view key);
  // Removes all of them in one transaction; returns how many were there.
  std::size_t remove_outbox(const std::vector<std::string>& keys);
  std::size_t outbox_size() const;

  lmdb::Env& env() { return env_; }

 private:
  std::string key(std::string_view id) const { return prefix_ + std::string(id); }
  DeliveryOutcome check_in(lmdb::Txn& txn, const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                           TimePoint now) const;
  // Both return the new entry's outbox key.
  std::string enqueue_in(lmdb::Txn& txn, std::string_view topic, std::string_view payload);
  std::string enqueue_ack(lmdb::Txn& txn, const StoredMessage& m, payloads::AckState state, TimePoint at,
                          std::string_view agent_path, std::string_view user);
  // The unexpired message `id` for a change in `txn`; throws Error(not_found) (a damaged
  // record is set aside, committed, first).
  StoredMessage load_for_update(lmdb::Txn& txn, std::string_view id, TimePoint now);
  // Overwrites the outbox entry `entry_key` with `ack` if it is `id`'s `delivered` Ack.
  bool replace_delivered_ack(lmdb::Txn& txn, std::string_view entry_key, std::string_view id,
                             std::string_view agent_path, const payloads::Ack& ack);

  lmdb::Env& env_;
  std::string prefix_;
  lmdb::Db messages_;
  lmdb::Db tombstones_;
  lmdb::Db outbox_;
  lmdb::Db meta_;
  lmdb::Db quarantine_;  // damaged records, set aside: "<table>/<key>" -> the bytes
};

}  // namespace herald::agent
