// heraldd's scheduler against a real broker and agent, on a simulated clock: the worker
// wakes at each due time by itself (no request, no polling), and the lessons arrive as
// ordinary inbox messages. The CLI's course/campaign commands have their own tests.
#include <chrono>
#include <thread>

#include "helpers.hpp"
#include "herald/common/course.hpp"
#include "herald/common/plans.hpp"
#include "herald/common/topics.hpp"

using namespace herald;
using namespace herald::testing;
using namespace std::chrono_literals;

namespace {

// Publishes a request as `account` with mosquitto_pub (the `herald` commands are not
// what this test is about).
void publish(System& sys, const std::string& topic, const std::string& payload, const std::string& account = "admin") {
  auto uri = sys.broker().people_uri();
  auto port = uri.substr(uri.rfind(':') + 1);
  auto r =
      run({"mosquitto_pub", "-h", "127.0.0.1", "-p", port, "--cafile", sys.broker().ca_file().string(), "--insecure",
           "-u", account, "-P", sys.broker().password(account), "-i", account + ":smoke", "-q", "1", "-t", topic, "-s"},
          {}, payload);
  INFO("mosquitto_pub: " << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("a simulated clock plays a three-day course: heraldd wakes at each lesson by itself") {
  // 2 simulated hours per real second: the first lesson (12:00 UTC) is ~7 s away.
  System sys("campaign-smoke", {}, default_directory_csv(), true, "clock = simulated 2026-11-30T22:00:00Z 7200\n");
  REQUIRE(sys.wait_heraldd_connected());
  auto& agent = sys.agent("org/branch01/pc001");
  REQUIRE(agent.wait_connected());

  course::Course c;
  c.id = "smoke";
  c.title = "Smoke";
  for (int i = 1; i <= 3; ++i) c.lessons.push_back(course::Lesson{"Lesson " + std::to_string(i), "Text", {}, {}});
  plans::CampaignRequest create;
  create.op = plans::CampaignOp::course_create;
  create.course = c;
  publish(sys, topics::campaign("admin", "smoke-r1", "org"), nlohmann::json(create).dump());
  plans::CampaignRequest start;
  start.op = plans::CampaignOp::start;
  start.id = "smoke-c1";
  start.course_id = "smoke";
  start.targets = {"org/branch01"};
  start.when.rule = "FREQ=DAILY;COUNT=3";
  start.when.at = "12:00";
  start.when.tz = "UTC";
  start.when.start = "2026-12-01";
  publish(sys, topics::campaign("admin", "smoke-r2", "org/branch01"), nlohmann::json(start).dump());

  // Three lessons at 12 s intervals, then nothing more.
  bool all = eventually([&] { return inbox(agent).size() >= 3; }, 60s, 500ms);
  INFO("heraldd log:\n" << sys.heraldd().log());
  CHECK(all);
  auto log = sys.heraldd().log();
  CHECK(log.find("started campaign smoke-c1") != std::string::npos);
  for (const char* due :
       {"due 2026-12-01T12:00:00.000Z", "due 2026-12-02T12:00:00.000Z", "due 2026-12-03T12:00:00.000Z"})
    CHECK(log.find(due) != std::string::npos);
  CHECK(log.find("campaign smoke-c1 finished: 3 lessons sent") != std::string::npos);
}
