#pragma once
// A temporary directory removed with everything in it at the end of a test, and a
// whole-file read: what the unit tests of files and processes share.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace herald::test {

struct TempDir {
  TempDir() {
    char templ[] = "/tmp/herald-unit-test-XXXXXX";
    REQUIRE(mkdtemp(templ));
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace herald::test
