// Reminders: a new notification of a message to the computers that have it delivered
// but not read, or for a message that asks for confirmation not confirmed
// (herald/remind/{sender}/{id}/{computer}); never a second inbox entry.
#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {

bool scope_covers_recipient(std::string_view scope, std::string_view recipient) {
  try {
    return topics::scope_covers(scope, Target::parse(recipient));
  } catch (const Error&) {
    return false;  // a recipient that is no target (a damaged key) is nobody's to remind
  }
}

void remind_unread(Batch& b, const std::string& id, std::string_view scope, std::set<std::string>& notified) {
  auto& m = b.message(id);
  if (!m || m->state(b.now) != MessageState::active) return;
  std::set<std::string> computers;
  const auto done = m->require_confirm ? ReceiptState::confirmed : ReceiptState::read;
  b.ledger.scan_receipt_views(b.txn, id, {}, [&](std::string_view recipient, const ReceiptView& r) {
    if (r.state == ReceiptState::pending || r.state >= done) return true;
    if (!scope_covers_recipient(scope, recipient)) return true;
    // A person's receipt names the computer where the person has it (the latest one).
    auto computer = recipient.substr(0, 5) == "user:" ? r.computer : recipient;
    if (!computer.empty()) computers.emplace(computer);
    return true;
  });
  auto payload = payloads::encode(payloads::Remind{b.now});
  for (const auto& computer : computers) {
    b.publish(topics::remind(m->sender, m->id, computer), payload, false);
    notified.insert(computer);
  }
  if (!computers.empty())
    b.notes.push_back("reminded " + std::to_string(computers.size()) + " computer(s) of " +
                      std::string(topics::kind_name(m->kind)) + " " + m->id);
}

}  // namespace herald::scheduler::handlers
