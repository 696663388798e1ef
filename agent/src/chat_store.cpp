#include "herald/agent/chat_store.hpp"

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "herald/common/error.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/log.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/text.hpp"

namespace herald::agent {
namespace {

using json = nlohmann::json;

constexpr std::string_view kGeneration = "generation";
constexpr std::string_view kNextPost = "next";
constexpr std::string_view kStatePrefix = "c ";

std::string zero_padded(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

std::optional<TimePoint> optional_time(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return from_rfc3339(it->get<std::string>());
}

std::string line_json(const results::ChatLine& l) {
  return json{{"seq", l.seq},
              {"from", l.from},
              {"text", l.text},
              {"at", to_rfc3339(l.at)},
              {"delivered_at", time_or_null(l.delivered_at)},
              {"read_at", time_or_null(l.read_at)},
              {"post", l.post}}
      .dump();
}

// Logs a damaged record once per key in this process: every read meets it again.
void report_damaged(std::string_view table, std::string_view key, std::string_view what) {
  static std::mutex mutex;
  static std::set<std::string> reported;
  std::lock_guard lock(mutex);
  if (!reported.insert(std::string(table) + '/' + std::string(key)).second) return;
  log::warn("damaged record " + text::printable(key, 200) + " in the agent store's " + std::string(table) +
            " table, skipped: " + text::printable(what, 300));
}

std::optional<results::ChatLine> parse_line(std::string_view key, std::string_view text) {
  try {
    auto j = json::parse(text);
    results::ChatLine l;
    l.seq = j.at("seq").get<std::uint64_t>();
    l.from = j.at("from").get<std::string>();
    l.text = j.at("text").get<std::string>();
    l.at = from_rfc3339(j.at("at").get<std::string>());
    l.delivered_at = optional_time(j, "delivered_at");
    l.read_at = optional_time(j, "read_at");
    l.post = j.value("post", std::string());
    return l;
  } catch (const std::exception& e) {
    report_damaged("chat_lines", key, e.what());
    return std::nullopt;
  }
}

std::string state_json(const ChatState& s) {
  return json{{"target", s.target},
              {"contiguous", s.contiguous},
              {"highest", s.highest},
              {"about", s.about ? json(*s.about) : json(nullptr)},
              {"open", s.open},
              {"read_mark", s.read_mark},
              {"read_sent", s.read_sent},
              {"unread", s.unread},
              {"last_at", time_or_null(s.last_at)}}
      .dump();
}

ChatState parse_state(std::string_view key, std::string_view text) {
  try {
    auto j = json::parse(text);
    ChatState s;
    s.target = j.at("target").get<std::string>();
    s.contiguous = j.at("contiguous").get<std::uint64_t>();
    s.highest = j.at("highest").get<std::uint64_t>();
    if (!j.at("about").is_null()) s.about = j.at("about").get<std::string>();
    s.open = j.at("open").get<bool>();
    s.read_mark = j.at("read_mark").get<std::uint64_t>();
    s.read_sent = j.at("read_sent").get<std::uint64_t>();
    s.unread = j.at("unread").get<std::size_t>();
    s.last_at = optional_time(j, "last_at");
    return s;
  } catch (const std::exception& e) {
    // The state is derived from the lines and heraldd's next update: start it afresh.
    report_damaged("chat_state", key, e.what());
    ChatState s;
    s.target = std::string(key.substr(key.find(kStatePrefix) + kStatePrefix.size()));
    return s;
  }
}

std::string outbox_json(const ChatOutboxLine& l) {
  return json{{"post", l.post},
              {"conversation", l.conversation},
              {"text", l.text},
              {"about", l.about ? json(*l.about) : json(nullptr)},
              {"at", to_rfc3339(l.at)}}
      .dump();
}

std::optional<ChatOutboxLine> parse_outbox(std::string_view key, std::string_view text) {
  try {
    auto j = json::parse(text);
    ChatOutboxLine l;
    l.key = std::string(key);
    l.post = j.at("post").get<std::string>();
    l.conversation = j.at("conversation").get<std::string>();
    l.text = j.at("text").get<std::string>();
    if (!j.at("about").is_null()) l.about = j.at("about").get<std::string>();
    l.at = from_rfc3339(j.at("at").get<std::string>());
    return l;
  } catch (const std::exception& e) {
    report_damaged("chat_outbox", key, e.what());
    return std::nullopt;
  }
}

std::uint64_t parse_count(std::optional<std::string_view> v) {
  if (!v) return 0;
  try {
    return std::stoull(std::string(*v));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string person_conversation(std::string_view login) { return Target::person(std::string(login)).to_string(); }

ChatStore::ChatStore(lmdb::Env& env, std::string key_prefix)
    : env_(env),
      prefix_(key_prefix.empty() ? std::string() : key_prefix + "/"),
      lines_(lmdb::Db::open(env, "chat_lines")),
      state_(lmdb::Db::open(env, "chat_state")),
      outbox_(lmdb::Db::open(env, "chat_outbox")) {}

std::string ChatStore::state_key(std::string_view conversation) const {
  return prefix_ + std::string(kStatePrefix) + std::string(conversation);
}

// A space never occurs in a target, so one conversation's keys never run into another's.
std::string ChatStore::line_prefix(std::string_view conversation) const {
  return prefix_ + std::string(conversation) + ' ';
}

std::optional<ChatState> ChatStore::state_in(lmdb::Txn& txn, std::string_view conversation) const {
  auto key = state_key(conversation);
  auto v = state_.view(txn, key);
  if (!v) return std::nullopt;
  return parse_state(key, *v);
}

void ChatStore::put_state(lmdb::Txn& txn, const ChatState& s) const {
  state_.put(txn, state_key(s.target), state_json(s));
}

void ChatStore::bump(lmdb::Txn& txn) const {
  auto key = prefix_ + std::string(kGeneration);
  state_.put(txn, key, std::to_string(parse_count(state_.view(txn, key)) + 1));
}

ChatApplied ChatStore::apply(const results::ChatHistory& update, std::string_view agent_path) {
  ChatApplied out;
  const auto& target = update.conversation.target;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto s = state_in(txn, target).value_or(ChatState{});
  s.target = target;
  s.about = update.conversation.about;
  s.open = update.conversation.open;
  s.unread = update.conversation.unread;
  auto prefix = line_prefix(target);
  std::set<std::string> echoed;
  for (const auto& line : update.lines) {
    if (line.seq == 0) continue;  // heraldd numbers from 1; the caller drops such updates
    lines_.put(txn, prefix + zero_padded(line.seq), line_json(line));
    ++out.stored;
    s.highest = std::max(s.highest, line.seq);
    if (!s.last_at || line.at > *s.last_at) s.last_at = line.at;
    if (line.from == agent_path && !line.post.empty()) echoed.insert(line.post);
  }
  while (lines_.view(txn, prefix + zero_padded(s.contiguous + 1))) ++s.contiguous;
  if (!echoed.empty()) {
    std::vector<std::string> done;
    outbox_.scan(txn, prefix_, [&](std::string_view key, std::string_view value) {
      if (auto l = parse_outbox(key, value); l && echoed.count(l->post)) done.emplace_back(key);
      return true;
    });
    for (const auto& key : done) outbox_.del(txn, key);
    out.confirmed = done.size();
  }
  put_state(txn, s);
  bump(txn);
  txn.commit();
  out.contiguous = s.contiguous;
  out.gap = s.highest > s.contiguous;
  return out;
}

std::optional<ChatState> ChatStore::state(std::string_view conversation) const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  return state_in(txn, conversation);
}

results::ChatHistory ChatStore::history(std::string_view conversation) const {
  results::ChatHistory h;
  h.conversation.target = std::string(conversation);
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  std::uint64_t mark = 0;
  if (auto s = state_in(txn, conversation)) {
    h.conversation.about = s->about;
    h.conversation.open = s->open;
    mark = s->read_mark;
  }
  lines_.scan(txn, line_prefix(conversation), [&](std::string_view key, std::string_view value) {
    if (auto l = parse_line(key, value)) h.lines.push_back(std::move(*l));
    return true;
  });
  for (const auto& l : h.lines)
    if (!results::from_employee(l) && l.seq > mark && !l.read_at) ++h.conversation.unread;
  return h;
}

std::vector<std::string> ChatStore::conversations() const {
  std::set<std::string> found;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  auto states = prefix_ + std::string(kStatePrefix);
  state_.scan(txn, states, [&](std::string_view key, std::string_view) {
    found.emplace(key.substr(states.size()));
    return true;
  });
  outbox_.scan(txn, prefix_, [&](std::string_view key, std::string_view value) {
    if (auto l = parse_outbox(key, value)) found.insert(l->conversation);
    return true;
  });
  return {found.begin(), found.end()};
}

std::optional<TimePoint> ChatStore::last_activity(std::string_view conversation) const {
  std::optional<TimePoint> last;
  if (auto s = state(conversation)) last = s->last_at;
  for (const auto& l : outbox(conversation))
    if (!last || l.at > *last) last = l.at;
  return last;
}

std::string ChatStore::enqueue(std::string_view conversation, std::string_view text, std::optional<std::string> about,
                               TimePoint at) {
  payloads::validate_chat_text(text);
  ChatOutboxLine l;
  l.post = new_id();
  l.conversation = std::string(conversation);
  l.text = std::string(text);
  l.about = std::move(about);
  l.at = at;
  // The sequence is read inside the write transaction: `herald-agent chat` processes
  // and the daemon never hand out the same key.
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto next_key = prefix_ + std::string(kNextPost);
  auto next = parse_count(state_.view(txn, next_key)) + 1;
  outbox_.put(txn, prefix_ + zero_padded(next), outbox_json(l));
  state_.put(txn, next_key, std::to_string(next));
  bump(txn);
  txn.commit();
  return l.post;
}

std::vector<ChatOutboxLine> ChatStore::outbox(std::string_view conversation) const {
  std::vector<ChatOutboxLine> out;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  outbox_.scan(txn, prefix_, [&](std::string_view key, std::string_view value) {
    auto l = parse_outbox(key, value);
    if (l && (conversation.empty() || l->conversation == conversation)) out.push_back(std::move(*l));
    return true;
  });
  return out;
}

bool ChatStore::remove_outbox(std::string_view key) {
  if (key.substr(0, prefix_.size()) != prefix_) return false;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  bool removed = outbox_.del(txn, key);
  if (removed) bump(txn);
  txn.commit();
  return removed;
}

void ChatStore::mark_read(std::string_view conversation, std::uint64_t seq) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto s = state_in(txn, conversation).value_or(ChatState{});
  if (seq <= s.read_mark) return;  // aborted: nothing changes
  s.target = std::string(conversation);
  s.read_mark = seq;
  put_state(txn, s);
  bump(txn);
  txn.commit();
}

std::vector<std::pair<std::string, std::uint64_t>> ChatStore::pending_reads() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  state_.scan(txn, prefix_ + std::string(kStatePrefix), [&](std::string_view key, std::string_view value) {
    auto s = parse_state(key, value);
    if (s.read_mark > s.read_sent) out.emplace_back(s.target, s.read_mark);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> ChatStore::unconfirmed_reads() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::vector<ChatState> marked;
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  state_.scan(txn, prefix_ + std::string(kStatePrefix), [&](std::string_view key, std::string_view value) {
    auto s = parse_state(key, value);
    if (s.read_mark > 0) marked.push_back(std::move(s));
    return true;
  });
  for (const auto& s : marked) {
    bool unconfirmed = false;
    lines_.scan(txn, line_prefix(s.target), [&](std::string_view key, std::string_view value) {
      auto l = parse_line(key, value);
      if (!l) return true;
      if (l->seq > s.read_mark) return false;
      if (!results::from_employee(*l) && !l->read_at) unconfirmed = true;
      return !unconfirmed;
    });
    if (unconfirmed) out.emplace_back(s.target, s.read_mark);
  }
  return out;
}

void ChatStore::read_sent(std::string_view conversation, std::uint64_t seq) {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::write);
  auto s = state_in(txn, conversation);
  if (!s || seq <= s->read_sent) return;
  s->read_sent = seq;
  put_state(txn, *s);
  txn.commit();  // not a change an open chat shows: no bump
}

std::uint64_t ChatStore::generation() const {
  lmdb::Txn txn(env_, lmdb::Txn::Mode::read);
  return parse_count(state_.view(txn, prefix_ + std::string(kGeneration)));
}

std::string choose_conversation(const ChatStore& store, std::string_view agent_path, std::string_view user,
                                bool computer) {
  std::string mine(agent_path);
  if (computer || user.empty()) return mine;
  auto person = person_conversation(user);
  auto computer_last = store.last_activity(mine);
  auto person_last = store.last_activity(person);
  if (person_last && (!computer_last || *person_last > *computer_last)) return person;
  return mine;
}

}  // namespace herald::agent
