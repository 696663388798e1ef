#include "herald/scheduler/processor.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <variant>

#include "herald/common/error.hpp"
#include "herald/common/log.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"
#include "herald/scheduler/queries.hpp"

namespace herald::scheduler {
namespace {

constexpr std::string_view kPersonPrefix = "user:";

bool is_person_target(std::string_view t) { return t.substr(0, kPersonPrefix.size()) == kPersonPrefix; }

// A topic as it may appear in a log line: bounded and without control characters, so
// a hostile topic cannot forge log lines.
std::string printable(std::string_view s) {
  std::string out;
  auto n = std::min<std::size_t>(s.size(), 200);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  }
  if (s.size() > n) out += "...";
  return out;
}

std::string first_line(std::string_view s) { return printable(s.substr(0, s.find('\n'))); }

std::string ok_reply(std::string_view id) {
  payloads::Reply r;
  r.ok = true;
  r.result = nlohmann::json{{"recorded", id}};
  return payloads::encode(r);
}

std::string error_reply(ErrorKind kind, const std::string& message) {
  payloads::Reply r;
  r.ok = false;
  r.error_kind = static_cast<int>(kind);
  r.error = message;
  return payloads::encode(r);
}

// The copy of a person-addressed Delivery that goes to one computer.
std::string routed_payload(const std::string& original, std::string_view login) {
  auto d = payloads::decode<payloads::Delivery>(original);
  d.for_user = std::string(login);
  return payloads::encode(d);
}

}  // namespace

struct Processor::Batch {
  lmdb::Txn txn;
  TimePoint now;
  // Message records read or written in this batch: a burst of receipts for one
  // message costs one ledger read, not one per receipt.
  std::unordered_map<std::string, std::optional<MessageRecord>> cache;
  std::vector<Outbound> out;
  std::vector<std::string> notes;  // info lines, logged once the batch is committed

  Batch(Ledger& ledger, TimePoint t) : txn(ledger.write()), now(t) {}

  std::optional<MessageRecord>& message(Ledger& ledger, const std::string& id) {
    auto it = cache.find(id);
    if (it == cache.end()) it = cache.emplace(id, ledger.message(txn, id)).first;
    return it->second;
  }
  void save(Ledger& ledger, const MessageRecord& m, bool is_new) {
    ledger.put_message(txn, m, is_new);
    auto& slot = cache[m.id];
    if (!slot || &*slot != &m) slot = m;
  }
  void publish(std::string topic, std::string payload, bool retained) {
    out.push_back(Outbound{std::move(topic), std::move(payload), retained});
  }
  void clear(std::string topic) { publish(std::move(topic), {}, true); }
};

Processor::Processor(Ledger& ledger, Clock clock) : ledger_(ledger), clock_(std::move(clock)) {}

void Processor::drop(std::string_view topic, std::string_view reason) {
  ++stats_.dropped;
  log::warn("dropped message on " + printable(topic) + ": " + first_line(reason));
}

std::vector<Outbound> Processor::process(const std::vector<Inbound>& batch) {
  Batch b(ledger_, clock_());
  for (const auto& in : batch) {
    try {
      handle(b, in);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;  // the transaction is unusable
      drop(in.topic, e.what());
    } catch (const nlohmann::json::exception& e) {
      drop(in.topic, e.what());
    }
  }
  b.txn.commit();
  for (const auto& note : b.notes) log::info(note);
  return std::move(b.out);
}

