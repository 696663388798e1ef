#include "herald/scheduler/ledger.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/text.hpp"

namespace herald::scheduler {
namespace {

using nlohmann::json;

constexpr char kSep = '\0';
constexpr std::int64_t kAbsent = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kNoExpiry = std::numeric_limits<std::uint64_t>::max();

// Big-endian with the sign bit flipped, so byte order is numeric order.
std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}
std::uint64_t from_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}
std::uint64_t time_key(TimePoint t) { return static_cast<std::uint64_t>(to_unix_ms(t)) ^ (std::uint64_t{1} << 63); }
TimePoint time_from_key(std::uint64_t k) {
  return from_unix_ms(static_cast<std::int64_t>(k ^ (std::uint64_t{1} << 63)));
}
std::string expiry_key(const MessageRecord& m) {
  return be64(m.expires_at ? time_key(*m.expires_at) : kNoExpiry) + m.id;
}

std::string join2(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a);
  k.push_back(kSep);
  k.append(b);
  return k;
}

void put_i64(std::string& out, std::int64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
std::int64_t get_i64(std::string_view s, std::size_t at) {
  std::int64_t v;
  std::memcpy(&v, s.data() + at, 8);
  return v;
}
void put_opt_time(std::string& out, const std::optional<TimePoint>& t) { put_i64(out, t ? to_unix_ms(*t) : kAbsent); }
std::optional<TimePoint> get_opt_time(std::string_view s, std::size_t at) {
  auto v = get_i64(s, at);
  if (v == kAbsent) return std::nullopt;
  return from_unix_ms(v);
}

json opt_ms(const std::optional<TimePoint>& t) { return t ? json(to_unix_ms(*t)) : json(nullptr); }
std::optional<TimePoint> ms_opt(const json& j) {
  if (j.is_null()) return std::nullopt;
  return from_unix_ms(j.get<std::int64_t>());
}

// Logs a damaged record once per table and key in this process: a status scan would
// otherwise log it on every request.
void report_damaged(std::string_view table, std::string_view key, std::string_view what) {
  static std::mutex mutex;
  static std::set<std::string> reported;
  std::lock_guard lock(mutex);
  if (!reported.insert(join2(table, key)).second) return;
  log::warn(trf("damaged record {1} in the ledger's {2} table, skipped: {3}",
                {text::printable(key, 200), table, text::printable(what, 300)}));
}

// fn's result, or nullopt (reported) if the record does not decode.
template <typename Fn>
auto decoded_or_report(std::string_view table, std::string_view key, Fn&& fn) -> std::optional<decltype(fn())> {
  try {
    return fn();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::storage) throw;
    report_damaged(table, key, e.what());
    return std::nullopt;
  }
}

}  // namespace

MessageState MessageRecord::state(TimePoint now) const {
  if (recalled_at) return MessageState::recalled;
  if (expires_at && *expires_at <= now) return MessageState::expired;
  return MessageState::active;
}

bool MessageRecord::has_target(std::string_view target) const {
  return std::find(targets.begin(), targets.end(), target) != targets.end();
}

void Receipt::merge(payloads::AckState ack, TimePoint at, std::string_view who, std::string_view agent) {
  auto rank = static_cast<ReceiptState>(static_cast<std::uint8_t>(ack));
  if (rank > state) state = rank;
  auto& slot = ack == payloads::AckState::delivered   ? delivered_at
               : ack == payloads::AckState::displayed ? displayed_at
               : ack == payloads::AckState::read      ? read_at
                                                      : confirmed_at;
  if (!slot || at < *slot) slot = at;
  // Confirming is pressing "I have read and understood": it implies read, as read
  // implies delivered (the agent sends both, but only the furthest may arrive).
  if (ack == payloads::AckState::confirmed && !read_at) read_at = at;
  // Agents send only the furthest state when several are queued together (an alert
  // stored and shown in one step sends `displayed` alone), and a higher state implies
  // delivery. Only delivered_at is implied: a read inbox message was never "displayed".
  // A real `delivered` receipt coming later still wins if it is earlier (min above).
  if (ack != payloads::AckState::delivered && !delivered_at) delivered_at = at;
  if (!who.empty()) user = std::string(who);
  computer = std::string(agent);
}

// ---- encodings --------------------------------------------------------------------

std::string encode_message(const MessageRecord& m) {
  json j{{"k", m.kind == topics::Kind::alert ? "a" : "m"},
         {"s", m.sender},
         {"t", m.targets},
         {"ti", m.title},
         {"sv", m.severity},
         {"sa", to_unix_ms(m.sent_at)},
         {"ea", opt_ms(m.expires_at)},
         {"ra", to_unix_ms(m.recorded_at)},
         {"ca", opt_ms(m.recalled_at)},
         {"cb", m.recalled_by}};
  if (m.require_confirm) j["rc"] = true;  // only when set: older records and readers unchanged
  return j.dump();
}

MessageRecord decode_message(std::string_view id, std::string_view bytes) {
  try {
    auto j = json::parse(bytes);
    MessageRecord m;
    m.id = std::string(id);
    m.kind = j.at("k").get<std::string>() == "a" ? topics::Kind::alert : topics::Kind::message;
    m.sender = j.at("s").get<std::string>();
    m.targets = j.at("t").get<std::vector<std::string>>();
    m.title = j.at("ti").get<std::string>();
    m.severity = j.at("sv").get<std::string>();
    m.sent_at = from_unix_ms(j.at("sa").get<std::int64_t>());
    m.expires_at = ms_opt(j.at("ea"));
    m.recorded_at = from_unix_ms(j.at("ra").get<std::int64_t>());
    m.recalled_at = ms_opt(j.at("ca"));
    m.recalled_by = j.at("cb").get<std::string>();
    m.require_confirm = j.value("rc", false);
    return m;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::storage, "ledger record of message '" + std::string(id) + "' is corrupt: " + e.what());
  }
}

