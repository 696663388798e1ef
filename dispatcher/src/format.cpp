#include "herald/dispatcher/format.hpp"

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/schedule.hpp"
#include "herald/common/text.hpp"
#include "herald/dispatcher/session.hpp"

namespace herald::dispatcher {
namespace {

namespace key = results::key;

std::string dash(std::string text) { return text.empty() ? "-" : text; }

std::string targets_text(const std::vector<std::string>& targets) {
  std::string text;
  for (const auto& t : targets) {
    if (!text.empty()) text += ",";
    text += t;
  }
  return dash(text);
}

// ---- status, read with simdjson --------------------------------------------------
// A status of 10,000 recipients is megabytes of reply; building nlohmann's document of
// it was a third of the command's time (figures: bench/README.md). simdjson parses it
// many times faster and its strings are views into the parser, which outlives the table. The checks are those of
// results::from_json(Status): required fields present with their type, nullable ones
// null, absent or of their type, states and kinds known.
using Element = simdjson::dom::element;
using Object = simdjson::dom::object;

[[noreturn]] void bad(std::string_view k, const char* what) {
  throw Error(ErrorKind::protocol, "result field '" + std::string(k) + "' " + what);
}

Object object_of(const Element& j, const char* what) {
  Object object;
  if (j.get_object().get(object))
    throw Error(ErrorKind::protocol, std::string("result ") + what + " is not a JSON object");
  return object;
}

std::optional<Element> nullable(const Object& j, std::string_view k) {
  Element value;
  if (j.at_key(k).get(value) || value.is_null()) return std::nullopt;
  return value;
}

Element required(const Object& j, std::string_view k) {
  auto value = nullable(j, k);
  if (!value) bad(k, "is missing");
  return *value;
}

std::string_view string_at(const Object& j, std::string_view k) {
  std::string_view text;
  if (required(j, k).get_string().get(text)) bad(k, "must be a string");
  return text;
}

// A nullable string as a cell: "-" when null, absent or empty.
std::string_view cell_at(const Object& j, std::string_view k) {
  auto value = nullable(j, k);
  if (!value) return "-";
  std::string_view text;
  if (value->get_string().get(text)) bad(k, "must be a string or null");
  return text.empty() ? std::string_view("-") : text;
}

std::uint64_t count_at(const Object& j, std::string_view k) {
  std::uint64_t n = 0;
  if (required(j, k).get_uint64().get(n)) bad(k, "must be a non-negative integer");
  return n;
}

// The fields added with confirmations: absent from an older heraldd's status.
std::uint64_t optional_count_at(const Object& j, std::string_view k) {
  auto value = nullable(j, k);
  std::uint64_t n = 0;
  if (value && value->get_uint64().get(n)) bad(k, "must be a non-negative integer or null");
  return n;
}

bool optional_bool_at(const Object& j, std::string_view k) {
  auto value = nullable(j, k);
  bool b = false;
  if (value && value->get_bool().get(b)) bad(k, "must be a boolean or null");
  return b;
}

simdjson::dom::array array_at(const Object& j, std::string_view k) {
  simdjson::dom::array array;
  if (required(j, k).get_array().get(array)) bad(k, "must be an array");
  return array;
}

// Network text for a headline or a cell.
std::string safe(std::string_view text, std::size_t max_bytes = 200) {
  return text::printable(dash(std::string(text)), max_bytes);
}

std::string time_or_dash(const std::optional<TimePoint>& t) { return t ? to_rfc3339(*t) : "-"; }

// `t` as a wall-clock time in `tz` ("2026-12-01 09:00"); the RFC 3339 instant if heraldd
// named a zone this machine does not know.
std::string local_text(TimePoint t, std::string_view tz) {
  try {
    return schedule::local_time(t, tz);
  } catch (const Error&) {
    return to_rfc3339(t);
  }
}

std::string local_or_dash(const std::optional<TimePoint>& t, std::string_view tz) {
  return t ? local_text(*t, tz) : "-";
}

std::string person_text(std::string_view name, std::string_view login) {
  if (name.empty() || name == login) return safe(login, 64);
  return safe(name, 100) + " (" + safe(login, 64) + ")";
}

void print_status_element(const Element& element, std::ostream& out) {
  auto result = object_of(element, "status");
  auto id = string_at(result, key::id);
  auto kind = tr_word(topics::kind_name(topics::kind_from_name(string_at(result, key::kind))));
  string_at(result, key::title);
  string_at(result, key::sender);
  string_at(result, key::sent_at);
  cell_at(result, key::expires_at);
  cell_at(result, key::recalled_at);
  cell_at(result, key::recalled_by);
  auto state = tr_word(results::state_name(results::message_state_from_name(string_at(result, key::state))));
  std::vector<std::string> targets;
  for (Element t : array_at(result, key::targets)) {
    std::string_view text;
    if (t.get_string().get(text)) bad(key::targets, "must hold strings");
    targets.emplace_back(text);
  }
  auto totals = object_of(required(result, key::totals), "totals");
  auto confirmed = optional_count_at(totals, key::confirmed);
  // The CONFIRMED column only for a message that asks for it (or has confirmations):
  // every other status prints as it always did.
  bool confirming = optional_bool_at(result, key::require_confirm) || confirmed > 0;

  std::vector<std::string> header{tr("RECIPIENT"), tr("STATE"), tr("DELIVERED"), tr("DISPLAYED"), tr("READ")};
  if (confirming) header.emplace_back(tr("CONFIRMED"));
  header.emplace_back(tr("USER"));
  text::Table table(std::move(header));
  for (Element r : array_at(result, key::recipients)) {
    auto row = object_of(r, "recipient row");
    auto recipient = string_at(row, key::recipient);
    auto row_state = tr_word(results::state_name(results::receipt_state_from_name(string_at(row, key::state))));
    cell_at(row, key::computer);
    auto confirmed_at = cell_at(row, key::confirmed_at);
    if (confirming)
      table.add_views({recipient.empty() ? "-" : recipient, row_state, cell_at(row, key::delivered_at),
                       cell_at(row, key::displayed_at), cell_at(row, key::read_at), confirmed_at,
                       cell_at(row, key::user)});
    else
      table.add_views({recipient.empty() ? "-" : recipient, row_state, cell_at(row, key::delivered_at),
                       cell_at(row, key::displayed_at), cell_at(row, key::read_at), cell_at(row, key::user)});
  }
  out << trf(
      "{1} ({2}, {3}) to {4}: {5} recipients, {6} pending, {7} delivered, {8} displayed, {9} read",
      {dash(std::string(id)), kind, state, targets_text(targets), std::to_string(count_at(totals, key::recipients)),
       std::to_string(count_at(totals, key::pending)), std::to_string(count_at(totals, key::delivered)),
       std::to_string(count_at(totals, key::displayed)), std::to_string(count_at(totals, key::read))});
  if (confirming) out << trf(", {1} confirmed", {std::to_string(confirmed)});
  out << '\n';
  table.print(out);
}

}  // namespace

void print_status_reply(std::string_view reply_payload, std::ostream& out) {
  simdjson::dom::parser parser;
  Element reply;
  if (auto error = parser.parse(reply_payload.data(), reply_payload.size()).get(reply))
    throw Error(ErrorKind::protocol,
                std::string("heraldd's reply is not valid JSON: ") + simdjson::error_message(error));
  Object object;
  bool ok = false;
  if (reply.get_object().get(object) || object.at_key("ok").get_bool().get(ok))
    throw Error(ErrorKind::protocol, "heraldd's reply has no boolean 'ok'");
  if (!ok) {
    // Not the fast path: let the one decoder of error replies say what went wrong.
    auto decoded = payloads::decode<payloads::Reply>(reply_payload);
    throw Error(error_kind_from_reply(decoded.error_kind), decoded.error);
  }
  Element result;
  if (object.at_key("result").get(result)) throw Error(ErrorKind::protocol, "heraldd's status reply has no result");
  print_status_element(result, out);
}

void print_pending(const results::Pending& result, std::ostream& out) {
  std::size_t shown = 0;
  for (const auto& r : result.recipients) {
    if (r.unread.empty()) continue;
    if (shown++) out << '\n';
    out << text::printable(dash(r.recipient));
    if (r.user && !r.user->empty()) out << " (" << text::printable(*r.user) << ")";
    out << ": " << trf("{1} unread", {std::to_string(r.unread.size())}) << '\n';
    text::Table table({"  " + std::string(tr("ID")), tr("KIND"), tr("SENT"), tr("TITLE")});
    for (const auto& m : r.unread) {
      // Pending until confirmed, so it may have been read already.
      auto title = text::shorten(dash(m.title), 60);
      if (m.require_confirm) title += tr(" (to confirm)");
      table.add({"  " + dash(m.id), std::string(tr_word(topics::kind_name(m.kind))), to_rfc3339(m.sent_at), title});
    }
    table.print(out);
  }
  if (!shown) out << trf("nothing unread under {1}", {text::printable(dash(result.under))}) << '\n';
}

void print_list(const results::List& result, std::ostream& out) {
  text::Table table({tr("ID"), tr("KIND"), tr("SENT"), tr("TARGETS"), tr("READ/RECIPIENTS"), tr("STATE"), tr("TITLE")});
  for (const auto& row : result.messages) {
    const auto& m = row.message;
    table.add({dash(m.id), std::string(tr_word(topics::kind_name(m.kind))), to_rfc3339(m.sent_at),
               text::shorten(targets_text(m.targets), 40),
               std::to_string(row.counts.read + row.counts.confirmed) + "/" + std::to_string(row.counts.recipients),
               std::string(tr_word(results::state_name(row.state))), text::shorten(dash(m.title), 50)});
  }
  table.print(out);
}

// ---- courses, campaigns, schedules, progress --------------------------------------

void print_course_list(const results::CourseList& result, std::ostream& out) {
  if (result.courses.empty()) {
    out << tr("no courses") << '\n';
    return;
  }
  text::Table table({tr("ID"), tr("LESSONS"), tr("CAMPAIGNS"), tr("CREATED"), tr("BY"), tr("TITLE")});
  for (const auto& c : result.courses)
    table.add({safe(c.id, 64), std::to_string(c.lessons), std::to_string(c.campaigns), to_rfc3339(c.created_at),
               safe(c.created_by, 64), text::shorten(safe(c.title), 50)});
  table.print(out);
}

void print_course_detail(const results::CourseDetail& result, std::ostream& out) {
  const auto& c = result.course;
  out << trf("{1}: {2}, {3}, created {4} by {5}, used by {6}",
             {safe(c.id, 64), safe(c.title), trn("{1} lesson", "{1} lessons", c.lessons), to_rfc3339(c.created_at),
              safe(c.created_by, 64),
              trn("{1} active or paused campaign", "{1} active or paused campaigns", c.campaigns)})
      << '\n';
  text::Table table({"#", tr("IMAGES"), tr("LINKS"), tr("BYTES"), tr("TITLE")});
  for (const auto& l : result.lessons)
    table.add({std::to_string(l.number), std::to_string(l.images), std::to_string(l.links), std::to_string(l.bytes),
               text::shorten(safe(l.title), 60) + (l.require_confirm ? tr(" (to confirm)") : "")});
  table.print(out);
}

void print_campaign_list(const results::CampaignList& result, std::ostream& out) {
  if (result.campaigns.empty()) {
    out << tr("no campaigns") << '\n';
    return;
  }
  text::Table table(
      {tr("ID"), tr("COURSE"), tr("STATE"), tr("SENT"), tr("NEXT"), tr("AT"), tr("TARGETS"), tr("SCHEDULE")});
  for (const auto& c : result.campaigns)
    table.add({safe(c.id, 64), safe(c.course, 64), std::string(tr_word(results::state_name(c.state))),
               std::to_string(c.sent) + "/" + std::to_string(c.total), local_or_dash(c.next_at, c.tz),
               safe(c.at, 16) + " " + safe(c.tz, 64), text::shorten(safe(targets_text(c.targets)), 40),
               text::shorten(safe(c.schedule), 60)});
  table.print(out);
}

void print_campaign_detail(const results::CampaignDetail& result, std::ostream& out) {
  const auto& c = result.campaign;
  out << trf("{1} ({2}): course {3} to {4}, {5} at {6} {7}, {8} of {9} lessons sent, started by {10}",
             {safe(c.id, 64), tr_word(results::state_name(c.state)), safe(c.course, 64), safe(targets_text(c.targets)),
              safe(c.schedule), safe(c.at, 16), safe(c.tz, 64), std::to_string(c.sent), std::to_string(c.total),
              safe(result.sender, 64)})
      << '\n';
  text::Table table({tr("LESSON"), trf("DUE ({1})", {safe(c.tz, 64)}), tr("DUE (UTC)"), tr("SENT"), tr("MESSAGE")});
  for (const auto& o : result.occurrences)
    table.add({std::to_string(o.number), local_text(o.due_at, c.tz), to_rfc3339(o.due_at), time_or_dash(o.sent_at),
               o.message ? safe(*o.message, 64) : "-"});
  table.print(out);
}

void print_schedule_list(const results::ScheduleList& result, std::ostream& out) {
  if (result.schedules.empty()) {
    out << tr("nothing scheduled") << '\n';
    return;
  }
  text::Table table(
      {tr("ID"), tr("KIND"), tr("STATE"), tr("SENT"), tr("NEXT"), tr("WHEN"), tr("TARGETS"), tr("TITLE")});
  for (const auto& s : result.schedules) {
    // A delayed message is one time; a recurring one is its rule at a time of day.
    std::string when = trf("{1} at {2} {3}", {s.schedule.empty() ? std::string(tr("once")) : safe(s.schedule, 80),
                                              safe(s.at, 16), safe(s.tz, 64)});
    table.add({safe(s.id, 64), std::string(tr_word(safe(s.kind, 16))),
               std::string(tr_word(results::state_name(s.state))),
               std::to_string(s.sent) + (s.total ? "/" + std::to_string(*s.total) : std::string()),
               local_or_dash(s.next_at, s.tz), text::shorten(when, 70),
               text::shorten(safe(targets_text(s.targets)), 40), text::shorten(safe(s.title), 40)});
  }
  table.print(out);
}

namespace {
// Does any lesson ask for confirmation (or has someone confirmed one)? Only then do the
// progress table and CSV show confirmations: other courses print as they always did.
bool confirming(const results::Progress& result) {
  for (const auto& l : result.lessons)
    if (l.require_confirm || l.confirmed > 0) return true;
  return false;
}
}  // namespace

void print_progress(const results::Progress& result, std::ostream& out) {
  const bool confirms = confirming(result);
  out << trf("course {1}: {2}, {3} not started",
             {safe(result.course, 64), trn("{1} person", "{1} people", result.people.size()),
              std::to_string(result.not_started.size())})
      << '\n';
  if (!result.people.empty()) {
    out << '\n';
    text::Table people({tr("PERSON"), tr("READ"), tr("FIRST"), tr("LAST")});
    for (const auto& p : result.people)
      people.add({person_text(p.name, p.login),
                  trf("{1} of {2} sent, {3} total",
                      {std::to_string(p.read), std::to_string(p.sent), std::to_string(p.total)}) +
                      (confirms ? trf(", {1} confirmed", {std::to_string(p.confirmed)}) : std::string()),
                  time_or_dash(p.first_at), time_or_dash(p.last_at)});
    people.print(out);
  }
  if (!result.lessons.empty()) {
    out << '\n';
    std::vector<std::string> header{tr("LESSON"), tr("SENT"), tr("READ"), tr("UNREAD")};
    if (confirms) header.emplace_back(tr("CONFIRMED"));
    header.emplace_back(tr("TITLE"));
    text::Table lessons(std::move(header));
    std::size_t number = 0;
    for (const auto& l : result.lessons) {
      std::vector<std::string> row{std::to_string(++number), std::to_string(l.sent), std::to_string(l.read),
                                   std::to_string(l.unread)};
      // "-" for a lesson that does not ask for confirmation.
      if (confirms) row.push_back(l.require_confirm || l.confirmed ? std::to_string(l.confirmed) : "-");
      row.push_back(text::shorten(safe(l.title), 60));
      lessons.add(std::move(row));
    }
    lessons.print(out);
  }
  if (!result.not_started.empty()) {
    out << '\n' << tr("not started:") << '\n';
    for (const auto& p : result.not_started) out << "  " << person_text(p.name, p.login) << '\n';
  }
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void print_progress_csv(const results::Progress& result, std::ostream& out) {
  // A course with lessons to confirm gets a last column, `confirmed`; the others keep
  // the layout scripts know.
  const bool confirms = confirming(result);
  out << "login,name,read,sent,total,first_at,last_at" << (confirms ? ",confirmed" : "") << '\n';
  auto time_or_empty = [](const std::optional<TimePoint>& t) { return t ? to_rfc3339(*t) : std::string(); };
  for (const auto& p : result.people) {
    out << csv_field(p.login) << ',' << csv_field(p.name) << ',' << p.read << ',' << p.sent << ',' << p.total << ','
        << time_or_empty(p.first_at) << ',' << time_or_empty(p.last_at);
    if (confirms) out << ',' << p.confirmed;
    out << '\n';
  }
}

void print_planned(const std::vector<PlannedDelivery>& planned, std::string_view tz, std::ostream& out) {
  bool titled = false;
  for (const auto& p : planned) titled = titled || !p.title.empty();
  std::vector<std::string> header{"#", trf("LOCAL ({1})", {safe(tz, 64)}), "UTC"};
  if (titled) header.push_back(tr("TITLE"));
  text::Table table(std::move(header));
  for (const auto& p : planned) {
    std::vector<std::string> row{std::to_string(p.number), local_text(p.at, tz), to_rfc3339(p.at)};
    if (titled) row.push_back(text::shorten(safe(p.title), 60));
    table.add(std::move(row));
  }
  table.print(out);
}

}  // namespace herald::dispatcher
