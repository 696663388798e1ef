#pragma once
// A thin RAII edge over LMDB: every return code is checked and turned into
// Error(storage) carrying the operation, the database and LMDB's own text.
// Caveats we rely on (from lmdb.h): one Env per process and path; keep write
// transactions short; never use an Env after fork().
#include <lmdb.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace herald::lmdb {

class Env {
 public:
  struct Options {
    std::size_t map_size = std::size_t{1} << 30;  // 1 GiB of address space, grown on demand by nothing: size it
    unsigned max_dbs = 16;
    unsigned max_readers = 126;
    bool durable = true;  // false: MDB_NOSYNC (tests and benchmarks only)
  };
  // Creates `dir` if needed and opens the environment in it. A damaged store is
  // refused with Error(storage) before LMDB maps it, and left as it is: a data.mdb
  // that is empty, too short to hold its own meta pages, without a valid meta page,
  // or shorter than the last page its meta page claims (truncated: mapping it would
  // end in SIGBUS). See check_store().
  Env(const std::string& dir, const Options& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return env_; }
  const std::string& dir() const { return dir_; }

 private:
  MDB_env* env_ = nullptr;
  std::string dir_;
};

class Txn {
 public:
  enum class Mode { read, write };
  Txn(Env& env, Mode mode);
  ~Txn();  // aborts if not committed
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  void commit();
  void abort();
  MDB_txn* get() const { return txn_; }
  const std::string& dir() const { return dir_; }

 private:
  MDB_txn* txn_ = nullptr;
  std::string dir_;  // for "disk full: <dir>"
};

// A named database handle; open once (in a write txn, committed) and reuse.
//
// Keys LMDB cannot hold (empty, or longer than the environment's maximum key size,
// 511 bytes by default) come from input, not from the disk: put() refuses them with
// Error(protocol), and lookups and prefix scans simply find nothing, so a hostile id
// fails one message instead of the transaction.
//
// VIEW LIFETIMES: the string_views that view() and the scans hand out point into
// LMDB's memory map. They stay valid until the transaction ends or its next write
// (put, del, clear); copy what must outlive that.
class Db {
 public:
  using Visit = std::function<bool(std::string_view key, std::string_view value)>;

  Db() = default;
  // Opens (creating if needed) in its own write transaction, committed.
  static Db open(Env& env, const std::string& name);
  // Opens inside `txn`, for opening several at once; usable by other transactions
  // only once `txn` has committed.
  static Db open(Txn& txn, const std::string& name);

  // The value, copied.
  std::optional<std::string> get(Txn& txn, std::string_view key) const;
  // The value in place (see VIEW LIFETIMES): what hot paths read.
  std::optional<std::string_view> view(Txn& txn, std::string_view key) const;
  void put(Txn& txn, std::string_view key, std::string_view value) const;
  // Returns false if the key was absent.
  bool del(Txn& txn, std::string_view key) const;
  // Calls fn(key, value) for every key starting with prefix, in key order, until fn
  // returns false.
  void scan(Txn& txn, std::string_view prefix, const Visit& fn) const;
  // Every key >= from, in key order, until fn returns false.
  void scan_from(Txn& txn, std::string_view from, const Visit& fn) const;
  // Every key, in reverse key order, until fn returns false.
  void scan_backward(Txn& txn, const Visit& fn) const;
  std::size_t count(Txn& txn) const;
  void clear(Txn& txn) const;
  const std::string& name() const { return name_; }

 private:
  bool fits(Txn& txn, std::string_view key) const;

  MDB_dbi dbi_ = 0;
  std::string name_;
};

// Throws Error(storage) if rc != 0.
void check(int rc, std::string_view operation, std::string_view where);
// The same, for an operation that writes to the store in `dir`: a full file system
// (ENOSPC, EDQUOT, or LMDB's EIO for a short write while the file system is full)
// becomes "disk full: <dir> (...)", a full map "the store in <dir> is full (...)".
void check_write(int rc, std::string_view operation, std::string_view where, const std::string& dir);

// Throws Error(storage) saying what is wrong and how to recover if the data.mdb in
// `dir` exists and is damaged (see Env); does nothing if it is absent or sound. It
// only reads the file (its size and its two meta pages, with pread).
void check_store(const std::string& dir);

}  // namespace herald::lmdb
