// Deliveries (alerts and messages) and the person routing they start.
#include "handlers.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"

namespace herald::scheduler::handlers {
namespace {

std::string ok_reply(std::string_view id) {
  payloads::Reply r;
  r.ok = true;
  r.result = results::Recorded{std::string(id)};
  return payloads::encode(r);
}

void route_to_online(Batch& b, const MessageRecord& m, const std::string& login) {
  for (const auto& computer : b.ledger.online_computers_of(b.txn, login)) route(b, m, login, computer);
}

// A person target is recorded with its message and routed to the computers where
// the login is online now; presence.cpp routes it to the others as they come online.
void add_person(Batch& b, const MessageRecord& m, const Target& target) {
  b.ledger.add_person_message(b.txn, target.login(), m.id);
  route_to_online(b, m, target.login());
}

}  // namespace

std::string routed_payload(const std::string& original, std::string_view login) {
  auto d = payloads::decode<payloads::Delivery>(original);
  d.for_user = std::string(login);
  return payloads::encode(d);
}

void route(Batch& b, const MessageRecord& m, std::string_view login, const std::string& computer) {
  if (b.ledger.has_route(b.txn, m.id, computer)) return;
  auto original = b.ledger.payload(b.txn, m.id);
  if (!original) return;
  b.publish(topics::delivery(m.kind, m.sender, m.id, Target::path(computer)), routed_payload(*original, login), true);
  b.ledger.put_route(b.txn, m.id, computer, login);
  b.notes.push_back("routed " + std::string(topics::kind_name(m.kind)) + " " + m.id +
                    " for user:" + std::string(login) + " to " + computer);
}

void delivery(Batch& b, const topics::DeliveryTopic& t, const Inbound& in) {
  auto d = payloads::decode<payloads::Delivery>(in.payload);
  // As the agents do: one dated ahead of this clock would head `herald list` for years.
  payloads::check_received(d, b.now);
  b.note_retained(in.topic);
  auto& known = b.message(t.id);
  auto late_copy = [&](const MessageRecord& m) {
    auto state = m.state(b.now);
    if (state == MessageState::active) return false;
    // A retained copy of a recalled or expired message (the broker restored it, or a
    // clear was lost while disconnected): clear it again.
    b.clear(in.topic);
    b.notes.push_back("cleared a copy of " + std::string(state_name(state)) + " message " + m.id + " on " + in.topic);
    return true;
  };
  if (!t.target.is_person() && !d.for_user.empty()) {
    // A copy heraldd itself routed to a person's computer: not a new message.
    if (known) late_copy(*known);
    return;
  }
  auto target = t.target.to_string();
  if (known) {
    auto& m = *known;
    if (m.sender != t.account || m.kind != t.kind) {
      b.drop(in.topic, "message id '" + t.id + "' is already recorded as " + std::string(topics::kind_name(m.kind)) +
                           " from account '" + m.sender + "'");
      return;
    }
    if (late_copy(m)) return;
    if (!m.has_target(target)) {
      m.targets.push_back(target);
      b.save(m, false);
      b.notes.push_back("added target " + target + " to " + std::string(topics::kind_name(m.kind)) + " " + m.id);
      if (t.target.is_person()) add_person(b, m, t.target);
      b.publish(topics::reply(t.account, t.id), ok_reply(t.id), false);
    }
    // A copy already recorded (the broker's replay, or heraldd's own restore coming
    // back through its subscription) is not answered: a restore would otherwise
    // send thousands of stale confirmations.
    return;
  }
  MessageRecord m;
  m.id = t.id;
  m.kind = t.kind;
  m.sender = t.account;
  m.targets = {target};
  m.title = d.title;
  m.severity = d.severity;
  m.sent_at = d.sent_at;
  m.expires_at = d.expires_at;
  m.recorded_at = b.now;
  b.save(m, true);
  b.ledger.put_payload(b.txn, m.id, in.payload);
  ++b.stats.recorded;
  b.notes.push_back("recorded " + std::string(topics::kind_name(m.kind)) + " " + m.id + " from " + m.sender + " to " +
                    target + (in.retained ? " (from the broker's retained store)" : ""));
  if (t.target.is_person()) add_person(b, m, t.target);
  if (!in.retained) b.publish(topics::reply(t.account, t.id), ok_reply(t.id), false);
}

}  // namespace herald::scheduler::handlers
