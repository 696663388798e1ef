#include "herald/common/i18n.hpp"

#include <libintl.h>
#include <unistd.h>

#include <array>
#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <string>

#ifndef HERALD_BUILD_LOCALEDIR
#define HERALD_BUILD_LOCALEDIR ""
#endif

namespace herald::i18n {
namespace {

std::string g_locale_dir;
std::string g_language = "en";
const char* g_domain = nullptr;

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : exe.parent_path().string();
}

bool has_catalogues(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::is_directory(dir, ec);
}

std::string find_locale_dir() {
  if (const char* env = std::getenv("HERALD_LOCALEDIR"); env && *env) return env;
  if (auto exe = executable_dir(); !exe.empty()) {
    auto installed = exe + "/../share/locale";
    if (has_catalogues(installed)) return std::filesystem::weakly_canonical(installed).string();
  }
  if (has_catalogues(HERALD_BUILD_LOCALEDIR)) return HERALD_BUILD_LOCALEDIR;
  return {};
}

// "pl_PL.UTF-8" -> "pl"; "" for C/POSIX/unset.
std::string language_of(const char* value) {
  if (!value || !*value) return {};
  std::string v = value;
  if (v == "C" || v == "POSIX" || v.rfind("C.", 0) == 0) return {};
  auto end = v.find_first_of("_.@:");
  return v.substr(0, end);
}

std::string wanted_language() {
  // LANGUAGE is a colon list; its first entry wins, as gettext does.
  if (const char* language = std::getenv("LANGUAGE"); language && *language) {
    if (auto first = language_of(language); !first.empty()) return first;
  }
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (value && *value) return language_of(value);
  }
  return {};
}

}  // namespace

void init(const char* domain) {
  g_domain = domain;
  // LC_CTYPE for the codeset; LC_MESSAGES may fail when the locale is not generated.
  // A locale that is asked for but not generated (LANG=pl_PL.UTF-8 in a fresh container)
  // would leave LC_CTYPE "C", whose ASCII codeset turns the C library's own translated
  // texts (strerror: "Brak dostępu") into "Brak dost?pu": take C.UTF-8 then.
  if (!std::setlocale(LC_CTYPE, "")) std::setlocale(LC_CTYPE, "C.UTF-8");
  const char* messages = std::setlocale(LC_MESSAGES, "");
  g_language = wanted_language();
  if (g_language.empty()) g_language = "en";
  // glibc consults LANGUAGE only when LC_MESSAGES is not "C": with no generated locale
  // (a fresh container) pick C.UTF-8 and hand gettext the language through LANGUAGE.
  if (!messages || std::string_view(messages) == "C" || std::string_view(messages) == "POSIX") {
    std::setlocale(LC_MESSAGES, "C.UTF-8");
    ::setenv("LANGUAGE", g_language.c_str(), 1);
  }
  g_locale_dir = find_locale_dir();
  if (!g_locale_dir.empty()) bindtextdomain(domain, g_locale_dir.c_str());
  bind_textdomain_codeset(domain, "UTF-8");
  textdomain(domain);
}

const std::string& locale_dir() { return g_locale_dir; }
const std::string& language() { return g_language; }

}  // namespace herald::i18n

namespace herald {

const char* tr(const char* msgid) { return gettext(msgid); }

namespace {
std::string substitute(std::string_view pattern, std::initializer_list<std::string_view> args) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '{') {
      auto close = pattern.find('}', i);
      if (close != std::string_view::npos && close > i + 1) {
        std::size_t index = 0;
        bool digits = true;
        for (auto k = i + 1; k < close; ++k) {
          if (pattern[k] < '0' || pattern[k] > '9') {
            digits = false;
            break;
          }
          index = index * 10 + static_cast<std::size_t>(pattern[k] - '0');
        }
        if (digits && index >= 1 && index <= args.size()) {
          out += *(args.begin() + (index - 1));
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string trf(const char* msgid, std::initializer_list<std::string_view> args) { return substitute(tr(msgid), args); }

std::string trn(const char* singular, const char* plural, unsigned long n) {
  auto count = std::to_string(n);
  return substitute(ngettext(singular, plural, n), {count});
}

std::string_view tr_word(std::string_view name) {
  // Spelled out so xgettext sees every word; the names are those of results, payloads
  // and topics. One catalogue lookup per call: a status table of 10,000 rows stays fast.
  static constexpr std::string_view kWords[] = {
      "active",    "expired",  "recalled", "pending", "delivered", "displayed", "read",    "confirmed", "paused",
      "cancelled", "finished", "unread",   "alert",   "message",   "info",      "warning", "critical",  "sent"};
  std::size_t i = 0;
  while (i < std::size(kWords) && kWords[i] != name) ++i;
  switch (i) {
    case 0:
      return tr("active");
    case 1:
      return tr("expired");
    case 2:
      return tr("recalled");
    case 3:
      return tr("pending");
    case 4:
      return tr("delivered");
    case 5:
      return tr("displayed");
    case 6:
      return tr("read");
    case 7:
      return tr("confirmed");
    case 8:
      return tr("paused");
    case 9:
      return tr("cancelled");
    case 10:
      return tr("finished");
    case 11:
      return tr("unread");
    case 12:
      return tr("alert");
    case 13:
      return tr("message");
    case 14:
      return tr("info");
    case 15:
      return tr("warning");
    case 16:
      return tr("critical");
    case 17:
      return tr("sent");
    default:
      return name;
  }
}

}  // namespace herald
