// Issue 10: courses, campaigns and scheduled messages, run by heraldd against a real
// broker and real agents on a simulated clock (heraldd's and herald's `clock` key), so
// that weeks of schedule play out in seconds while every message is still stamped with
// the real time the agents check.
#include <fstream>
#include <set>

#include "helpers.hpp"
#include "herald/common/time.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;

namespace {

// "clock = simulated START SPEED SINCE": SINCE is this test's start, so a heraldd killed
// and restarted continues the same simulated time, and herald's checks of --start agree
// with heraldd's.
std::string simulated_clock(const std::string& start, int speed) {
  return "clock = simulated " + start + " " + std::to_string(speed) + " " + herald::to_rfc3339(herald::now()) + "\n";
}

void append(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app);
  out << text;
}

// A System whose heraldd and admin CLI both read the simulated clock.
struct SimulatedSystem {
  std::string clock;
  System sys;
  SimulatedSystem(const std::string& tag, const std::string& start, int speed)
      : clock(simulated_clock(start, speed)), sys(tag, {}, default_directory_csv(), true, clock) {
    append(sys.cli_config("admin"), clock);
  }
};

nlohmann::json campaign(System& sys, const std::string& id) { return herald_json(sys, {"campaign", "show", id}); }

std::size_t sent_lessons(System& sys, const std::string& id) {
  std::size_t n = 0;
  auto detail = campaign(sys, id);  // a named copy: a range-for over a temporary's member dangles
  for (const auto& o : detail.at("occurrences"))
    if (!o.at("message").is_null()) ++n;
  return n;
}

// The inbox entries of one campaign, by lesson number.
std::map<std::size_t, std::vector<std::string>> lessons_in_inbox(Agent& agent, const std::string& campaign_id) {
  std::map<std::size_t, std::vector<std::string>> by_number;
  for (const auto& m : inbox(agent))
    if (m.contains("lesson") && m.at("lesson").at("campaign") == campaign_id)
      by_number[m.at("lesson").at("number").get<std::size_t>()].push_back(m.at("id").get<std::string>());
  return by_number;
}

nlohmann::json person(const nlohmann::json& progress, const std::string& login) {
  for (const auto& p : progress.at("people"))
    if (p.at("login") == login) return p;
  return nullptr;
}

std::string course_file() { return (source_dir() / "deploy" / "courses" / "security-101.md").string(); }

}  // namespace

