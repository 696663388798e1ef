#include "herald/agent/wake.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"

namespace herald::agent {
namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(ErrorKind::config, trf("socket path {1} is too long (data_dir must be shorter than {2} characters)",
                                       {path, std::to_string(sizeof addr.sun_path - 12)}));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

std::string wake_socket_path(const std::string& data_dir) { return data_dir + "/agent.sock"; }

WakeSocket::WakeSocket(const std::string& path) : path_(path) {
  auto addr = address_of(path);
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw Error(ErrorKind::storage, trf("cannot create socket {1}: {2}", {path, std::strerror(errno)}));
  unlink(path.c_str());  // a previous daemon's socket; only one daemon runs per data_dir
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd_);
    throw Error(ErrorKind::storage, trf("cannot bind socket {1}: {2}", {path, std::strerror(err)}));
  }
}

WakeSocket::~WakeSocket() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
}

int WakeSocket::drain() {
  int n = 0;
  char buf[64];
  while (recv(fd_, buf, sizeof buf, 0) >= 0) ++n;
  return n;
}

bool send_wake(const std::string& path) {
  sockaddr_un addr;
  try {
    addr = address_of(path);
  } catch (const Error&) {
    return false;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  char byte = 1;
  bool sent = sendto(fd, &byte, 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 1;
  close(fd);
  return sent;
}

}  // namespace herald::agent