void Processor::handle(Batch& b, const Inbound& in) {
  // Zero-length payloads are MQTT's clears of retained copies; nothing to record.
  if (in.payload.empty()) return;
  auto parsed = topics::parse(in.topic);

  // Publishes a person message's copy to `computer` unless already routed there.
  auto route = [&](const MessageRecord& m, std::string_view login, const std::string& computer) {
    if (ledger_.has_route(b.txn, m.id, computer)) return;
    auto original = ledger_.payload(b.txn, m.id);
    if (!original) return;
    b.publish(topics::delivery(m.kind, m.sender, m.id, Target::path(computer)), routed_payload(*original, login), true);
    ledger_.put_route(b.txn, m.id, computer, login);
    b.notes.push_back("routed " + std::string(topics::kind_name(m.kind)) + " " + m.id +
                      " for user:" + std::string(login) + " to " + computer);
  };
  auto route_to_online = [&](const MessageRecord& m, const std::string& login) {
    for (const auto& computer : ledger_.online_computers_of(b.txn, login)) route(m, login, computer);
  };
  // Empty retained publishes on every delivery topic of m (targets and person copies).
  auto clear_deliveries = [&](const MessageRecord& m) {
    std::size_t n = 0;
    for (const auto& t : m.targets) {
      b.clear(topics::delivery(m.kind, m.sender, m.id, Target::parse(t)));
      ++n;
    }
    ledger_.scan_routes(b.txn, m.id, [&](std::string_view computer, std::string_view) {
      b.clear(topics::delivery(m.kind, m.sender, m.id, Target::path(std::string(computer))));
      ++n;
    });
    return n;
  };

  if (auto* t = std::get_if<topics::DeliveryTopic>(&parsed)) {
    auto d = payloads::decode<payloads::Delivery>(in.payload);
    if (restoring_) seen_.insert(in.topic);
    auto& known = b.message(ledger_, t->id);
    auto late_copy = [&](const MessageRecord& m) {
      auto state = m.state(b.now);
      if (state == MessageState::active) return false;
      // A retained copy of a recalled or expired message (the broker restored it, or a
      // clear was lost while disconnected): clear it again.
      b.clear(in.topic);
      b.notes.push_back("cleared a copy of " + std::string(state_name(state)) + " message " + m.id + " on " + in.topic);
      return true;
    };
    if (!t->target.is_person() && !d.for_user.empty()) {
      // A copy heraldd itself routed to a person's computer: not a new message.
      if (known) late_copy(*known);
      return;
    }
    auto target = t->target.to_string();
    if (known) {
      auto& m = *known;
      if (m.sender != t->account || m.kind != t->kind) {
        drop(in.topic, "message id '" + t->id + "' is already recorded as " + std::string(topics::kind_name(m.kind)) +
                           " from account '" + m.sender + "'");
        return;
      }
      if (late_copy(m)) return;
      if (!m.has_target(target)) {
        m.targets.push_back(target);
        b.save(ledger_, m, false);
        b.notes.push_back("added target " + target + " to " + std::string(topics::kind_name(m.kind)) + " " + m.id);
        if (t->target.is_person()) {
          ledger_.add_person_message(b.txn, t->target.login(), m.id);
          route_to_online(m, t->target.login());
        }
        b.publish(topics::reply(t->account, t->id), ok_reply(t->id), false);
      }
      // A copy already recorded (the broker's replay, or heraldd's own restore coming
      // back through its subscription) is not answered: a restore would otherwise
      // send thousands of stale confirmations.
      return;
    }
    MessageRecord m;
    m.id = t->id;
    m.kind = t->kind;
    m.sender = t->account;
    m.targets = {target};
    m.title = d.title;
    m.severity = d.severity;
    m.sent_at = d.sent_at;
    m.expires_at = d.expires_at;
    m.recorded_at = b.now;
    b.save(ledger_, m, true);
    ledger_.put_payload(b.txn, m.id, in.payload);
    ++stats_.recorded;
    b.notes.push_back("recorded " + std::string(topics::kind_name(m.kind)) + " " + m.id + " from " + m.sender + " to " +
                      target + (in.retained ? " (from the broker's retained store)" : ""));
    if (t->target.is_person()) {
      ledger_.add_person_message(b.txn, t->target.login(), m.id);
      route_to_online(m, t->target.login());
    }
    if (!in.retained) b.publish(topics::reply(t->account, t->id), ok_reply(t->id), false);
    return;
  }

  if (auto* t = std::get_if<topics::AckTopic>(&parsed)) {
    auto ack = payloads::decode<payloads::Ack>(in.payload);
    auto& known = b.message(ledger_, t->id);
    if (!known) {
      drop(in.topic, "receipt for unknown message id '" + t->id + "'");
      return;
    }
    const auto& m = *known;
    std::string recipients[2];
    std::size_t n = 0;
    bool has_person = false;
    for (const auto& target : m.targets) {
      if (is_person_target(target)) {
        has_person = true;
      } else if (n == 0 && is_under(t->agent_path, target)) {
        recipients[n++] = t->agent_path;
      }
    }
    if (has_person) {
      std::string person;
      if (!ack.user.empty() && m.has_target(std::string(kPersonPrefix) + ack.user))
        person = std::string(kPersonPrefix) + ack.user;
      else if (auto login = ledger_.route_login(b.txn, m.id, t->agent_path))
        person = std::string(kPersonPrefix) + *login;
      if (!person.empty()) recipients[n++] = std::move(person);
    }
    // A receipt from a computer no target covers (the directory moved it, say) is
    // still a fact worth keeping; status only shows it if a target covers it.
    if (n == 0) recipients[n++] = t->agent_path;
    for (std::size_t i = 0; i < n; ++i) {
      auto r = ledger_.receipt(b.txn, m.id, recipients[i]).value_or(Receipt{});
      r.merge(ack.state, ack.at, ack.user, t->agent_path);
      ledger_.put_receipt(b.txn, m.id, recipients[i], r);
    }
    ++stats_.receipts;
    return;
  }

  if (auto* t = std::get_if<topics::PresenceTopic>(&parsed)) {
    auto p = payloads::decode<payloads::Presence>(in.payload);
    ledger_.put_presence(b.txn, t->agent_path, PresenceRecord{p.online, p.at, p.user});
    if (p.online && !p.user.empty()) {
      for (const auto& id : ledger_.person_messages(b.txn, p.user)) {
        auto& m = b.message(ledger_, id);
        if (m && m->state(b.now) == MessageState::active) route(*m, p.user, t->agent_path);
      }
    }
    return;
  }

  if (auto* t = std::get_if<topics::RecallTopic>(&parsed)) {
    auto recall = payloads::decode<payloads::Recall>(in.payload);
    if (restoring_) seen_.insert(in.topic);
    auto& known = b.message(ledger_, t->id);
    if (!known) {
      drop(in.topic, "recall of unknown message id '" + t->id + "'");
      return;
    }
    auto& m = *known;
    if (m.sender != t->account) {
      // Only the sender may recall (agents apply the same rule); both account levels are
      // bound by the broker's ACL, so this compares two broker-enforced identities.
      drop(in.topic, "recall of message " + m.id + " by " + t->account + ", which did not send it");
      b.clear(in.topic);
      return;
    }
    if (m.expires_at && *m.expires_at <= b.now) {
      // Tombstones live until the message would have expired.
      b.clear(in.topic);
      b.notes.push_back("cleared the tombstone of expired message " + m.id + " on " + in.topic);
      return;
    }
    ledger_.put_tombstone(b.txn, m.id, t->account, t->target.to_string(), in.payload);
    if (!m.recalled_at) {
      m.recalled_at = recall.recalled_at;
      m.recalled_by = t->account;
      b.save(ledger_, m, false);
      auto n = clear_deliveries(m);
      b.notes.push_back("recalled " + std::string(topics::kind_name(m.kind)) + " " + m.id + " by " + t->account +
                        ": cleared " + std::to_string(n) + " retained deliveries");
    }
    return;
  }

  if (auto* t = std::get_if<topics::RequestTopic>(&parsed)) {
    payloads::Request request;
    try {
      request = payloads::decode<payloads::Request>(in.payload, payloads::kMaxRequestBytes);
    } catch (const Error& e) {
      // The asker is waiting for an answer: say why, as well as logging it.
      drop(in.topic, e.what());
      b.publish(topics::reply(t->account, t->request_id), error_reply(e.kind(), e.what()), false);
      return;
    }
    bool ok = false;
    std::string error;
    auto started = std::chrono::steady_clock::now();
    auto reply = queries::answer(ledger_, b.txn, *t, request, b.now, &ok, &error);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    b.notes.push_back("answered " + t->op + " request " + t->request_id + " from " + t->account + " about " + t->scope +
                      (ok ? ": ok" : ": " + first_line(error)) + " (" + std::to_string(took.count()) + " ms, " +
                      std::to_string(reply.size()) + " bytes)");
    b.publish(topics::reply(t->account, t->request_id), std::move(reply), false);
    return;
  }

  throw Error(ErrorKind::protocol, "not a topic heraldd handles");
}