// state(1) delivered(8) displayed(8) read(8) [confirmed(8)] user_len(1) user computer
// confirmed_at is there only when state is `confirmed` (4): records written before that
// state existed (state <= 3) keep their layout and are read as before.
std::string encode_receipt(const Receipt& r) {
  std::string out;
  out.reserve(34 + r.user.size() + r.computer.size());
  out.push_back(static_cast<char>(r.state));
  put_opt_time(out, r.delivered_at);
  put_opt_time(out, r.displayed_at);
  put_opt_time(out, r.read_at);
  if (r.state == ReceiptState::confirmed) put_opt_time(out, r.confirmed_at);
  auto user_len = std::min<std::size_t>(r.user.size(), 255);
  out.push_back(static_cast<char>(static_cast<unsigned char>(user_len)));
  out.append(r.user, 0, user_len);
  out.append(r.computer);
  return out;
}

ReceiptView view_receipt(std::string_view s) {
  if (s.size() < 26) throw Error(ErrorKind::storage, "ledger receipt record is corrupt (too short)");
  ReceiptView r;
  auto state = static_cast<std::uint8_t>(s[0]);
  r.state = static_cast<ReceiptState>(std::min<std::uint8_t>(state, 4));
  r.delivered_at = get_opt_time(s, 1);
  r.displayed_at = get_opt_time(s, 9);
  r.read_at = get_opt_time(s, 17);
  std::size_t at = 25;
  if (r.state == ReceiptState::confirmed) {
    if (s.size() < 34) throw Error(ErrorKind::storage, "ledger receipt record is corrupt (too short)");
    r.confirmed_at = get_opt_time(s, 25);
    at = 33;
  }
  std::size_t user_len = static_cast<unsigned char>(s[at]);
  if (at + 1 + user_len > s.size()) throw Error(ErrorKind::storage, "ledger receipt record is corrupt (user)");
  r.user = s.substr(at + 1, user_len);
  r.computer = s.substr(at + 1 + user_len);
  return r;
}

Receipt decode_receipt(std::string_view s) {
  auto v = view_receipt(s);
  Receipt r;
  r.state = v.state;
  r.delivered_at = v.delivered_at;
  r.displayed_at = v.displayed_at;
  r.read_at = v.read_at;
  r.confirmed_at = v.confirmed_at;
  r.user = std::string(v.user);
  r.computer = std::string(v.computer);
  return r;
}

namespace {

std::string encode_presence(const PresenceRecord& p) {
  std::string out;
  out.push_back(p.online ? '\1' : '\0');
  put_i64(out, to_unix_ms(p.at));
  out.append(p.user);
  return out;
}

PresenceRecord decode_presence(std::string_view s) {
  if (s.size() < 9) throw Error(ErrorKind::storage, "ledger presence record is corrupt");
  return PresenceRecord{s[0] != '\0', from_unix_ms(get_i64(s, 1)), std::string(s.substr(9))};
}

// kind \0 name \0 login \0 person: decoded on every status scan, so no JSON.
std::string encode_entry(const DirectoryEntry& e) {
  std::string out;
  for (const auto* part : {&e.kind, &e.name, &e.login}) {
    out.append(*part);
    out.push_back(kSep);
  }
  out.append(e.person);
  return out;
}

DirectoryEntry decode_entry(std::string_view path, std::string_view s) {
  DirectoryEntry e;
  e.path = std::string(path);
  std::string* parts[] = {&e.kind, &e.name, &e.login, &e.person};
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    auto end = i == 3 ? s.size() : s.find(kSep, start);
    if (end == std::string_view::npos)
      throw Error(ErrorKind::storage, "ledger directory entry '" + e.path + "' is corrupt");
    *parts[i] = std::string(s.substr(start, end - start));
    start = end + 1;
  }
  return e;
}

}  // namespace

// ---- Ledger -----------------------------------------------------------------------

namespace {
lmdb::Env::Options env_options(const Ledger::Options& o) {
  lmdb::Env::Options e;
  e.map_size = o.map_size;
  e.max_dbs = 32;
  e.durable = o.durable;
  return e;
}
}  // namespace

Ledger::Ledger(const Options& options)
    : env_(options.dir, env_options(options)), max_early_receipts_(options.max_early_receipts) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto open = [&](const char* name) { return lmdb::Db::open(txn, name); };
  messages_ = open("messages");
  payloads_ = open("payloads");
  by_sent_ = open("by_sent");
  open_ = open("open");
  receipts_ = open("receipts");
  person_msgs_ = open("person_msgs");
  routes_ = open("routes");
  tombstones_ = open("tombstones");
  presence_ = open("presence");
  online_users_ = open("online_users");
  directory_ = open("directory");
  meta_ = open("meta");
  quarantine_ = open("quarantine");
  early_ = open("early");
  early_by_age_ = open("early_by_age");
  courses_ = open("courses");
  course_info_ = open("course_info");
  campaigns_ = open("campaigns");
  course_campaigns_ = open("course_camps");
  schedules_ = open("schedules");
  due_ = open("due");
  chats_ = open("chats");
  chat_lines_ = open("chat_lines");
  chat_posts_ = open("chat_posts");
  chat_acks_ = open("chat_acks");
  chat_undelivered_ = open("chat_undeliv");
  chat_by_last_ = open("chat_by_last");
  logins_seen_ = open("logins_seen");
  txn.commit();
}

