// Presence: the last one per computer, and person messages routed to a computer where
// their login has come online.
#include "handlers.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {

void presence(Batch& b, const topics::PresenceTopic& t, const Inbound& in) {
  auto p = payloads::decode<payloads::Presence>(in.payload);
  b.ledger.put_presence(b.txn, t.agent_path, PresenceRecord{p.online, p.at, p.user});
  if (p.online && !p.user.empty()) {
    for (const auto& id : b.ledger.person_messages(b.txn, p.user)) {
      auto& m = b.message(id);
      if (m && m->state(b.now) == MessageState::active) route(b, *m, p.user, t.agent_path);
    }
  }
}

}  // namespace herald::scheduler::handlers
