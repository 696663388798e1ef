#pragma once
// Text for terminals and log lines: every CLI (herald, herald-agent, herald-acl) prints
// tables and network-supplied text through these, so a title cannot break a table's
// columns or smuggle an escape sequence into an admin's terminal.
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace herald::text {

// Text from the network made safe for one log line or a terminal: control characters
// (escape sequences!) become '?', and at most `max_bytes` are kept ("..." when cut).
std::string printable(std::string_view text, std::size_t max_bytes = 200, bool keep_newlines = false);

// Number of characters (not bytes) of a UTF-8 string.
std::size_t display_width(std::string_view text);
// At most `max` characters, with "..." when cut; never splits a UTF-8 sequence.
std::string shorten(std::string_view text, std::size_t max);

// Left-aligned columns; widths count UTF-8 characters. A cell's newlines and tabs become
// spaces (a multi-line title stays one row) and other control characters '?'.
// A status of 10,000 recipients is 60,000 cells: add_views() keeps views instead of
// copies, which cost more than the rest of printing.
class Table {
 public:
  struct Layout {
    std::size_t gap = 2;                  // spaces between columns
    std::vector<std::size_t> min_widths;  // per column; the last column is never padded
  };

  explicit Table(std::vector<std::string> header) : Table(std::move(header), Layout{}) {}
  Table(std::vector<std::string> header, Layout layout);

  // Copies the cells.
  void add(std::vector<std::string> row);
  // Views that must outlive print(): literals, or text that own() keeps.
  void add_views(std::initializer_list<std::string_view> row);
  std::string_view own(std::string text) { return owned_.emplace_back(std::move(text)); }

  void print(std::ostream& out) const;

 private:
  void add_cell(std::string_view cell, std::size_t column);

  struct Cell {
    std::string_view text;
    std::size_t width;
  };
  Layout layout_;
  std::vector<Cell> cells_;
  std::vector<std::size_t> row_sizes_;
  std::vector<std::size_t> widths_;
  std::deque<std::string> owned_;  // stable addresses for views
};

}  // namespace herald::text
