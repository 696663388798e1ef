#pragma once
// Daemon logging: one line per event on stderr, "2026-11-22T13:01:18.123Z LEVEL component: text".
// systemd's journal or the test fixture captures it.
#include <string>
#include <string_view>

namespace herald::log {

void set_component(std::string_view name);
void set_verbose(bool verbose);
void debug(std::string_view text);
void info(std::string_view text);
void warn(std::string_view text);
void error(std::string_view text);

}  // namespace herald::log
