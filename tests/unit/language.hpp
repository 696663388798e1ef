#pragma once
// For tests of translated output: sets the locale variables and runs i18n::init for the
// test's scope, then puts the process back into English (the other tests in the same
// binary assert English text). Shared by tests/unit and tests/dispatcher.
#include <stdlib.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "herald/common/i18n.hpp"

namespace herald::testing {

class Language {
 public:
  using Vars = std::map<std::string, std::optional<std::string>>;
  Language(const char* name, const char* value) : Language(Vars{{name, value}}) {}
  explicit Language(const Vars& vars) {
    for (const char* name : {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
    for (const auto& [name, value] : vars)
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
    herald::i18n::init("herald");
  }
  ~Language() {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) ::unsetenv(name);
    ::setenv("LANGUAGE", "en", 1);
    herald::i18n::init("herald");
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  Language(const Language&) = delete;
  Language& operator=(const Language&) = delete;

 private:
  Vars saved_;
};

}  // namespace herald::testing
