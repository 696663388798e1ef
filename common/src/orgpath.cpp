#include "herald/common/orgpath.hpp"

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"

namespace herald {
namespace {

bool all_of_charset(std::string_view s, bool allow_upper, bool allow_dot) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              (allow_upper && c >= 'A' && c <= 'Z') || (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool is_valid_path_segment(std::string_view segment) { return all_of_charset(segment, false, false); }
bool is_valid_login(std::string_view login) { return all_of_charset(login, true, true); }
bool is_valid_token(std::string_view token) {
  return all_of_charset(token, true, true) && token != "." && token != "..";
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    parts.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool is_valid_org_path(std::string_view path) {
  if (path.empty()) return false;
  auto parts = split_path(path);
  if (parts.size() > kMaxOrgDepth || parts.front() != "org") return false;
  for (const auto& p : parts)
    if (!is_valid_path_segment(p)) return false;
  return true;
}

void require_org_path(std::string_view path, std::string_view what) {
  if (!is_valid_org_path(path))
    throw Error(ErrorKind::usage, trf("invalid {1} '{2}': expected org or org/<level>/... with levels of a-z, 0-9, _ "
                                      "or - (at most {3} levels)",
                                      {what, path, std::to_string(kMaxOrgDepth)}));
}

std::vector<std::string> ancestors_or_self(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto slash = path.find('/', pos);
    if (slash == std::string_view::npos) break;
    out.emplace_back(path.substr(0, slash));
    pos = slash + 1;
  }
  out.emplace_back(path);
  return out;
}

bool is_under(std::string_view path, std::string_view ancestor) {
  if (path.size() < ancestor.size() || path.substr(0, ancestor.size()) != ancestor) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '/';
}

Target Target::parse(std::string_view text) {
  constexpr std::string_view person_prefix = "user:";
  if (text.substr(0, person_prefix.size()) == person_prefix) {
    auto login = text.substr(person_prefix.size());
    if (!is_valid_login(login))
      throw Error(ErrorKind::usage,
                  trf("invalid target '{1}': a login is 1-64 letters, digits, '.', '_' or '-'", {text}));
    return person(std::string(login));
  }
  if (!is_valid_org_path(text))
    throw Error(ErrorKind::usage,
                trf("invalid target '{1}': expected an org path (org, org/branch01, ...) or user:LOGIN", {text}));
  return path(std::string(text));
}

Target Target::path(std::string p) {
  Target t;
  t.value_ = PathTarget{std::move(p)};
  return t;
}

Target Target::person(std::string login) {
  Target t;
  t.value_ = PersonTarget{std::move(login)};
  return t;
}

const std::string& Target::org_path() const { return std::get<PathTarget>(value_).path; }
const std::string& Target::login() const { return std::get<PersonTarget>(value_).login; }

std::string Target::to_string() const { return is_person() ? "user:" + login() : org_path(); }

bool Target::covers(std::string_view agent_path, std::string_view user) const {
  if (is_person()) return !user.empty() && user == login();
  return is_under(agent_path, org_path());
}

}  // namespace herald
