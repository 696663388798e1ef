#include <doctest/doctest.h>

#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"

using namespace herald;

TEST_CASE("an org path starts at org and uses lowercase levels") {
  CHECK(is_valid_org_path("org"));
  CHECK(is_valid_org_path("org/branch01/pc042"));
  CHECK_FALSE(is_valid_org_path(""));
  CHECK_FALSE(is_valid_org_path("branch01"));
  CHECK_FALSE(is_valid_org_path("org/"));
  CHECK_FALSE(is_valid_org_path("org//pc1"));
  CHECK_FALSE(is_valid_org_path("org/+"));
  CHECK_FALSE(is_valid_org_path("org/#"));
  CHECK_FALSE(is_valid_org_path("org/Branch"));
  CHECK_FALSE(is_valid_org_path("org/a/b/c/d/e/f/g/h"));
}

TEST_CASE("ancestors of a computer are listed from the root down") {
  CHECK(ancestors_or_self("org/branch01/pc042") ==
        std::vector<std::string>{"org", "org/branch01", "org/branch01/pc042"});
  CHECK(ancestors_or_self("org") == std::vector<std::string>{"org"});
}

TEST_CASE("is_under respects level boundaries") {
  CHECK(is_under("org/branch01/pc1", "org/branch01"));
  CHECK(is_under("org/branch01", "org/branch01"));
  CHECK_FALSE(is_under("org/branch010/pc1", "org/branch01"));
  CHECK_FALSE(is_under("org", "org/branch01"));
}

TEST_CASE("a target is an org subtree or a person") {
  auto branch = Target::parse("org/branch01");
  CHECK_FALSE(branch.is_person());
  CHECK(branch.covers("org/branch01/pc1", ""));
  CHECK_FALSE(branch.covers("org/branch02/pc1", ""));
  auto person = Target::parse("user:jkowalski");
  CHECK(person.is_person());
  CHECK(person.login() == "jkowalski");
  CHECK(person.covers("org/branch02/pc1", "jkowalski"));
  CHECK_FALSE(person.covers("org/branch02/pc1", "anowak"));
  CHECK(person.to_string() == "user:jkowalski");
}

TEST_CASE("a malformed target is a usage error naming it") {
  for (const char* bad : {"", "branch1", "org/+", "org/#", "user:", "user:a/b", "user:+", "org/ space"}) {
    CAPTURE(bad);
    try {
      Target::parse(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find("invalid target") == 0);
    }
  }
}
