#include "herald/common/lmdb.hpp"

#include <sys/stat.h>

#include <filesystem>

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

}  // namespace

void check(int rc, std::string_view operation, std::string_view where) {
  if (rc == 0) return;
  throw Error(ErrorKind::storage,
              "LMDB " + std::string(operation) + " failed for " + std::string(where) + ": " + mdb_strerror(rc));
}

Env::Env(const std::string& dir, const Options& options) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::storage, "cannot create data directory " + dir + ": " + ec.message());
  check(mdb_env_create(&env_), "env_create", dir);
  try {
    check(mdb_env_set_mapsize(env_, options.map_size), "env_set_mapsize", dir);
    check(mdb_env_set_maxdbs(env_, options.max_dbs), "env_set_maxdbs", dir);
    check(mdb_env_set_maxreaders(env_, options.max_readers), "env_set_maxreaders", dir);
    unsigned flags = MDB_NOTLS;
    if (!options.durable) flags |= MDB_NOSYNC;
    check(mdb_env_open(env_, dir.c_str(), flags, 0600), "env_open", dir);
  } catch (...) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw;
  }
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
}

Txn::Txn(Env& env, Mode mode) {
  check(mdb_txn_begin(env.get(), nullptr, mode == Mode::read ? MDB_RDONLY : 0, &txn_), "txn_begin", env.dir());
}

Txn::~Txn() { abort(); }

void Txn::commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr;
  check(mdb_txn_commit(t), "txn_commit", "transaction");
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
  check(mdb_dbi_open(txn.get(), name.c_str(), MDB_CREATE, &db.dbi_), "dbi_open", name);
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
  check(mdb_put(txn.get(), dbi_, &k, &v, 0), "put", name_);
}

bool Db::del(Txn& txn, std::string_view key) const {
  if (!fits(txn, key)) return false;
  MDB_val k = val(key);
  int rc = mdb_del(txn.get(), dbi_, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "del", name_);
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

void Db::clear(Txn& txn) const { check(mdb_drop(txn.get(), dbi_, 0), "drop", name_); }

}  // namespace herald::lmdb
