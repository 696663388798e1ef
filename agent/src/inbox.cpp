#include "herald/agent/inbox.hpp"

#include <cstdio>
#include <mutex>
#include <set>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/text.hpp"

namespace herald::agent {
namespace {

using json = nlohmann::json;

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

std::optional<TimePoint> optional_time(const json& j, const char* field) {
  const auto& v = j.at(field);
  if (v.is_null()) return std::nullopt;
  return from_rfc3339(v.get<std::string>());
}

constexpr std::string_view kNextSeq = "next_seq";

std::string zero_padded(unsigned long long n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", n);
  return buf;
}

json tombstone_json(const Tombstone& t) {
  return {{"account", t.account},
          {"target", t.target},
          {"recalled_at", to_rfc3339(t.recalled_at)},
          {"expires_at", to_rfc3339(t.expires_at)}};
}

Tombstone tombstone_from(std::string_view id, std::string_view text) {
  try {
    auto j = json::parse(text);
    return Tombstone{std::string(id), j.value("account", std::string()), j.at("target").get<std::string>(),
                     from_rfc3339(j.at("recalled_at").get<std::string>()),
                     from_rfc3339(j.at("expires_at").get<std::string>())};
  } catch (const std::exception& e) {
    throw Error(ErrorKind::storage, "damaged tombstone for '" + std::string(id) + "' in the agent store: " + e.what());
  }
}

StoredMessage parse_stored(std::string_view text) {
  try {
    return stored_message_from_json(json::parse(text));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::storage, std::string("damaged message in the agent inbox: ") + e.what());
  }
}

// Logs a damaged record once per table and key in this process: a scan meets it on
// every read until something sets it aside.
void report_damaged(std::string_view table, std::string_view key, std::string_view what) {
  static std::mutex mutex;
  static std::set<std::string> reported;
  std::lock_guard lock(mutex);
  if (!reported.insert(std::string(table) + '/' + std::string(key)).second) return;
  log::warn("damaged record " + text::printable(key, 200) + " in the agent store's " + std::string(table) +
            " table, skipped and set aside: " + text::printable(what, 300));
}

std::optional<StoredMessage> parse_or_report(std::string_view key, std::string_view text) {
  try {
    return parse_stored(text);
  } catch (const Error& e) {
    report_damaged("inbox", key, e.what());
    return std::nullopt;
  }
}

// `id`: what the Tombstone is named (the key without this inbox's prefix).
std::optional<Tombstone> tombstone_or_report(std::string_view key, std::string_view text, std::string_view id) {
  try {
    return tombstone_from(id, text);
  } catch (const Error& e) {
    report_damaged("tombstones", key, e.what());
    return std::nullopt;
  }
}

// Moves the record `key` of `db` (named `table`) to `quarantine`.
void set_aside(lmdb::Txn& txn, const lmdb::Db& db, const lmdb::Db& quarantine, std::string_view table,
               const std::string& key) {
  auto bytes = db.get(txn, key);
  if (!bytes) return;
  quarantine.put(txn, std::string(table) + "/" + key, *bytes);
  db.del(txn, key);
}

// A message addressed to `message_target` is covered by a recall for `recall_target`.
bool recall_covers(std::string_view recall_target, const StoredMessage& m) {
  auto recall = Target::parse(recall_target);
  if (recall.is_person()) return m.target == recall.to_string() || m.delivery.for_user == recall.login();
  auto target = Target::parse(m.target);
  if (target.is_person()) return false;
  return is_under(target.org_path(), recall.org_path());
}

}  // namespace

std::string StoredMessage::state() const {
  if (confirmed_at) return "confirmed";
  if (read_at) return "read";
  if (displayed_at) return "displayed";
  return "delivered";
}

json to_json(const StoredMessage& m, bool with_image_data) {
  const auto& d = m.delivery;
  json j{{"id", m.id},
         {"kind", std::string(topics::kind_name(m.kind))},
         {"title", d.title},
         {"body", d.body},
         {"severity", d.severity},
         {"links", d.links},
         {"sender", m.sender},
         {"target", m.target},
         {"sent_at", to_rfc3339(d.sent_at)},
         {"expires_at", time_or_null(d.expires_at)},
         {"received_at", to_rfc3339(m.received_at)},
         {"displayed_at", time_or_null(m.displayed_at)},
         {"read_at", time_or_null(m.read_at)},
         {"confirmed_at", time_or_null(m.confirmed_at)},
         {"for_user", d.for_user},
         {"state", m.state()}};
  if (d.require_confirm) j["require_confirm"] = true;
  // Only when present: the inbox of an agent without lessons lists what it always did.
  if (d.lesson) j["lesson"] = *d.lesson;
  if (!d.images.empty()) {
    if (with_image_data) {
      j["images"] = d.images;
    } else {
      // A listing shows what is attached, not megabytes of base64: `show --save-images`
      // writes the pictures themselves.
      auto images = json::array();
      for (const auto& image : d.images)
        images.push_back(json{{"name", image.name}, {"type", image.type}, {"size", image.data.size()}});
      j["images"] = std::move(images);
    }
  }
  return j;
}