TEST_CASE(
    "the library's pilot: 8 lessons Tue-Fri at 09:00 Warsaw with a holiday, across the change to summer time, each "
    "on every computer exactly once, also when heraldd is killed with -9 in the middle") {
  // 40,000x: a real second is 11 simulated hours. Friday 19 March 2027 12:00Z; the first
  // lesson (Tuesday 23rd) is ~8 real seconds away, the last (Tuesday 6 April) ~38 s.
  SimulatedSystem s("pilot", "2027-03-19T12:00:00.000Z", 40000);
  auto& sys = s.sys;
  auto& pc1 = sys.agent("org/branch01/pc001", "jkowalski");
  // Jan Kowalski also works at the second computer; its usual employee, Anna Nowak,
  // never logs in.
  auto& pc2 = sys.agent("org/branch01/pc002", "jkowalski");
  REQUIRE(pc1.wait_connected());
  REQUIRE(pc2.wait_connected());

  CHECK(herald_ok(sys, {"course", "create", course_file()}).find("security-101") != std::string::npos);
  const std::vector<std::string> args = {"--schedule",   "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR;COUNT=8",
                                         "--at",         "09:00",
                                         "--tz",         "Europe/Warsaw",
                                         "--start",      "2027-03-22",
                                         "--skip-dates", "2027-03-25"};
  // Thursday 25 March is a holiday: that lesson moves to the next allowed day, and the
  // course still has all 8. 09:00 in Warsaw is 08:00Z until 28 March, 07:00Z after.
  const std::vector<std::string> expected = {
      "2027-03-23T08:00:00.000Z", "2027-03-24T08:00:00.000Z", "2027-03-26T08:00:00.000Z", "2027-03-30T07:00:00.000Z",
      "2027-03-31T07:00:00.000Z", "2027-04-01T07:00:00.000Z", "2027-04-02T07:00:00.000Z", "2027-04-06T07:00:00.000Z"};
  std::vector<std::string> preview = {"campaign", "preview", course_file()};
  preview.insert(preview.end(), args.begin(), args.end());
  auto shown = herald_ok(sys, preview);
  for (const auto& t : {"2027-03-23", "2027-03-26", "2027-04-06"}) CHECK(shown.find(t) != std::string::npos);
  CHECK(shown.find("2027-03-25") == std::string::npos);

  std::vector<std::string> start = {"campaign", "start", "security-101", "--to", "org/branch01"};
  start.insert(start.end(), args.begin(), args.end());
  start.push_back("--json");
  auto started = nlohmann::json::parse(herald_ok(sys, start));
  auto id = started.at("id").get<std::string>();

  auto detail = campaign(sys, id);
  REQUIRE(detail.at("occurrences").size() == 8);
  for (std::size_t i = 0; i < 8; ++i) CHECK(detail.at("occurrences")[i].at("due_at") == expected[i]);

  // kill -9 after the second lesson, down for about 2.5 simulated days (lessons 3 and 4
  // fall due meanwhile), then back: each is sent once on return.
  REQUIRE(eventually([&] { return lessons_in_inbox(pc1, id).size() >= 2; }, 60s, 200ms));
  sys.heraldd().kill9();
  std::this_thread::sleep_for(6s);
  sys.heraldd().start();
  REQUIRE(sys.wait_heraldd_connected(20s));

  REQUIRE(eventually([&] { return sent_lessons(sys, id) == 8; }, 90s, 500ms));
  detail = campaign(sys, id);
  CHECK(detail.at("campaign").at("state") == "finished");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 8; ++i) {
    const auto& o = detail.at("occurrences")[i];
    CHECK(o.at("number") == i + 1);
    CHECK(o.at("due_at") == expected[i]);
    ids.insert(o.at("message").get<std::string>());
  }
  CHECK(ids.size() == 8);  // one message per lesson

  for (auto* pc : {&pc1, &pc2}) {
    INFO("computer " << pc->path());
    REQUIRE(eventually([&] { return lessons_in_inbox(*pc, id).size() == 8; }, 20s, 200ms));
    auto lessons = lessons_in_inbox(*pc, id);
    for (std::size_t n = 1; n <= 8; ++n) {
      INFO("lesson " << n);
      REQUIRE(lessons[n].size() == 1);  // exactly once
      CHECK(lessons[n][0] == detail.at("occurrences")[n - 1].at("message"));
    }
  }

  // Progress is per person: Jan reads lesson 1 at one computer and lesson 3 at the other.
  auto lesson = [&](std::size_t n) { return detail.at("occurrences")[n - 1].at("message").get<std::string>(); };
  REQUIRE(pc1.cli({"show", lesson(1)}).exit_code == 0);
  REQUIRE(pc2.cli({"show", lesson(3)}).exit_code == 0);
  nlohmann::json progress;
  REQUIRE(eventually(
      [&] {
        progress = herald_json(sys, {"progress", "security-101"});
        auto jan = person(progress, "jkowalski");
        return !jan.is_null() && jan.at("read") == 2;
      },
      20s, 300ms));
  auto jan = person(progress, "jkowalski");
  CHECK(jan.at("name") == "Jan Kowalski");
  CHECK(jan.at("sent") == 8);
  CHECK(jan.at("total") == 8);
  CHECK_FALSE(jan.at("first_at").is_null());
  bool anna_not_started = false;
  for (const auto& p : progress.at("not_started")) anna_not_started |= p.at("login") == "anowak";
  CHECK(anna_not_started);
  REQUIRE(progress.at("lessons").size() == 8);
  CHECK(progress.at("lessons")[0].at("read") == 1);
  CHECK(progress.at("lessons")[1].at("read") == 0);
  CHECK(progress.at("lessons")[2].at("read") == 1);

  // Lessons are ordinary messages: status knows each one, read where Jan read it.
  CHECK(state_of(sys, lesson(3), "org/branch01/pc002") == "read");
  CHECK(state_of(sys, lesson(3), "org/branch01/pc001") != "read");
}

