// status / pending / list / import as the Reply results the dispatcher prints.
#include "helpers.hpp"
#include "herald/common/error.hpp"
#include "herald/scheduler/queries.hpp"

using namespace herald;
using namespace herald::scheduler;
using namespace herald::scheduler::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kDirectory =
    "path,kind,name,login\n"
    "org,central,HQ,\n"
    "org/branch01,branch,B1,\n"
    "org/branch01/pc001,computer,,jk\n"
    "org/branch01/pc002,computer,,\n"
    "org/branch01/pc003,computer,,\n"
    "org/branch02,branch,B2,\n"
    "org/branch02/pc001,computer,,\n"
    "org/branch02/pc002,computer,,\n"
    "org/branch010,branch,B10,\n"
    "org/branch010/pc001,computer,,\n";

payloads::Reply ask(Fixture& f, std::string_view op, std::string_view scope, std::string body,
                    std::string account = "admin") {
  static int n = 0;
  auto rid = "req" + std::to_string(++n);
  auto out = f.feed(topics::request(account, rid, op, scope), std::move(body));
  return reply_on(out, topics::reply(account, rid));
}

json ok(const payloads::Reply& r) {
  REQUIRE_MESSAGE(r.ok, r.error);
  return r.result;
}

// A ledger with the directory above, and messages:
//   all   to org, sent t0;  b2 to org/branch02, sent t0+1m;  pers to user:jk, sent t0+2m
void populate(Fixture& f) {
  REQUIRE(ask(f, topics::kOpImport, "org", request({}, kDirectory)).ok);
  f.feed(msg_topic("admin", "all", "org"), delivery("b", "To all", 0ms));
  f.feed(alert_topic("admin", "b2", "org/branch02"), delivery("b", "Branch 2", 1min));
  f.feed(msg_topic("hr", "pers", "user:jk"), delivery("b", "Personal", 2min));
}

std::vector<std::string> recipients_of(const json& status) {
  std::vector<std::string> out;
  for (const auto& r : status.at("recipients")) out.push_back(r.at("recipient"));
  return out;
}

}  // namespace

TEST_CASE("status: recipients, states, times and totals") {
  Fixture f;
  populate(f);
  f.feed(topics::ack("all", "org/branch01/pc001"), ack(payloads::AckState::delivered, t0() + 1s, "jk"));
  f.feed(topics::ack("all", "org/branch01/pc001"), ack(payloads::AckState::read, t0() + 5s, "jk"));
  f.feed(topics::ack("all", "org/branch02/pc001"), ack(payloads::AckState::displayed, t0() + 2s));
  // Known only from presence, and only from a receipt: recipients too.
  f.feed(topics::presence("org/branch02/pc009"), presence(true, ""));
  f.feed(topics::ack("all", "org/branch03/pc001"), ack(payloads::AckState::delivered, t0() + 3s));

  auto s = ok(ask(f, topics::kOpStatus, "org", request("all")));
  CHECK(s.at("id") == "all");
  CHECK(s.at("kind") == "message");
  CHECK(s.at("title") == "To all");
  CHECK(s.at("sender") == "admin");
  CHECK(s.at("targets") == json{"org"});
  CHECK(s.at("sent_at") == "2026-11-22T13:00:00.000Z");
  CHECK(s.at("expires_at") == "2026-11-23T13:00:00.000Z");
  CHECK(s.at("recalled_at").is_null());
  CHECK(s.at("recalled_by").is_null());
  CHECK(s.at("state") == "active");
  CHECK(recipients_of(s) == std::vector<std::string>{"org/branch01/pc001", "org/branch01/pc002", "org/branch01/pc003",
                                                     "org/branch010/pc001", "org/branch02/pc001", "org/branch02/pc002",
                                                     "org/branch02/pc009", "org/branch03/pc001"});
  CHECK(s.at("totals") == json{{"recipients", 8}, {"pending", 5}, {"delivered", 1}, {"displayed", 1}, {"read", 1}});
  auto first = s.at("recipients").at(0);
  CHECK(first == json{{"recipient", "org/branch01/pc001"},
                      {"state", "read"},
                      {"delivered_at", "2026-11-22T13:00:01.000Z"},
                      {"displayed_at", nullptr},
                      {"read_at", "2026-11-22T13:00:05.000Z"},
                      {"user", "jk"},
                      {"computer", "org/branch01/pc001"}});
  auto pending_one = s.at("recipients").at(1);
  CHECK(pending_one.at("state") == "pending");
  CHECK(pending_one.at("delivered_at").is_null());
  CHECK(pending_one.at("user").is_null());
  CHECK(pending_one.at("computer").is_null());
}