std::optional<MessageRecord> Ledger::message(lmdb::Txn& txn, std::string_view id) const {
  auto v = messages_.view(txn, id);
  if (!v) return std::nullopt;
  return decoded_or_report("messages", id, [&] { return decode_message(id, *v); });
}

void Ledger::put_message(lmdb::Txn& txn, const MessageRecord& m, bool is_new) {
  messages_.put(txn, m.id, encode_message(m));
  if (is_new) {
    by_sent_.put(txn, be64(time_key(m.sent_at)) + m.id, {});
    open_.put(txn, expiry_key(m), {});
  }
}

void Ledger::put_payload(lmdb::Txn& txn, std::string_view id, std::string_view payload) {
  payloads_.put(txn, id, payload);
}

std::optional<std::string> Ledger::payload(lmdb::Txn& txn, std::string_view id) const {
  auto v = payloads_.view(txn, id);
  if (!v) return std::nullopt;
  return std::string(*v);
}

void Ledger::scan_newest_first(lmdb::Txn& txn, const std::function<bool(std::string_view)>& fn) const {
  by_sent_.scan_backward(txn, [&](std::string_view key, std::string_view) { return fn(key.substr(8)); });
}

void Ledger::scan_open(lmdb::Txn& txn, TimePoint from,
                       const std::function<bool(std::string_view, std::optional<TimePoint>)>& fn) const {
  open_.scan_from(txn, be64(time_key(from)), [&](std::string_view key, std::string_view) {
    auto k = from_be64(key);
    return fn(key.substr(8), k == kNoExpiry ? std::nullopt : std::optional<TimePoint>(time_from_key(k)));
  });
}

std::vector<std::string> Ledger::open_due(lmdb::Txn& txn, TimePoint now) const {
  std::vector<std::string> due;
  auto limit = time_key(now);
  open_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (from_be64(key) > limit) return false;
    due.emplace_back(key.substr(8));
    return true;
  });
  return due;
}

std::optional<TimePoint> Ledger::next_expiry(lmdb::Txn& txn) const {
  std::optional<TimePoint> next;
  open_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    auto k = from_be64(key);
    if (k != kNoExpiry) next = time_from_key(k);
    return false;
  });
  return next;
}

void Ledger::close_open(lmdb::Txn& txn, const MessageRecord& m) { open_.del(txn, expiry_key(m)); }

void Ledger::set_aside_message(lmdb::Txn& txn, std::string_view id) {
  if (auto bytes = messages_.get(txn, id)) {
    quarantine_.put(txn, join2("messages", id), *bytes);
    messages_.del(txn, id);
    log::warn(
        trf("set aside the damaged record of message {1} (ledger table quarantine); its retained topics are "
            "no longer managed",
            {text::printable(id, 200)}));
  }
  std::vector<std::string> keys;  // collected first: a write ends the scan's views
  open_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (key.substr(8) == id) keys.emplace_back(key);
    return true;
  });
  for (const auto& k : keys) open_.del(txn, k);
}

std::optional<Receipt> Ledger::receipt(lmdb::Txn& txn, std::string_view id, std::string_view recipient) const {
  auto key = join2(id, recipient);
  auto v = receipts_.view(txn, key);
  if (!v) return std::nullopt;
  return decoded_or_report("receipts", key, [&] { return decode_receipt(*v); });
}

void Ledger::put_receipt(lmdb::Txn& txn, std::string_view id, std::string_view recipient, const Receipt& r) {
  receipts_.put(txn, join2(id, recipient), encode_receipt(r));
}

void Ledger::scan_receipts(lmdb::Txn& txn, std::string_view id, std::string_view recipient_prefix,
                           const std::function<bool(std::string_view, const Receipt&)>& fn) const {
  auto prefix = join2(id, recipient_prefix);
  auto skip = id.size() + 1;
  receipts_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    auto r = decoded_or_report("receipts", key, [&] { return decode_receipt(value); });
    return !r || fn(key.substr(skip), *r);
  });
}

void Ledger::scan_receipt_views(lmdb::Txn& txn, std::string_view id, std::string_view recipient_prefix,
                                const std::function<bool(std::string_view, const ReceiptView&)>& fn) const {
  auto prefix = join2(id, recipient_prefix);
  auto skip = id.size() + 1;
  receipts_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    auto r = decoded_or_report("receipts", key, [&] { return view_receipt(value); });
    return !r || fn(key.substr(skip), *r);
  });
}

std::optional<ReceiptView> Ledger::receipt_view(lmdb::Txn& txn, std::string_view id, std::string_view recipient) const {
  auto key = join2(id, recipient);
  auto v = receipts_.view(txn, key);
  if (!v) return std::nullopt;
  return decoded_or_report("receipts", key, [&] { return view_receipt(*v); });
}

std::optional<PresenceRecord> Ledger::presence(lmdb::Txn& txn, std::string_view computer) const {
  auto v = presence_.view(txn, computer);
  if (!v) return std::nullopt;
  return decoded_or_report("presence", computer, [&] { return decode_presence(*v); });
}

void Ledger::put_presence(lmdb::Txn& txn, std::string_view computer, const PresenceRecord& p) {
  if (auto old = presence(txn, computer); old && old->online && !old->user.empty())
    online_users_.del(txn, join2(old->user, computer));
  presence_.put(txn, computer, encode_presence(p));
  if (p.online && !p.user.empty()) online_users_.put(txn, join2(p.user, computer), {});
  // Read first: a login seen before (nearly every presence) dirties no page.
  if (!p.user.empty() && !logins_seen_.view(txn, p.user)) logins_seen_.put(txn, p.user, {});
}

