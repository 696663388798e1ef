// Receipts (acks): merged into the recipients the receipt counts for.
#include "handlers.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"

namespace herald::scheduler::handlers {
namespace {

constexpr std::string_view kPersonPrefix = "user:";

bool is_person_target(std::string_view t) { return t.substr(0, kPersonPrefix.size()) == kPersonPrefix; }

}  // namespace

void receipt(Batch& b, const topics::AckTopic& t, const Inbound& in) {
  auto ack = payloads::decode<payloads::Ack>(in.payload);
  auto& known = b.message(t.id);
  if (!known) {
    b.drop(in.topic, "receipt for unknown message id '" + t.id + "'");
    return;
  }
  const auto& m = *known;
  if (!ack.sender.empty() && ack.sender != m.sender) {
    b.drop(in.topic, "receipt for " + ack.sender + "'s copy of message id '" + t.id + "', which " + m.sender +
                         " sent: another account may not affect its receipts");
    return;
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
    } else if (n == 0 && is_under(t.agent_path, target)) {
      recipients[n++] = t.agent_path;
    }
  }
  if (has_person) {
    std::string person;
    if (!ack.user.empty() && m.has_target(std::string(kPersonPrefix) + ack.user))
      person = std::string(kPersonPrefix) + ack.user;
    else if (auto login = b.ledger.route_login(b.txn, m.id, t.agent_path))
      person = std::string(kPersonPrefix) + *login;
    if (!person.empty()) recipients[n++] = std::move(person);
  }
  // A receipt from a computer no target covers (the directory moved it, say) is
  // still a fact worth keeping; status only shows it if a target covers it.
  if (n == 0) recipients[n++] = t.agent_path;
  for (std::size_t i = 0; i < n; ++i) {
    auto r = b.ledger.receipt(b.txn, m.id, recipients[i]).value_or(Receipt{});
    r.merge(ack.state, ack.at, ack.user, t.agent_path);
    b.ledger.put_receipt(b.txn, m.id, recipients[i], r);
  }
  ++b.stats.receipts;
}

}  // namespace herald::scheduler::handlers