TEST_CASE("status: a scope never sees recipients or messages outside it") {
  Fixture f;
  populate(f);
  f.feed(topics::ack("all", "org/branch02/pc001"), ack(payloads::AckState::read, t0() + 2s));
  auto s = ok(ask(f, topics::kOpStatus, "org/branch01", request("all")));
  CHECK(recipients_of(s) == std::vector<std::string>{"org/branch01/pc001", "org/branch01/pc002", "org/branch01/pc003"});
  CHECK(s.at("totals").at("read") == 0);
  CHECK(s.at("targets") == json{"org"});

  // branch01 does not see branch02's message, nor a person message; branch010 is not under branch01.
  for (auto id : {"b2", "pers", "missing"}) {
    auto r = ask(f, topics::kOpStatus, "org/branch01", request(id));
    CHECK_FALSE(r.ok);
    CHECK(r.error_kind == static_cast<int>(ErrorKind::not_found));
    CHECK(r.error == std::string("unknown message id '") + id + "'");
  }
  // A scope below the target sees only its own subtree.
  s = ok(ask(f, topics::kOpStatus, "org/branch02/pc002", request("b2")));
  CHECK(recipients_of(s) == std::vector<std::string>{"org/branch02/pc002"});
  // Person targets are visible with scope org.
  s = ok(ask(f, topics::kOpStatus, "org", request("pers")));
  CHECK(recipients_of(s) == std::vector<std::string>{"user:jk"});
  CHECK(s.at("targets") == json{"user:jk"});
  // status without an id is a usage error.
  auto r = ask(f, topics::kOpStatus, "org", request());
  CHECK(r.error_kind == static_cast<int>(ErrorKind::usage));
}

TEST_CASE("status: states recalled and expired") {
  Fixture f;
  populate(f);
  f.feed(topics::recall("admin", "b2", Target::path("org/branch02")),
         payloads::encode(payloads::Recall{t0() + 10min, t0() + 24h}));
  auto s = ok(ask(f, topics::kOpStatus, "org", request("b2")));
  CHECK(s.at("state") == "recalled");
  CHECK(s.at("recalled_at") == "2026-11-22T13:10:00.000Z");
  CHECK(s.at("recalled_by") == "admin");
  f.clock = t0() + 48h;
  CHECK(ok(ask(f, topics::kOpStatus, "org", request("all"))).at("state") == "expired");
}

TEST_CASE("pending: unread active messages per recipient under the scope") {
  Fixture f;
  populate(f);
  f.feed(topics::ack("all", "org/branch02/pc001"), ack(payloads::AckState::read, t0() + 2s));
  f.feed(topics::ack("b2", "org/branch02/pc001"), ack(payloads::AckState::displayed, t0() + 2s));

  auto p = ok(ask(f, topics::kOpPending, "org/branch02", request()));
  CHECK(p.at("under") == "org/branch02");
  CHECK(p.at("total_unread") == 3);
  REQUIRE(p.at("recipients").size() == 2);
  CHECK(p.at("recipients").at(0) ==
        json{{"recipient", "org/branch02/pc001"},
             {"unread",
              {{{"id", "b2"}, {"kind", "alert"}, {"title", "Branch 2"}, {"sent_at", "2026-11-22T13:01:00.000Z"}}}}});
  auto pc2 = p.at("recipients").at(1);
  CHECK(pc2.at("recipient") == "org/branch02/pc002");
  REQUIRE(pc2.at("unread").size() == 2);
  CHECK(pc2.at("unread").at(0).at("id") == "all");  // oldest first
  CHECK(pc2.at("unread").at(1).at("id") == "b2");

  // org sees the person too; branch01 sees neither branch02 nor the person.
  auto all = ok(ask(f, topics::kOpPending, "org", request()));
  CHECK(all.at("recipients").back().at("recipient") == "user:jk");
  auto b1 = ok(ask(f, topics::kOpPending, "org/branch01", request()));
  for (const auto& r : b1.at("recipients")) {
    CHECK(is_under(r.at("recipient").get<std::string>(), "org/branch01"));
    CHECK(r.at("unread").size() == 1);
  }
  CHECK(b1.at("total_unread") == 3);

  // Recalled and expired messages are not pending.
  f.feed(topics::recall("admin", "b2", Target::path("org/branch02")),
         payloads::encode(payloads::Recall{t0(), t0() + 24h}));
  CHECK(ok(ask(f, topics::kOpPending, "org/branch02", request())).at("total_unread") == 1);
  f.clock = t0() + 48h;
  CHECK(ok(ask(f, topics::kOpPending, "org", request())).at("total_unread") == 0);
}

