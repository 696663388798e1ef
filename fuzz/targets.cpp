// herald::Target::parse and the org-path validators behind it: every string that becomes
// a topic level passes here. What parses prints back as itself, and the validators agree
// with each other.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "finding.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string input(text);

  bool valid_path = herald::is_valid_org_path(text);
  bool required = true;
  try {
    herald::require_org_path(text, "path");
  } catch (const herald::Error&) {
    required = false;
  }
  if (valid_path != required) herald::fuzz::finding("is_valid_org_path and require_org_path disagree", input);
  if (valid_path) {
    auto levels = herald::split_path(text);
    if (levels.empty() || levels.size() > herald::kMaxOrgDepth) herald::fuzz::finding("valid path, bad depth", input);
    for (const auto& level : levels)
      if (!herald::is_valid_path_segment(level)) herald::fuzz::finding("valid path, invalid segment", input);
    for (const auto& ancestor : herald::ancestors_or_self(text))
      if (!herald::is_valid_org_path(ancestor) || !herald::is_under(text, ancestor))
        herald::fuzz::finding("an ancestor of a valid path is not one", input + " | " + ancestor);
  }

  herald::Target target = herald::Target::path("org");
  try {
    target = herald::Target::parse(text);
  } catch (const herald::Error&) {
    return 0;
  }
  if (target.to_string() != text) herald::fuzz::finding("Target::parse(x).to_string() != x", input);
  if (!target.is_person() && !valid_path) herald::fuzz::finding("a path target that is not a valid org path", input);
  if (target.is_person() && !herald::is_valid_login(target.login()))
    herald::fuzz::finding("a person target with an invalid login", input);
  return 0;
}
