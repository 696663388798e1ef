// Recalls: the tombstone is recorded and the message's retained deliveries cleared.
#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {

std::size_t clear_deliveries(Batch& b, const MessageRecord& m) {
  std::size_t n = 0;
  for (const auto& t : m.targets) {
    b.clear(topics::delivery(m.kind, m.sender, m.id, Target::parse(t)));
    ++n;
  }
  b.ledger.scan_routes(b.txn, m.id, [&](std::string_view computer, std::string_view) {
    b.clear(topics::delivery(m.kind, m.sender, m.id, Target::path(std::string(computer))));
    ++n;
  });
  return n;
}

std::optional<std::string> kept_copy(Batch& b, const topics::RecallTopic& t) {
  auto& known = b.message(t.id);
  if (!known || known->state(b.now) == MessageState::expired) return std::nullopt;
  std::optional<std::string> kept;
  auto target = t.target.to_string();
  b.ledger.scan_tombstones(b.txn, t.id, [&](std::string_view account, std::string_view at, std::string_view payload) {
    if (account == t.account && at == target) kept = std::string(payload);
  });
  return kept;
}

void recall(Batch& b, const topics::RecallTopic& t, const Inbound& in) {
  b.note_retained(in.topic);
  auto decoded = decode_or_refuse<payloads::Recall>(b, t, in, [](const payloads::Recall&) {});
  if (!decoded) return;
  auto& recall = *decoded;
  auto& known = b.message(t.id);
  if (!known) {
    // Not cleared: the broker replays retained topics in no set order, so after a lost
    // ledger a tombstone may come before the delivery it recalls.
    b.drop(in.topic, "recall of unknown message id '" + t.id + "'");
    return;
  }
  auto& m = *known;
  if (m.sender != t.account) {
    // Only the sender may recall (agents apply the same rule); both account levels are
    // bound by the broker's ACL, so this compares two broker-enforced identities.
    return refuse(b, in.topic, t.account, "recall of message " + m.id + ", which it did not send", std::nullopt);
  }
  if (m.expires_at && *m.expires_at <= b.now) {
    // Tombstones live until the message would have expired.
    b.clear(in.topic);
    b.notes.push_back("cleared the tombstone of expired message " + m.id + " on " + in.topic);
    return;
  }
  b.ledger.put_tombstone(b.txn, m.id, t.account, t.target.to_string(), in.payload);
  if (!m.recalled_at) {
    m.recalled_at = recall.recalled_at;
    m.recalled_by = t.account;
    b.save(m, false);
    auto n = clear_deliveries(b, m);
    b.notes.push_back("recalled " + std::string(topics::kind_name(m.kind)) + " " + m.id + " by " + t.account +
                      ": cleared " + std::to_string(n) + " retained deliveries");
  }
}

}  // namespace herald::scheduler::handlers