TEST_CASE("list: newest first, limited, counts restricted to the scope") {
  Fixture f;
  populate(f);
  f.feed(topics::ack("all", "org/branch01/pc001"), ack(payloads::AckState::read, t0() + 2s));
  f.feed(topics::ack("all", "org/branch02/pc001"), ack(payloads::AckState::delivered, t0() + 2s));
  auto l = ok(ask(f, topics::kOpList, "org", request()));
  std::vector<std::string> ids;
  for (const auto& m : l.at("messages")) ids.push_back(m.at("id"));
  CHECK(ids == std::vector<std::string>{"pers", "b2", "all"});
  auto all = l.at("messages").at(2);
  CHECK(all == json{{"id", "all"},
                    {"kind", "message"},
                    {"title", "To all"},
                    {"sender", "admin"},
                    {"targets", {"org"}},
                    {"sent_at", "2026-11-22T13:00:00.000Z"},
                    {"expires_at", "2026-11-23T13:00:00.000Z"},
                    {"state", "active"},
                    {"recipients", 6},
                    {"delivered", 1},
                    {"displayed", 0},
                    {"read", 1},
                    {"pending", 4}});

  auto b1 = ok(ask(f, topics::kOpList, "org/branch01", request()));
  REQUIRE(b1.at("messages").size() == 1);
  CHECK(b1.at("messages").at(0).at("recipients") == 3);
  CHECK(b1.at("messages").at(0).at("read") == 1);
  CHECK(b1.at("messages").at(0).at("delivered") == 0);

  auto limited = ok(ask(f, topics::kOpList, "org", request({}, {}, 2)));
  CHECK(limited.at("messages").size() == 2);
}

TEST_CASE("import: replaces the directory atomically; a bad CSV changes nothing") {
  Fixture f;
  auto r = ask(f, topics::kOpImport, "org", request({}, kDirectory));
  CHECK(ok(r) == json{{"entries", 10}, {"computers", 6}});

  auto bad = ask(f, topics::kOpImport, "org", request({}, "path,kind\norg,central\norg/x,computer\norg/b 1,branch\n"));
  CHECK_FALSE(bad.ok);
  CHECK(bad.error_kind == static_cast<int>(ErrorKind::usage));
  CHECK(bad.error == "directory CSV line 4: invalid org path 'org/b 1'");
  auto txn = f.ledger.read();
  std::size_t n = 0;
  f.ledger.scan_directory(txn, "org", [&](const DirectoryEntry&) { return ++n, true; });
  CHECK(n == 10);
  txn.abort();

  auto scoped = ask(f, topics::kOpImport, "org/branch01", request({}, kDirectory));
  CHECK_FALSE(scoped.ok);
  CHECK(scoped.error_kind == static_cast<int>(ErrorKind::usage));

  CHECK(ok(ask(f, topics::kOpImport, "org", request({}, "path,kind\norg,central\n"))) ==
        json{{"entries", 1}, {"computers", 0}});
}

TEST_CASE("status: recipients sorted even when target subtrees interleave in key order") {
  // "org/b-x/..." sorts between "org/b" and "org/b/...": '-' comes before '/'.
  Fixture f;
  REQUIRE(ask(f, topics::kOpImport, "org",
              request({},
                      "path,kind\norg,central\norg/b,branch\norg/b/pc1,computer\norg/b/pc2,computer\n"
                      "org/b-x,branch\norg/b-x/pc1,computer\n"))
              .ok);
  f.feed(msg_topic("admin", "m", "org/b"), delivery("b", "Two branches"));
  f.feed(msg_topic("admin", "m", "org/b-x"), delivery("b", "Two branches"));
  f.feed(msg_topic("admin", "m", "user:jk"), delivery("b", "Two branches"));
  f.feed(topics::ack("m", "org/b-x/pc1"), ack(payloads::AckState::read, t0() + 1s, "jk"));
  auto s = ok(ask(f, topics::kOpStatus, "org", request("m")));
  CHECK(recipients_of(s) == std::vector<std::string>{"org/b-x/pc1", "org/b/pc1", "org/b/pc2", "user:jk"});
  CHECK(s.at("recipients").at(0).at("state") == "read");
  CHECK(s.at("recipients").at(0).at("user") == "jk");
  CHECK(s.at("recipients").at(3).at("state") == "read");  // jk's receipt also counts for user:jk
  CHECK(s.at("totals").at("recipients") == 4);
}

TEST_CASE("titles with quotes, backslashes, control characters and UTF-8 survive the JSON writer") {
  Fixture f;
  std::string title = "Say \"hi\" \\ now\n\t\x01 – zażółć 🙂";
  f.feed(msg_topic("admin", "m1", "org"), delivery("b", title));
  auto s = ok(ask(f, topics::kOpStatus, "org", request("m1")));
  CHECK(s.at("title") == title);
  auto l = ok(ask(f, topics::kOpList, "org", request()));
  CHECK(l.at("messages").at(0).at("title") == title);
}
