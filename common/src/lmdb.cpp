#include "herald/common/lmdb.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <thread>

#include "herald/common/error.hpp"

namespace herald::lmdb {
namespace {

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view as_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi, const std::string& name) : name_(name) {
    check(mdb_cursor_open(txn, dbi, &c_), "cursor_open", name_);
  }
  ~Cursor() { mdb_cursor_close(c_); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Positions with `first` (MDB_SET_RANGE uses `start` as the key), then calls fn
  // with each entry, stepping with `step`, until fn returns false or the end.
  template <typename Fn>
  void walk(MDB_cursor_op first, std::string_view start, MDB_cursor_op step, Fn&& fn) {
    MDB_val k = val(start), v;
    int rc = mdb_cursor_get(c_, &k, &v, first);
    while (rc == 0) {
      if (!fn(as_view(k), as_view(v))) return;
      rc = mdb_cursor_get(c_, &k, &v, step);
    }
    if (rc != MDB_NOTFOUND) check(rc, "cursor_get", name_);
  }

 private:
  MDB_cursor* c_ = nullptr;
  const std::string& name_;
};

// LMDB 0.9's file layout (mdb.c), read before mapping the file: mapping a truncated
// data.mdb is what ends in SIGBUS. Pages 0 and 1 are meta pages: a page header
// (pgno_t p_pgno; uint16 pad, flags; uint32 lower/upper) then MDB_meta {uint32 magic,
// version; void* address; size_t mapsize; MDB_db dbs[2]; pgno_t last_pg; txnid_t
// txnid}, where MDB_db is {uint32 pad; uint16 flags, depth; pgno_t branch, leaf,
// overflow; size_t entries; pgno_t root} and the page size is dbs[0].pad. The
// newer meta page (higher txnid) is the one LMDB uses.
constexpr std::uint32_t kMetaMagic = 0xBEEFC0DE;
constexpr std::size_t kPageHeader = sizeof(std::size_t) + 2 * sizeof(std::uint16_t) + sizeof(std::uint32_t);
constexpr std::size_t kDbSize = sizeof(std::uint32_t) + 2 * sizeof(std::uint16_t) + 5 * sizeof(std::size_t);
constexpr std::size_t kMagicAt = kPageHeader;
constexpr std::size_t kPageSizeAt = kPageHeader + 2 * sizeof(std::uint32_t) + sizeof(void*) + sizeof(std::size_t);
constexpr std::size_t kLastPageAt = kPageSizeAt + 2 * kDbSize;
constexpr std::size_t kTxnIdAt = kLastPageAt + sizeof(std::size_t);
constexpr std::size_t kMetaEnd = kTxnIdAt + sizeof(std::size_t);

struct Meta {
  std::uint32_t page_size = 0;
  std::size_t last_page = 0;
  std::size_t txn_id = 0;
};

template <typename T>
T field(const unsigned char* page, std::size_t at) {
  T v;
  std::memcpy(&v, page + at, sizeof v);
  return v;
}

// The meta page at `offset`, if it has LMDB's magic and a plausible page size.
std::optional<Meta> read_meta(int fd, off_t offset) {
  unsigned char page[kMetaEnd];
  if (pread(fd, page, sizeof page, offset) != static_cast<ssize_t>(sizeof page)) return std::nullopt;
  if (field<std::uint32_t>(page, kMagicAt) != kMetaMagic) return std::nullopt;
  Meta m{field<std::uint32_t>(page, kPageSizeAt), field<std::size_t>(page, kLastPageAt),
         field<std::size_t>(page, kTxnIdAt)};
  if (m.page_size < 512 || m.page_size > 65536 || (m.page_size & (m.page_size - 1)) != 0) return std::nullopt;
  return m;
}

std::string recovery(const std::string& path) {
  return ": the store is damaged and was left as it is; move " + path +
         " aside to start with an empty store (what it held is lost), or restore a backup";
}

bool file_system_full(const std::string& dir) {
  struct statvfs fs {};
  if (dir.empty() || statvfs(dir.c_str(), &fs) != 0) return false;
  // LMDB reports a short write as EIO; with less than 1 MiB free, it is the disk.
  return static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < (1ULL << 20);
}

}  // namespace

void check(int rc, std::string_view operation, std::string_view where) {
  if (rc == 0) return;
  throw Error(ErrorKind::storage,
              "LMDB " + std::string(operation) + " failed for " + std::string(where) + ": " + mdb_strerror(rc));
}

void check_write(int rc, std::string_view operation, std::string_view where, const std::string& dir) {
  if (rc == 0) return;
  if (rc == ENOSPC || rc == EDQUOT || (rc == EIO && file_system_full(dir)))
    throw Error(ErrorKind::storage, "disk full: " + dir + " (LMDB " + std::string(operation) + " for " +
                                        std::string(where) + ": " + mdb_strerror(rc) +
                                        "; nothing was written: free space on that file system and it carries on)");
  if (rc == MDB_MAP_FULL)
    throw Error(ErrorKind::storage, "the store in " + dir + " is full: it reached its map size (LMDB " +
                                        std::string(operation) + " for " + std::string(where) +
                                        "); raise the configured map size");
  check(rc, operation, where);
}

