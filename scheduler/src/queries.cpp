#include "herald/scheduler/queries.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::scheduler::queries {
namespace {

using nlohmann::json;

constexpr std::string_view kPersonPrefix = "user:";
constexpr std::string_view kOrgScope = "org";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool is_person(std::string_view target) { return starts_with(target, kPersonPrefix); }

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

// The roots of the subtrees of m's path targets that lie within scope: for each
// overlapping target the deeper of target and scope, with nested roots removed so
// the subtrees are disjoint (no recipient is counted twice).
std::vector<std::string> roots_in_scope(const MessageRecord& m, std::string_view scope) {
  std::vector<std::string> roots;
  for (const auto& t : m.targets) {
    if (is_person(t)) continue;
    if (is_under(t, scope)) roots.push_back(t);
    else if (is_under(scope, t)) roots.emplace_back(scope);
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  std::vector<std::string> disjoint;
  for (const auto& r : roots) {
    bool nested = std::any_of(roots.begin(), roots.end(), [&](const std::string& o) { return o != r && is_under(r, o); });
    if (!nested) disjoint.push_back(r);
  }
  return disjoint;
}

std::vector<std::string> person_targets_in_scope(const MessageRecord& m, std::string_view scope) {
  std::vector<std::string> out;
  if (scope != kOrgScope) return out;
  for (const auto& t : m.targets)
    if (is_person(t)) out.push_back(t);
  return out;
}

// Computers known under scope (directory kind computer, presence), sorted, unique.
// Computed once per query; each message then merge-joins it with its receipts.
std::vector<std::string> known_computers(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope) {
  std::vector<std::string> from_directory, from_presence;
  ledger.scan_directory(txn, scope, [&](const DirectoryEntry& e) {
    if (e.is_computer() && is_under(e.path, scope)) from_directory.push_back(e.path);
    return true;
  });
  ledger.scan_presence(txn, scope, [&](std::string_view computer, const PresenceRecord&) {
    if (is_under(computer, scope)) from_presence.emplace_back(computer);
    return true;
  });
  std::vector<std::string> all;
  all.reserve(from_directory.size() + from_presence.size());
  std::set_union(from_directory.begin(), from_directory.end(), from_presence.begin(), from_presence.end(),
                 std::back_inserter(all));
  return all;
}

// Calls fn(recipient, receipt or nullptr) once for every recipient of m under scope.
// Within each subtree the order is key order; callers that need one order sort.
template <typename Fn>
void for_each_recipient(const Ledger& ledger, lmdb::Txn& txn, const MessageRecord& m, std::string_view scope,
                        const std::vector<std::string>& computers, Fn&& fn) {
  for (const auto& root : roots_in_scope(m, scope)) {
    auto it = std::lower_bound(computers.begin(), computers.end(), root);
    auto emit_computers_before = [&](std::string_view limit, bool bounded) {
      while (it != computers.end() && starts_with(*it, root) && (!bounded || std::string_view(*it) < limit)) {
        if (is_under(*it, root)) fn(std::string_view(*it), static_cast<const Receipt*>(nullptr));
        ++it;
      }
    };
    ledger.scan_receipts(txn, m.id, root, [&](std::string_view recipient, const Receipt& r) {
      if (!is_under(recipient, root)) return true;
      emit_computers_before(recipient, true);
      if (it != computers.end() && *it == recipient) ++it;
      fn(recipient, &r);
      return true;
    });
    emit_computers_before({}, false);
  }
  for (const auto& person : person_targets_in_scope(m, scope)) {
    auto r = ledger.receipt(txn, m.id, person);
    fn(std::string_view(person), r ? &*r : nullptr);
  }
}

struct Counts {
  std::size_t recipients = 0, pending = 0, delivered = 0, displayed = 0, read = 0;
  void add(ReceiptState s) {
    ++recipients;
    switch (s) {
      case ReceiptState::pending: ++pending; break;
      case ReceiptState::delivered: ++delivered; break;
      case ReceiptState::displayed: ++displayed; break;
      case ReceiptState::read: ++read; break;
    }
  }
};

json visible_targets(const MessageRecord& m, std::string_view scope) {
  json out = json::array();
  for (const auto& t : m.targets) {
    bool visible = is_person(t) ? scope == kOrgScope : (is_under(t, scope) || is_under(scope, t));
    if (visible) out.push_back(t);
  }
  return out;
}

}  // namespace

bool visible_in_scope(const MessageRecord& m, std::string_view scope) {
  for (const auto& t : m.targets) {
    if (is_person(t)) {
      if (scope == kOrgScope) return true;
    } else if (is_under(t, scope) || is_under(scope, t)) {
      return true;
    }
  }
  return false;
}

json status(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope, TimePoint now) {
  auto m = ledger.message(txn, id);
  if (!m || !visible_in_scope(*m, scope))
    throw Error(ErrorKind::not_found, "unknown message id '" + std::string(id) + "'");

  struct Row {
    std::string recipient;
    Receipt receipt;
    bool acked;
  };
  std::vector<Row> rows;
  auto computers = known_computers(ledger, txn, scope);
  for_each_recipient(ledger, txn, *m, scope, computers, [&](std::string_view recipient, const Receipt* r) {
    rows.push_back(Row{std::string(recipient), r ? *r : Receipt{}, r != nullptr});
  });
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.recipient < b.recipient; });

  Counts totals;
  json recipients = json::array();
  for (const auto& row : rows) {
    totals.add(row.receipt.state);
    recipients.push_back(json{{"recipient", row.recipient},
                              {"state", receipt_state_name(row.receipt.state)},
                              {"delivered_at", time_or_null(row.receipt.delivered_at)},
                              {"displayed_at", time_or_null(row.receipt.displayed_at)},
                              {"read_at", time_or_null(row.receipt.read_at)},
                              {"user", row.acked && !row.receipt.user.empty() ? json(row.receipt.user) : json(nullptr)},
                              {"computer", row.acked ? json(row.receipt.computer) : json(nullptr)}});
  }
  return json{{"id", m->id},
              {"kind", topics::kind_name(m->kind)},
              {"title", m->title},
              {"sender", m->sender},
              {"targets", visible_targets(*m, scope)},
              {"sent_at", to_rfc3339(m->sent_at)},
              {"expires_at", time_or_null(m->expires_at)},
              {"recalled_at", time_or_null(m->recalled_at)},
              {"recalled_by", m->recalled_by.empty() ? json(nullptr) : json(m->recalled_by)},
              {"state", state_name(m->state(now))},
              {"totals",
               {{"recipients", totals.recipients},
                {"pending", totals.pending},
                {"delivered", totals.delivered},
                {"displayed", totals.displayed},
                {"read", totals.read}}},
              {"recipients", std::move(recipients)}};
}

