#include "herald/dispatcher/format.hpp"

#include <simdjson.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string_view>

#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/dispatcher/session.hpp"

namespace herald::dispatcher {
namespace {

using nlohmann::json;

// The first of `keys` present in `j` as a displayable value, else "-".
std::string text_of(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return "-";
  for (const char* key : keys) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
    if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
    return it->dump();
  }
  return "-";
}

bool has_value(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty());
}

std::string targets_text(const json& j) {
  auto it = j.find("targets");
  if (it == j.end() || !it->is_array() || it->empty()) return "-";
  std::string text;
  for (const auto& t : *it) {
    if (!text.empty()) text += ",";
    text += t.is_string() ? t.get<std::string>() : t.dump();
  }
  return text;
}

const json& array_at(const json& j, const char* key) {
  static const json empty = json::array();
  if (j.is_array()) return j;
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

std::size_t width_of(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Table's layout over cells that are views: a status of 10,000 recipients is 60,000
// cells, and copying each into a std::string (two or three times, through
// initializer lists) cost more than the rest of printing. Same output as Table.
class ViewTable {
 public:
  explicit ViewTable(std::initializer_list<std::string_view> header) { add(header); }

  // A cell that is not a view of something that outlives the table.
  std::string_view own(std::string text) { return owned_.emplace_back(std::move(text)); }

  void add(std::initializer_list<std::string_view> row) {
    row_sizes_.push_back(row.size());
    if (widths_.size() < row.size()) widths_.resize(row.size(), 0);
    std::size_t c = 0;
    for (auto cell : row) {
      // Newlines or tabs in a title would break the columns.
      if (cell.find_first_of("\n\r\t") != std::string_view::npos) {
        std::string clean(cell);
        std::replace_if(
            clean.begin(), clean.end(), [](char ch) { return ch == '\n' || ch == '\r' || ch == '\t'; }, ' ');
        cell = own(std::move(clean));
      }
      auto w = width_of(cell);
      widths_[c] = std::max(widths_[c], w);
      cells_.push_back(Cell{cell, w});
      ++c;
    }
  }

  void print(std::ostream& out) const {
    std::string text;
    std::size_t bytes = 0;
    for (const auto& cell : cells_) bytes += cell.text.size();
    text.reserve(bytes + row_sizes_.size() * (2 * widths_.size() + 1) + cells_.size() * 8);
    std::size_t at = 0;
    for (auto n : row_sizes_) {
      for (std::size_t c = 0; c < n; ++c) {
        const auto& cell = cells_[at + c];
        text += cell.text;
        if (c + 1 < n) text.append(widths_[c] - cell.width + 2, ' ');
      }
      text.push_back('\n');
      at += n;
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }

 private:
  struct Cell {
    std::string_view text;
    std::size_t width;
  };
  std::vector<Cell> cells_;
  std::vector<std::size_t> row_sizes_;
  std::vector<std::size_t> widths_;
  std::deque<std::string> owned_;  // stable addresses for views
};

// ---- status, read with simdjson --------------------------------------------------
// A status of 10,000 recipients is a ~2 MB reply; building nlohmann's document of it
// took ~35 ms of the command's ~110 (herald-bench). simdjson parses it in ~2 ms and its
// strings are views into the parser, which outlives the table.
using Element = simdjson::dom::element;

std::optional<Element> field(const Element& j, const char* key) {
  simdjson::dom::object object;
  if (j.get_object().get(object)) return std::nullopt;
  Element value;
  if (object.at_key(key).get(value)) return std::nullopt;
  return value;
}

// The first of `keys` present in `j` as a displayable value, else "-": a view of the
// JSON string, a literal, or an owned text for numbers and other values.
std::string_view view_of(ViewTable& table, const Element& j, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto value = field(j, key);
    if (!value || value->is_null()) continue;
    if (value->is_string()) {
      std::string_view text = value->get_string().value_unsafe();
      return text.empty() ? std::string_view("-") : text;
    }
    if (value->is_bool()) return value->get_bool().value_unsafe() ? "yes" : "no";
    return table.own(simdjson::minify(*value));
  }
  return "-";
}

bool has_value(const Element& j, const char* key) {
  auto value = field(j, key);
  return value && !value->is_null() && !(value->is_string() && value->get_string().value_unsafe().empty());
}

// A recipient's furthest receipt when heraldd does not name the state itself.
std::string_view state_view(ViewTable& table, const Element& r) {
  if (has_value(r, "state")) return view_of(table, r, {"state"});
  if (has_value(r, "read_at")) return "read";
  if (has_value(r, "displayed_at")) return "displayed";
  if (has_value(r, "delivered_at")) return "delivered";
  return "pending";
}

long count_at(const std::optional<Element>& j, const char* key, long fallback) {
  if (!j) return fallback;
  auto value = field(*j, key);
  if (!value) return fallback;
  if (value->is_int64()) return static_cast<long>(value->get_int64().value_unsafe());
  if (value->is_uint64()) return static_cast<long>(value->get_uint64().value_unsafe());
  return fallback;
}

std::string targets_text(const Element& j) {
  auto targets = field(j, "targets");
  simdjson::dom::array array;
  if (!targets || targets->get_array().get(array) || array.size() == 0) return "-";
  std::string text;
  for (Element t : array) {
    if (!text.empty()) text += ",";
    if (t.is_string())
      text += t.get_string().value_unsafe();
    else
      text += simdjson::minify(t);
  }
  return text;
}

void print_status_element(const Element& result, std::ostream& out) {
  simdjson::dom::array recipients;  // the result itself when it is a bare list of rows
  bool has_rows = !result.get_array().get(recipients);
  if (auto rows = field(result, "recipients"); !has_rows && rows) has_rows = !rows->get_array().get(recipients);
  auto totals = field(result, "totals");
  if (totals && !totals->is_object()) totals.reset();
  ViewTable table({"RECIPIENT", "STATE", "DELIVERED", "DISPLAYED", "READ", "USER"});
  // heraldd counts each recipient once, in its furthest state; do the same without totals.
  long pending = 0, delivered = 0, displayed = 0, read = 0, count = 0;
  if (has_rows)
    for (Element r : recipients) {
      ++count;
      auto state = state_view(table, r);
      if (state == "read")
        ++read;
      else if (state == "displayed")
        ++displayed;
      else if (state == "delivered")
        ++delivered;
      else
        ++pending;
      table.add({view_of(table, r, {"recipient", "path", "agent"}), state, view_of(table, r, {"delivered_at"}),
                 view_of(table, r, {"displayed_at"}), view_of(table, r, {"read_at"}), view_of(table, r, {"user"})});
    }
  out << view_of(table, result, {"id"}) << " (" << view_of(table, result, {"kind"});
  if (has_value(result, "state")) out << ", " << view_of(table, result, {"state"});
  out << ") to " << targets_text(result) << ": " << count_at(totals, "recipients", count) << " recipients, "
      << count_at(totals, "pending", pending) << " pending, " << count_at(totals, "delivered", delivered)
      << " delivered, " << count_at(totals, "displayed", displayed) << " displayed, " << count_at(totals, "read", read)
      << " read\n";
  table.print(out);
}

Element parse_or_throw(simdjson::dom::parser& parser, std::string_view text, const char* what) {
  Element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc))
    throw Error(ErrorKind::protocol, std::string(what) + " is not valid JSON: " + simdjson::error_message(error));
  return doc;
}

}  // namespace

