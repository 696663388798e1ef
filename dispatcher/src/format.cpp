#include "herald/dispatcher/format.hpp"

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>

#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
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

simdjson::dom::array array_at(const Object& j, std::string_view k) {
  simdjson::dom::array array;
  if (required(j, k).get_array().get(array)) bad(k, "must be an array");
  return array;
}

void print_status_element(const Element& element, std::ostream& out) {
  auto result = object_of(element, "status");
  auto id = string_at(result, key::id);
  auto kind = topics::kind_name(topics::kind_from_name(string_at(result, key::kind)));
  string_at(result, key::title);
  string_at(result, key::sender);
  string_at(result, key::sent_at);
  cell_at(result, key::expires_at);
  cell_at(result, key::recalled_at);
  cell_at(result, key::recalled_by);
  auto state = results::state_name(results::message_state_from_name(string_at(result, key::state)));
  std::vector<std::string> targets;
  for (Element t : array_at(result, key::targets)) {
    std::string_view text;
    if (t.get_string().get(text)) bad(key::targets, "must hold strings");
    targets.emplace_back(text);
  }
  auto totals = object_of(required(result, key::totals), "totals");

  text::Table table({"RECIPIENT", "STATE", "DELIVERED", "DISPLAYED", "READ", "USER"});
  for (Element r : array_at(result, key::recipients)) {
    auto row = object_of(r, "recipient row");
    auto recipient = string_at(row, key::recipient);
    auto row_state = results::state_name(results::receipt_state_from_name(string_at(row, key::state)));
    cell_at(row, key::computer);
    table.add_views({recipient.empty() ? "-" : recipient, row_state, cell_at(row, key::delivered_at),
                     cell_at(row, key::displayed_at), cell_at(row, key::read_at), cell_at(row, key::user)});
  }
  out << dash(std::string(id)) << " (" << kind << ", " << state << ") to " << targets_text(targets) << ": "
      << count_at(totals, key::recipients) << " recipients, " << count_at(totals, key::pending) << " pending, "
      << count_at(totals, key::delivered) << " delivered, " << count_at(totals, key::displayed) << " displayed, "
      << count_at(totals, key::read) << " read\n";
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
    out << ": " << r.unread.size() << " unread\n";
    text::Table table({"  ID", "KIND", "SENT", "TITLE"});
    for (const auto& m : r.unread)
      table.add({"  " + dash(m.id), std::string(topics::kind_name(m.kind)), to_rfc3339(m.sent_at),
                 text::shorten(dash(m.title), 60)});
    table.print(out);
  }
  if (!shown) out << "nothing unread under " << text::printable(dash(result.under)) << '\n';
}

void print_list(const results::List& result, std::ostream& out) {
  text::Table table({"ID", "KIND", "SENT", "TARGETS", "READ/RECIPIENTS", "STATE", "TITLE"});
  for (const auto& row : result.messages) {
    const auto& m = row.message;
    table.add({dash(m.id), std::string(topics::kind_name(m.kind)), to_rfc3339(m.sent_at),
               text::shorten(targets_text(m.targets), 40),
               std::to_string(row.counts.read) + "/" + std::to_string(row.counts.recipients),
               std::string(results::state_name(row.state)), text::shorten(dash(m.title), 50)});
  }
  table.print(out);
}

}  // namespace herald::dispatcher
