// Issue 2: heraldd knows the recipients from the org directory the admin imports.
#include <fstream>

#include "helpers.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

TEST_CASE("importing the library's HR export makes every computer of a branch a recipient") {
  System sys("import", {}, default_directory_csv(), /*import_directory=*/false);
  auto csv = library_org_csv().string();
  auto out = herald_ok(sys, {"import-org", csv});
  CHECK(out == "imported 430 entries (396 computers)");

  auto id = herald_ok(sys, {"send", "--to", "org/branch05", "--title", "Inventory", "--body", "Friday"});
  auto st = herald_json(sys, {"status", id});
  std::size_t expected = 0;
  for (const auto& e : herald::load_directory_csv(csv))
    expected += e.is_computer() && herald::is_under(e.path, "org/branch05");
  CHECK(expected > 0);
  CHECK(st.at("totals").at("recipients") == expected);
  CHECK(st.at("totals").at("pending") == expected);

  // A broken file is refused whole, with its line, and the directory stays as it was.
  auto bad = sys.tmp().path() / "bad.csv";
  std::ofstream(bad) << "path,kind\norg,central\norg/b 1,branch\n";
  auto r = sys.herald({"import-org", bad.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("line 3") != std::string::npos);
  CHECK(herald_json(sys, {"status", id}).at("totals").at("recipients") == expected);
}

TEST_CASE("a person's message follows them to the computer they log in to later") {
  System sys("person-moves");
  auto id = herald_ok(sys, {"send", "--to", "user:jkowalski", "--title", "Payslip", "--body", "Ready"});
  // jkowalski logs in at a branch-2 computer after the message was sent.
  auto& pc = sys.agent("org/branch02/pc001", "jkowalski");
  CHECK(waits_for_inbox(pc, id, 15s));
  REQUIRE(pc.cli({"show", id}).exit_code == 0);
  CHECK(eventually([&] { return state_of(sys, id, "user:jkowalski") == "read"; }));
  auto r = recipient(herald_json(sys, {"status", id}), "user:jkowalski");
  CHECK(r.at("computer") == "org/branch02/pc001");
}
