// Receipts (acks): merged into the recipients the receipt counts for, kept as early
// receipts when their message is not recorded yet, and confirmed to the agent once the
// batch commits (ledger.hpp, "RECEIPTS ARE CONFIRMED END TO END").
#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {
namespace {

constexpr std::string_view kPersonPrefix = "user:";

bool is_person_target(std::string_view t) { return t.substr(0, kPersonPrefix.size()) == kPersonPrefix; }

// Merges the receipt into the recipients it counts for. Returns false (dropping it) if
// it is about another account's copy of the id.
bool apply(Batch& b, const MessageRecord& m, std::string_view agent_path, const payloads::Ack& ack,
           std::string_view topic) {
  if (!ack.sender.empty() && ack.sender != m.sender) {
    b.drop(topic, "receipt for " + ack.sender + "'s copy of message id '" + m.id + "', which " + m.sender +
                      " sent: another account may not affect its receipts");
    return false;
  }
  // Only a message that asks for confirmation can be confirmed: anything else would
  // be an agent (or a forged receipt) claiming more than the sender asked for.
  if (ack.state == payloads::AckState::confirmed && !m.require_confirm) {
    b.drop(topic, "confirmed receipt for message id '" + m.id + "', which does not ask for confirmation");
    return false;
  }
  // A receipt counts for the computer if an org target covers it, and for the person
  // target it answers: the user the agent names if that login is a target, else the
  // login heraldd routed this computer's copy for.
  std::string recipients[2];
  std::size_t n = 0;
  bool has_person = false;
  for (const auto& target : m.targets) {
    if (is_person_target(target)) {
      has_person = true;
    } else if (n == 0 && is_under(agent_path, target)) {
      recipients[n++] = std::string(agent_path);
    }
  }
  if (has_person) {
    std::string person;
    if (!ack.user.empty() && m.has_target(std::string(kPersonPrefix) + ack.user))
      person = std::string(kPersonPrefix) + ack.user;
    else if (auto login = b.ledger.route_login(b.txn, m.id, agent_path))
      person = std::string(kPersonPrefix) + *login;
    if (!person.empty()) recipients[n++] = std::move(person);
  }
  // A receipt from a computer no target covers (the directory moved it, say) is
  // still a fact worth keeping; status only shows it if a target covers it.
  if (n == 0) recipients[n++] = std::string(agent_path);
  for (std::size_t i = 0; i < n; ++i) {
    auto r = b.ledger.receipt(b.txn, m.id, recipients[i]).value_or(Receipt{});
    r.merge(ack.state, ack.at, ack.user, agent_path);
    b.ledger.put_receipt(b.txn, m.id, recipients[i], r);
  }
  ++b.stats.receipts;
  return true;
}

}  // namespace

void receipt(Batch& b, const topics::AckTopic& t, const Inbound& in) {
  auto ack = payloads::decode<payloads::Ack>(in.payload);
  auto& known = b.message(t.id);
  if (!known) {
    // heraldd may record the message later (it missed the live delivery and gets the
    // broker's retained copy on its next subscribe): keep the receipt until then.
    if (!b.ledger.put_early_receipt(b.txn, t.id, t.agent_path, ack.state, in.payload, b.now)) {
      // Not confirmed: the agent keeps it and sends it again later.
      b.drop(in.topic, "receipt for unknown message id '" + t.id + "': the early receipts are full (" +
                           std::to_string(b.ledger.early_receipt_count(b.txn)) + ")");
      return;
    }
    b.notes.push_back("kept an early receipt (" + std::string(payloads::ack_state_name(ack.state)) + ") from " +
                      t.agent_path + " for message id '" + t.id + "', not recorded yet");
  } else {
    // Dropped for another account's copy is final too: confirmed, so not sent again.
    apply(b, *known, t.agent_path, ack, in.topic);
  }
  b.confirm(t.agent_path, t.id, ack.state);
}

void apply_early_receipts(Batch& b, const MessageRecord& m) {
  std::size_t applied = 0;
  b.ledger.take_early_receipts(b.txn, m.id, [&](std::string_view agent, std::string_view payload) {
    auto topic = topics::ack(m.id, agent);
    try {
      if (apply(b, m, agent, payloads::decode<payloads::Ack>(payload), topic)) ++applied;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;
      b.drop(topic, e.what());  // it was decoded once already: only a damaged record
    }
  });
  if (applied > 0) b.notes.push_back("applied " + std::to_string(applied) + " early receipt(s) to message " + m.id);
}

}  // namespace herald::scheduler::handlers