std::vector<Outbound> Processor::expire() {
  Batch b(ledger_, clock_());
  for (const auto& id : ledger_.open_due(b.txn, b.now)) {
    auto m = ledger_.message(b.txn, id);
    if (!m) continue;
    std::size_t n = 0;
    if (!m->recalled_at) {  // a recall already cleared the deliveries
      for (const auto& t : m->targets) {
        b.clear(topics::delivery(m->kind, m->sender, m->id, Target::parse(t)));
        ++n;
      }
      ledger_.scan_routes(b.txn, m->id, [&](std::string_view computer, std::string_view) {
        b.clear(topics::delivery(m->kind, m->sender, m->id, Target::path(std::string(computer))));
        ++n;
      });
    }
    ledger_.scan_tombstones(b.txn, m->id, [&](std::string_view account, std::string_view target, std::string_view) {
      b.clear(topics::recall(account, m->id, Target::parse(target)));
      ++n;
    });
    ledger_.close_open(b.txn, *m);
    b.notes.push_back("expired " + std::string(topics::kind_name(m->kind)) + " " + m->id + ": cleared " +
                      std::to_string(n) + " retained topics");
  }
  b.txn.commit();
  for (const auto& note : b.notes) log::info(note);
  return std::move(b.out);
}

std::optional<TimePoint> Processor::next_expiry() {
  auto txn = ledger_.read();
  return ledger_.next_expiry(txn);
}

