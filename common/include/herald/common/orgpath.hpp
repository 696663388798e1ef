#pragma once
// Org paths ("org/branch01/pc042") and message targets (an org subtree or a person).
// Every string that becomes a topic level passes through these validators, so no
// user input can smuggle MQTT wildcards or separators into a topic.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace herald {

// One level of an org path: lowercase letters, digits, '_' and '-', 1..64 chars.
bool is_valid_path_segment(std::string_view segment);
// "org" or "org/..." with valid segments, at most kMaxOrgDepth levels.
bool is_valid_org_path(std::string_view path);
// Person login: letters, digits, '.', '_', '-', 1..64 chars.
bool is_valid_login(std::string_view login);
// Message id, account name, request id: letters, digits, '.', '_', '-', 1..64 chars.
bool is_valid_token(std::string_view token);

inline constexpr std::size_t kMaxOrgDepth = 8;

// Throws Error(usage) naming what is wrong.
void require_org_path(std::string_view path, std::string_view what);

// "org/a/b" -> {"org", "org/a", "org/a/b"}
std::vector<std::string> ancestors_or_self(std::string_view path);
// True if path == ancestor or path lies below it.
bool is_under(std::string_view path, std::string_view ancestor);
std::vector<std::string> split_path(std::string_view path);

struct PersonTarget {
  std::string login;
  bool operator==(const PersonTarget&) const = default;
};
struct PathTarget {
  std::string path;
  bool operator==(const PathTarget&) const = default;
};

// What a message is addressed to: "org/branch01" or "user:jkowalski".
class Target {
 public:
  static Target parse(std::string_view text);  // throws Error(usage)
  static Target path(std::string p);
  static Target person(std::string login);

  bool is_person() const { return std::holds_alternative<PersonTarget>(value_); }
  const std::string& org_path() const;  // precondition: !is_person()
  const std::string& login() const;     // precondition: is_person()
  std::string to_string() const;        // inverse of parse
  // Does a computer at `agent_path`, with `user` logged in, fall under this target?
  bool covers(std::string_view agent_path, std::string_view user) const;
  bool operator==(const Target&) const = default;

 private:
  std::variant<PathTarget, PersonTarget> value_;
};

}  // namespace herald