void Ledger::scan_presence_computers(lmdb::Txn& txn, std::string_view under,
                                     const std::function<bool(std::string_view)>& fn) const {
  presence_.scan(txn, under, [&](std::string_view key, std::string_view) { return fn(key); });
}

std::vector<std::string> Ledger::online_computers_of(lmdb::Txn& txn, std::string_view login) const {
  std::vector<std::string> out;
  auto prefix = join2(login, {});
  online_users_.scan(txn, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return out;
}

void Ledger::add_person_message(lmdb::Txn& txn, std::string_view login, std::string_view id) {
  person_msgs_.put(txn, join2(login, id), {});
}

std::vector<std::string> Ledger::person_messages(lmdb::Txn& txn, std::string_view login) const {
  std::vector<std::string> out;
  auto prefix = join2(login, {});
  person_msgs_.scan(txn, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return out;
}

bool Ledger::has_route(lmdb::Txn& txn, std::string_view id, std::string_view computer) const {
  return routes_.view(txn, join2(id, computer)).has_value();
}

void Ledger::put_route(lmdb::Txn& txn, std::string_view id, std::string_view computer, std::string_view login) {
  routes_.put(txn, join2(id, computer), login);
}

std::optional<std::string> Ledger::route_login(lmdb::Txn& txn, std::string_view id, std::string_view computer) const {
  auto v = routes_.view(txn, join2(id, computer));
  if (!v) return std::nullopt;
  return std::string(*v);
}

void Ledger::scan_routes(lmdb::Txn& txn, std::string_view id,
                         const std::function<void(std::string_view, std::string_view)>& fn) const {
  auto prefix = join2(id, {});
  routes_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    fn(key.substr(prefix.size()), value);
    return true;
  });
}

bool Ledger::put_tombstone(lmdb::Txn& txn, std::string_view id, std::string_view account, std::string_view target,
                           std::string_view payload) {
  auto key = join2(join2(id, account), target);
  bool known = tombstones_.view(txn, key).has_value();
  tombstones_.put(txn, key, payload);
  return !known;
}

void Ledger::scan_tombstones(
    lmdb::Txn& txn, std::string_view id,
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const {
  auto prefix = join2(id, {});
  tombstones_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    auto rest = key.substr(prefix.size());
    auto sep = rest.find(kSep);
    if (sep != std::string_view::npos) fn(rest.substr(0, sep), rest.substr(sep + 1), value);
    return true;
  });
}

bool Ledger::put_early_receipt(lmdb::Txn& txn, std::string_view id, std::string_view agent, payloads::AckState state,
                               std::string_view ack_payload, TimePoint now) {
  // The age bound first: the index is oldest first, so this stops at the first young one.
  auto oldest_kept = be64(time_key(now - kEarlyReceiptMaxAge));
  std::vector<std::string> old;
  early_by_age_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (key.substr(0, 8) >= oldest_kept) return false;
    old.emplace_back(key);
    return true;
  });
  for (const auto& key : old) {
    early_.del(txn, std::string_view(key).substr(8));
    early_by_age_.del(txn, key);
  }
  auto key = join2(join2(id, agent), std::string(1, static_cast<char>('0' + static_cast<int>(state))));
  if (auto previous = early_.view(txn, key)) {
    early_by_age_.del(txn, std::string(previous->substr(0, 8)) + key);
  } else if (early_.count(txn) >= max_early_receipts_) {
    return false;
  }
  auto kept_at = be64(time_key(now));
  std::string value = kept_at;
  value.append(ack_payload);
  early_.put(txn, key, value);
  early_by_age_.put(txn, kept_at + key, {});
  return true;
}

void Ledger::take_early_receipts(lmdb::Txn& txn, std::string_view id,
                                 const std::function<void(std::string_view, std::string_view)>& fn) {
  auto prefix = join2(id, {});
  std::vector<std::pair<std::string, std::string>> found;  // key, value: no writes during the scan
  early_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    found.emplace_back(key, value);
    return true;
  });
  for (const auto& [key, value] : found) {
    if (value.size() < 8) throw Error(ErrorKind::storage, "ledger early receipt record is corrupt");
    auto rest = std::string_view(key).substr(prefix.size());
    fn(rest.substr(0, rest.rfind(kSep)), std::string_view(value).substr(8));
    early_.del(txn, key);
    early_by_age_.del(txn, value.substr(0, 8) + key);
  }
}

std::size_t Ledger::early_receipt_count(lmdb::Txn& txn) const { return early_.count(txn); }

bool Ledger::has_directory(lmdb::Txn& txn) const { return meta_.view(txn, "directory_entries").has_value(); }

void Ledger::replace_directory(lmdb::Txn& txn, const std::vector<DirectoryEntry>& entries) {
  directory_.clear(txn);
  for (const auto& e : entries) directory_.put(txn, e.path, encode_entry(e));
  meta_.put(txn, "directory_entries", std::to_string(entries.size()));
}

void Ledger::scan_directory(lmdb::Txn& txn, std::string_view under,
                            const std::function<bool(const DirectoryEntry&)>& fn) const {
  directory_.scan(txn, under, [&](std::string_view key, std::string_view value) {
    auto e = decoded_or_report("directory", key, [&] { return decode_entry(key, value); });
    return !e || fn(*e);
  });
}

void Ledger::scan_directory_computers(lmdb::Txn& txn, std::string_view under,
                                      const std::function<bool(std::string_view)>& fn) const {
  // An entry's value starts with its kind and a separator (encode_entry).
  static constexpr std::string_view kComputer{"computer\0", 9};
  directory_.scan(txn, under, [&](std::string_view key, std::string_view value) {
    return value.substr(0, kComputer.size()) == kComputer ? fn(key) : true;
  });
}

