// Recalls: the tombstone is recorded and the message's retained deliveries cleared.
#include "handlers.hpp"
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

void recall(Batch& b, const topics::RecallTopic& t, const Inbound& in) {
  auto recall = payloads::decode<payloads::Recall>(in.payload);
  b.note_retained(in.topic);
  auto& known = b.message(t.id);
  if (!known) {
    b.drop(in.topic, "recall of unknown message id '" + t.id + "'");
    return;
  }
  auto& m = *known;
  if (m.sender != t.account) {
    // Only the sender may recall (agents apply the same rule); both account levels are
    // bound by the broker's ACL, so this compares two broker-enforced identities.
    b.drop(in.topic, "recall of message " + m.id + " by " + t.account + ", which did not send it");
    b.clear(in.topic);
    return;
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
