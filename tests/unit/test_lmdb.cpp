// The LMDB edge against real stores (common/include/herald/common/lmdb.hpp): damaged
// files are refused, untouched, before LMDB maps them; a full disk or a full map is
// an Error(storage) that says so.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "herald/common/error.hpp"
#include "herald/common/lmdb.hpp"
#include "temp_dir.hpp"

using namespace herald;
namespace fs = std::filesystem;

using herald::test::TempDir;

namespace {

lmdb::Env::Options options() {
  lmdb::Env::Options o;
  o.map_size = std::size_t{64} << 20;
  o.durable = false;
  return o;
}

// A store of a few hundred pages.
void fill(const std::string& dir, int records) {
  lmdb::Env env(dir, options());
  auto db = lmdb::Db::open(env, "things");
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  for (int i = 0; i < records; ++i) db.put(txn, "key-" + std::to_string(i), std::string(200, 'x'));
  txn.commit();
}

// The Error(storage) opening `dir` throws; fails the test if it opens.
std::string refusal(const std::string& dir) {
  try {
    lmdb::Env env(dir, options());
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::storage);
    return e.what();
  }
  FAIL("the damaged store in " << dir << " was opened");
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("lmdb: a sound store opens again with its records") {
  TempDir dir;
  fill(dir.path.string(), 1000);
  lmdb::Env env(dir.path.string(), options());
  auto db = lmdb::Db::open(env, "things");
  lmdb::Txn txn(env, lmdb::Txn::Mode::read);
  CHECK(db.count(txn) == 1000);
}

TEST_CASE(
    "lmdb: two processes creating the same new store at once both open it (an agent's first start beside herald-agent "
    "inbox)") {
  for (int round = 0; round < 200; ++round) {
    TempDir dir;
    int go[2];
    REQUIRE(pipe(go) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      char byte;
      int code = ::read(go[0], &byte, 1) == 1 ? 0 : 2;  // both start together
      try {
        lmdb::Env env(dir.path.string(), options());
        lmdb::Db::open(env, "things");
      } catch (...) {
        code = 1;  // reported through the exit status
      }
      _exit(code);
    }
    std::string failure;
    REQUIRE(::write(go[1], "g", 1) == 1);
    ::close(go[0]);
    ::close(go[1]);
    try {
      lmdb::Env env(dir.path.string(), options());
      lmdb::Db::open(env, "things");
    } catch (const Error& e) {
      failure = e.what();
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("round " << round);
    CHECK(failure == "");
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
}

TEST_CASE("lmdb: an empty data.mdb is refused and left empty") {
  TempDir dir;
  std::ofstream(dir.path / "data.mdb").close();
  auto what = refusal(dir.path.string());
  CHECK(contains(what, (dir.path / "data.mdb").string() + " is empty"));
  CHECK(contains(what, "move"));
  CHECK(contains(what, "restore a backup"));
  CHECK(fs::file_size(dir.path / "data.mdb") == 0);
}

TEST_CASE("lmdb: a data.mdb truncated to half is refused, not mapped (no SIGBUS), and left as it is") {
  TempDir dir;
  fill(dir.path.string(), 5000);
  auto file = dir.path / "data.mdb";
  auto full = fs::file_size(file);
  REQUIRE(full > 100 * 4096);
  fs::resize_file(file, full / 2);
  auto before = herald::test::read_file(file);
  auto what = refusal(dir.path.string());
  CHECK(contains(what, file.string() + " is truncated"));
  CHECK(contains(what, "restore a backup"));
  CHECK(fs::file_size(file) == full / 2);
  CHECK(herald::test::read_file(file) == before);
}

TEST_CASE("lmdb: a data.mdb without LMDB's meta pages is refused and left as it is") {
  TempDir dir;
  auto file = dir.path / "data.mdb";
  SUBCASE("shorter than a meta page") { std::ofstream(file, std::ios::binary) << "LMDB?"; }
  SUBCASE("overwritten") { std::ofstream(file, std::ios::binary) << std::string(16384, 'z'); }
  auto before = herald::test::read_file(file);
  auto what = refusal(dir.path.string());
  CHECK(contains(what, "has no valid LMDB meta page"));
  CHECK(herald::test::read_file(file) == before);
}

TEST_CASE("lmdb: a full map is Error(storage) saying so (MDB_MAP_FULL, not a full disk)") {
  TempDir dir;
  auto o = options();
  o.map_size = std::size_t{64} << 10;
  lmdb::Env env(dir.path.string(), o);
  auto db = lmdb::Db::open(env, "things");
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  try {
    for (int i = 0; i < 100000; ++i) db.put(txn, "key-" + std::to_string(i), std::string(200, 'x'));
    FAIL("the map never filled");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::storage);
    CHECK(contains(e.what(), "is full: it reached its map size"));
  }
}

// A real full file system needs a small one: a 1 MiB tmpfs, which only root (with
// CAP_SYS_ADMIN) can mount. Elsewhere the case says so and checks nothing.
TEST_CASE("lmdb: a full disk is Error(storage) \"disk full: <dir>\"") {
  TempDir dir;
  auto mnt = dir.path / "small";
  fs::create_directories(mnt);
  if (geteuid() != 0 || mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    MESSAGE("skipped: mounting a 1 MiB tmpfs needs root");
    return;
  }
  std::string what;
  {
    lmdb::Env env(mnt.string(), options());  // a 64 MiB map on a 1 MiB disk
    auto db = lmdb::Db::open(env, "things");
    try {
      for (int batch = 0; batch < 100; ++batch) {
        lmdb::Txn txn(env, lmdb::Txn::Mode::write);
        for (int i = 0; i < 100; ++i)
          db.put(txn, "key-" + std::to_string(batch) + "-" + std::to_string(i), std::string(200, 'x'));
        txn.commit();
      }
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::storage);
      what = e.what();
    }
  }
  umount(mnt.c_str());
  CHECK(contains(what, "disk full: " + mnt.string()));
}
