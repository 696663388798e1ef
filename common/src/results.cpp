#include "herald/common/results.hpp"

#include "herald/common/error.hpp"

namespace herald::results {
namespace {

using nlohmann::json;

// ---- JSON text writing ------------------------------------------------------------
// Strings in results came from parsed JSON (valid UTF-8) or from validated topic
// levels; only quotes, backslashes and control characters need escaping.

void str(std::string& out, std::string_view s) {
  out.push_back('"');
  // Runs without anything to escape (all of a path, a login or a time) are appended
  // whole: this is called ~50,000 times for a status of 10,000 recipients.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (u == '"' || u == '\\') {
      out.push_back('\\');
      out.push_back(s[i]);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Keys are the constants of namespace key: nothing to escape.
void name(std::string& out, std::string_view k, bool first = false) {
  if (!first) out.push_back(',');
  out.push_back('"');
  out.append(k);
  out += "\":";
}

void time_or_null(std::string& out, const std::optional<TimePoint>& t) {
  if (!t) {
    out += "null";
    return;
  }
  out.push_back('"');
  append_rfc3339(out, *t);
  out.push_back('"');
}

template <typename S>
void str_or_null(std::string& out, const std::optional<S>& s) {
  if (s)
    str(out, *s);
  else
    out += "null";
}

void num(std::string& out, std::uint64_t n) { out += std::to_string(n); }

void num_or_null(std::string& out, const std::optional<std::size_t>& n) {
  if (n)
    num(out, *n);
  else
    out += "null";
}

void strings(std::string& out, const std::vector<std::string>& items) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    str(out, items[i]);
  }
  out.push_back(']');
}

void message_fields(std::string& out, const MessageSummary& m) {
  name(out, key::id, true);
  str(out, m.id);
  name(out, key::kind);
  str(out, topics::kind_name(m.kind));
  name(out, key::title);
  str(out, m.title);
  name(out, key::sender);
  str(out, m.sender);
  name(out, key::targets);
  strings(out, m.targets);
  name(out, key::sent_at);
  time_or_null(out, m.sent_at);
  name(out, key::expires_at);
  time_or_null(out, m.expires_at);
}

// ---- reading ----------------------------------------------------------------------

[[noreturn]] void bad(std::string_view k, const char* what) {
  throw Error(ErrorKind::protocol, "result field '" + std::string(k) + "' " + what);
}

const json& object(const json& j, std::string_view what) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "result " + std::string(what) + " is not a JSON object");
  return j;
}

// Present and not null: the required fields.
const json& at(const json& j, std::string_view k) {
  auto it = j.find(std::string(k));
  if (it == j.end() || it->is_null()) bad(k, "is missing");
  return *it;
}

