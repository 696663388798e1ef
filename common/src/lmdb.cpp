#include "herald/common/lmdb.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "herald/common/error.hpp"

namespace herald::lmdb {
namespace {

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

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

void Env::sync() { check(mdb_env_sync(env_, 1), "env_sync", dir_); }

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
  Db db;
  db.name_ = name;
  check(mdb_dbi_open(txn.get(), name.c_str(), MDB_CREATE, &db.dbi_), "dbi_open", name);
  txn.commit();
  return db;
}

std::optional<std::string> Db::get(Txn& txn, std::string_view key) const {
  MDB_val k = val(key), v;
  int rc = mdb_get(txn.get(), dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "get", name_);
  return std::string(view(v));
}

void Db::put(Txn& txn, std::string_view key, std::string_view value) const {
  MDB_val k = val(key), v = val(value);
  check(mdb_put(txn.get(), dbi_, &k, &v, 0), "put", name_);
}

bool Db::del(Txn& txn, std::string_view key) const {
  MDB_val k = val(key);
  int rc = mdb_del(txn.get(), dbi_, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "del", name_);
  return true;
}

void Db::scan(Txn& txn, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) const {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn.get(), dbi_, &cursor), "cursor_open", name_);
  struct Closer {
    MDB_cursor* c;
    ~Closer() { mdb_cursor_close(c); }
  } closer{cursor};
  MDB_val k = val(prefix), v;
  int rc = prefix.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST) : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    auto key = view(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key, view(v))) break;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "cursor_get", name_);
}

std::size_t Db::count(Txn& txn) const {
  MDB_stat st;
  check(mdb_stat(txn.get(), dbi_, &st), "stat", name_);
  return st.ms_entries;
}

void Db::clear(Txn& txn) const { check(mdb_drop(txn.get(), dbi_, 0), "drop", name_); }

}  // namespace herald::lmdb