void Processor::begin_restore() {
  restoring_ = true;
  seen_.clear();
}

std::vector<Outbound> Processor::finish_restore() {
  std::vector<Outbound> out;
  std::size_t expected = 0;
  auto now = clock_();
  {
    auto txn = ledger_.read();
    auto want = [&](std::string topic, const std::function<std::string()>& payload) {
      ++expected;
      if (!seen_.count(topic)) out.push_back(Outbound{std::move(topic), payload(), true});
    };
    ledger_.scan_open(txn, now + std::chrono::milliseconds(1), [&](std::string_view id, std::optional<TimePoint>) {
      auto m = ledger_.message(txn, id);
      if (!m) return true;
      if (m->state(now) == MessageState::active) {
        auto original = ledger_.payload(txn, id);
        if (!original) return true;
        for (const auto& t : m->targets)
          want(topics::delivery(m->kind, m->sender, m->id, Target::parse(t)), [&] { return *original; });
        ledger_.scan_routes(txn, m->id, [&](std::string_view computer, std::string_view login) {
          want(topics::delivery(m->kind, m->sender, m->id, Target::path(std::string(computer))),
               [&] { return routed_payload(*original, login); });
        });
      } else if (m->state(now) == MessageState::recalled) {
        ledger_.scan_tombstones(
            txn, m->id, [&](std::string_view account, std::string_view target, std::string_view payload) {
              want(topics::recall(account, m->id, Target::parse(target)), [&] { return std::string(payload); });
            });
      }
      return true;
    });
  }
  log::info("restore: the broker held " + std::to_string(expected - out.size()) + " of " + std::to_string(expected) +
            " retained topics heraldd expects; republished " + std::to_string(out.size()));
  restoring_ = false;
  seen_.clear();
  return out;
}

}  // namespace herald::scheduler
