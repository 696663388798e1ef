#pragma once
// The org directory as HR or inventory exports it: CSV with a header naming at least
// `path` and `kind` (`central`, `unit`, `branch` or `computer`), and optionally
// `name`, `login` (a computer's usual employee) and `person`. Column order is free,
// unknown columns are ignored, RFC 4180 quoting is understood.
#include <string>
#include <vector>

namespace herald {

struct DirectoryEntry {
  std::string path;
  std::string kind;
  std::string name;
  std::string login;
  std::string person;
  bool is_computer() const { return kind == "computer"; }
};

// Throws Error(usage) with "line N: ..." for the first bad row; a file is taken whole
// or not at all.
std::vector<DirectoryEntry> parse_directory_csv(const std::string& text);
std::vector<DirectoryEntry> load_directory_csv(const std::string& path);

}  // namespace herald
