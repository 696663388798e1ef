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
  // Creates `dir` if needed and opens the environment in it.
  Env(const std::string& dir, const Options& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return env_; }
  const std::string& dir() const { return dir_; }
  void sync();

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

 private:
  MDB_txn* txn_ = nullptr;
};

// A named database handle; open once (in a write txn, committed) and reuse.
class Db {
 public:
  Db() = default;
  static Db open(Env& env, const std::string& name);

  std::optional<std::string> get(Txn& txn, std::string_view key) const;
  void put(Txn& txn, std::string_view key, std::string_view value) const;
  // Returns false if the key was absent.
  bool del(Txn& txn, std::string_view key) const;
  // Calls fn(key, value) for every key starting with prefix, in key order, until fn
  // returns false.
  void scan(Txn& txn, std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& fn) const;
  std::size_t count(Txn& txn) const;
  void clear(Txn& txn) const;
  const std::string& name() const { return name_; }

 private:
  MDB_dbi dbi_ = 0;
  std::string name_;
};

// Throws Error(storage) if rc != 0.
void check(int rc, std::string_view operation, std::string_view where);

}  // namespace herald::lmdb
