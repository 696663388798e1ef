#pragma once
// Writing the broker's files safely and telling the broker to reload them.
#include <sys/types.h>

#include <string>

namespace herald::acl {

// Writes `content` to a temporary file next to `path`, fsyncs it, sets `mode`, and
// renames it over `path` (then fsyncs the directory): readers see the old file or the
// new one, never half of one. If `broker_group` is true and we run as root, the file's
// group becomes `mosquitto` (if that user exists) so the broker, which drops to that
// user, can read a 0640 file it cannot write. Error(storage) on failure.
void write_file_atomically(const std::string& path, const std::string& content, mode_t mode, bool broker_group);

// The mode of an existing file, or `fallback` if it does not exist.
mode_t existing_mode(const std::string& path, mode_t fallback);

// Reads a pid file (one decimal number). Error(not_found) / Error(usage).
pid_t read_pidfile(const std::string& path);
// SIGHUP: Mosquitto reloads acl_file and password_file without dropping clients (it
// disconnects only those whose password is no longer valid).
// Error(not_found) if no such process, Error(not_permitted) if not ours to signal.
void reload_broker(pid_t pid);

}  // namespace herald::acl
