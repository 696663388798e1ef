#pragma once
// heraldd's handlers, one per message type heraldd receives, each in its own file
// beside this header; Processor::process parses a topic and hands it to one of them
// (processor.cpp). They are private to heraldd: processor.hpp is the interface.
//
// A handler works on the Batch: one write transaction for everything received in one
// batch, and the publishes and log lines that wait for its commit. A handler may
// throw Error or nlohmann::json::exception for a bad message (it is dropped and
// logged, the batch goes on); Error(storage) aborts the batch.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "herald/common/error.hpp"
#include "herald/common/json_guard.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/text.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"
#include "herald/scheduler/ledger.hpp"
#include "herald/scheduler/processor.hpp"

namespace herald::scheduler::handlers {

class Batch {
 public:
  // `restore_seen`: while restoring, the set that notes the retained topics the
  // broker replays (see Processor::begin_restore); null otherwise.
  Batch(Ledger& l, TimePoint t, Processor::Stats& s, std::unordered_set<std::string>* restore_seen)
      : ledger(l), txn(l.write()), now(t), due_now(t), stats(s), restore_seen_(restore_seen) {}

  Ledger& ledger;
  lmdb::Txn txn;
  const TimePoint now;  // real time: stamps, expiry, receipts
  TimePoint due_now;    // the scheduler clock (herald::Clock): what is due, what is past
  Processor::Stats& stats;
  std::vector<Outbound> out;
  std::vector<std::string> notes;  // info lines, logged once the batch is committed
  // Chat lines went to agents that have not acknowledged them: the processor arms its
  // re-send timer (Processor::next_chat_resend).
  bool chat_sent = false;

  // The message record as this batch sees it. A burst of receipts for one message
  // costs one ledger read, not one per receipt.
  std::optional<MessageRecord>& message(const std::string& id) {
    auto it = cache_.find(id);
    if (it == cache_.end()) it = cache_.emplace(id, ledger.message(txn, id)).first;
    return it->second;
  }
  void save(const MessageRecord& m, bool is_new) {
    ledger.put_message(txn, m, is_new);
    auto& slot = cache_[m.id];
    if (!slot || &*slot != &m) slot = m;
  }

  void publish(std::string topic, std::string payload, bool retained) {
    out.push_back(Outbound{std::move(topic), std::move(payload), retained});
  }
  void clear(std::string topic) { publish(std::move(topic), {}, true); }

  // The agent's receipt is durable once this batch commits: confirmed to it then, one
  // publish per agent per batch (Processor::process, take_confirmations).
  void confirm(std::string_view agent_path, std::string id, payloads::AckState state) {
    confirmations_[std::string(agent_path)].receipts.push_back(payloads::Receipted::Item{std::move(id), state});
  }
  std::map<std::string, payloads::Receipted>& confirmations() { return confirmations_; }

  // A retained delivery or tombstone arrived: while restoring, the broker still has it.
  void note_retained(const std::string& topic) {
    if (restore_seen_) restore_seen_->insert(topic);
  }

  // Counts and logs a message that is skipped ("dropped message on <topic>: <why>").
  void drop(std::string_view topic, std::string_view reason);

 private:
  std::unordered_map<std::string, std::optional<MessageRecord>> cache_;
  std::map<std::string, payloads::Receipted> confirmations_;  // by agent path
  std::unordered_set<std::string>* restore_seen_;
};

// ---- the handlers -------------------------------------------------------------------
// One per topic type heraldd subscribes to. A new message type (chat, campaigns) is
// one more topics::ParsedTopic alternative, one more handler declared here and
// defined in its own file, and one more case in processor.cpp's dispatch, which does
// not compile until it has one.

// herald/{alert,msg}/...: records a new message (replying {"recorded": id}), adds a
// target to a known one, routes person messages to their login's online computers,
// clears late copies of recalled or expired messages. delivery.cpp
void delivery(Batch& b, const topics::DeliveryTopic& t, const Inbound& in);
// herald/recall/...: records the tombstone and clears the message's deliveries. recall.cpp
void recall(Batch& b, const topics::RecallTopic& t, const Inbound& in);
// herald/ack/...: merges a receipt into the recipients it counts for. receipt.cpp
void receipt(Batch& b, const topics::AckTopic& t, const Inbound& in);
// herald/presence/...: records it and routes pending person messages to a computer
// where their login came online. presence.cpp
void presence(Batch& b, const topics::PresenceTopic& t, const Inbound& in);
// herald/request/...: answers a query or admin request (queries.cpp). request.cpp
void request(Batch& b, const topics::RequestTopic& t, const Inbound& in);
// herald/campaign/...: courses and campaigns (create, delete, start, pause, resume,
// cancel, remind). campaign.cpp
void campaign(Batch& b, const topics::CampaignTopic& t, const Inbound& in);
// herald/schedule/...: delayed and recurring messages (create, cancel, remind). schedule.cpp
void schedule(Batch& b, const topics::ScheduleTopic& t, const Inbound& in);
// herald/chat/...: a helpdesk account's line, read mark or close; replies ChatPosted. chat.cpp
void chat_post(Batch& b, const topics::ChatTopic& t, const Inbound& in);
// herald/chatup/...: an agent's line, read mark, acknowledgement or sync. chat.cpp
void chat_up(Batch& b, const topics::ChatUpTopic& t, const Inbound& in);

// Sends every online computer of a conversation with unacknowledged helpdesk lines the
// lines after the last one it acknowledged; returns how many computers. chat.cpp
std::size_t resend_chats(Batch& b);

// ---- the scheduler ----------------------------------------------------------------

// Sends every campaign lesson and scheduled occurrence due at or before b.due_now, as
// the catch-up policy says (scheduler/README.md), and schedules what comes next. fire.cpp
void fire_due(Batch& b);

// ---- shared by several handlers ---------------------------------------------------

// Records a message heraldd sends itself (a lesson, an occurrence) exactly as if its
// delivery had been received from m.sender, and publishes its retained deliveries, one
// per target, and the person copies for the targets' logins online now (delivery.cpp).
void record_own(Batch& b, const MessageRecord& m, std::string payload);

// Replies (request.cpp): the encoded payloads::Reply of an error, and of a success whose
// result is JSON text already encoded (results::encode).
std::string error_reply(ErrorKind kind, const std::string& message);
std::string ok_reply_text(std::string_view result);

// Re-notifies, once per computer, every recipient of message `id` under `scope` (wire
// levels) that has it delivered but not read: herald/remind/{sender}/{id}/{computer}.
// Adds the computers to `notified` (remind.cpp).
void remind_unread(Batch& b, const std::string& id, std::string_view scope, std::set<std::string>& notified);
// Does scope (wire levels: org/..., user, user/LOGIN) cover a ledger recipient (an org
// path or "user:LOGIN")?
bool scope_covers_recipient(std::string_view scope, std::string_view recipient);

// Decodes a request payload of up to `max_bytes` like payloads::decode (size, nesting,
// JSON, schema). Throws Error(protocol).
template <typename T>
T decode_request(std::string_view payload, std::size_t max_bytes) {
  if (payload.size() > max_bytes)
    throw Error(ErrorKind::protocol, "payload of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                                         std::to_string(max_bytes));
  json_guard::check_depth(payload);
  auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::protocol, "payload is not valid JSON");
  try {
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::protocol, std::string("payload does not match the schema: ") + e.what());
  }
}

