#include "herald/scheduler/queries.hpp"

#include <algorithm>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

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
  head.require_confirm = m->require_confirm;
  head.message = summary(*m, scope);
  results::StatusWriter writer(out, head, rows.size());
  for (const auto& row : rows) {
    results::RecipientStatusRef ref{
        row.recipient, row.receipt.state, row.receipt.delivered_at, row.receipt.displayed_at, row.receipt.read_at,
        std::nullopt,  std::nullopt,      row.receipt.confirmed_at};
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
      // Done once read, or for a message that asks for it, once confirmed.
      if (r && r->state >= (active[i].require_confirm ? ReceiptState::confirmed : ReceiptState::read)) return;
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
    entries[i] = results::encode_unread(results::UnreadMessage{active[i].id, active[i].kind, active[i].title,
                                                               active[i].sent_at, active[i].require_confirm});

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
    row.require_confirm = m->require_confirm;
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

// ---- courses, campaigns, schedules, progress -----------------------------------------

namespace {

// Does a campaign's or schedule's target list overlap scope (as a message's would)?
bool targets_visible(const std::vector<std::string>& targets, std::string_view scope) {
  MessageRecord m;
  m.targets = targets;
  return visible_in_scope(m, scope);
}

std::vector<std::string> targets_in_scope(const std::vector<std::string>& targets, std::string_view scope) {
  std::vector<std::string> out;
  for (const auto& t : targets) {
    bool visible = is_person(t) ? scope == kOrgScope : (is_under(t, scope) || is_under(scope, t));
    if (visible) out.push_back(t);
  }
  return out;
}

std::size_t campaigns_using(const Ledger& ledger, lmdb::Txn& txn, const CourseInfo& info) {
  std::size_t n = 0;
  for (const auto& id : ledger.campaigns_of_course(txn, info.id)) {
    auto c = ledger.campaign(txn, id);
    if (c && c->course_created == info.created_at &&
        (c->state == results::CampaignState::active || c->state == results::CampaignState::paused))
      ++n;
  }
  return n;
}

results::CourseSummary course_summary(const Ledger& ledger, lmdb::Txn& txn, const CourseInfo& info) {
  return results::CourseSummary{info.id,         info.title,      info.lessons.size(),
                                info.created_by, info.created_at, campaigns_using(ledger, txn, info)};
}

}  // namespace

results::Campaign campaign_summary(const CampaignRecord& c) {
  results::Campaign out;
  out.id = c.id;
  out.course = c.course;
  out.targets = c.targets;
  out.schedule = c.when.rule;
  out.at = c.when.at;
  out.tz = c.when.tz;
  out.state = c.state;
  out.sent = c.sent();
  out.total = c.occurrences.size();
  if (c.state == results::CampaignState::active) out.next_at = c.next_due();
  return out;
}

results::CampaignDetail campaign_detail(const CampaignRecord& c) {
  results::CampaignDetail out;
  out.campaign = campaign_summary(c);
  out.sender = c.sender;
  for (std::size_t i = 0; i < c.occurrences.size(); ++i) {
    const auto& o = c.occurrences[i];
    results::Occurrence r;
    r.number = i + 1;
    r.due_at = o.due;
    r.sent_at = o.sent_at;
    if (!o.message.empty()) r.message = o.message;
    out.occurrences.push_back(std::move(r));
  }
  return out;
}

results::ScheduledMessage scheduled_message(const ScheduleRecord& s) {
  results::ScheduledMessage out;
  out.id = s.id;
  out.kind = std::string(topics::kind_name(s.kind));
  out.title = s.title;
  out.sender = s.sender;
  out.targets = s.targets;
  out.schedule = s.when.rule;
  out.at = s.when.at;
  out.tz = s.when.tz;
  out.start = s.when.start;
  out.state = s.state;
  out.sent = s.sent;
  out.total = s.total;
  if (s.state == results::ScheduleState::active) out.next_at = s.next_at;
  if (!s.last_message.empty()) out.last_message = s.last_message;
  return out;
}

std::string courses(const Ledger& ledger, lmdb::Txn& txn, std::string_view id) {
  if (id.empty()) {
    results::CourseList list;
    ledger.scan_courses(txn, [&](const CourseInfo& info) {
      list.courses.push_back(course_summary(ledger, txn, info));
      return true;
    });
    return results::encode(list);
  }
  auto info = ledger.course_info(txn, id);
  if (!info) throw Error(ErrorKind::not_found, "unknown course '" + std::string(id) + "'");
  return results::encode(results::CourseDetail{course_summary(ledger, txn, *info), info->lessons});
}

std::string campaigns(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope) {
  if (id.empty()) {
    results::CampaignList list;
    ledger.scan_campaigns(txn, [&](const CampaignRecord& c) {
      if (targets_visible(c.targets, scope)) {
        list.campaigns.push_back(campaign_summary(c));
        list.campaigns.back().targets = targets_in_scope(c.targets, scope);
      }
      return true;
    });
    return results::encode(list);
  }
  auto c = ledger.campaign(txn, id);
  if (!c || !targets_visible(c->targets, scope))
    throw Error(ErrorKind::not_found, "unknown campaign '" + std::string(id) + "'");
  auto detail = campaign_detail(*c);
  detail.campaign.targets = targets_in_scope(c->targets, scope);
  return results::encode(detail);
}

std::string schedules(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope) {
  results::ScheduleList list;
  auto add = [&](const ScheduleRecord& s) {
    if (!targets_visible(s.targets, scope)) return;
    list.schedules.push_back(scheduled_message(s));
    list.schedules.back().targets = targets_in_scope(s.targets, scope);
  };
  if (id.empty()) {
    ledger.scan_schedules(txn, [&](const ScheduleRecord& s) {
      add(s);
      return true;
    });
  } else {
    auto s = ledger.schedule(txn, id);
    if (s) add(*s);
    if (list.schedules.empty()) throw Error(ErrorKind::not_found, "unknown schedule '" + std::string(id) + "'");
  }
  return results::encode(list);
}

namespace {

using LessonSet = std::bitset<128>;  // course::kMaxLessons is 100

struct PersonTally {
  std::string login;
  std::string name;
  LessonSet sent, read, confirmed;
  std::optional<TimePoint> first_at, last_at;
  void saw(std::optional<TimePoint> t) {
    if (!t) return;
    if (!first_at || *t < *first_at) first_at = t;
    if (!last_at || *t > *last_at) last_at = t;
  }
};

class Tally {
 public:
  PersonTally& person(std::string_view login, std::string_view name = {}) {
    auto it = index_.find(std::string(login));
    if (it == index_.end()) {
      it = index_.emplace(std::string(login), people_.size()).first;
      people_.push_back(PersonTally{std::string(login), std::string(name), {}, {}, {}, {}, {}});
    }
    auto& p = people_[it->second];
    if (p.name.empty() && !name.empty()) p.name = std::string(name);
    return p;
  }
  PersonTally* find(std::string_view login) {
    auto it = index_.find(std::string(login));
    return it == index_.end() ? nullptr : &people_[it->second];
  }
  std::vector<PersonTally>& people() { return people_; }

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<PersonTally> people_;
};

}  // namespace

std::string progress(const Ledger& ledger, lmdb::Txn& txn, std::string_view course, std::string_view scope) {
  auto info = ledger.course_info(txn, course);
  if (!info) throw Error(ErrorKind::not_found, "unknown course '" + std::string(course) + "'");
  auto total = std::min(info->lessons.size(), LessonSet().size());
  Tally tally;
  std::vector<std::string> lesson_message(total);                     // the first message of each lesson seen
  std::optional<std::unordered_map<std::string, std::string>> names;  // login -> person, when needed
  auto name_of = [&](std::string_view login) -> std::string {
    if (!names) {
      names.emplace();
      ledger.scan_directory(txn, kOrgScope, [&](const DirectoryEntry& e) {
        if (e.is_computer() && !e.login.empty() && !e.person.empty()) names->emplace(e.login, e.person);
        return true;
      });
    }
    auto it = names->find(std::string(login));
    return it == names->end() ? std::string() : it->second;
  };

  for (const auto& id : ledger.campaigns_of_course(txn, info->id)) {
    auto c = ledger.campaign(txn, id);
    if (!c || c->course_created != info->created_at) continue;
    LessonSet sent;
    for (std::size_t i = 0; i < std::min(total, c->occurrences.size()); ++i) {
      if (c->occurrences[i].message.empty()) continue;
      sent.set(i);
      if (lesson_message[i].empty()) lesson_message[i] = c->occurrences[i].message;
    }
    // Where this campaign's people are, seen from scope: org subtrees and person logins.
    std::vector<std::string> roots, logins;
    for (const auto& t : c->targets) {
      if (is_person(t)) {
        if (scope == kOrgScope) logins.push_back(t.substr(kPersonPrefix.size()));
      } else if (is_under(t, scope)) {
        roots.push_back(t);
      } else if (is_under(scope, t)) {
        roots.emplace_back(scope);
      }
    }
    for (const auto& root : roots) {
      ledger.scan_directory(txn, root, [&](const DirectoryEntry& e) {
        if (e.is_computer() && !e.login.empty() && is_under(e.path, root)) tally.person(e.login, e.person).sent |= sent;
        return true;
      });
    }
    for (const auto& login : logins) tally.person(login, name_of(login)).sent |= sent;

    // Receipts of the lessons sent: who read what (any computer), and when they were active.
    auto count = [&](std::size_t lesson, const ReceiptView& r) {
      if (r.user.empty()) return;
      bool read = r.state >= ReceiptState::read;  // confirmed implies read
      auto* p = read ? &tally.person(r.user) : tally.find(r.user);
      if (!p) return;
      if (p->name.empty()) p->name = name_of(r.user);
      p->sent |= sent;
      if (read) p->read.set(lesson);
      if (r.state == ReceiptState::confirmed) p->confirmed.set(lesson);
      p->saw(r.delivered_at);
      p->saw(r.displayed_at);
      p->saw(r.read_at);
      p->saw(r.confirmed_at);
    };
    for (std::size_t i = 0; i < total; ++i) {
      if (!sent.test(i)) continue;
      const auto& message = c->occurrences[i].message;
      for (const auto& root : roots) {
        ledger.scan_receipt_views(txn, message, root, [&](std::string_view recipient, const ReceiptView& r) {
          if (is_under(recipient, root)) count(i, r);
          return true;
        });
      }
      for (const auto& login : logins) {
        if (auto r = ledger.receipt_view(txn, message, std::string(kPersonPrefix) + login)) count(i, *r);
      }
    }
  }

  auto& people = tally.people();
  std::sort(people.begin(), people.end(), [](const PersonTally& a, const PersonTally& b) { return a.login < b.login; });
  results::Progress out;
  out.course = info->id;
  for (std::size_t i = 0; i < total; ++i) {
    results::LessonProgress l;
    l.lesson = lesson_message[i];
    l.title = info->lessons[i].title;
    l.require_confirm = info->lessons[i].require_confirm;
    out.lessons.push_back(std::move(l));
  }
  for (auto& p : people) {
    p.read &= p.sent;  // a receipt is only about a lesson sent to them
    p.confirmed &= p.sent;
    for (std::size_t i = 0; i < total; ++i) {
      if (!p.sent.test(i)) continue;
      ++out.lessons[i].sent;
      if (p.read.test(i)) ++out.lessons[i].read;
      if (p.confirmed.test(i)) ++out.lessons[i].confirmed;
    }
    results::PersonProgress row{p.login,    p.name,    p.read.count(),     p.sent.count(), info->lessons.size(),
                                p.first_at, p.last_at, p.confirmed.count()};
    if (row.read == 0) out.not_started.push_back(results::Person{p.login, p.name});
    out.people.push_back(std::move(row));
  }
  for (auto& l : out.lessons) l.unread = l.sent - l.read;
  return results::encode(out);
}

std::string chats(const Ledger& ledger, lmdb::Txn& txn, std::string_view id, std::string_view scope,
                  std::size_t limit) {
  if (!id.empty()) {
    auto none = Error(ErrorKind::not_found, "no conversation with '" + std::string(id) + "'");
    Target target;
    try {
      target = Target::parse(id);
    } catch (const Error&) {
      throw none;
    }
    if (!topics::scope_covers(scope, target)) throw none;
    auto c = ledger.chat(txn, target.to_string());
    if (!c) throw none;
    results::ChatHistory out;
    out.conversation = results::Conversation{c->target, c->about, c->open, c->helpdesk_unread};
    auto n = limit == 0 ? kMaxChatHistoryLines : std::min(limit, kMaxChatHistoryLines);
    auto from = c->last_seq > n ? c->last_seq - n + 1 : 1;
    out.lines.reserve(static_cast<std::size_t>(c->last_seq - from + 1));
    ledger.scan_chat_lines(txn, c->target, from, [&](const results::ChatLine& l) {
      out.lines.push_back(l);
      return true;
    });
    // The reply must fit one MQTT packet (the broker's max_packet_size, 16 MiB): the
    // oldest lines give way.
    std::size_t bytes = 0, keep = 0;
    for (auto it = out.lines.rbegin(); it != out.lines.rend(); ++it, ++keep)
      if ((bytes += payloads::chat_line_bound(*it)) > kMaxChatHistoryBytes) break;
    out.lines.erase(out.lines.begin(), out.lines.end() - static_cast<std::ptrdiff_t>(keep));
    return results::encode(out);
  }

  // The chats table is keyed by target: a person's conversations are one prefix
  // ("user:"), a subtree's the prefix of its path (levels checked below).
  std::vector<ChatRecord> found;
  auto keep = [&](const ChatRecord& c) {
    found.push_back(c);
    return true;
  };
  static constexpr std::string_view kUserScope = "user";
  if (scope == kUserScope) {
    ledger.scan_chats(txn, kPersonPrefix, keep);
  } else if (starts_with(scope, "user/")) {
    if (auto c = ledger.chat(txn, std::string(kPersonPrefix) + std::string(scope.substr(5)))) found.push_back(*c);
  } else {
    ledger.scan_chats(txn, scope, [&](const ChatRecord& c) { return !is_under(c.target, scope) || keep(c); });
  }
  std::sort(found.begin(), found.end(), [](const ChatRecord& a, const ChatRecord& b) {
    return a.last_at != b.last_at ? a.last_at > b.last_at : a.target < b.target;
  });
  results::ChatList out;
  out.conversations.reserve(found.size());
  for (auto& c : found) {
    results::ChatSummary row;
    row.conversation = results::Conversation{c.target, c.about, c.open, c.helpdesk_unread};
    row.lines = static_cast<std::size_t>(c.last_seq);
    if (c.last_seq) row.last = ledger.chat_line(txn, c.target, c.last_seq);
    out.conversations.push_back(std::move(row));
  }
  return results::encode(out);
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
    } else if (topic.op == topics::kOpCourses) {
      result = courses(ledger, txn, request.id);
    } else if (topic.op == topics::kOpCampaigns) {
      result = campaigns(ledger, txn, request.id, topic.scope);
    } else if (topic.op == topics::kOpSchedules) {
      result = schedules(ledger, txn, request.id, topic.scope);
    } else if (topic.op == topics::kOpProgress) {
      if (request.id.empty()) throw Error(ErrorKind::usage, "progress needs a course id");
      result = progress(ledger, txn, request.id, topic.scope);
    } else if (topic.op == topics::kOpChats) {
      result = chats(ledger, txn, request.id, topic.scope, request.limit);
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
