#include "herald/agent/system.hpp"

#include <malloc.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utmpx.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"

namespace herald::agent {
namespace {

// getutxent() keeps its position in static state: one reader at a time.
std::mutex g_utmp_mutex;

template <typename Fn>
void for_each_user_process(Fn&& fn) {
  std::lock_guard lock(g_utmp_mutex);
  setutxent();
  while (struct utmpx* entry = getutxent()) {
    if (entry->ut_type != USER_PROCESS) continue;
    std::string user(entry->ut_user, strnlen(entry->ut_user, sizeof entry->ut_user));
    std::string line(entry->ut_line, strnlen(entry->ut_line, sizeof entry->ut_line));
    if (!fn(user, line)) break;
  }
  endutxent();
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "not a PEM certificate";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

std::string logged_in_user() {
  std::string found;
  for_each_user_process([&](const std::string& user, const std::string&) {
    if (user.empty()) return true;
    found = user;
    return false;
  });
  return found;
}

std::vector<std::string> user_terminals(const std::string& user) {
  std::vector<std::string> out;
  for_each_user_process([&](const std::string& who, const std::string& line) {
    // ut_line is relative to /dev; refuse anything that could climb out of it.
    if ((user.empty() || who == user) && !line.empty() && line.find("..") == std::string::npos && line[0] != '/')
      out.push_back("/dev/" + line);
    return true;
  });
  return out;
}

std::string utmp_file() { return _PATH_UTMPX; }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

long resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

long release_idle_memory() {
  long before = resident_kb();
  malloc_trim(0);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path": only private, read-only, executable
    // mappings of files. Those are never written (no text relocations on x86-64), so
    // dropping them cannot lose data; writable or RELRO mappings are left alone.
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    in >> range >> perms >> offset >> dev >> inode >> path;
    if (perms != "r-xp" || path.empty() || path[0] != '/') continue;
    auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    auto start = std::stoull(range.substr(0, dash), nullptr, 16);
    auto end = std::stoull(range.substr(dash + 1), nullptr, 16);
    madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  long after = resident_kb();
  return before > 0 && after > 0 ? before - after : 0;
}

std::string certificate_common_name(const std::string& cert_file) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(cert_file.c_str(), "r"), &std::fclose);
  if (!file) throw Error(ErrorKind::config, trf("cannot read certificate {1}: {2}", {cert_file, std::strerror(errno)}));
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) throw Error(ErrorKind::config, trf("cannot read certificate {1}: {2}", {cert_file, openssl_error()}));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  char cn[256] = {};
  int n = subject ? X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) : -1;
  if (n <= 0) throw Error(ErrorKind::config, trf("certificate {1} has no common name (CN)", {cert_file}));
  return std::string(cn, static_cast<std::size_t>(n));
}

}  // namespace herald::agent