std::size_t display_width(const std::string& text) { return width_of(text); }

std::string shorten(const std::string& text, std::size_t max) {
  if (display_width(text) <= max) return text;
  std::size_t keep = max > 3 ? max - 3 : 0, chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == keep) break;
  }
  return text.substr(0, i) + "...";
}

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::add(std::vector<std::string> row) {
  // Newlines or tabs in a title would break the columns.
  for (auto& cell : row)
    std::replace_if(
        cell.begin(), cell.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - display_width(row[c]) + 2, ' ');
    }
    out << line << '\n';
  }
}

void print_status(const json& result, std::ostream& out) {
  simdjson::dom::parser parser;
  print_status_element(parse_or_throw(parser, result.dump(), "the status"), out);
}

void print_status_reply(std::string_view reply_payload, std::ostream& out) {
  simdjson::dom::parser parser;
  auto reply = parse_or_throw(parser, reply_payload, "heraldd's reply");
  auto ok = field(reply, "ok");
  if (!ok || !ok->is_bool()) throw Error(ErrorKind::protocol, "heraldd's reply has no boolean 'ok'");
  if (!ok->get_bool().value_unsafe()) {
    // Not the fast path: let the one decoder of error replies say what went wrong.
    auto decoded = payloads::decode<payloads::Reply>(reply_payload);
    throw Error(error_kind_from_reply(decoded.error_kind), decoded.error);
  }
  auto result = field(reply, "result");
  if (!result) throw Error(ErrorKind::protocol, "heraldd's status reply has no result");
  print_status_element(*result, out);
}

void print_pending(const json& result, std::ostream& out) {
  const auto& recipients = array_at(result, "recipients");
  std::size_t shown = 0;
  for (const auto& r : recipients) {
    const auto& unread = array_at(r, "unread");
    if (unread.empty()) continue;
    if (shown++) out << '\n';
    out << text_of(r, {"recipient", "path", "agent"});
    if (has_value(r, "user")) out << " (" << text_of(r, {"user"}) << ")";
    out << ": " << unread.size() << " unread\n";
    Table table({"  ID", "KIND", "SENT", "TITLE"});
    for (const auto& m : unread)
      table.add({"  " + text_of(m, {"id"}), text_of(m, {"kind"}), text_of(m, {"sent_at"}),
                 shorten(text_of(m, {"title"}), 60)});
    table.print(out);
  }
  if (!shown) out << "nothing unread under " << text_of(result, {"under", "scope"}) << '\n';
}

void print_list(const json& result, std::ostream& out) {
  Table table({"ID", "KIND", "SENT", "TARGETS", "READ/RECIPIENTS", "STATE", "TITLE"});
  for (const auto& m : array_at(result, "messages"))
    table.add({text_of(m, {"id"}), text_of(m, {"kind"}), text_of(m, {"sent_at"}), shorten(targets_text(m), 40),
               text_of(m, {"read"}) + "/" + text_of(m, {"recipients"}), text_of(m, {"state"}),
               shorten(text_of(m, {"title"}), 50)});
  table.print(out);
}

}  // namespace herald::dispatcher
