#include "herald/dispatcher/format.hpp"

#include <algorithm>

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

long count_at(const json& j, const char* key, long fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long>() : fallback;
}

// A recipient's furthest receipt when heraldd does not name the state itself.
std::string state_of(const json& r) {
  if (has_value(r, "state")) return text_of(r, {"state"});
  if (has_value(r, "read_at")) return "read";
  if (has_value(r, "displayed_at")) return "displayed";
  if (has_value(r, "delivered_at")) return "delivered";
  return "pending";
}

}  // namespace

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

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
  for (auto& cell : row) std::replace_if(cell.begin(), cell.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
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
  const auto& recipients = array_at(result, "recipients");
  json totals = result.is_object() && result.contains("totals") ? result.at("totals") : json::object();
  // heraldd counts each recipient once, in its furthest state; do the same without totals.
  long pending = 0, delivered = 0, displayed = 0, read = 0;
  for (const auto& r : recipients) {
    auto state = state_of(r);
    if (state == "read") ++read;
    else if (state == "displayed") ++displayed;
    else if (state == "delivered") ++delivered;
    else ++pending;
  }
  out << text_of(result, {"id"}) << " (" << text_of(result, {"kind"});
  if (has_value(result, "state")) out << ", " << text_of(result, {"state"});
  out << ") to " << targets_text(result) << ": " << count_at(totals, "recipients", static_cast<long>(recipients.size()))
      << " recipients, " << count_at(totals, "pending", pending) << " pending, " << count_at(totals, "delivered", delivered)
      << " delivered, " << count_at(totals, "displayed", displayed) << " displayed, " << count_at(totals, "read", read)
      << " read\n";
  Table table({"RECIPIENT", "STATE", "DELIVERED", "DISPLAYED", "READ", "USER"});
  for (const auto& r : recipients)
    table.add({text_of(r, {"recipient", "path", "agent"}), state_of(r), text_of(r, {"delivered_at"}),
               text_of(r, {"displayed_at"}), text_of(r, {"read_at"}), text_of(r, {"user"})});
  table.print(out);
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
