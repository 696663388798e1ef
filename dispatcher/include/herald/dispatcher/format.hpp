#pragma once
// Human output of `herald status|pending|list`: aligned tables of heraldd's reply
// results. `--json` bypasses this and prints the result unchanged. Times are shown as
// the RFC 3339 strings heraldd sends; missing values as "-".
//
// Expected result shapes (heraldd owns them; absent fields are shown as "-"):
//   status:  {"id","kind","title","sender","sent_at","expires_at","state","targets":[..],
//             "totals":{"recipients","delivered","displayed","read"},
//             "recipients":[{"recipient","state","delivered_at","displayed_at","read_at","user"}]}
//   pending: {"scope","recipients":[{"recipient","user","unread":[{"id","kind","title","sent_at"}]}]}
//   list:    {"messages":[{"id","kind","sent_at","expires_at","targets":[..],"recipients","read",
//             "state","title"}]}
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace herald::dispatcher {

// Left-aligned columns separated by two spaces; widths count UTF-8 characters.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  void print(std::ostream& out) const;
  std::size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// Number of characters (not bytes) of a UTF-8 string.
std::size_t display_width(const std::string& text);
// At most `max` characters, with "..." when cut; never splits a UTF-8 sequence.
std::string shorten(const std::string& text, std::size_t max);

void print_status(const nlohmann::json& result, std::ostream& out);
void print_pending(const nlohmann::json& result, std::ostream& out);
void print_list(const nlohmann::json& result, std::ostream& out);

}  // namespace herald::dispatcher