// ---- courses, campaigns, schedules, due ------------------------------------------

namespace {

json recurrence_json(const schedule::Recurrence& r) {
  return json{{"r", r.rule}, {"at", r.at}, {"tz", r.tz}, {"st", r.start}, {"sk", r.skip_dates}};
}
schedule::Recurrence recurrence_from(const json& j) {
  schedule::Recurrence r;
  r.rule = j.at("r").get<std::string>();
  r.at = j.at("at").get<std::string>();
  r.tz = j.at("tz").get<std::string>();
  r.start = j.at("st").get<std::string>();
  r.skip_dates = j.at("sk").get<std::vector<std::string>>();
  return r;
}

template <typename Fn>
auto decode_json(std::string_view what, std::string_view id, std::string_view bytes, Fn&& fn) {
  try {
    return fn(json::parse(bytes));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::storage,
                "ledger record of " + std::string(what) + " '" + std::string(id) + "' is corrupt: " + e.what());
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;
    throw Error(ErrorKind::storage,
                "ledger record of " + std::string(what) + " '" + std::string(id) + "' is corrupt: " + e.what());
  }
}

std::string encode_course_info(const CourseInfo& c) {
  json lessons = json::array();
  for (const auto& l : c.lessons) {
    json lesson{{"t", l.title}, {"i", l.images}, {"l", l.links}, {"b", l.bytes}};
    if (l.require_confirm) lesson["rc"] = true;
    lessons.push_back(std::move(lesson));
  }
  return json{{"ti", c.title}, {"by", c.created_by}, {"at", to_unix_ms(c.created_at)}, {"ls", lessons}}.dump();
}
CourseInfo decode_course_info(std::string_view id, std::string_view bytes) {
  return decode_json("course", id, bytes, [&](const json& j) {
    CourseInfo c;
    c.id = std::string(id);
    c.title = j.at("ti").get<std::string>();
    c.created_by = j.at("by").get<std::string>();
    c.created_at = from_unix_ms(j.at("at").get<std::int64_t>());
    std::size_t n = 0;
    for (const auto& l : j.at("ls")) {
      results::LessonSummary s;
      s.number = ++n;
      s.title = l.at("t").get<std::string>();
      s.images = l.at("i").get<std::size_t>();
      s.links = l.at("l").get<std::size_t>();
      s.bytes = l.at("b").get<std::size_t>();
      s.require_confirm = l.value("rc", false);
      c.lessons.push_back(std::move(s));
    }
    return c;
  });
}

std::string encode_campaign(const CampaignRecord& c) {
  json occ = json::array();
  for (const auto& o : c.occurrences)
    occ.push_back(json{{"d", to_unix_ms(o.due)}, {"s", opt_ms(o.sent_at)}, {"m", o.message}});
  return json{{"co", c.course},
              {"cg", to_unix_ms(c.course_created)},
              {"s", c.sender},
              {"t", c.targets},
              {"w", recurrence_json(c.when)},
              {"lt", c.lifetime.count()},
              {"st", results::state_name(c.state)},
              {"ca", to_unix_ms(c.created_at)},
              {"o", occ}}
      .dump();
}
CampaignRecord decode_campaign(std::string_view id, std::string_view bytes) {
  return decode_json("campaign", id, bytes, [&](const json& j) {
    CampaignRecord c;
    c.id = std::string(id);
    c.course = j.at("co").get<std::string>();
    c.course_created = from_unix_ms(j.at("cg").get<std::int64_t>());
    c.sender = j.at("s").get<std::string>();
    c.targets = j.at("t").get<std::vector<std::string>>();
    c.when = recurrence_from(j.at("w"));
    c.lifetime = std::chrono::seconds(j.at("lt").get<std::int64_t>());
    c.state = results::campaign_state_from_name(j.at("st").get<std::string>());
    c.created_at = from_unix_ms(j.at("ca").get<std::int64_t>());
    for (const auto& o : j.at("o"))
      c.occurrences.push_back(CampaignRecord::Occurrence{from_unix_ms(o.at("d").get<std::int64_t>()), ms_opt(o.at("s")),
                                                         o.at("m").get<std::string>()});
    return c;
  });
}

std::string encode_schedule(const ScheduleRecord& s) {
  json j{{"k", s.kind == topics::Kind::alert ? "a" : "m"},
         {"s", s.sender},
         {"ti", s.title},
         {"b", s.body},
         {"sv", s.severity},
         {"l", s.links},
         {"lt", s.lifetime.count()},
         {"t", s.targets},
         {"w", recurrence_json(s.when)},
         {"st", results::state_name(s.state)},
         {"ca", to_unix_ms(s.created_at)},
         {"ni", s.next_index},
         {"na", opt_ms(s.next_at)},
         {"n", s.sent},
         {"sk", s.skipped},
         {"tot", s.total ? json(*s.total) : json(nullptr)},
         {"lm", s.last_message}};
  if (s.require_confirm) j["rc"] = true;  // only when set: older records unchanged
  return j.dump();
}
ScheduleRecord decode_schedule(std::string_view id, std::string_view bytes) {
  return decode_json("schedule", id, bytes, [&](const json& j) {
    ScheduleRecord s;
    s.id = std::string(id);
    s.kind = j.at("k").get<std::string>() == "a" ? topics::Kind::alert : topics::Kind::message;
    s.sender = j.at("s").get<std::string>();
    s.title = j.at("ti").get<std::string>();
    s.body = j.at("b").get<std::string>();
    s.severity = j.at("sv").get<std::string>();
    s.links = j.at("l").get<std::vector<std::string>>();
    s.lifetime = std::chrono::seconds(j.at("lt").get<std::int64_t>());
    s.targets = j.at("t").get<std::vector<std::string>>();
    s.when = recurrence_from(j.at("w"));
    s.state = results::schedule_state_from_name(j.at("st").get<std::string>());
    s.created_at = from_unix_ms(j.at("ca").get<std::int64_t>());
    s.next_index = j.at("ni").get<std::size_t>();
    s.next_at = ms_opt(j.at("na"));
    s.sent = j.at("n").get<std::size_t>();
    s.skipped = j.at("sk").get<std::size_t>();
    if (!j.at("tot").is_null()) s.total = j.at("tot").get<std::size_t>();
    s.last_message = j.at("lm").get<std::string>();
    s.require_confirm = j.value("rc", false);
    return s;
  });
}

