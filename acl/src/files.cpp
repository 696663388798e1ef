#include "herald/acl/files.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include "herald/common/error.hpp"

namespace herald::acl {
namespace {

Error storage_error(const std::string& what, const std::string& path) {
  return Error(ErrorKind::storage, what + " " + path + ": " + std::strerror(errno));
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes the descriptor and removes the temporary file unless the rename happened.
class TempFile {
 public:
  explicit TempFile(std::string path_template) : path_(std::move(path_template)) {
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) throw storage_error("cannot create a temporary file like", path_);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void close_fd() {
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw storage_error("cannot close", path_);
    }
    fd_ = -1;
  }
  void committed() { committed_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content, mode_t mode, bool broker_group) {
  TempFile temp(path + ".tmp.XXXXXX");
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(temp.fd(), data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw storage_error("cannot write", temp.path());
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(temp.fd(), mode) != 0) throw storage_error("cannot set the mode of", temp.path());
  if (broker_group && ::geteuid() == 0) {
    // Mosquitto started as root drops to user mosquitto before it reads these files.
    if (const passwd* broker = ::getpwnam("mosquitto"); broker != nullptr)
      if (::fchown(temp.fd(), 0, broker->pw_gid) != 0) throw storage_error("cannot change the group of", temp.path());
  }
  if (::fsync(temp.fd()) != 0) throw storage_error("cannot fsync", temp.path());
  temp.close_fd();
  if (::rename(temp.path().c_str(), path.c_str()) != 0) throw storage_error("cannot rename into", path);
  temp.committed();
  // Make the rename itself durable.
  int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

mode_t existing_mode(const std::string& path, mode_t fallback) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fallback;
  return st.st_mode & 07777;
}

pid_t read_pidfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::not_found, "cannot read the pid file " + path);
  long long pid = 0;
  if (!(in >> pid) || pid <= 1 || pid > 0x7fffffff) throw Error(ErrorKind::usage, path + ": expected a process id");
  return static_cast<pid_t>(pid);
}

void reload_broker(pid_t pid) {
  if (pid <= 1) throw Error(ErrorKind::usage, "refusing to signal process id " + std::to_string(pid));
  if (::kill(pid, SIGHUP) == 0) return;
  if (errno == ESRCH) throw Error(ErrorKind::not_found, "no broker process " + std::to_string(pid) + " to reload");
  if (errno == EPERM) throw Error(ErrorKind::not_permitted, "may not signal broker process " + std::to_string(pid));
  throw Error(ErrorKind::internal, "cannot signal process " + std::to_string(pid) + ": " + std::strerror(errno));
}

}  // namespace herald::acl
