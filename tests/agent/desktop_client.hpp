#pragma once
// A blocking client of the agent's desktop socket (docs/desktop-protocol.md) for tests:
// one JSON object per line each way.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace herald::agent::test {

class DesktopClient {
 public:
  // Connects; fd() < 0 if the socket is not there.
  explicit DesktopClient(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~DesktopClient() {
    if (fd_ >= 0) close(fd_);
  }
  DesktopClient(const DesktopClient&) = delete;
  DesktopClient& operator=(const DesktopClient&) = delete;
  int fd() const { return fd_; }

  // Writes raw bytes; false if the server closed the connection.
  bool write_raw(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool send(const nlohmann::json& request) { return write_raw(request.dump() + "\n"); }

  // The next line, or nullopt at EOF or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        auto line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::optional<nlohmann::json> read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto line = read_line(timeout);
    if (!line) return std::nullopt;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  }
  // The reply to `request` (events before it are kept for next_event()).
  nlohmann::json call(nlohmann::json request) {
    request["re"] = ++re_;
    REQUIRE(send(request));
    while (true) {
      auto j = read();
      REQUIRE(j);
      if (j->contains("event")) {
        events_.push_back(*j);
        continue;
      }
      CHECK(j->at("re") == re_);
      return *j;
    }
  }
  // The next event, first from those seen while waiting for replies.
  std::optional<nlohmann::json> next_event(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (!events_.empty()) {
      auto e = events_.front();
      events_.erase(events_.begin());
      return e;
    }
    return read(timeout);
  }
  // True once the server has closed the connection (reads until EOF, at most `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && std::chrono::steady_clock::now() < until) read_line(std::chrono::milliseconds(100));
    return eof_;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  int re_ = 0;
  std::vector<nlohmann::json> events_;
};

}  // namespace herald::agent::test