StoredMessage stored_message_from_json(const json& j) {
  try {
    StoredMessage m;
    m.id = j.at("id").get<std::string>();
    m.kind = topics::kind_from_name(j.at("kind").get<std::string>());
    m.sender = j.at("sender").get<std::string>();
    m.target = j.at("target").get<std::string>();
    m.delivery.title = j.at("title").get<std::string>();
    m.delivery.body = j.at("body").get<std::string>();
    m.delivery.severity = j.at("severity").get<std::string>();
    m.delivery.links = j.at("links").get<std::vector<std::string>>();
    m.delivery.sent_at = from_rfc3339(j.at("sent_at").get<std::string>());
    m.delivery.expires_at = optional_time(j, "expires_at");
    m.delivery.for_user = j.at("for_user").get<std::string>();
    // Checked on receipt; a stored record that no longer passes is damaged.
    if (auto it = j.find("images"); it != j.end()) m.delivery.images = it->get<std::vector<payloads::Image>>();
    if (auto it = j.find("lesson"); it != j.end()) m.delivery.lesson = it->get<payloads::LessonRef>();
    for (const auto& image : m.delivery.images) payloads::validate(image);
    m.received_at = from_rfc3339(j.at("received_at").get<std::string>());
    m.displayed_at = optional_time(j, "displayed_at");
    m.read_at = optional_time(j, "read_at");
    // Both absent from messages stored before confirmations existed.
    if (j.contains("confirmed_at")) m.confirmed_at = optional_time(j, "confirmed_at");
    m.delivery.require_confirm = j.value("require_confirm", false);
    return m;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::storage, std::string("damaged message in the agent inbox: ") + e.what());
  }
}

Inbox::Inbox(lmdb::Env& env, std::string key_prefix)
    : env_(env),
      prefix_(key_prefix.empty() ? std::string() : key_prefix + "/"),
      messages_(lmdb::Db::open(env, "inbox")),
      tombstones_(lmdb::Db::open(env, "tombstones")),
      outbox_(lmdb::Db::open(env, "outbox")),
      meta_(lmdb::Db::open(env, "meta")),
      quarantine_(lmdb::Db::open(env, "quarantine")) {}

std::string Inbox::enqueue_in(lmdb::Txn& txn, std::string_view topic, std::string_view payload) {
  // The sequence lives in LMDB, read inside the write transaction, so `herald-agent
  // show` (another process) and the daemon never hand out the same key.
  auto seq_key = prefix_ + std::string(kNextSeq);
  unsigned long long next = 1;
  if (auto stored = meta_.get(txn, seq_key)) next = std::stoull(*stored);
  auto entry_key = prefix_ + zero_padded(next);
  outbox_.put(txn, entry_key, json{{"topic", topic}, {"payload", payload}}.dump());
  meta_.put(txn, seq_key, std::to_string(next + 1));
  return entry_key;
}

std::string Inbox::enqueue_ack(lmdb::Txn& txn, const StoredMessage& m, payloads::AckState state, TimePoint at,
                               std::string_view agent_path, std::string_view user) {
  payloads::Ack ack{state, at, std::string(user), m.sender};
  const auto& id = m.id;
  return enqueue_in(txn, topics::ack(id, agent_path), payloads::encode(ack));
}

bool Inbox::replace_delivered_ack(lmdb::Txn& txn, std::string_view entry_key, std::string_view id,
                                  std::string_view agent_path, const payloads::Ack& ack) {
  // Only keys of this inbox, and only this message's own `delivered` receipt.
  if (entry_key.substr(0, prefix_.size()) != prefix_) return false;
  auto text = outbox_.get(txn, entry_key);
  if (!text) return false;
  auto topic = topics::ack(id, agent_path);
  try {
    auto j = json::parse(*text);
    if (j.at("topic").get<std::string>() != topic) return false;
    if (payloads::decode<payloads::Ack>(j.at("payload").get<std::string>()).state != payloads::AckState::delivered)
      return false;
  } catch (const std::exception&) {
    return false;  // not ours to judge here: outbox() reports damaged entries
  }
  // Same key: the receipt keeps its place in the send order.
  outbox_.put(txn, entry_key, json{{"topic", topic}, {"payload", payloads::encode(ack)}}.dump());
  return true;
}

