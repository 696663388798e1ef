#include "herald/common/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"

namespace herald {
namespace {
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Cuts a comment off a line: '#' at the start of the line or after a blank (space or tab)
// begins one. A '#' right after another character is text, so `password = pa#ss` is the
// password "pa#ss" and `broker = ssl://h:1` is not cut anywhere.
std::string strip_comment(const std::string& line) {
  for (std::size_t i = 0; i < line.size(); ++i)
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  return line;
}
}  // namespace

Config Config::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::config, trf("cannot read config file {1}: {2}", {path, std::strerror(errno)}));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return from_string(buffer.str(), path);
}

Config Config::from_string(const std::string& text, const std::string& origin) {
  Config c;
  c.origin_ = origin;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto t = trim(strip_comment(line));
    if (t.empty()) continue;
    auto eq = t.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::config, origin + ":" + std::to_string(number) + ": " + tr("expected 'key = value'"));
    auto key = trim(t.substr(0, eq));
    if (key.empty()) throw Error(ErrorKind::config, origin + ":" + std::to_string(number) + ": " + tr("empty key"));
    c.values_[key] = trim(t.substr(eq + 1));
  }
  return c;
}

std::optional<std::string> Config::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Config::get_or(const std::string& key, const std::string& fallback) const {
  return get(key).value_or(fallback);
}

long Config::get_int(const std::string& key, long fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    long n = std::stol(*v, &used);
    if (used != v->size()) throw std::invalid_argument(key);
    return n;
  } catch (const std::exception&) {
    throw Error(ErrorKind::config, trf("'{1}' in {2} must be an integer, not '{3}'", {key, origin_, *v}));
  }
}

std::string Config::path_value(const std::string& key) const {
  auto v = get(key);
  if (!v) return {};
  std::filesystem::path p(*v);
  if (p.is_relative() && !origin_.empty() && origin_.find('/') != std::string::npos)
    p = std::filesystem::path(origin_).parent_path() / p;
  return p.string();
}

}  // namespace herald