// Applies the receipts that arrived before m was recorded (receipt.cpp); delivery.cpp
// calls it when it records a new message.
void apply_early_receipts(Batch& b, const MessageRecord& m);

// Person routing (delivery.cpp): publishes m's copy for `login` to `computer` unless
// already routed there.
void route(Batch& b, const MessageRecord& m, std::string_view login, const std::string& computer);
// The copy of a person-addressed Delivery that goes to one computer (delivery.cpp).
std::string routed_payload(const std::string& original, std::string_view login);

// A Delivery or Recall heraldd will not record (bad payload, clock skew, an id another
// account owns, a recall by another account): counted as dropped, logged as "refused
// <topic> from account <account>: <reason>", and, since both are published retained,
// cleared from the broker's retained store so no agent acts on what the ledger does
// not hold. Unless `kept` holds heraldd's own copy for that very topic (a bad payload
// replaced a copy heraldd keeps there): that copy is put back instead (delivery.cpp).
void refuse(Batch& b, const std::string& topic, std::string_view account, std::string_view reason,
            std::optional<std::string> kept);
// heraldd's copy for a topic, if it keeps one there: an active message's delivery to
// one of its targets or routed computers (delivery.cpp), a recorded tombstone (recall.cpp).
std::optional<std::string> kept_copy(Batch& b, const topics::DeliveryTopic& t);
std::optional<std::string> kept_copy(Batch& b, const topics::RecallTopic& t);

// Decodes a retained delivery or recall and applies `check` to it; a payload that
// breaks the schema or a receive rule is refused (logged, and its retained copy
// cleared or put back) and nullopt returned. Storage errors propagate.
template <typename Payload, typename Topic, typename Check>
std::optional<Payload> decode_or_refuse(Batch& b, const Topic& t, const Inbound& in, Check&& check) {
  try {
    auto payload = payloads::decode<Payload>(in.payload);
    check(payload);
    return payload;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;
    refuse(b, in.topic, t.account, e.what(), kept_copy(b, t));
  } catch (const nlohmann::json::exception& e) {
    refuse(b, in.topic, t.account, e.what(), kept_copy(b, t));
  }
  return std::nullopt;
}

// Empty retained publishes on every delivery topic of m, targets and person copies;
// returns how many (recall.cpp; expiry uses it too).
std::size_t clear_deliveries(Batch& b, const MessageRecord& m);

// Text from the wire as it may appear in a log line: bounded and without control
// characters, so a hostile topic cannot forge log lines (processor.cpp).
using text::printable;  // one escaping of network text for every log line
std::string first_line(std::string_view s);

// Answers one course, campaign or schedule request on `reply_topic` with what `work()`
// returns (a result's JSON text), or with the error it throws, logged as "refused WHAT:
// why" (`what` may be refined by `work`, once it knows the op). A storage error is not
// an answer: it propagates, and the batch is retried.
template <typename Work>
void answer_request(Batch& b, const std::string& reply_topic, const std::string& what, Work&& work) {
  try {
    b.publish(reply_topic, ok_reply_text(work()), false);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;
    b.notes.push_back("refused " + what + ": " + first_line(e.what()));
    b.publish(reply_topic, error_reply(e.kind(), e.what()), false);
  } catch (const nlohmann::json::exception& e) {
    b.notes.push_back("refused " + what + ": " + first_line(e.what()));
    b.publish(reply_topic, error_reply(ErrorKind::protocol, e.what()), false);
  }
}

}  // namespace herald::scheduler::handlers
