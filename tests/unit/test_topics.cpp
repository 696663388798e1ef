#include <doctest/doctest.h>

#include "herald/common/error.hpp"
#include "herald/common/topics.hpp"

using namespace herald;
using namespace herald::topics;

TEST_CASE("a delivery topic carries kind, sender account, id and target") {
  auto t = delivery(Kind::alert, "ops1", "m1", Target::parse("org/branch01"));
  CHECK(t == "herald/alert/ops1/m1/org/branch01");
  auto parsed = std::get<DeliveryTopic>(parse(t));
  CHECK(parsed.kind == Kind::alert);
  CHECK(parsed.account == "ops1");
  CHECK(parsed.id == "m1");
  CHECK(parsed.target.org_path() == "org/branch01");

  auto person = delivery(Kind::message, "admin", "m2", Target::parse("user:jkowalski"));
  CHECK(person == "herald/msg/admin/m2/user/jkowalski");
  CHECK(std::get<DeliveryTopic>(parse(person)).target.login() == "jkowalski");
}

TEST_CASE("an agent subscribes to its own path and every ancestor, per kind") {
  auto filters = agent_filters("org/b1/pc1");
  CHECK(filters.size() == 9);
  CHECK(filters[0] == "herald/alert/+/+/org");
  CHECK(filters[1] == "herald/msg/+/+/org");
  CHECK(filters[2] == "herald/recall/+/+/org");
  CHECK(filters[8] == "herald/recall/+/+/org/b1/pc1");
}

TEST_CASE("ack, presence, request and reply topics round-trip") {
  CHECK(std::get<AckTopic>(parse(ack("m1", "org/b1/pc1"))).agent_path == "org/b1/pc1");
  CHECK(std::get<PresenceTopic>(parse(presence("org/b1/pc1"))).agent_path == "org/b1/pc1");
  auto req = std::get<RequestTopic>(parse(request("ops1", "r1", kOpStatus, "org/b1")));
  CHECK(req.op == "status");
  CHECK(req.scope == "org/b1");
  CHECK(std::get<ReplyTopic>(parse(reply("ops1", "r1"))).request_id == "r1");
}

TEST_CASE("topic builders refuse wildcards and separators in identities") {
  CHECK_THROWS_AS(delivery(Kind::alert, "ops/1", "m1", Target::parse("org")), Error);
  CHECK_THROWS_AS(delivery(Kind::alert, "ops1", "m+", Target::parse("org")), Error);
  CHECK_THROWS_AS(ack("m1", "org/#"), Error);
}

TEST_CASE("malformed topics are protocol errors") {
  for (const char* bad :
       {"", "x/y/z", "herald/alert/a", "herald/alert/a/b", "herald/alert/a/b/user", "herald/alert/a/b/user/x/y",
        "herald/alert/a/b/notorg", "herald/ack/m1", "herald/reply/a", "herald/req/a/r/nosuchop/org", "herald/what/a/b",
        "herald/ack/0//org", "herald/ack/0/org/", "herald/alert/a//org", "herald/alert/a/b//org", "herald//a/b/org",
        "herald/presence/org//pc1", "herald/req/a/r/status//org"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse(bad), Error);
  }
}

TEST_CASE("ACL patterns bind the account and the scope") {
  CHECK(acl::send_scope(Kind::alert, "ops1", "org/branch01") == "herald/alert/ops1/+/org/branch01/#");
  CHECK(acl::send_scope(Kind::message, "ops1", "user") == "herald/msg/ops1/+/user/+");
  CHECK(acl::agent_ack_write_pattern() == "herald/ack/+/%u");
  CHECK(acl::agent_presence_write_pattern() == "herald/presence/%u");
  CHECK(acl::request_scope("ops1", kOpStatus, "org/branch01") == "herald/req/ops1/+/status/org/branch01/#");
}

TEST_CASE("heraldd's confirmations go to one agent's own receipted topic, readable by that agent only") {
  CHECK(receipted("org/b1/pc1") == "herald/receipted/org/b1/pc1");
  CHECK(std::get<ReceiptedTopic>(parse(receipted("org/b1/pc1"))).agent_path == "org/b1/pc1");
  CHECK_THROWS_AS(receipted("org/+"), herald::Error);
  CHECK_THROWS_AS(parse("herald/receipted/org//pc1"), herald::Error);
  CHECK_THROWS_AS(parse("herald/receipted"), herald::Error);
  CHECK(acl::agent_receipted_read_pattern() == "herald/receipted/%u");
}