DeliveryOutcome Inbox::check_in(lmdb::Txn& txn, const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                                TimePoint now) const {
  if (delivery.expires_at && *delivery.expires_at <= now) return DeliveryOutcome::expired;
  if (auto t = tombstones_.view(txn, key(topic.id))) {
    auto tombstone = tombstone_or_report(key(topic.id), *t, topic.id);
    if (tombstone && tombstone->account == topic.account) return DeliveryOutcome::recalled;
  }
  if (auto stored = messages_.view(txn, key(topic.id))) {
    // Ids are chosen by their sender: a copy under this id from another account is not
    // this message, and must not replace, alter or be counted as it. The stored JSON
    // holds "sender":"<account>" unescaped only as that field (quotes inside strings
    // are escaped), so a search suffices on this hot path (every reconnect).
    bool same_sender = stored->find("\"sender\":\"" + topic.account + "\"") != std::string_view::npos;
    return same_sender ? DeliveryOutcome::duplicate : DeliveryOutcome::conflict;
  }
  return DeliveryOutcome::stored;
}

DeliveryOutcome Inbox::check(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                             TimePoint now) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  return check_in(txn, topic, delivery, now);
}

DeliveryOutcome Inbox::accept(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                              std::string_view agent_path, std::string_view user, TimePoint now,
                              std::string* delivered_key, std::optional<TimePoint> displayed_at) {
  if (auto seen = check(topic, delivery, now); seen != DeliveryOutcome::stored) return seen;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  // Again under the writer lock: `herald-agent show` is another process.
  if (auto seen = check_in(txn, topic, delivery, now); seen != DeliveryOutcome::stored) return seen;
  StoredMessage m;
  m.id = topic.id;
  m.kind = topic.kind;
  m.sender = topic.account;
  m.target = topic.target.to_string();
  m.delivery = delivery;
  m.received_at = now;
  m.displayed_at = displayed_at;
  messages_.put(txn, key(m.id), to_json(m, true).dump());
  auto entry_key = displayed_at ? enqueue_ack(txn, m, payloads::AckState::displayed, *displayed_at, agent_path, user)
                                : enqueue_ack(txn, m, payloads::AckState::delivered, now, agent_path, user);
  txn.commit();
  if (delivered_key && !displayed_at) *delivered_key = std::move(entry_key);
  return DeliveryOutcome::stored;
}

bool Inbox::mark_displayed(std::string_view id, TimePoint at, std::string_view agent_path, std::string_view user,
                           std::string_view replaces) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto text = messages_.get(txn, key(id));
  if (!text) return false;
  auto parsed = parse_or_report(key(id), *text);
  if (!parsed) return false;
  auto& m = *parsed;
  if (m.displayed_at) return false;
  m.displayed_at = at;
  messages_.put(txn, key(id), to_json(m, true).dump());
  payloads::Ack ack{payloads::AckState::displayed, at, std::string(user), m.sender};
  if (replaces.empty() || !replace_delivered_ack(txn, replaces, id, agent_path, ack))
    enqueue_in(txn, topics::ack(id, agent_path), payloads::encode(ack));
  txn.commit();
  return true;
}

StoredMessage Inbox::load_for_update(lmdb::Txn& txn, std::string_view id, TimePoint now) {
  auto text = messages_.get(txn, key(id));
  if (!text) throw Error(ErrorKind::not_found, trf("unknown message id '{1}'", {id}));
  auto parsed = parse_or_report(key(id), *text);
  if (!parsed) {
    set_aside(txn, messages_, quarantine_, "inbox", key(id));
    txn.commit();
    throw Error(ErrorKind::not_found,
                trf("message '{1}' was damaged in the agent store: it was set aside (quarantine table)", {id}));
  }
  if (parsed->expired(now)) throw Error(ErrorKind::not_found, trf("unknown message id '{1}'", {id}));
  return std::move(*parsed);
}

StoredMessage Inbox::mark_read(std::string_view id, TimePoint at, std::string_view agent_path, std::string_view user) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto m = load_for_update(txn, id, at);
  if (m.read_at) return m;  // read once; opening it again sends nothing new
  m.read_at = at;
  messages_.put(txn, key(id), to_json(m, true).dump());
  enqueue_ack(txn, m, payloads::AckState::read, at, agent_path, user);
  txn.commit();
  return m;
}

StoredMessage Inbox::mark_confirmed(std::string_view id, TimePoint at, std::string_view agent_path,
                                    std::string_view user) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto m = load_for_update(txn, id, at);
  if (!m.delivery.require_confirm)
    throw Error(ErrorKind::usage, trf("message '{1}' does not ask for confirmation", {id}));
  if (m.confirmed_at) return m;  // confirmed once; a repeat sends nothing new
  // Both receipts, in order: heraldd ranks confirmed above read and would take a lone
  // `confirmed` to imply read, but the employee's history should say when it was read.
  if (!m.read_at) {
    m.read_at = at;
    enqueue_ack(txn, m, payloads::AckState::read, at, agent_path, user);
  }
  m.confirmed_at = at;
  messages_.put(txn, key(id), to_json(m, true).dump());
  enqueue_ack(txn, m, payloads::AckState::confirmed, at, agent_path, user);
  txn.commit();
  return m;
}