json pending(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, TimePoint now) {
  // Active messages: open ones not yet expired (the open index starts at `now`), not
  // recalled, visible in scope; in the order they were sent.
  std::vector<MessageRecord> active;
  ledger.scan_open(txn, now + std::chrono::milliseconds(1), [&](std::string_view id, std::optional<TimePoint>) {
    auto m = ledger.message(txn, id);
    if (m && m->state(now) == MessageState::active && visible_in_scope(*m, scope)) active.push_back(std::move(*m));
    return true;
  });
  std::sort(active.begin(), active.end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.sent_at != b.sent_at ? a.sent_at < b.sent_at : a.id < b.id;
  });

  auto computers = known_computers(ledger, txn, scope);
  std::map<std::string, std::vector<std::size_t>, std::less<>> unread;  // recipient -> indexes into active
  std::size_t total = 0;
  for (std::size_t i = 0; i < active.size(); ++i) {
    for_each_recipient(ledger, txn, active[i], scope, computers, [&](std::string_view recipient, const Receipt* r) {
      if (r && r->state == ReceiptState::read) return;
      auto it = unread.find(recipient);
      if (it == unread.end()) it = unread.emplace(std::string(recipient), std::vector<std::size_t>{}).first;
      it->second.push_back(i);
      ++total;
    });
  }

  json recipients = json::array();
  for (const auto& [recipient, indexes] : unread) {
    json list = json::array();
    for (auto i : indexes)
      list.push_back(json{{"id", active[i].id},
                          {"kind", topics::kind_name(active[i].kind)},
                          {"title", active[i].title},
                          {"sent_at", to_rfc3339(active[i].sent_at)}});
    recipients.push_back(json{{"recipient", recipient}, {"unread", std::move(list)}});
  }
  return json{{"under", scope}, {"total_unread", total}, {"recipients", std::move(recipients)}};
}

