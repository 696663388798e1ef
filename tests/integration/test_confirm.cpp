// Issue 12: "read and confirm" end to end: herald send --require-confirm, the employee
// opens it (read) and confirms it (herald-agent confirm), and the admin sees it pending
// until then and `confirmed` after, with the time.
#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

namespace {

// The ids `herald pending` lists for `recipient`.
std::vector<std::string> pending_for(System& sys, const std::string& recipient) {
  std::vector<std::string> ids;
  auto pending = herald_json(sys, {"pending", "--under", "org/branch01"});
  for (const auto& rec : pending.at("recipients"))
    if (rec.at("recipient") == recipient)
      for (const auto& m : rec.at("unread")) ids.push_back(m.at("id").get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("a message to confirm: read is not enough, pending until the employee confirms it") {
  System sys("confirm");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  const std::string who = "org/branch01/pc001";
  auto id = send_and_wait(
      sys, {&pc},
      {"send", "--to", who, "--title", "Nowy regulamin", "--body", "Przeczytaj i potwierdź.", "--require-confirm"});

  // The agent knows it asks for confirmation; showing it says how to confirm.
  bool asks = false;
  for (const auto& m : inbox(pc))
    if (m.at("id") == id) asks = m.value("require_confirm", false);
  CHECK(asks);
  auto shown = pc.cli({"show", id});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("Przeczytaj i potwierdź.") != std::string::npos);
  CHECK(shown.out.find("herald-agent confirm " + id) != std::string::npos);

  // Read, but still pending.
  REQUIRE(eventually([&] { return state_of(sys, id, who) == "read"; }, 5s, 50ms));
  auto st = herald_json(sys, {"status", id});
  CHECK(st.at("require_confirm") == true);
  CHECK(recipient(st, who).at("confirmed_at").is_null());
  CHECK(st.at("totals").at("confirmed") == 0);
  CHECK(pending_for(sys, who) == std::vector<std::string>{id});

  auto confirmed = pc.cli({"confirm", id});
  INFO("herald-agent confirm: " << confirmed.out << confirmed.err);
  REQUIRE(confirmed.exit_code == 0);
  CHECK(confirmed.out.find("Confirmed") != std::string::npos);
  CHECK(eventually([&] { return state_of(sys, id, who) == "confirmed"; }, 5s, 50ms));
  st = herald_json(sys, {"status", id});
  auto row = recipient(st, who);
  CHECK(row.at("confirmed_at").is_string());
  CHECK(row.at("read_at").is_string());
  CHECK(row.at("user") == "jkowalski");
  CHECK(st.at("totals").at("confirmed") == 1);
  CHECK(pending_for(sys, who).empty());

  // The admin's table shows the confirmation; list counts it as read.
  auto table = herald_ok(sys, {"status", id});
  CHECK(table.find("CONFIRMED") != std::string::npos);
  CHECK(table.find("1 confirmed") != std::string::npos);
  auto list = herald_json(sys, {"list"});  // named: a range-for over a temporary's member dangles
  for (const auto& m : list.at("messages"))
    if (m.at("id") == id) CHECK(m.at("confirmed") == 1);
}

TEST_CASE("confirming what does not ask for it: refused by the agent; an alert cannot ask for it") {
  System sys("confirm-refused");
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  auto id = send_and_wait(sys, {&pc}, {"send", "--to", "org/branch01/pc001", "--title", "Plain", "--body", "B"});
  auto refused = pc.cli({"confirm", id});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("does not ask for confirmation") != std::string::npos);
  CHECK(pc.cli({"confirm", "20261122T130118Z-0000000000"}).exit_code == 3);
  // Its status has no confirmation fields at all.
  auto st = herald_json(sys, {"status", id});
  CHECK_FALSE(st.contains("require_confirm"));
  CHECK_FALSE(st.at("totals").contains("confirmed"));

  auto alert = sys.herald({"alert", "--to", "org/branch01", "--body", "Drill", "--require-confirm"}, "admin");
  CHECK(alert.exit_code == 2);
  CHECK(alert.err.find("--require-confirm is for messages") != std::string::npos);
}
