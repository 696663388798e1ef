#include "herald/common/directory.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/orgpath.hpp"

namespace herald {
namespace {

// Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, newlines in quotes).
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      if (!(record.size() == 1 && record[0].empty())) records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw Error(ErrorKind::usage, tr("directory CSV: unterminated quoted field"));
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

std::vector<DirectoryEntry> parse_directory_csv(const std::string& text) {
  auto records = csv_records(text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text);
  if (records.empty()) throw Error(ErrorKind::usage, tr("directory CSV is empty"));
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < records[0].size(); ++i) column[records[0][i]] = i;
  for (const char* required : {"path", "kind"})
    if (!column.count(required))
      throw Error(ErrorKind::usage, trf("directory CSV: header has no '{1}' column", {required}));
  auto field = [&](const std::vector<std::string>& r, const char* name) -> std::string {
    auto it = column.find(name);
    return it != column.end() && it->second < r.size() ? r[it->second] : std::string();
  };
  static const std::set<std::string> kinds = {"central", "unit", "branch", "computer"};
  std::vector<DirectoryEntry> entries;
  std::set<std::string> seen;
  for (std::size_t n = 1; n < records.size(); ++n) {
    const auto& r = records[n];
    auto where = trf("directory CSV line {1}: ", {std::to_string(n + 1)});
    DirectoryEntry e{field(r, "path"), field(r, "kind"), field(r, "name"), field(r, "login"), field(r, "person")};
    if (!is_valid_org_path(e.path)) throw Error(ErrorKind::usage, where + trf("invalid org path '{1}'", {e.path}));
    if (!kinds.count(e.kind))
      throw Error(ErrorKind::usage, where + trf("unknown kind '{1}' (central, unit, branch or computer)", {e.kind}));
    if (!e.login.empty() && !is_valid_login(e.login))
      throw Error(ErrorKind::usage, where + trf("invalid login '{1}'", {e.login}));
    if (!seen.insert(e.path).second) throw Error(ErrorKind::usage, where + trf("duplicate path '{1}'", {e.path}));
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<DirectoryEntry> load_directory_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, trf("cannot read directory file {1}", {path}));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_directory_csv(buffer.str());
}

}  // namespace herald