TEST_CASE(
    "a monthly reminder to everyone: each occurrence is its own message, and a cancelled schedule sends no more") {
  // 1,000,000x: a real second is 11.6 simulated days; the first of June is ~8 s away.
  SimulatedSystem s("monthly", "2027-03-01T00:00:00.000Z", 1000000);
  auto& sys = s.sys;
  auto& pc = sys.agent("org/branch02/pc001", "pwisniewski");
  REQUIRE(pc.wait_connected());
  auto out = herald_json(
      sys, {"send", "--to", "org", "--title", "Monthly check", "--body", "Back up your files.", "--repeat",
            "FREQ=MONTHLY;BYMONTHDAY=1", "--at", "08:00", "--tz", "Europe/Warsaw", "--start", "2027-06-01"});
  auto schedule_id = out.at("id").get<std::string>();
  auto monthly = [&] {
    std::set<std::string> ids;
    for (const auto& m : inbox(pc))
      if (m.at("title") == "Monthly check") ids.insert(m.at("id").get<std::string>());
    return ids;
  };
  REQUIRE(eventually([&] { return monthly().size() >= 3; }, 60s, 300ms));
  auto listed = herald_json(sys, {"schedule", "list"});
  REQUIRE(listed.at("schedules").size() == 1);
  CHECK(listed.at("schedules")[0].at("id") == schedule_id);
  CHECK(listed.at("schedules")[0].at("sent").get<std::size_t>() >= 3);
  for (const auto& id : monthly()) CHECK(herald_json(sys, {"status", id}).at("kind") == "message");

  herald_ok(sys, {"schedule", "cancel", schedule_id});
  auto after_cancel = monthly().size();
  std::this_thread::sleep_for(6s);  // about two simulated months
  CHECK(monthly().size() == after_cancel);
  CHECK(herald_json(sys, {"schedule", "list"}).at("schedules")[0].at("state") == "cancelled");
}

TEST_CASE("bad course and campaign input: a clear error and exit code, and nothing created or scheduled") {
  SimulatedSystem s("coursebad", "2027-03-01T00:00:00.000Z", 1);
  auto& sys = s.sys;
  herald_ok(sys, {"course", "create", course_file()});
  auto dir = sys.tmp().path() / "courses";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "empty.md") << "# A course without lessons\n";
    std::ofstream(dir / "noimage.md") << "# Pictures\n\n## One\n\nSee ![exit](missing.png)\n";
  }
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<std::string> ok_schedule = {"--to", "org/branch01",  "--at",    "09:00",
                                                "--tz", "Europe/Warsaw", "--start", "2027-03-22"};
  auto start_with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"campaign", "start", "security-101", "--schedule", "FREQ=WEEKLY;COUNT=8"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<Case> cases = {
      {{"course", "create", (dir / "empty.md").string()}, 2, "no lessons"},
      {{"course", "create", (dir / "noimage.md").string()}, 3, "missing.png"},
      {{"course", "create", course_file()}, 2, "exists"},
      {{"campaign", "start", "no-such-course", "--schedule", "FREQ=DAILY;COUNT=8", "--to", "org", "--at", "09:00",
        "--start", "2027-03-22"},
       3,
       "no-such-course"},
      {{"campaign", "start", "security-101", "--schedule", "FREQ=SOMETIMES", "--to", "org", "--at", "09:00", "--start",
        "2027-03-22"},
       2,
       "FREQ"},
      {start_with({"--to", "org", "--at", "09:00", "--tz", "Europe/Atlantis", "--start", "2027-03-22"}), 2,
       "Europe/Atlantis"},
      {start_with({"--to", "org", "--at", "25:00", "--start", "2027-03-22"}), 2, "25:00"},
      {start_with({"--to", "org", "--at", "09:00", "--start", "2020-01-06"}), 2, "past"},
      {start_with({"--to", "org", "--to", "user:jkowalski", "--at", "09:00", "--start", "2027-03-22"}), 2, "people"},
      {{"campaign", "start", "security-101", "--schedule", "FREQ=WEEKLY;COUNT=3", "--to", "org", "--at", "09:00",
        "--start", "2027-03-22"},
       2,
       "8"},
  };
  for (const auto& c : cases) {
    auto r = sys.herald(c.args);
    CAPTURE(c.args);
    CAPTURE(r.err);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  }
  CHECK(herald_json(sys, {"campaign", "list"}).at("campaigns").empty());
  CHECK(herald_json(sys, {"course", "list"}).at("courses").size() == 1);

  // A course in use cannot be deleted (so it cannot change under a running campaign).
  auto start = start_with(ok_schedule);
  herald_ok(sys, start);
  auto r = sys.herald({"course", "delete", "security-101"});
  CHECK(r.exit_code == 2);
  CHECK(herald_json(sys, {"course", "list"}).at("courses").size() == 1);
}