bool Inbox::apply_recall(const topics::RecallTopic& topic, const payloads::Recall& recall, TimePoint now) {
  Tombstone t{topic.id, topic.account, topic.target.to_string(), recall.recalled_at,
              recall.expires_at
                  ? *recall.expires_at
                  : recall.recalled_at + std::chrono::duration_cast<std::chrono::milliseconds>(kMaxExpiry)};
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  if (t.expires_at > now) tombstones_.put(txn, key(topic.id), tombstone_json(t).dump());
  bool removed = false;
  if (auto text = messages_.get(txn, key(topic.id))) {
    if (auto m = parse_or_report(key(topic.id), *text)) {
      if (m->sender == topic.account && recall_covers(t.target, *m)) removed = messages_.del(txn, key(topic.id));
    } else {
      set_aside(txn, messages_, quarantine_, "inbox", key(topic.id));
    }
  }
  txn.commit();
  return removed;
}

std::size_t Inbox::purge_expired(TimePoint now) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  std::vector<std::string> expired_messages, expired_tombstones, damaged_messages, damaged_tombstones;
  messages_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    auto m = parse_or_report(k, v);
    if (!m)
      damaged_messages.emplace_back(k);
    else if (m->expired(now))
      expired_messages.emplace_back(k);
    return true;
  });
  tombstones_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    auto t = tombstone_or_report(k, v, k);
    if (!t)
      damaged_tombstones.emplace_back(k);
    else if (t->expires_at <= now)
      expired_tombstones.emplace_back(k);
    return true;
  });
  for (const auto& k : expired_messages) messages_.del(txn, k);
  for (const auto& k : expired_tombstones) tombstones_.del(txn, k);
  for (const auto& k : damaged_messages) set_aside(txn, messages_, quarantine_, "inbox", k);
  for (const auto& k : damaged_tombstones) set_aside(txn, tombstones_, quarantine_, "tombstones", k);
  if (expired_messages.empty() && expired_tombstones.empty() && damaged_messages.empty() && damaged_tombstones.empty())
    return 0;
  txn.commit();
  return expired_messages.size();
}

std::optional<TimePoint> Inbox::next_expiry() const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  messages_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    auto m = parse_or_report(k, v);
    if (m && m->delivery.expires_at) consider(*m->delivery.expires_at);
    return true;
  });
  tombstones_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    if (auto t = tombstone_or_report(k, v, k)) consider(t->expires_at);
    return true;
  });
  return next;
}

std::optional<StoredMessage> Inbox::find(std::string_view id) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  auto text = messages_.get(txn, key(id));
  if (!text) return std::nullopt;
  return parse_or_report(key(id), *text);
}

std::vector<StoredMessage> Inbox::messages(TimePoint now) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  std::vector<StoredMessage> out;
  messages_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    auto m = parse_or_report(k, v);
    if (m && !m->expired(now)) out.push_back(std::move(*m));
    return true;
  });
  return out;
}

std::optional<Tombstone> Inbox::tombstone(std::string_view id) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  auto text = tombstones_.get(txn, key(id));
  if (!text) return std::nullopt;
  return tombstone_or_report(key(id), *text, id);
}

void Inbox::enqueue(std::string_view topic, std::string_view payload) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  enqueue_in(txn, topic, payload);
  txn.commit();
}

std::vector<OutboxEntry> Inbox::outbox(std::size_t limit) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  std::vector<OutboxEntry> out;
  if (limit == 0) return out;
  outbox_.scan(txn, prefix_, [&](std::string_view k, std::string_view v) {
    try {
      auto j = json::parse(v);
      out.push_back(OutboxEntry{std::string(k), j.at("topic").get<std::string>(), j.at("payload").get<std::string>()});
    } catch (const std::exception& e) {
      throw Error(ErrorKind::storage, "damaged outbox entry " + std::string(k) + ": " + e.what());
    }
    return out.size() < limit;
  });
  return out;
}

bool Inbox::remove_outbox(std::string_view k) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  bool removed = outbox_.del(txn, k);
  txn.commit();
  return removed;
}

std::size_t Inbox::remove_outbox(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  std::size_t removed = 0;
  for (const auto& k : keys) removed += outbox_.del(txn, k) ? 1 : 0;
  txn.commit();
  return removed;
}

std::size_t Inbox::outbox_size() const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  if (prefix_.empty()) return outbox_.count(txn);
  std::size_t n = 0;
  outbox_.scan(txn, prefix_, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

}  // namespace herald::agent