json list(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, std::size_t limit, TimePoint now) {
  if (limit == 0) limit = kDefaultListLimit;
  limit = std::min(limit, kMaxListLimit);
  auto computers = known_computers(ledger, txn, scope);
  json messages = json::array();
  ledger.scan_newest_first(txn, [&](std::string_view id) {
    auto m = ledger.message(txn, id);
    if (!m || !visible_in_scope(*m, scope)) return true;
    Counts counts;
    for_each_recipient(ledger, txn, *m, scope, computers,
                       [&](std::string_view, const Receipt* r) { counts.add(r ? r->state : ReceiptState::pending); });
    messages.push_back(json{{"id", m->id},
                            {"kind", topics::kind_name(m->kind)},
                            {"title", m->title},
                            {"sender", m->sender},
                            {"targets", visible_targets(*m, scope)},
                            {"sent_at", to_rfc3339(m->sent_at)},
                            {"expires_at", time_or_null(m->expires_at)},
                            {"state", state_name(m->state(now))},
                            {"recipients", counts.recipients},
                            {"delivered", counts.delivered},
                            {"displayed", counts.displayed},
                            {"read", counts.read},
                            {"pending", counts.pending}});
    return messages.size() < limit;
  });
  return json{{"messages", std::move(messages)}};
}

json import_directory(Ledger& ledger, lmdb::Txn& txn, std::string_view scope, const std::string& csv) {
  if (scope != kOrgScope)
    throw Error(ErrorKind::usage, "import replaces the whole directory and needs scope 'org', not '" +
                                      std::string(scope) + "'");
  auto entries = parse_directory_csv(csv);  // throws before anything is written
  std::size_t computers = 0;
  for (const auto& e : entries) computers += e.is_computer() ? 1 : 0;
  ledger.replace_directory(txn, entries);
  return json{{"entries", entries.size()}, {"computers", computers}};
}

payloads::Reply answer(Ledger& ledger, lmdb::Txn& txn, const topics::RequestTopic& topic,
                       const payloads::Request& request, TimePoint now) {
  payloads::Reply reply;
  try {
    if (topic.op == topics::kOpStatus) {
      if (request.id.empty()) throw Error(ErrorKind::usage, "status needs a message id");
      reply.result = status(ledger, txn, request.id, topic.scope, now);
    } else if (topic.op == topics::kOpPending) {
      reply.result = pending(ledger, txn, topic.scope, now);
    } else if (topic.op == topics::kOpList) {
      reply.result = list(ledger, txn, topic.scope, request.limit, now);
    } else if (topic.op == topics::kOpImport) {
      reply.result = import_directory(ledger, txn, topic.scope, request.csv);
    } else {
      throw Error(ErrorKind::usage, "unknown request op '" + topic.op + "'");
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;  // the transaction is unusable: the caller aborts the batch
    reply = payloads::Reply{};
    reply.ok = false;
    reply.error_kind = static_cast<int>(e.kind());
    reply.error = e.what();
  }
  return reply;
}

}  // namespace herald::scheduler::queries