namespace {
void check_store_once(const std::string& dir) {
  auto path = (std::filesystem::path(dir) / "data.mdb").string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;  // a new store
    throw Error(ErrorKind::storage, "cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  int stat_rc = fstat(fd, &st);
  int stat_errno = errno;
  std::optional<Meta> newest;
  if (stat_rc == 0 && st.st_size > 0) {
    auto first = read_meta(fd, 0);
    if (first) {
      auto second = read_meta(fd, static_cast<off_t>(first->page_size));
      newest = second && second->txn_id > first->txn_id ? second : first;
    }
  }
  ::close(fd);
  if (stat_rc != 0) throw Error(ErrorKind::storage, "cannot stat " + path + ": " + std::strerror(stat_errno));
  auto size = static_cast<unsigned long long>(st.st_size);
  if (size == 0) throw Error(ErrorKind::storage, path + " is empty" + recovery(path));
  if (!newest)
    throw Error(ErrorKind::storage,
                path + " (" + std::to_string(size) + " bytes) has no valid LMDB meta page" + recovery(path));
  auto needed = (static_cast<unsigned long long>(newest->last_page) + 1) * newest->page_size;
  if (size < needed)
    throw Error(ErrorKind::storage, path + " is truncated: " + std::to_string(size) +
                                        " bytes, but its last page ends at " + std::to_string(needed) + recovery(path));
}

}  // namespace

// Another process may be creating this very store (an agent's first start while
// `herald-agent inbox` runs): LMDB creates data.mdb empty and writes its two meta pages
// a moment later, under its own lock, which this check cannot take. A damaged store
// stays damaged, so a failed check counts only if it still fails a second later.
void check_store(const std::string& dir) {
  using namespace std::chrono_literals;
  auto deadline = std::chrono::steady_clock::now() + 1s;
  for (;;) {
    try {
      check_store_once(dir);
      return;
    } catch (const Error&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(20ms);
  }
}

Env::Env(const std::string& dir, const Options& options) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::storage, "cannot create data directory " + dir + ": " + ec.message());
  check_store(dir);  // before LMDB maps or initialises anything
  check(mdb_env_create(&env_), "env_create", dir);
  try {
    check(mdb_env_set_mapsize(env_, options.map_size), "env_set_mapsize", dir);
    check(mdb_env_set_maxdbs(env_, options.max_dbs), "env_set_maxdbs", dir);
    check(mdb_env_set_maxreaders(env_, options.max_readers), "env_set_maxreaders", dir);
    unsigned flags = MDB_NOTLS;
    if (!options.durable) flags |= MDB_NOSYNC;
    check_write(mdb_env_open(env_, dir.c_str(), flags, 0600), "env_open", dir, dir);
  } catch (...) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw;
  }
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
}

Txn::Txn(Env& env, Mode mode) : dir_(env.dir()) {
  check_write(mdb_txn_begin(env.get(), nullptr, mode == Mode::read ? MDB_RDONLY : 0, &txn_), "txn_begin", dir_, dir_);
}

Txn::~Txn() { abort(); }

void Txn::commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr;
  check_write(mdb_txn_commit(t), "txn_commit", "transaction", dir_);
}

void Txn::abort() {
  if (txn_) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Db Db::open(Env& env, const std::string& name) {
  Txn txn(env, Txn::Mode::write);
  auto db = open(txn, name);
  txn.commit();
  return db;
}

Db Db::open(Txn& txn, const std::string& name) {
  Db db;
  db.name_ = name;
  check_write(mdb_dbi_open(txn.get(), name.c_str(), MDB_CREATE, &db.dbi_), "dbi_open", name, txn.dir());
  return db;
}

bool Db::fits(Txn& txn, std::string_view key) const {
  return !key.empty() && key.size() <= static_cast<std::size_t>(mdb_env_get_maxkeysize(mdb_txn_env(txn.get())));
}

std::optional<std::string> Db::get(Txn& txn, std::string_view key) const {
  auto v = view(txn, key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<std::string_view> Db::view(Txn& txn, std::string_view key) const {
  if (!fits(txn, key)) return std::nullopt;
  MDB_val k = val(key), v;
  int rc = mdb_get(txn.get(), dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "get", name_);
  return as_view(v);
}

void Db::put(Txn& txn, std::string_view key, std::string_view value) const {
  if (!fits(txn, key))
    throw Error(ErrorKind::protocol, "key of " + std::to_string(key.size()) + " bytes does not fit the " + name_ +
                                         " database (1 to " +
                                         std::to_string(mdb_env_get_maxkeysize(mdb_txn_env(txn.get()))) + " bytes)");
  MDB_val k = val(key), v = val(value);
  check_write(mdb_put(txn.get(), dbi_, &k, &v, 0), "put", name_, txn.dir());
}

bool Db::del(Txn& txn, std::string_view key) const {
  if (!fits(txn, key)) return false;
  MDB_val k = val(key);
  int rc = mdb_del(txn.get(), dbi_, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check_write(rc, "del", name_, txn.dir());
  return true;
}

void Db::scan(Txn& txn, std::string_view prefix, const Visit& fn) const {
  if (!prefix.empty() && !fits(txn, prefix)) return;  // longer than any key: nothing starts with it
  Cursor(txn.get(), dbi_, name_)
      .walk(prefix.empty() ? MDB_FIRST : MDB_SET_RANGE, prefix, MDB_NEXT,
            [&](std::string_view key, std::string_view value) {
              return key.substr(0, prefix.size()) == prefix && fn(key, value);
            });
}

void Db::scan_from(Txn& txn, std::string_view from, const Visit& fn) const {
  Cursor(txn.get(), dbi_, name_).walk(from.empty() ? MDB_FIRST : MDB_SET_RANGE, from, MDB_NEXT, fn);
}

void Db::scan_backward(Txn& txn, const Visit& fn) const {
  Cursor(txn.get(), dbi_, name_).walk(MDB_LAST, {}, MDB_PREV, fn);
}

std::size_t Db::count(Txn& txn) const {
  MDB_stat st;
  check(mdb_stat(txn.get(), dbi_, &st), "stat", name_);
  return st.ms_entries;
}

void Db::clear(Txn& txn) const { check_write(mdb_drop(txn.get(), dbi_, 0), "drop", name_, txn.dir()); }

}  // namespace herald::lmdb