// Absent or null: nullptr.
const json* nullable(const json& j, std::string_view k) {
  auto it = j.find(std::string(k));
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_at(const json& j, std::string_view k) {
  const auto& v = at(j, k);
  if (!v.is_string()) bad(k, "must be a string");
  return v.get<std::string>();
}

std::optional<std::string> optional_string(const json& j, std::string_view k) {
  const auto* v = nullable(j, k);
  if (!v) return std::nullopt;
  if (!v->is_string()) bad(k, "must be a string or null");
  return v->get<std::string>();
}

std::uint64_t count_at(const json& j, std::string_view k) {
  const auto& v = at(j, k);
  if (!v.is_number_unsigned()) bad(k, "must be a non-negative integer");
  return v.get<std::uint64_t>();
}

std::optional<std::uint64_t> optional_count(const json& j, std::string_view k) {
  const auto* v = nullable(j, k);
  if (!v) return std::nullopt;
  if (!v->is_number_unsigned()) bad(k, "must be a non-negative integer or null");
  return v->get<std::uint64_t>();
}

TimePoint time_at(const json& j, std::string_view k) { return from_rfc3339(string_at(j, k)); }

std::optional<TimePoint> optional_time(const json& j, std::string_view k) {
  auto s = optional_string(j, k);
  if (!s) return std::nullopt;
  return from_rfc3339(*s);
}

// Absent or null: false (the flags added after a result's first version).
bool optional_bool(const json& j, std::string_view k) {
  const auto* v = nullable(j, k);
  if (!v) return false;
  if (!v->is_boolean()) bad(k, "must be a boolean or null");
  return v->get<bool>();
}

const json& array_at(const json& j, std::string_view k) {
  const auto& v = at(j, k);
  if (!v.is_array()) bad(k, "must be an array");
  return v;
}

std::vector<std::string> strings_at(const json& j, std::string_view k) {
  std::vector<std::string> out;
  for (const auto& item : array_at(j, k)) {
    if (!item.is_string()) bad(k, "must hold strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

void read_message_fields(const json& j, MessageSummary& m) {
  m.id = string_at(j, key::id);
  m.kind = topics::kind_from_name(string_at(j, key::kind));
  m.title = string_at(j, key::title);
  m.sender = string_at(j, key::sender);
  m.targets = strings_at(j, key::targets);
  m.sent_at = time_at(j, key::sent_at);
  m.expires_at = optional_time(j, key::expires_at);
}

Totals read_totals(const json& j) {
  Totals t;
  t.recipients = count_at(j, key::recipients);
  t.pending = count_at(j, key::pending);
  t.delivered = count_at(j, key::delivered);
  t.displayed = count_at(j, key::displayed);
  t.read = count_at(j, key::read);
  t.confirmed = optional_count(j, key::confirmed).value_or(0);
  return t;
}

}  // namespace

// ---- names ------------------------------------------------------------------------

std::string_view state_name(MessageState s) {
  switch (s) {
    case MessageState::active:
      return "active";
    case MessageState::expired:
      return "expired";
    case MessageState::recalled:
      return "recalled";
  }
  return "active";
}

std::string_view state_name(ReceiptState s) {
  switch (s) {
    case ReceiptState::pending:
      return key::pending;
    case ReceiptState::delivered:
      return key::delivered;
    case ReceiptState::displayed:
      return key::displayed;
    case ReceiptState::read:
      return key::read;
    case ReceiptState::confirmed:
      return key::confirmed;
  }
  return key::pending;
}

std::string_view state_name(CampaignState s) {
  switch (s) {
    case CampaignState::active:
      return "active";
    case CampaignState::paused:
      return "paused";
    case CampaignState::cancelled:
      return "cancelled";
    case CampaignState::finished:
      return "finished";
  }
  return "active";
}

std::string_view state_name(ScheduleState s) {
  switch (s) {
    case ScheduleState::active:
      return "active";
    case ScheduleState::cancelled:
      return "cancelled";
    case ScheduleState::finished:
      return "finished";
  }
  return "active";
}

MessageState message_state_from_name(std::string_view name) {
  for (auto s : {MessageState::active, MessageState::expired, MessageState::recalled})
    if (state_name(s) == name) return s;
  throw Error(ErrorKind::protocol, "unknown message state '" + std::string(name) + "'");
}

ReceiptState receipt_state_from_name(std::string_view name) {
  for (auto s : {ReceiptState::pending, ReceiptState::delivered, ReceiptState::displayed, ReceiptState::read,
                 ReceiptState::confirmed})
    if (state_name(s) == name) return s;
  throw Error(ErrorKind::protocol, "unknown recipient state '" + std::string(name) + "'");
}

CampaignState campaign_state_from_name(std::string_view name) {
  for (auto s : {CampaignState::active, CampaignState::paused, CampaignState::cancelled, CampaignState::finished})
    if (state_name(s) == name) return s;
  throw Error(ErrorKind::protocol, "unknown campaign state '" + std::string(name) + "'");
}

ScheduleState schedule_state_from_name(std::string_view name) {
  for (auto s : {ScheduleState::active, ScheduleState::cancelled, ScheduleState::finished})
    if (state_name(s) == name) return s;
  throw Error(ErrorKind::protocol, "unknown schedule state '" + std::string(name) + "'");
}

void Totals::add(ReceiptState s) {
  ++recipients;
  switch (s) {
    case ReceiptState::pending:
      ++pending;
      break;
    case ReceiptState::delivered:
      ++delivered;
      break;
    case ReceiptState::displayed:
      ++displayed;
      break;
    case ReceiptState::read:
      ++read;
      break;
    case ReceiptState::confirmed:
      ++confirmed;
      break;
  }
}

// ---- writers ----------------------------------------------------------------------

StatusWriter::StatusWriter(std::string& out, const StatusHead& head, std::size_t expected_rows)
    : out_(out), confirming_(head.require_confirm) {
  out_.reserve(out_.size() + 512 + expected_rows * 220);
  out_.push_back('{');
  message_fields(out_, head.message);
  name(out_, key::recalled_at);
  time_or_null(out_, head.recalled_at);
  name(out_, key::recalled_by);
  str_or_null(out_, head.recalled_by);
  name(out_, key::state);
  str(out_, state_name(head.state));
  if (confirming_) {
    name(out_, key::require_confirm);
    out_ += "true";
  }
  name(out_, key::totals);
  out_.push_back('{');
  name(out_, key::recipients, true);
  num(out_, head.totals.recipients);
  name(out_, key::pending);
  num(out_, head.totals.pending);
  name(out_, key::delivered);
  num(out_, head.totals.delivered);
  name(out_, key::displayed);
  num(out_, head.totals.displayed);
  name(out_, key::read);
  num(out_, head.totals.read);
  if (confirming_) {
    name(out_, key::confirmed);
    num(out_, head.totals.confirmed);
  }
  out_.push_back('}');
  name(out_, key::recipients);
  out_.push_back('[');
}

// A row's constant parts, made once from the keys: appended whole, they keep the
// per-row cost of a 10,000-row status to a few appends (herald-bench-queries).
struct RowParts {
  static std::string part(std::string_view before, std::string_view k) {
    std::string out(before);
    name(out, k, true);
    return out;
  }
  std::string recipient = part("{", key::recipient), state = part(",", key::state),
              delivered_at = part(",", key::delivered_at), displayed_at = part(",", key::displayed_at),
              read_at = part(",", key::read_at), confirmed_at = part(",", key::confirmed_at),
              user = part(",", key::user), computer = part(",", key::computer);
};

void StatusWriter::add(const RecipientStatusRef& row) {
  static const RowParts parts;
  if (!first_) out_.push_back(',');
  first_ = false;
  out_ += parts.recipient;
  str(out_, row.recipient);
  out_ += parts.state;
  str(out_, state_name(row.state));
  out_ += parts.delivered_at;
  time_or_null(out_, row.delivered_at);
  out_ += parts.displayed_at;
  time_or_null(out_, row.displayed_at);
  out_ += parts.read_at;
  time_or_null(out_, row.read_at);
  if (confirming_) {
    out_ += parts.confirmed_at;
    time_or_null(out_, row.confirmed_at);
  }
  out_ += parts.user;
  str_or_null(out_, row.user);
  out_ += parts.computer;
  str_or_null(out_, row.computer);
  out_.push_back('}');
}

void StatusWriter::finish() { out_ += "]}"; }

PendingWriter::PendingWriter(std::string& out, std::string_view under, std::size_t total_unread) : out_(out) {
  out_.push_back('{');
  name(out_, key::under, true);
  str(out_, under);
  name(out_, key::total_unread);
  num(out_, total_unread);
  name(out_, key::recipients);
  out_.push_back('[');
}

void PendingWriter::begin_recipient(std::string_view recipient, std::optional<std::string_view> user) {
  if (!first_recipient_) out_.push_back(',');
  first_recipient_ = false;
  first_unread_ = true;
  out_.push_back('{');
  name(out_, key::recipient, true);
  str(out_, recipient);
  if (user) {
    name(out_, key::user);
    str(out_, *user);
  }
  name(out_, key::unread);
  out_.push_back('[');
}

std::string encode_unread(const UnreadMessage& m) {
  std::string out;
  out.push_back('{');
  name(out, key::id, true);
  str(out, m.id);
  name(out, key::kind);
  str(out, topics::kind_name(m.kind));
  name(out, key::title);
  str(out, m.title);
  name(out, key::sent_at);
  time_or_null(out, m.sent_at);
  if (m.require_confirm) {
    name(out, key::require_confirm);
    out += "true";
  }
  out.push_back('}');
  return out;
}

void PendingWriter::add_unread_text(std::string_view encoded) {
  if (!first_unread_) out_.push_back(',');
  first_unread_ = false;
  out_.append(encoded);
}

void PendingWriter::add_unread(const UnreadMessage& m) { add_unread_text(encode_unread(m)); }

void PendingWriter::end_recipient() { out_ += "]}"; }

void PendingWriter::finish() { out_ += "]}"; }

ListWriter::ListWriter(std::string& out) : out_(out) {
  out_.push_back('{');
  name(out_, key::messages, true);
  out_.push_back('[');
}

void ListWriter::add(const ListedMessage& m) {
  if (!first_) out_.push_back(',');
  first_ = false;
  out_.push_back('{');
  message_fields(out_, m.message);
  name(out_, key::state);
  str(out_, state_name(m.state));
  if (m.require_confirm) {
    name(out_, key::require_confirm);
    out_ += "true";
  }
  name(out_, key::recipients);
  num(out_, m.counts.recipients);
  name(out_, key::delivered);
  num(out_, m.counts.delivered);
  name(out_, key::displayed);
  num(out_, m.counts.displayed);
  name(out_, key::read);
  num(out_, m.counts.read);
  if (m.require_confirm) {
    name(out_, key::confirmed);
    num(out_, m.counts.confirmed);
  }
  name(out_, key::pending);
  num(out_, m.counts.pending);
  out_.push_back('}');
}

void ListWriter::finish() { out_ += "]}"; }

std::string encode(const Status& r) {
  std::string out;
  StatusWriter w(out, r, r.recipients.size());
  for (const auto& row : r.recipients) {
    RecipientStatusRef ref{row.recipient,   row.state, row.delivered_at, row.displayed_at, row.read_at, {}, {},
                           row.confirmed_at};
    if (row.user) ref.user = *row.user;
    if (row.computer) ref.computer = *row.computer;
    w.add(ref);
  }
  w.finish();
  return out;
}

std::string encode(const Pending& r) {
  std::string out;
  PendingWriter w(out, r.under, r.total_unread);
  for (const auto& p : r.recipients) {
    std::optional<std::string_view> user;
    if (p.user) user = *p.user;
    w.begin_recipient(p.recipient, user);
    for (const auto& m : p.unread) w.add_unread(m);
    w.end_recipient();
  }
  w.finish();
  return out;
}

std::string encode(const List& r) {
  std::string out;
  ListWriter w(out);
  for (const auto& m : r.messages) w.add(m);
  w.finish();
  return out;
}

std::string encode(const Import& r) {
  std::string out = "{";
  // The order heraldd has always sent (nlohmann's sorted keys, before results.hpp).
  name(out, key::computers, true);
  num(out, r.computers);
  name(out, key::entries);
  num(out, r.entries);
  out.push_back('}');
  return out;
}

std::string encode(const Recorded& r) {
  std::string out = "{";
  name(out, key::recorded, true);
  str(out, r.id);
  out.push_back('}');
  return out;
}

std::string encode(const Progress& r) {
  // The confirmation counts only for a course with lessons to confirm: the progress of
  // every other course is written as it always was.
  bool confirms = false;
  for (const auto& l : r.lessons) confirms = confirms || l.require_confirm || l.confirmed > 0;
  for (const auto& p : r.people) confirms = confirms || p.confirmed > 0;
  std::string out = "{";
  name(out, key::course, true);
  str(out, r.course);
  name(out, key::people);
  out.push_back('[');
  for (std::size_t i = 0; i < r.people.size(); ++i) {
    const auto& p = r.people[i];
    out += i ? ",{" : "{";
    name(out, key::login, true);
    str(out, p.login);
    name(out, key::name);
    str(out, p.name);
    name(out, key::read);
    num(out, p.read);
    name(out, key::sent);
    num(out, p.sent);
    name(out, key::total);
    num(out, p.total);
    name(out, key::first_at);
    time_or_null(out, p.first_at);
    name(out, key::last_at);
    time_or_null(out, p.last_at);
    if (confirms) {
      name(out, key::confirmed);
      num(out, p.confirmed);
    }
    out.push_back('}');
  }
  out.push_back(']');
  name(out, key::lessons);
  out.push_back('[');
  for (std::size_t i = 0; i < r.lessons.size(); ++i) {
    const auto& l = r.lessons[i];
    out += i ? ",{" : "{";
    name(out, key::lesson, true);
    str(out, l.lesson);
    name(out, key::title);
    str(out, l.title);
    name(out, key::sent);
    num(out, l.sent);
    name(out, key::read);
    num(out, l.read);
    name(out, key::unread);
    num(out, l.unread);
    if (confirms) {
      name(out, key::confirmed);
      num(out, l.confirmed);
    }
    if (l.require_confirm) {
      name(out, key::require_confirm);
      out += "true";
    }
    out.push_back('}');
  }
  out.push_back(']');
  name(out, key::not_started);
  out.push_back('[');
  for (std::size_t i = 0; i < r.not_started.size(); ++i) {
    out += i ? ",{" : "{";
    name(out, key::login, true);
    str(out, r.not_started[i].login);
    name(out, key::name);
    str(out, r.not_started[i].name);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

namespace {
// A campaign's fields, as a list row and as the head of a campaign's detail.
void campaign_object(std::string& out, const Campaign& c) {
  out.push_back('{');
  name(out, key::id, true);
  str(out, c.id);
  name(out, key::course);
  str(out, c.course);
  name(out, key::targets);
  strings(out, c.targets);
  name(out, key::schedule);
  str(out, c.schedule);
  name(out, key::at);
  str(out, c.at);
  name(out, key::tz);
  str(out, c.tz);
  name(out, key::state);
  str(out, state_name(c.state));
  name(out, key::sent);
  num(out, c.sent);
  name(out, key::total);
  num(out, c.total);
  name(out, key::next_at);
  time_or_null(out, c.next_at);
  out.push_back('}');
}

void course_object(std::string& out, const CourseSummary& c) {
  out.push_back('{');
  name(out, key::id, true);
  str(out, c.id);
  name(out, key::title);
  str(out, c.title);
  name(out, key::lessons);
  num(out, c.lessons);
  name(out, key::created_by);
  str(out, c.created_by);
  name(out, key::created_at);
  time_or_null(out, c.created_at);
  name(out, key::campaigns);
  num(out, c.campaigns);
  out.push_back('}');
}
}  // namespace

std::string encode(const CampaignList& r) {
  std::string out = "{";
  name(out, key::campaigns, true);
  out.push_back('[');
  for (std::size_t i = 0; i < r.campaigns.size(); ++i) {
    if (i) out.push_back(',');
    campaign_object(out, r.campaigns[i]);
  }
  out += "]}";
  return out;
}

std::string encode(const CampaignDetail& r) {
  std::string out = "{";
  name(out, key::campaign, true);
  campaign_object(out, r.campaign);
  name(out, key::sender);
  str(out, r.sender);
  name(out, key::occurrences);
  out.push_back('[');
  for (std::size_t i = 0; i < r.occurrences.size(); ++i) {
    const auto& o = r.occurrences[i];
    out += i ? ",{" : "{";
    name(out, key::number, true);
    num(out, o.number);
    name(out, key::due_at);
    time_or_null(out, o.due_at);
    name(out, key::sent_at);
    time_or_null(out, o.sent_at);
    name(out, key::message);
    str_or_null(out, o.message);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string encode(const CourseList& r) {
  std::string out = "{";
  name(out, key::courses, true);
  out.push_back('[');
  for (std::size_t i = 0; i < r.courses.size(); ++i) {
    if (i) out.push_back(',');
    course_object(out, r.courses[i]);
  }
  out += "]}";
  return out;
}

std::string encode(const CourseDetail& r) {
  std::string out = "{";
  name(out, key::course, true);
  course_object(out, r.course);
  name(out, key::lessons);
  out.push_back('[');
  for (std::size_t i = 0; i < r.lessons.size(); ++i) {
    const auto& l = r.lessons[i];
    out += i ? ",{" : "{";
    name(out, key::number, true);
    num(out, l.number);
    name(out, key::title);
    str(out, l.title);
    name(out, key::images);
    num(out, l.images);
    name(out, key::links);
    num(out, l.links);
    name(out, key::bytes);
    num(out, l.bytes);
    if (l.require_confirm) {
      name(out, key::require_confirm);
      out += "true";
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string encode(const ScheduleList& r) {
  std::string out = "{";
  name(out, key::schedules, true);
  out.push_back('[');
  for (std::size_t i = 0; i < r.schedules.size(); ++i) {
    const auto& m = r.schedules[i];
    out += i ? ",{" : "{";
    name(out, key::id, true);
    str(out, m.id);
    name(out, key::kind);
    str(out, m.kind);
    name(out, key::title);
    str(out, m.title);
    name(out, key::sender);
    str(out, m.sender);
    name(out, key::targets);
    strings(out, m.targets);
    name(out, key::schedule);
    str(out, m.schedule);
    name(out, key::at);
    str(out, m.at);
    name(out, key::tz);
    str(out, m.tz);
    name(out, key::start);
    str(out, m.start);
    name(out, key::state);
    str(out, state_name(m.state));
    name(out, key::sent);
    num(out, m.sent);
    name(out, key::total);
    num_or_null(out, m.total);
    name(out, key::next_at);
    time_or_null(out, m.next_at);
    name(out, key::last_message);
    str_or_null(out, m.last_message);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string encode(const Reminded& r) {
  std::string out = "{";
  name(out, key::id, true);
  str(out, r.id);
  name(out, key::recipients);
  strings(out, r.recipients);
  out.push_back('}');
  return out;
}

namespace {
void conversation_fields(std::string& out, const Conversation& c) {
  name(out, key::target, true);
  str(out, c.target);
  name(out, key::about);
  str_or_null(out, c.about);
  name(out, key::state);
  str(out, c.open ? "open" : "closed");
  name(out, key::unread);
  num(out, c.unread);
}

void chat_line(std::string& out, const ChatLine& l) {
  out.push_back('{');
  name(out, key::seq, true);
  num(out, l.seq);
  name(out, key::from);
  str(out, l.from);
  name(out, key::text);
  str(out, l.text);
  name(out, key::at);
  time_or_null(out, l.at);
  name(out, key::delivered_at);
  time_or_null(out, l.delivered_at);
  name(out, key::read_at);
  time_or_null(out, l.read_at);
  name(out, key::post);
  str(out, l.post);
  out.push_back('}');
}
}  // namespace

bool from_employee(const ChatLine& line) { return line.from.find('/') != std::string::npos; }

std::string encode(const ChatHistory& r) {
  std::string out = "{";
  name(out, key::conversation, true);
  out.push_back('{');
  conversation_fields(out, r.conversation);
  out.push_back('}');
  name(out, key::lines);
  out.push_back('[');
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    if (i) out.push_back(',');
    chat_line(out, r.lines[i]);
  }
  out += "]}";
  return out;
}

std::string encode(const ChatList& r) {
  std::string out = "{";
  name(out, key::conversations, true);
  out.push_back('[');
  for (std::size_t i = 0; i < r.conversations.size(); ++i) {
    const auto& c = r.conversations[i];
    out += i ? ",{" : "{";
    conversation_fields(out, c.conversation);
    name(out, key::lines);
    num(out, c.lines);
    name(out, key::last);
    if (c.last)
      chat_line(out, *c.last);
    else
      out += "null";
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string encode(const ChatPosted& r) {
  std::string out = "{";
  name(out, key::post, true);
  str(out, r.post);
  name(out, key::target);
  str(out, r.target);
  name(out, key::seq);
  num(out, r.seq);
  out.push_back('}');
  return out;
}

json parse(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::protocol, "result is not valid JSON");
  return j;
}

// ---- to_json: the writers' text, so there is one layout -----------------------------
// Not on a hot path (tests, heraldd's small replies).

void to_json(json& j, const Status& r) { j = parse(encode(r)); }
void to_json(json& j, const Pending& r) { j = parse(encode(r)); }
void to_json(json& j, const List& r) { j = parse(encode(r)); }
void to_json(json& j, const Import& r) { j = parse(encode(r)); }
void to_json(json& j, const Recorded& r) { j = parse(encode(r)); }
void to_json(json& j, const Progress& r) { j = parse(encode(r)); }
void to_json(json& j, const CampaignList& r) { j = parse(encode(r)); }
void to_json(json& j, const ChatHistory& r) { j = parse(encode(r)); }
void to_json(json& j, const ChatList& r) { j = parse(encode(r)); }
void to_json(json& j, const ChatPosted& r) { j = parse(encode(r)); }
void to_json(json& j, const CampaignDetail& r) { j = parse(encode(r)); }
void to_json(json& j, const CourseList& r) { j = parse(encode(r)); }
void to_json(json& j, const CourseDetail& r) { j = parse(encode(r)); }
void to_json(json& j, const ScheduleList& r) { j = parse(encode(r)); }
void to_json(json& j, const Reminded& r) { j = parse(encode(r)); }

// ---- from_json --------------------------------------------------------------------

void from_json(const json& j, Status& r) {
  object(j, "status");
  r = Status{};
  read_message_fields(j, r.message);
  r.recalled_at = optional_time(j, key::recalled_at);
  r.recalled_by = optional_string(j, key::recalled_by);
  r.state = message_state_from_name(string_at(j, key::state));
  r.require_confirm = optional_bool(j, key::require_confirm);
  r.totals = read_totals(object(at(j, key::totals), "totals"));
  for (const auto& row : array_at(j, key::recipients)) {
    object(row, "recipient row");
    RecipientStatus s;
    s.recipient = string_at(row, key::recipient);
    s.state = receipt_state_from_name(string_at(row, key::state));
    s.delivered_at = optional_time(row, key::delivered_at);
    s.displayed_at = optional_time(row, key::displayed_at);
    s.read_at = optional_time(row, key::read_at);
    s.confirmed_at = optional_time(row, key::confirmed_at);
    s.user = optional_string(row, key::user);
    s.computer = optional_string(row, key::computer);
    r.recipients.push_back(std::move(s));
  }
}

void from_json(const json& j, Pending& r) {
  object(j, "pending");
  r = Pending{};
  r.under = string_at(j, key::under);
  r.total_unread = count_at(j, key::total_unread);
  for (const auto& row : array_at(j, key::recipients)) {
    object(row, "recipient row");
    PendingRecipient p;
    p.recipient = string_at(row, key::recipient);
    p.user = optional_string(row, key::user);
    for (const auto& m : array_at(row, key::unread)) {
      object(m, "unread message");
      UnreadMessage u;
      u.id = string_at(m, key::id);
      u.kind = topics::kind_from_name(string_at(m, key::kind));
      u.title = string_at(m, key::title);
      u.sent_at = time_at(m, key::sent_at);
      u.require_confirm = optional_bool(m, key::require_confirm);
      p.unread.push_back(std::move(u));
    }
    r.recipients.push_back(std::move(p));
  }
}

void from_json(const json& j, List& r) {
  object(j, "list");
  r = List{};
  for (const auto& row : array_at(j, key::messages)) {
    object(row, "message row");
    ListedMessage m;
    read_message_fields(row, m.message);
    m.state = message_state_from_name(string_at(row, key::state));
    m.counts = read_totals(row);
    m.require_confirm = optional_bool(row, key::require_confirm);
    r.messages.push_back(std::move(m));
  }
}

void from_json(const json& j, Import& r) {
  object(j, "import");
  r.entries = count_at(j, key::entries);
  r.computers = count_at(j, key::computers);
}

void from_json(const json& j, Recorded& r) {
  object(j, "recorded");
  r.id = string_at(j, key::recorded);
}

void from_json(const json& j, Progress& r) {
  object(j, "progress");
  r = Progress{};
  r.course = string_at(j, key::course);
  for (const auto& row : array_at(j, key::people)) {
    object(row, "person row");
    PersonProgress p;
    p.login = string_at(row, key::login);
    p.name = string_at(row, key::name);
    p.read = count_at(row, key::read);
    p.sent = count_at(row, key::sent);
    p.total = count_at(row, key::total);
    p.first_at = optional_time(row, key::first_at);
    p.last_at = optional_time(row, key::last_at);
    p.confirmed = optional_count(row, key::confirmed).value_or(0);
    r.people.push_back(std::move(p));
  }
  for (const auto& row : array_at(j, key::lessons)) {
    object(row, "lesson row");
    LessonProgress l;
    l.lesson = string_at(row, key::lesson);
    l.title = string_at(row, key::title);
    l.sent = count_at(row, key::sent);
    l.read = count_at(row, key::read);
    l.unread = count_at(row, key::unread);
    l.confirmed = optional_count(row, key::confirmed).value_or(0);
    l.require_confirm = optional_bool(row, key::require_confirm);
    r.lessons.push_back(std::move(l));
  }
  for (const auto& row : array_at(j, key::not_started)) {
    object(row, "person");
    r.not_started.push_back(Person{string_at(row, key::login), string_at(row, key::name)});
  }
}

namespace {
Campaign read_campaign(const json& row) {
  object(row, "campaign row");
  Campaign c;
  c.id = string_at(row, key::id);
  c.course = string_at(row, key::course);
  c.targets = strings_at(row, key::targets);
  c.schedule = string_at(row, key::schedule);
  c.at = string_at(row, key::at);
  c.tz = string_at(row, key::tz);
  c.state = campaign_state_from_name(string_at(row, key::state));
  c.sent = count_at(row, key::sent);
  c.total = count_at(row, key::total);
  c.next_at = optional_time(row, key::next_at);
  return c;
}

CourseSummary read_course(const json& row) {
  object(row, "course row");
  CourseSummary c;
  c.id = string_at(row, key::id);
  c.title = string_at(row, key::title);
  c.lessons = count_at(row, key::lessons);
  c.created_by = string_at(row, key::created_by);
  c.created_at = time_at(row, key::created_at);
  c.campaigns = count_at(row, key::campaigns);
  return c;
}
}  // namespace

void from_json(const json& j, CampaignList& r) {
  object(j, "campaign list");
  r = CampaignList{};
  for (const auto& row : array_at(j, key::campaigns)) r.campaigns.push_back(read_campaign(row));
}

void from_json(const json& j, CampaignDetail& r) {
  object(j, "campaign detail");
  r = CampaignDetail{};
  r.campaign = read_campaign(at(j, key::campaign));
  r.sender = string_at(j, key::sender);
  for (const auto& row : array_at(j, key::occurrences)) {
    object(row, "occurrence row");
    Occurrence o;
    o.number = count_at(row, key::number);
    o.due_at = time_at(row, key::due_at);
    o.sent_at = optional_time(row, key::sent_at);
    o.message = optional_string(row, key::message);
    r.occurrences.push_back(std::move(o));
  }
}

void from_json(const json& j, CourseList& r) {
  object(j, "course list");
  r = CourseList{};
  for (const auto& row : array_at(j, key::courses)) r.courses.push_back(read_course(row));
}

void from_json(const json& j, CourseDetail& r) {
  object(j, "course detail");
  r = CourseDetail{};
  r.course = read_course(at(j, key::course));
  for (const auto& row : array_at(j, key::lessons)) {
    object(row, "lesson row");
    LessonSummary l;
    l.number = count_at(row, key::number);
    l.title = string_at(row, key::title);
    l.images = count_at(row, key::images);
    l.links = count_at(row, key::links);
    l.bytes = count_at(row, key::bytes);
    l.require_confirm = optional_bool(row, key::require_confirm);
    r.lessons.push_back(std::move(l));
  }
}

void from_json(const json& j, ScheduleList& r) {
  object(j, "schedule list");
  r = ScheduleList{};
  for (const auto& row : array_at(j, key::schedules)) {
    object(row, "schedule row");
    ScheduledMessage m;
    m.id = string_at(row, key::id);
    m.kind = string_at(row, key::kind);
    topics::kind_from_name(m.kind);  // alert or message, else Error(protocol)
    m.title = string_at(row, key::title);
    m.sender = string_at(row, key::sender);
    m.targets = strings_at(row, key::targets);
    m.schedule = string_at(row, key::schedule);
    m.at = string_at(row, key::at);
    m.tz = string_at(row, key::tz);
    m.start = string_at(row, key::start);
    m.state = schedule_state_from_name(string_at(row, key::state));
    m.sent = count_at(row, key::sent);
    m.total = optional_count(row, key::total);
    m.next_at = optional_time(row, key::next_at);
    m.last_message = optional_string(row, key::last_message);
    r.schedules.push_back(std::move(m));
  }
}

void from_json(const json& j, Reminded& r) {
  object(j, "reminded");
  r = Reminded{};
  r.id = string_at(j, key::id);
  r.recipients = strings_at(j, key::recipients);
}

namespace {
Conversation conversation_from(const json& c) {
  Conversation out;
  out.target = string_at(c, key::target);
  out.about = optional_string(c, key::about);
  auto state = string_at(c, key::state);
  if (state != "open" && state != "closed")
    throw Error(ErrorKind::protocol, "unknown conversation state '" + state + "'");
  out.open = state == "open";
  out.unread = count_at(c, key::unread);
  return out;
}

ChatLine chat_line_from(const json& row) {
  object(row, "chat line");
  ChatLine l;
  l.seq = count_at(row, key::seq);
  l.from = string_at(row, key::from);
  l.text = string_at(row, key::text);
  l.at = time_at(row, key::at);
  l.delivered_at = optional_time(row, key::delivered_at);
  l.read_at = optional_time(row, key::read_at);
  l.post = optional_string(row, key::post).value_or("");
  return l;
}
}  // namespace

void from_json(const json& j, ChatHistory& r) {
  object(j, "chat history");
  r = ChatHistory{};
  r.conversation = conversation_from(object(at(j, key::conversation), "conversation"));
  for (const auto& row : array_at(j, key::lines)) r.lines.push_back(chat_line_from(row));
}

void from_json(const json& j, ChatList& r) {
  object(j, "chat list");
  r = ChatList{};
  for (const auto& row : array_at(j, key::conversations)) {
    object(row, "conversation");
    ChatSummary c;
    c.conversation = conversation_from(row);
    c.lines = count_at(row, key::lines);
    if (auto it = row.find(std::string(key::last)); it != row.end() && !it->is_null()) c.last = chat_line_from(*it);
    r.conversations.push_back(std::move(c));
  }
}

void from_json(const json& j, ChatPosted& r) {
  object(j, "chat posted");
  r = ChatPosted{};
  r.post = string_at(j, key::post);
  r.target = string_at(j, key::target);
  r.seq = count_at(j, key::seq);
}

}  // namespace herald::results