std::string due_key(const DueItem& d) {
  auto k = be64(time_key(d.at));
  k.push_back(static_cast<char>(d.kind));
  k.append(d.id);
  return k;
}
std::optional<DueItem> decode_due(std::string_view key) {
  if (key.size() < 10) return std::nullopt;
  auto kind = static_cast<DueKind>(key[8]);
  if (kind != DueKind::campaign && kind != DueKind::schedule) return std::nullopt;
  return DueItem{time_from_key(from_be64(key)), kind, std::string(key.substr(9))};
}

}  // namespace

std::size_t CampaignRecord::sent() const {
  std::size_t n = 0;
  while (n < occurrences.size() && occurrences[n].sent_at) ++n;
  return n;
}

std::optional<TimePoint> CampaignRecord::next_due() const {
  auto n = sent();
  if (n >= occurrences.size()) return std::nullopt;
  return occurrences[n].due;
}

std::optional<CourseInfo> Ledger::course_info(lmdb::Txn& txn, std::string_view id) const {
  auto v = course_info_.view(txn, id);
  if (!v) return std::nullopt;
  return decoded_or_report("course_info", id, [&] { return decode_course_info(id, *v); });
}

std::optional<std::string> Ledger::course_json(lmdb::Txn& txn, std::string_view id) const {
  return courses_.get(txn, id);
}

void Ledger::put_course(lmdb::Txn& txn, const CourseInfo& info, std::string_view course_json) {
  courses_.put(txn, info.id, course_json);
  course_info_.put(txn, info.id, encode_course_info(info));
}

void Ledger::delete_course(lmdb::Txn& txn, std::string_view id) {
  courses_.del(txn, id);
  course_info_.del(txn, id);
}

void Ledger::scan_courses(lmdb::Txn& txn, const std::function<bool(const CourseInfo&)>& fn) const {
  course_info_.scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto c = decoded_or_report("course_info", key, [&] { return decode_course_info(key, value); });
    return !c || fn(*c);
  });
}

std::optional<CampaignRecord> Ledger::campaign(lmdb::Txn& txn, std::string_view id) const {
  auto v = campaigns_.view(txn, id);
  if (!v) return std::nullopt;
  return decoded_or_report("campaigns", id, [&] { return decode_campaign(id, *v); });
}

void Ledger::put_campaign(lmdb::Txn& txn, const CampaignRecord& c) {
  campaigns_.put(txn, c.id, encode_campaign(c));
  course_campaigns_.put(txn, join2(c.course, c.id), {});
}

void Ledger::scan_campaigns(lmdb::Txn& txn, const std::function<bool(const CampaignRecord&)>& fn) const {
  campaigns_.scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto c = decoded_or_report("campaigns", key, [&] { return decode_campaign(key, value); });
    return !c || fn(*c);
  });
}

std::vector<std::string> Ledger::campaigns_of_course(lmdb::Txn& txn, std::string_view course) const {
  std::vector<std::string> out;
  auto prefix = join2(course, {});
  course_campaigns_.scan(txn, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return out;
}

std::optional<ScheduleRecord> Ledger::schedule(lmdb::Txn& txn, std::string_view id) const {
  auto v = schedules_.view(txn, id);
  if (!v) return std::nullopt;
  return decoded_or_report("schedules", id, [&] { return decode_schedule(id, *v); });
}

void Ledger::put_schedule(lmdb::Txn& txn, const ScheduleRecord& s) { schedules_.put(txn, s.id, encode_schedule(s)); }

void Ledger::scan_schedules(lmdb::Txn& txn, const std::function<bool(const ScheduleRecord&)>& fn) const {
  schedules_.scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto s = decoded_or_report("schedules", key, [&] { return decode_schedule(key, value); });
    return !s || fn(*s);
  });
}

void Ledger::put_due(lmdb::Txn& txn, const DueItem& item) { due_.put(txn, due_key(item), {}); }

void Ledger::del_due(lmdb::Txn& txn, const DueItem& item) { due_.del(txn, due_key(item)); }

std::optional<DueItem> Ledger::next_due(lmdb::Txn& txn) const {
  std::optional<DueItem> next;
  due_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    next = decode_due(key);
    return !next;  // a key that does not decode is skipped
  });
  return next;
}

std::vector<DueItem> Ledger::due_until(lmdb::Txn& txn, TimePoint now) const {
  std::vector<DueItem> out;
  auto limit = time_key(now);
  due_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (key.size() < 8 || from_be64(key) > limit) return false;
    if (auto d = decode_due(key)) out.push_back(std::move(*d));
    return true;
  });
  return out;
}

// ---- chat ---------------------------------------------------------------------------

