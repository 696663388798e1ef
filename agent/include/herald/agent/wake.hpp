#pragma once
// `herald-agent show` runs in another process; after committing a `read` receipt to the
// shared LMDB outbox it sends one datagram to <data_dir>/agent.sock so the daemon
// flushes the outbox at once instead of at its next event.
#include <string>

namespace herald::agent {

std::string wake_socket_path(const std::string& data_dir);

// The daemon's end: a bound, non-blocking unix datagram socket. Replaces a stale socket
// file left by a crashed daemon; removes the file on destruction.
class WakeSocket {
 public:
  explicit WakeSocket(const std::string& path);  // throws Error(storage)
  ~WakeSocket();
  WakeSocket(const WakeSocket&) = delete;
  WakeSocket& operator=(const WakeSocket&) = delete;
  int fd() const { return fd_; }
  // Reads every pending datagram; returns how many there were.
  int drain();

 private:
  int fd_ = -1;
  std::string path_;
};

// Returns false if no daemon is listening (the receipt then waits in the outbox).
bool send_wake(const std::string& path);

}  // namespace herald::agent
