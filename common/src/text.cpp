#include "herald/common/text.hpp"

#include <algorithm>

namespace herald::text {
namespace {

bool is_control(unsigned char u) { return u < 0x20 || u == 0x7f; }

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes, bool keep_newlines) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (char c : text) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (keep_newlines && (c == '\n' || c == '\t'))
      out += c;
    else if (is_control(u))
      out += '?';
    else
      out += c;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string shorten(std::string_view text, std::size_t max) {
  if (display_width(text) <= max) return std::string(text);
  std::size_t keep = max > 3 ? max - 3 : 0, chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == keep) break;
  }
  return std::string(text.substr(0, i)) + "...";
}

Table::Table(std::vector<std::string> header, Layout layout) : layout_(std::move(layout)) { add(std::move(header)); }

void Table::add(std::vector<std::string> row) {
  row_sizes_.push_back(row.size());
  for (std::size_t c = 0; c < row.size(); ++c) add_cell(own(std::move(row[c])), c);
}

void Table::add_views(std::initializer_list<std::string_view> row) {
  row_sizes_.push_back(row.size());
  std::size_t c = 0;
  for (auto cell : row) add_cell(cell, c++);
}

void Table::add_cell(std::string_view cell, std::size_t column) {
  if (std::any_of(cell.begin(), cell.end(), [](char ch) { return is_control(static_cast<unsigned char>(ch)); })) {
    std::string clean(cell);
    for (auto& ch : clean)
      if (ch == '\n' || ch == '\r' || ch == '\t')
        ch = ' ';
      else if (is_control(static_cast<unsigned char>(ch)))
        ch = '?';
    cell = own(std::move(clean));
  }
  while (widths_.size() <= column) {
    auto c = widths_.size();
    widths_.push_back(c < layout_.min_widths.size() ? layout_.min_widths[c] : 0);
  }
  auto w = display_width(cell);
  widths_[column] = std::max(widths_[column], w);
  cells_.push_back(Cell{cell, w});
}

void Table::print(std::ostream& out) const {
  std::string text;
  std::size_t bytes = 0;
  for (const auto& cell : cells_) bytes += cell.text.size();
  text.reserve(bytes + row_sizes_.size() * (2 * widths_.size() + 1) + cells_.size() * 8);
  std::size_t at = 0;
  for (auto n : row_sizes_) {
    for (std::size_t c = 0; c < n; ++c) {
      const auto& cell = cells_[at + c];
      text += cell.text;
      if (c + 1 < n) text.append(widths_[c] - cell.width + layout_.gap, ' ');
    }
    text.push_back('\n');
    at += n;
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace herald::text
