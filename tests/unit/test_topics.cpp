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
  CHECK(filters.size() == 11);
  CHECK(filters[0] == "herald/alert/+/+/org");
  CHECK(filters[1] == "herald/msg/+/+/org");
  CHECK(filters[2] == "herald/recall/+/+/org");
  CHECK(filters[8] == "herald/recall/+/+/org/b1/pc1");
  // Reminders name one computer: its own path only.
  CHECK(filters[9] == "herald/remind/+/+/org/b1/pc1");
  // So do chat lines.
  CHECK(filters[10] == "herald/chatdown/org/b1/pc1");
}

TEST_CASE("chat topics carry the account, post id, agent path or conversation as levels") {
  auto post = std::get<ChatTopic>(parse(chat("helpdesk", "p1", Target::parse("org/b1/pc1"))));
  CHECK(post.account == "helpdesk");
  CHECK(post.post_id == "p1");
  CHECK(post.target.to_string() == "org/b1/pc1");
  CHECK(chat("helpdesk", "p1", Target::parse("user:jkowalski")) == "herald/chat/helpdesk/p1/user/jkowalski");
  CHECK(std::get<ChatUpTopic>(parse(chat_up("org/b1/pc1"))).agent_path == "org/b1/pc1");
  CHECK(std::get<ChatDownTopic>(parse(chat_down("org/b1/pc1"))).agent_path == "org/b1/pc1");
  CHECK(std::get<ChatLogTopic>(parse(chat_log(Target::parse("user:jkowalski")))).target.login() == "jkowalski");
  // Only `chats` may ask about people.
  CHECK(std::get<RequestTopic>(parse(request("helpdesk", "r1", kOpChats, "user"))).scope == "user");
  CHECK_THROWS(request("helpdesk", "r1", kOpStatus, "user"));
  CHECK_THROWS(parse("herald/req/helpdesk/r1/status/user/jkowalski"));
  CHECK_THROWS(parse("herald/chat/helpdesk/p1"));
  CHECK_THROWS(parse("herald/chatup/user/jkowalski"));
  CHECK_THROWS(parse("herald/chatlog/user/a/b"));
  CHECK(acl::chat_request_scope("helpdesk", "user") == "herald/req/helpdesk/+/chats/user/#");
  CHECK(acl::chat_log_read_scope("org/b1") == "herald/chatlog/org/b1/#");
  CHECK(acl::agent_chat_up_write_pattern() == "herald/chatup/%u");
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

TEST_CASE("the new request ops are known, in builders and in parse") {
  for (auto op : {kOpCourses, kOpCampaigns, kOpSchedules, kOpProgress}) {
    CAPTURE(op);
    CHECK(is_known_op(op));
    auto t = request("ops1", "r1", op, "org/b1");
    CHECK(std::get<RequestTopic>(parse(t)).op == op);
  }
  CHECK_FALSE(is_known_op("course"));
  CHECK_FALSE(is_known_op(""));
}

TEST_CASE("campaign topics carry account, request id and a scope of any kind") {
  CHECK(campaign("trainer1", "r1", "org/branch01") == "herald/campaign/trainer1/r1/org/branch01");
  for (const char* scope : {"org", "org/branch01/pc042", "user", "user/jkowalski"}) {
    CAPTURE(scope);
    auto t = campaign("trainer1", "r1", scope);
    auto parsed = std::get<CampaignTopic>(parse(t));
    CHECK(parsed.account == "trainer1");
    CHECK(parsed.request_id == "r1");
    CHECK(parsed.scope == scope);
  }
  CHECK(all_campaign_requests() == "herald/campaign/#");
}

TEST_CASE("schedule topics carry the kind as a level, so the ACL can grant alerts and messages apart") {
  CHECK(schedule("ops1", "r1", Kind::alert, "org/branch01") == "herald/schedule/ops1/r1/alert/org/branch01");
  CHECK(schedule("ops1", "r1", Kind::message, "user") == "herald/schedule/ops1/r1/msg/user");
  for (auto kind : {Kind::alert, Kind::message})
    for (const char* scope : {"org", "org/b1", "user", "user/jkowalski"}) {
      CAPTURE(scope);
      auto parsed = std::get<ScheduleTopic>(parse(schedule("ops1", "r2", kind, scope)));
      CHECK(parsed.account == "ops1");
      CHECK(parsed.request_id == "r2");
      CHECK(parsed.kind == kind);
      CHECK(parsed.scope == scope);
    }
  CHECK(all_schedule_requests() == "herald/schedule/#");
}

TEST_CASE("reminder topics name one agent and the message to show again") {
  CHECK(remind("ops1", "m1", "org/b1/pc1") == "herald/remind/ops1/m1/org/b1/pc1");
  auto parsed = std::get<RemindTopic>(parse(remind("ops1", "m1", "org/b1/pc1")));
  CHECK(parsed.account == "ops1");
  CHECK(parsed.id == "m1");
  CHECK(parsed.agent_path == "org/b1/pc1");
  CHECK(acl::agent_remind_read_pattern() == "herald/remind/+/+/%u");
}

TEST_CASE("the new builders refuse wildcards, separators and bad scopes") {
  for (const char* scope :
       {"", "org/+", "org/#", "org//b1", "users", "user/", "user/a/b", "user/#", "user/+", "x/y", "org/B1"}) {
    CAPTURE(scope);
    CHECK_THROWS_AS(campaign("trainer1", "r1", scope), Error);
    CHECK_THROWS_AS(schedule("ops1", "r1", Kind::message, scope), Error);
  }
  CHECK_THROWS_AS(campaign("trainer/1", "r1", "org"), Error);
  CHECK_THROWS_AS(campaign("trainer1", "r+", "org"), Error);
  CHECK_THROWS_AS(schedule("ops#", "r1", Kind::alert, "org"), Error);
  CHECK_THROWS_AS(schedule("ops1", "", Kind::alert, "org"), Error);
  CHECK_THROWS_AS(remind("ops1", "m1", "user/jkowalski"), Error);
  CHECK_THROWS_AS(remind("ops1", "m/1", "org/b1"), Error);
  CHECK_THROWS_AS(remind("", "m1", "org/b1"), Error);
}

TEST_CASE("malformed campaign, schedule and reminder topics are protocol errors") {
  for (const char* bad : {"herald/campaign",
                          "herald/campaign/a",
                          "herald/campaign/a/r",
                          "herald/campaign/a/r/notorg",
                          "herald/campaign/a/r/user/x/y",
                          "herald/campaign/a/r/user/",
                          "herald/campaign/a//org",
                          "herald/campaign/a/r/org/",
                          "herald/campaign/a/r/org/+",
                          "herald/campaign/a+/r/org",
                          "herald/schedule/a/r/org",
                          "herald/schedule/a/r/alert",
                          "herald/schedule/a/r/message/org",
                          "herald/schedule/a/r/recall/org",
                          "herald/schedule/a/r/msg/users",
                          "herald/schedule/a/r/msg/user/x/y",
                          "herald/schedule/a/r/alert//org",
                          "herald/remind/a/m",
                          "herald/remind/a/m/user/x",
                          "herald/remind/a/m/org//pc1",
                          "herald/remind/a/m#/org",
                          "herald/remind//m/org"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse(bad), Error);
  }
}

TEST_CASE("the ACL grants campaigns, schedules and reminders by account, kind and scope") {
  CHECK(acl::campaign_scope("trainer1", "org/branch01") == "herald/campaign/trainer1/+/org/branch01/#");
  CHECK(acl::schedule_scope(Kind::alert, "ops1", "org/branch01") == "herald/schedule/ops1/+/alert/org/branch01/#");
  CHECK(acl::schedule_scope(Kind::message, "ops1", "org") == "herald/schedule/ops1/+/msg/org/#");
  // A request's scope may be "user" itself (several people): '#' also matches that level.
  CHECK(acl::campaign_scope("trainer1", "user") == "herald/campaign/trainer1/+/user/#");
  CHECK(acl::schedule_scope(Kind::message, "ops1", "user") == "herald/schedule/ops1/+/msg/user/#");
}

namespace {
std::vector<Target> targets_of(std::initializer_list<const char*> texts) {
  std::vector<Target> out;
  for (const char* t : texts) out.push_back(Target::parse(t));
  return out;
}
}  // namespace

TEST_CASE("scope_covering is the deepest scope over every target") {
  struct Row {
    std::initializer_list<const char*> targets;
    const char* scope;
  };
  for (const auto& row : std::initializer_list<Row>{
           {{"org/branch01/pc042"}, "org/branch01/pc042"},
           {{"org/branch01/pc042", "org/branch01/pc043"}, "org/branch01"},
           {{"org/branch01", "org/branch01/pc043"}, "org/branch01"},
           {{"org/branch01", "org/branch02"}, "org"},
           {{"org/branch01/a/b", "org/branch01/a/c", "org/branch01/a"}, "org/branch01/a"},
           {{"org/branch1", "org/branch10"}, "org"},  // levels, not characters
           {{"org"}, "org"},
           {{"user:jkowalski"}, "user/jkowalski"},
           {{"user:jkowalski", "user:jkowalski"}, "user/jkowalski"},
           {{"user:jkowalski", "user:anowak"}, "user"},
       }) {
    auto targets = targets_of(row.targets);
    CAPTURE(row.scope);
    auto scope = scope_covering(targets);
    CHECK(scope == row.scope);
    for (const auto& t : targets) CHECK(scope_covers(scope, t));
  }
  // No single scope covers computers and people.
  CHECK_THROWS_AS(scope_covering(targets_of({"org/branch01", "user:jkowalski"})), Error);
  CHECK_THROWS_AS(scope_covering(targets_of({"user:jkowalski", "org"})), Error);
  CHECK_THROWS_AS(scope_covering({}), Error);
  bool refused = false;
  try {
    scope_covering(targets_of({"org", "user:a"}));
  } catch (const Error& e) {
    refused = true;
    CHECK(e.kind() == ErrorKind::usage);
  }
  CHECK(refused);
}

TEST_CASE("scope_covers: org paths cover their subtree, user every person, user/LOGIN that person") {
  struct Row {
    const char* scope;
    const char* target;
    bool covers;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"org", "org", true},
           {"org", "org/branch01/pc042", true},
           {"org/branch01", "org/branch01", true},
           {"org/branch01", "org/branch01/pc042", true},
           {"org/branch01", "org/branch02", false},
           {"org/branch01", "org/branch010", false},
           {"org/branch01", "org", false},
           {"org", "user:x", false},  // org covers computers only
           {"org/branch01", "user:x", false},
           {"user", "user:a", true},
           {"user", "org", false},
           {"user", "org/branch01", false},
           {"user/a", "user:a", true},
           {"user/a", "user:b", false},
           {"user/a", "org", false},
           {"bad", "org", false},
           {"user/", "user:a", false},
           {"org/#", "org/x", false},
       }) {
    CAPTURE(row.scope);
    CAPTURE(row.target);
    CHECK(scope_covers(row.scope, Target::parse(row.target)) == row.covers);
  }
}
