#include "herald/common/log.hpp"

#include <cstdio>
#include <mutex>

#include "herald/common/time.hpp"

namespace herald::log {
namespace {
std::mutex g_mutex;
std::string g_component = "herald";
bool g_verbose = false;

void write(const char* level, std::string_view text) {
  auto stamp = to_rfc3339(now());
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s %s: %.*s\n", stamp.c_str(), level, g_component.c_str(), static_cast<int>(text.size()),
               text.data());
  std::fflush(stderr);
}
}  // namespace

void set_component(std::string_view name) {
  std::lock_guard lock(g_mutex);
  g_component = std::string(name);
}
void set_verbose(bool verbose) { g_verbose = verbose; }
void debug(std::string_view text) {
  if (g_verbose) write("DEBUG", text);
}
void info(std::string_view text) { write("INFO", text); }
void warn(std::string_view text) { write("WARN", text); }
void error(std::string_view text) { write("ERROR", text); }

}  // namespace herald::log