namespace {

constexpr std::size_t kSeqDigits = 20;  // every uint64

std::string seq_text(std::uint64_t seq) {
  auto digits = std::to_string(seq);
  return std::string(kSeqDigits - digits.size(), '0') + digits;
}
std::uint64_t seq_from_text(std::string_view text) {
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw Error(ErrorKind::storage, "ledger chat seq is corrupt");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}
std::string line_key(std::string_view target, std::uint64_t seq) { return join2(target, seq_text(seq)); }

std::string encode_chat(const ChatRecord& c) {
  return json{{"ab", c.about ? json(*c.about) : json(nullptr)},
              {"o", c.open},
              {"n", c.last_seq},
              {"nh", c.last_helpdesk_seq},
              {"ak", c.acked},
              {"hr", c.helpdesk_read},
              {"er", c.employee_read},
              {"hu", c.helpdesk_unread},
              {"eu", c.employee_unread},
              {"la", to_unix_ms(c.last_at)}}
      .dump();
}
ChatRecord decode_chat(std::string_view target, std::string_view bytes) {
  return decode_json("conversation", target, bytes, [&](const json& j) {
    ChatRecord c;
    c.target = std::string(target);
    if (!j.at("ab").is_null()) c.about = j.at("ab").get<std::string>();
    c.open = j.at("o").get<bool>();
    c.last_seq = j.at("n").get<std::uint64_t>();
    c.last_helpdesk_seq = j.at("nh").get<std::uint64_t>();
    c.acked = j.at("ak").get<std::uint64_t>();
    c.helpdesk_read = j.at("hr").get<std::uint64_t>();
    c.employee_read = j.at("er").get<std::uint64_t>();
    c.helpdesk_unread = j.at("hu").get<std::size_t>();
    c.employee_unread = j.at("eu").get<std::size_t>();
    c.last_at = from_unix_ms(j.at("la").get<std::int64_t>());
    return c;
  });
}

std::string by_last_key(const ChatRecord& c) { return be64(time_key(c.last_at)) + c.target; }

void put_u16(std::string& out, std::size_t n) {
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
}
std::size_t get_u16(std::string_view s, std::size_t at) {
  return (static_cast<std::size_t>(static_cast<unsigned char>(s[at])) << 8) | static_cast<unsigned char>(s[at + 1]);
}

}  // namespace

std::string encode_chat_line(const results::ChatLine& l) {
  // from and post are an account, an agent path or a post id: far below 64 KiB.
  auto from_len = std::min<std::size_t>(l.from.size(), 0xffff);
  auto post_len = std::min<std::size_t>(l.post.size(), 0xffff);
  std::string out;
  out.reserve(28 + from_len + post_len + l.text.size());
  put_i64(out, to_unix_ms(l.at));
  put_opt_time(out, l.delivered_at);
  put_opt_time(out, l.read_at);
  put_u16(out, from_len);
  out.append(l.from, 0, from_len);
  put_u16(out, post_len);
  out.append(l.post, 0, post_len);
  out.append(l.text);
  return out;
}

results::ChatLine decode_chat_line(std::uint64_t seq, std::string_view s) {
  if (s.size() < 28) throw Error(ErrorKind::storage, "ledger chat line is corrupt (too short)");
  results::ChatLine l;
  l.seq = seq;
  l.at = from_unix_ms(get_i64(s, 0));
  l.delivered_at = get_opt_time(s, 8);
  l.read_at = get_opt_time(s, 16);
  auto from_len = get_u16(s, 24);
  if (26 + from_len + 2 > s.size()) throw Error(ErrorKind::storage, "ledger chat line is corrupt (from)");
  l.from = std::string(s.substr(26, from_len));
  auto post_at = 26 + from_len;
  auto post_len = get_u16(s, post_at);
  if (post_at + 2 + post_len > s.size()) throw Error(ErrorKind::storage, "ledger chat line is corrupt (post)");
  l.post = std::string(s.substr(post_at + 2, post_len));
  l.text = std::string(s.substr(post_at + 2 + post_len));
  return l;
}

std::optional<ChatRecord> Ledger::chat(lmdb::Txn& txn, std::string_view target) const {
  auto v = chats_.view(txn, target);
  if (!v) return std::nullopt;
  return decoded_or_report("chats", target, [&] { return decode_chat(target, *v); });
}

void Ledger::put_chat(lmdb::Txn& txn, const ChatRecord& c) {
  if (auto old = chat(txn, c.target)) {
    if (old->last_at != c.last_at) chat_by_last_.del(txn, by_last_key(*old));
  }
  chats_.put(txn, c.target, encode_chat(c));
  chat_by_last_.put(txn, by_last_key(c), {});
  if (c.undelivered())
    chat_undelivered_.put(txn, c.target, {});
  else
    chat_undelivered_.del(txn, c.target);
}

void Ledger::scan_chats(lmdb::Txn& txn, std::string_view prefix,
                        const std::function<bool(const ChatRecord&)>& fn) const {
  chats_.scan(txn, prefix, [&](std::string_view key, std::string_view value) {
    auto c = decoded_or_report("chats", key, [&] { return decode_chat(key, value); });
    return !c || fn(*c);
  });
}

std::vector<std::string> Ledger::undelivered_chats(lmdb::Txn& txn) const {
  std::vector<std::string> out;
  chat_undelivered_.scan(txn, {}, [&](std::string_view key, std::string_view) {
    out.emplace_back(key);
    return true;
  });
  return out;
}

std::optional<TimePoint> Ledger::oldest_chat(lmdb::Txn& txn) const {
  std::optional<TimePoint> oldest;
  chat_by_last_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (key.size() >= 8) oldest = time_from_key(from_be64(key));
    return !oldest;
  });
  return oldest;
}

