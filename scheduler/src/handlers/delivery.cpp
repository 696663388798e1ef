// Deliveries (alerts and messages) and the person routing they start.
#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/log.hpp"
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

void refuse(Batch& b, const std::string& topic, std::string_view account, std::string_view reason,
            std::optional<std::string> kept) {
  ++b.stats.dropped;
  // The topic's account level is bound by the broker's ACL: it names who published it.
  log::warn("refused " + printable(topic) + " from account " + printable(account) + ": " + first_line(reason) +
            (kept ? "; put heraldd's own copy back" : "; cleared the retained copy"));
  b.publish(topic, kept ? std::move(*kept) : std::string(), true);
}

std::optional<std::string> kept_copy(Batch& b, const topics::DeliveryTopic& t) {
  auto& known = b.message(t.id);
  if (!known || known->sender != t.account || known->kind != t.kind || known->state(b.now) != MessageState::active)
    return std::nullopt;
  auto original = b.ledger.payload(b.txn, t.id);
  if (!original) return std::nullopt;
  if (known->has_target(t.target.to_string())) return original;
  if (t.target.is_person()) return std::nullopt;
  if (auto login = b.ledger.route_login(b.txn, t.id, t.target.org_path())) return routed_payload(*original, *login);
  return std::nullopt;
}

void delivery(Batch& b, const topics::DeliveryTopic& t, const Inbound& in) {
  b.note_retained(in.topic);
  // What heraldd will not record is refused and, since deliveries are published
  // retained, cleared from the broker: agents would otherwise show a message no admin
  // can list or recall.
  auto decoded = decode_or_refuse<payloads::Delivery>(
      b, t, in, [&](const payloads::Delivery& d) { payloads::check_received(d, b.now); });  // as agents do
  if (!decoded) return;
  auto& d = *decoded;
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
  if (!t.target.is_person() && !d.for_user.empty() && known && known->sender == t.account && known->kind == t.kind) {
    if (auto login = b.ledger.route_login(b.txn, t.id, t.target.org_path())) {
      // heraldd's own routed copy (it subscribes to every delivery): not a new message.
      if (*login == d.for_user) {
        late_copy(*known);
        return;
      }
      // Someone else's payload on the topic of heraldd's routed copy.
      return refuse(
          b, in.topic, t.account,
          "a copy for user '" + d.for_user + "' on the topic of the copy heraldd routed for user '" + *login + "'",
          kept_copy(b, t));
    }
  }
  // Any other copy with a for_user is an ordinary delivery of its account to that
  // target, recorded like any other (for_user stays in the payload, so agents still
  // show it only to that login): every delivery an agent accepts is in the ledger.
  auto target = t.target.to_string();
  if (known) {
    auto& m = *known;
    if (m.sender != t.account || m.kind != t.kind) {
      // Its topic differs from the recorded message's (account or kind level), so
      // clearing it cannot touch a copy heraldd keeps.
      return refuse(b, in.topic, t.account,
                    "message id '" + t.id + "' is already recorded as " + std::string(topics::kind_name(m.kind)) +
                        " from account '" + m.sender + "'",
                    std::nullopt);
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
  m.require_confirm = d.require_confirm;
  b.save(m, true);
  b.ledger.put_payload(b.txn, m.id, in.payload);
  ++b.stats.recorded;
  b.notes.push_back("recorded " + std::string(topics::kind_name(m.kind)) + " " + m.id + " from " + m.sender + " to " +
                    target + (in.retained ? " (from the broker's retained store)" : ""));
  if (t.target.is_person()) add_person(b, m, t.target);
  apply_early_receipts(b, m);
  if (!in.retained) b.publish(topics::reply(t.account, t.id), ok_reply(t.id), false);
}

void record_own(Batch& b, const MessageRecord& m, std::string payload) {
  // Published first, then recorded like a received delivery: the commit comes before
  // any publish, and heraldd's own copies coming back through its subscription are known
  // messages of the same sender with the same targets, which change nothing.
  for (const auto& t : m.targets) b.publish(topics::delivery(m.kind, m.sender, m.id, Target::parse(t)), payload, true);
  b.save(m, true);
  b.ledger.put_payload(b.txn, m.id, payload);
  ++b.stats.recorded;
  for (const auto& t : m.targets) {
    auto target = Target::parse(t);
    if (target.is_person()) add_person(b, m, target);
  }
  apply_early_receipts(b, m);
}

}  // namespace herald::scheduler::handlers
