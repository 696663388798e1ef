#pragma once
// Configuration files: "key = value" lines; blanks around key and value are trimmed.
// A '#' at the start of a line or after a blank starts a comment, on its own line or
// after a value (`scope = org/branch01   # the subtree`); a '#' after any other
// character is part of the value (`password = pa#ss`). So a value cannot begin with '#'
// or contain a blank followed by '#': such a password goes in `password_file` (read
// verbatim) or $HERALD_PASSWORD. A key given twice: the last line wins. Unknown keys are
// not checked here. Secrets live here (file mode 0600) or in the environment, never on
// a command line where `ps` would show them.
#include <map>
#include <optional>
#include <string>

namespace herald {

class Config {
 public:
  // Throws Error(config) if the file cannot be read or a line is malformed (no '=', or
  // an empty key), naming the file and line.
  static Config load(const std::string& path);
  static Config from_string(const std::string& text, const std::string& origin);

  std::optional<std::string> get(const std::string& key) const;
  std::string get_or(const std::string& key, const std::string& fallback) const;
  long get_int(const std::string& key, long fallback) const;
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  const std::string& origin() const { return origin_; }
  // Paths in the file are relative to the file's directory.
  std::string path_value(const std::string& key) const;

 private:
  std::map<std::string, std::string> values_;
  std::string origin_;
};

}  // namespace herald
