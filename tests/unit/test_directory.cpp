#include <doctest/doctest.h>

#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"

using namespace herald;

TEST_CASE("the library's HR export parses as it is") {
  auto entries = load_directory_csv(HERALD_LIBRARY_ORG_CSV);
  CHECK(entries.size() == 430);
  std::size_t computers = 0;
  for (const auto& e : entries) computers += e.is_computer();
  CHECK(computers == 396);
  CHECK(entries[2].name == "Filia nr 1 – Śródmieście");
}

TEST_CASE("column order is free and quotes are understood") {
  auto e = parse_directory_csv("kind,path,name\ncomputer,org/b1/pc1,\"Desk, \"\"left\"\"\"\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].name == "Desk, \"left\"");
}

TEST_CASE("a bad directory row names its line") {
  CHECK_THROWS_WITH_AS(parse_directory_csv("path,kind\norg,central\norg/b 1,branch\n"),
                       "directory CSV line 3: invalid org path 'org/b 1'", Error);
  CHECK_THROWS_WITH_AS(parse_directory_csv("path,kind\norg,planet\n"), doctest::Contains("unknown kind"), Error);
  CHECK_THROWS_WITH_AS(parse_directory_csv("name\nx\n"), doctest::Contains("no 'path' column"), Error);
  CHECK_THROWS_WITH_AS(parse_directory_csv("path,kind\norg,central\norg,central\n"), doctest::Contains("duplicate"),
                       Error);
}
