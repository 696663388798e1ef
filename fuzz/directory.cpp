// herald::parse_directory_csv: the org directory an admin imports (herald import-org,
// herald-acl apply). A file is taken whole or refused; what is taken holds only valid,
// distinct org paths.
#include "herald/common/directory.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "finding.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<herald::DirectoryEntry> entries;
  try {
    entries = herald::parse_directory_csv(text);
  } catch (const herald::Error&) {
    return 0;
  }
  std::set<std::string> paths;
  for (const auto& e : entries) {
    if (!herald::is_valid_org_path(e.path)) herald::fuzz::finding("accepted an invalid org path", e.path);
    if (!paths.insert(e.path).second) herald::fuzz::finding("accepted a duplicate path", e.path);
    if (!e.login.empty() && !herald::is_valid_login(e.login)) herald::fuzz::finding("accepted a bad login", e.login);
  }
  return 0;
}