std::vector<std::string> Ledger::expire_chats(lmdb::Txn& txn, TimePoint cutoff) {
  auto limit = time_key(cutoff);
  std::vector<std::string> index_keys;  // collected first: a write ends the scan's views
  chat_by_last_.scan_from(txn, {}, [&](std::string_view key, std::string_view) {
    if (key.size() < 8 || from_be64(key) >= limit) return false;
    index_keys.emplace_back(key);
    return true;
  });
  std::vector<std::string> deleted;
  for (const auto& key : index_keys) {
    chat_by_last_.del(txn, key);
    auto target = std::string_view(key).substr(8);
    // An index entry left by a record that was later rewritten, never a live one:
    // the record decides.
    if (auto c = chat(txn, target); c && c->last_at >= cutoff) continue;
    std::vector<std::pair<std::string, std::string>> lines;  // key, writer \0 post
    chat_lines_.scan(txn, join2(target, {}), [&](std::string_view k, std::string_view v) {
      std::string post_key;
      if (auto l = decoded_or_report("chat_lines", k, [&] { return decode_chat_line(0, v); }); l && !l->post.empty())
        post_key = join2(l->from, l->post);
      lines.emplace_back(k, std::move(post_key));
      return true;
    });
    for (const auto& [k, post_key] : lines) {
      chat_lines_.del(txn, k);
      // A post id names this conversation's line, unless (hostile or reused) another's.
      if (post_key.empty()) continue;
      auto ref = chat_posts_.view(txn, post_key);
      if (ref && ref->size() >= kSeqDigits && ref->substr(kSeqDigits) == target) chat_posts_.del(txn, post_key);
    }
    std::vector<std::string> acks;
    chat_acks_.scan(txn, join2(target, {}), [&](std::string_view k, std::string_view) {
      acks.emplace_back(k);
      return true;
    });
    for (const auto& k : acks) chat_acks_.del(txn, k);
    chat_undelivered_.del(txn, target);
    chats_.del(txn, target);
    deleted.emplace_back(target);
  }
  return deleted;
}

std::optional<results::ChatLine> Ledger::chat_line(lmdb::Txn& txn, std::string_view target, std::uint64_t seq) const {
  auto key = line_key(target, seq);
  auto v = chat_lines_.view(txn, key);
  if (!v) return std::nullopt;
  return decoded_or_report("chat_lines", key, [&] { return decode_chat_line(seq, *v); });
}

void Ledger::put_chat_line(lmdb::Txn& txn, std::string_view target, const results::ChatLine& line) {
  chat_lines_.put(txn, line_key(target, line.seq), encode_chat_line(line));
}

void Ledger::scan_chat_lines(lmdb::Txn& txn, std::string_view target, std::uint64_t from,
                             const std::function<bool(const results::ChatLine&)>& fn) const {
  auto prefix = join2(target, {});
  chat_lines_.scan_from(txn, line_key(target, from), [&](std::string_view key, std::string_view value) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    auto seq_part = key.substr(prefix.size());
    auto l = decoded_or_report("chat_lines", key, [&] { return decode_chat_line(seq_from_text(seq_part), value); });
    return !l || fn(*l);
  });
}

bool Ledger::chat_keys_fit(std::string_view target, std::string_view writer, std::string_view post) const {
  auto max = static_cast<std::size_t>(mdb_env_get_maxkeysize(env_.get()));
  auto longest = std::max({target.size() + 1 + kSeqDigits,     // chat_lines
                           8 + target.size(),                  // chat_by_last
                           target.size() + 1 + writer.size(),  // chat_acks
                           writer.size() + 1 + post.size()});  // chat_posts
  return longest <= max;
}

std::optional<ChatPostRef> Ledger::chat_post(lmdb::Txn& txn, std::string_view writer, std::string_view post) const {
  auto key = join2(writer, post);
  auto v = chat_posts_.view(txn, key);
  if (!v) return std::nullopt;
  return decoded_or_report("chat_posts", key, [&] {
    if (v->size() <= kSeqDigits) throw Error(ErrorKind::storage, "ledger chat post is corrupt");
    return ChatPostRef{std::string(v->substr(kSeqDigits)), seq_from_text(v->substr(0, kSeqDigits))};
  });
}

void Ledger::put_chat_post(lmdb::Txn& txn, std::string_view writer, std::string_view post, const ChatPostRef& ref) {
  chat_posts_.put(txn, join2(writer, post), seq_text(ref.seq) + ref.target);
}

std::uint64_t Ledger::chat_acked(lmdb::Txn& txn, std::string_view target, std::string_view agent) const {
  auto key = join2(target, agent);
  auto v = chat_acks_.view(txn, key);
  if (!v) return 0;
  return decoded_or_report("chat_acks", key, [&] { return seq_from_text(*v); }).value_or(0);
}

void Ledger::put_chat_acked(lmdb::Txn& txn, std::string_view target, std::string_view agent, std::uint64_t seq) {
  chat_acks_.put(txn, join2(target, agent), std::to_string(seq));
}

bool Ledger::login_known(lmdb::Txn& txn, std::string_view login) const {
  if (login.empty()) return false;
  if (logins_seen_.view(txn, login)) return true;
  bool found = false;
  scan_directory(txn, {}, [&](const DirectoryEntry& e) {
    found = e.is_computer() && e.login == login;
    return !found;
  });
  if (found) return true;
  // Presences recorded before logins_seen existed.
  presence_.scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto p = decoded_or_report("presence", key, [&] { return decode_presence(value); });
    found = p && p->user == login;
    return !found;
  });
  return found;
}

bool Ledger::computer_known(lmdb::Txn& txn, std::string_view path) const {
  if (presence_.view(txn, path)) return true;
  static constexpr std::string_view kComputer{"computer\0", 9};
  auto entry = directory_.view(txn, path);
  return entry && entry->substr(0, kComputer.size()) == kComputer;
}

}  // namespace herald::scheduler
