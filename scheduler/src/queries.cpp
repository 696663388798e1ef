#include "herald/scheduler/queries.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>

#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/results.hpp"

namespace herald::scheduler::queries {
namespace {

constexpr std::string_view kPersonPrefix = "user:";
constexpr std::string_view kOrgScope = "org";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool is_person(std::string_view target) { return starts_with(target, kPersonPrefix); }

// The roots of the subtrees of m's path targets that lie within scope: for each
// overlapping target the deeper of target and scope, with nested roots removed so
// the subtrees are disjoint (no recipient is counted twice).
std::vector<std::string> roots_in_scope(const MessageRecord& m, std::string_view scope) {
  std::vector<std::string> roots;
  for (const auto& t : m.targets) {
    if (is_person(t)) continue;
    if (is_under(t, scope))
      roots.push_back(t);
    else if (is_under(scope, t))
      roots.emplace_back(scope);
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  std::vector<std::string> disjoint;
  for (const auto& r : roots) {
    bool nested =
        std::any_of(roots.begin(), roots.end(), [&](const std::string& o) { return o != r && is_under(r, o); });
    if (!nested) disjoint.push_back(r);
  }
  return disjoint;
}

// Views into m.targets.
std::vector<std::string_view> person_targets_in_scope(const MessageRecord& m, std::string_view scope) {
  std::vector<std::string_view> out;
  if (scope != kOrgScope) return out;
  for (const auto& t : m.targets)
    if (is_person(t)) out.push_back(t);
  return out;
}

// Computers known under scope (directory kind computer, presence), sorted, unique.
// Computed once per query; each message then merge-joins it with its receipts. The
// views point into the ledger: valid for the whole query, as queries never write.
std::vector<std::string_view> known_computers(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope) {
  std::vector<std::string_view> from_directory, from_presence;
  ledger.scan_directory_computers(txn, scope, [&](std::string_view path) {
    if (is_under(path, scope)) from_directory.push_back(path);
    return true;
  });
  ledger.scan_presence_computers(txn, scope, [&](std::string_view computer) {
    if (is_under(computer, scope)) from_presence.push_back(computer);
    return true;
  });
  std::vector<std::string_view> all;
  all.reserve(from_directory.size() + from_presence.size());
  std::set_union(from_directory.begin(), from_directory.end(), from_presence.begin(), from_presence.end(),
                 std::back_inserter(all));
  return all;
}

// Calls fn(recipient, receipt or nullptr) once for every recipient of m under scope.
// Within each subtree the order is key order; callers that need one order sort. The
// recipient and the receipt's strings point into the ledger, `computers` or m: valid
// for the whole query.
template <typename Fn>
void for_each_recipient(const Ledger& ledger, lmdb::Txn& txn, const MessageRecord& m, std::string_view scope,
                        const std::vector<std::string_view>& computers, Fn&& fn) {
  for (const auto& root : roots_in_scope(m, scope)) {
    auto it = std::lower_bound(computers.begin(), computers.end(), std::string_view(root));
    auto emit_computers_before = [&](std::string_view limit, bool bounded) {
      while (it != computers.end() && starts_with(*it, root) && (!bounded || *it < limit)) {
        if (is_under(*it, root)) fn(*it, static_cast<const ReceiptView*>(nullptr));
        ++it;
      }
    };
    ledger.scan_receipt_views(txn, m.id, root, [&](std::string_view recipient, const ReceiptView& r) {
      if (!is_under(recipient, root)) return true;
      emit_computers_before(recipient, true);
      if (it != computers.end() && *it == recipient) ++it;
      fn(recipient, &r);
      return true;
    });
    emit_computers_before({}, false);
  }
  for (auto person : person_targets_in_scope(m, scope)) {
    auto r = ledger.receipt_view(txn, m.id, person);
    fn(person, r ? &*r : static_cast<const ReceiptView*>(nullptr));
  }
}

// The fields status and list share; m's strings are moved out (m is a copy from the ledger).
results::MessageSummary summary(MessageRecord& m, std::string_view scope) {
  results::MessageSummary out;
  out.id = std::move(m.id);
  out.kind = m.kind;
  out.title = std::move(m.title);
  out.sender = std::move(m.sender);
  for (auto& t : m.targets) {
    bool visible = is_person(t) ? scope == kOrgScope : (is_under(t, scope) || is_under(scope, t));
    if (visible) out.targets.push_back(t);
  }
  out.sent_at = m.sent_at;
  out.expires_at = m.expires_at;
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

namespace {

void write_status(std::string& out, const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope,
                  TimePoint now) {
  auto m = ledger.message(txn, id);
  if (!m || !visible_in_scope(*m, scope))
    throw Error(ErrorKind::not_found, "unknown message id '" + std::string(id) + "'");

  // Views into the ledger (no copies per recipient); see for_each_recipient.
  struct Row {
    std::string_view recipient;
    ReceiptView receipt;
    bool acked;
  };
  std::vector<Row> rows;
  auto computers = known_computers(ledger, txn, scope);
  rows.reserve(computers.size() + 16);
  results::StatusHead head;
  for_each_recipient(ledger, txn, *m, scope, computers, [&](std::string_view recipient, const ReceiptView* r) {
    rows.push_back(Row{recipient, r ? *r : ReceiptView{}, r != nullptr});
    head.totals.add(rows.back().receipt.state);
  });
  // One subtree (the usual case) comes out in key order already; several may interleave
  // ("org/b-x" sorts between "org/b" and "org/b/pc1").
  auto by_recipient = [](const Row& a, const Row& b) { return a.recipient < b.recipient; };
  if (!std::is_sorted(rows.begin(), rows.end(), by_recipient)) std::sort(rows.begin(), rows.end(), by_recipient);

  head.recalled_at = m->recalled_at;
  if (!m->recalled_by.empty()) head.recalled_by = m->recalled_by;
  head.state = m->state(now);
  head.message = summary(*m, scope);
  results::StatusWriter writer(out, head, rows.size());
  for (const auto& row : rows) {
    results::RecipientStatusRef ref{
        row.recipient, row.receipt.state, row.receipt.delivered_at, row.receipt.displayed_at, row.receipt.read_at,
        std::nullopt,  std::nullopt};
    if (row.acked && !row.receipt.user.empty()) ref.user = row.receipt.user;
    if (row.acked) ref.computer = row.receipt.computer;
    writer.add(ref);
  }
  writer.finish();
}

}  // namespace

std::string status(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope, TimePoint now) {
  std::string out;
  write_status(out, ledger, txn, id, scope, now);
  return out;
}

std::string pending(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, TimePoint now) {
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
  // recipient -> indexes into `active`. Known computers get a slot by position, so the
  // common case (a directory computer) costs a binary search, not a map insert.
  std::vector<std::vector<std::uint32_t>> by_computer(computers.size());
  std::map<std::string_view, std::vector<std::uint32_t>> others;  // persons, computers known by receipt only
  std::size_t total = 0;
  for (std::size_t i = 0; i < active.size(); ++i) {
    for_each_recipient(ledger, txn, active[i], scope, computers, [&](std::string_view recipient, const ReceiptView* r) {
      if (r && r->state == ReceiptState::read) return;
      if (++total > kMaxPendingEntries)
        throw Error(ErrorKind::usage, "more than " + std::to_string(kMaxPendingEntries) + " unread messages under '" +
                                          std::string(scope) + "': ask about a smaller scope");
      auto it = std::lower_bound(computers.begin(), computers.end(), recipient);
      if (it != computers.end() && *it == recipient) {
        by_computer[static_cast<std::size_t>(it - computers.begin())].push_back(static_cast<std::uint32_t>(i));
      } else {
        auto o = others.find(recipient);
        if (o == others.end()) o = others.emplace(recipient, std::vector<std::uint32_t>{}).first;
        o->second.push_back(static_cast<std::uint32_t>(i));
      }
    });
  }

  // Each message's entry is encoded once and reused for every recipient.
  std::vector<std::string> entries(active.size());
  for (std::size_t i = 0; i < active.size(); ++i)
    entries[i] = results::encode_unread(
        results::UnreadMessage{active[i].id, active[i].kind, active[i].title, active[i].sent_at});

  std::string out;
  results::PendingWriter writer(out, scope, total);
  auto write = [&](std::string_view recipient, const std::vector<std::uint32_t>& indexes) {
    if (indexes.empty()) return;
    writer.begin_recipient(recipient);
    for (auto i : indexes) writer.add_unread_text(entries[i]);
    writer.end_recipient();
  };
  // Merge the two sorted sources so recipients come out sorted.
  auto o = others.begin();
  for (std::size_t c = 0; c < computers.size(); ++c) {
    while (o != others.end() && o->first < computers[c]) {
      write(o->first, o->second);
      ++o;
    }
    write(computers[c], by_computer[c]);
  }
  for (; o != others.end(); ++o) write(o->first, o->second);
  writer.finish();
  return out;
}

std::string list(const Ledger& ledger, lmdb::Txn& txn, std::string_view scope, std::size_t limit, TimePoint now) {
  if (limit == 0) limit = kDefaultListLimit;
  limit = std::min(limit, kMaxListLimit);
  auto computers = known_computers(ledger, txn, scope);
  std::string out;
  results::ListWriter writer(out);
  std::size_t n = 0;
  ledger.scan_newest_first(txn, [&](std::string_view id) {
    auto m = ledger.message(txn, id);
    if (!m || !visible_in_scope(*m, scope)) return true;
    results::ListedMessage row;
    for_each_recipient(ledger, txn, *m, scope, computers, [&](std::string_view, const ReceiptView* r) {
      row.counts.add(r ? r->state : ReceiptState::pending);
    });
    row.state = m->state(now);
    row.message = summary(*m, scope);
    writer.add(row);
    return ++n < limit;
  });
  writer.finish();
  return out;
}

std::string import_directory(Ledger& ledger, lmdb::Txn& txn, std::string_view scope, const std::string& csv) {
  if (scope != kOrgScope)
    throw Error(ErrorKind::usage,
                "import replaces the whole directory and needs scope 'org', not '" + std::string(scope) + "'");
  auto entries = parse_directory_csv(csv);  // throws before anything is written
  std::size_t computers = 0;
  for (const auto& e : entries) computers += e.is_computer() ? 1 : 0;
  ledger.replace_directory(txn, entries);
  return results::encode(results::Import{entries.size(), computers});
}

std::string answer(Ledger& ledger, lmdb::Txn& txn, const topics::RequestTopic& topic, const payloads::Request& request,
                   TimePoint now, bool* ok, std::string* error) {
  try {
    // payloads::Reply's encoding, with the result written in place (a status of 10,000
    // recipients is ~2 MB; no second copy).
    std::string reply = "{\"v\":" + std::to_string(payloads::kSchemaVersion) + ",\"ok\":true,\"result\":";
    std::string result;
    if (topic.op == topics::kOpStatus) {
      if (request.id.empty()) throw Error(ErrorKind::usage, "status needs a message id");
      write_status(reply, ledger, txn, request.id, topic.scope, now);
    } else if (topic.op == topics::kOpPending) {
      result = pending(ledger, txn, topic.scope, now);
    } else if (topic.op == topics::kOpList) {
      result = list(ledger, txn, topic.scope, request.limit, now);
    } else if (topic.op == topics::kOpImport) {
      result = import_directory(ledger, txn, topic.scope, request.csv);
    } else {
      throw Error(ErrorKind::usage, "unknown request op '" + topic.op + "'");
    }
    if (ok) *ok = true;
    reply += result;
    reply.push_back('}');
    return reply;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage) throw;  // the transaction is unusable: the caller aborts the batch
    if (ok) *ok = false;
    if (error) *error = e.what();
    payloads::Reply reply;
    reply.ok = false;
    reply.error_kind = static_cast<int>(e.kind());
    reply.error = e.what();
    return payloads::encode(reply);
  }
}

}  // namespace herald::scheduler::queries
