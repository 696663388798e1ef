#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "helpers.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using herald::agent::test::run;
using namespace herald::agent;
using herald::agent::test::agent_conf;
using herald::agent::test::TempDir;

namespace {}  // namespace

TEST_CASE("inbox and show through the binary") {
  TempDir dir;
  auto conf = agent_conf(dir);
  {
    lmdb::Env env(dir / "data", agent_env_options());
    Inbox inbox(env);
    inbox.accept(topics::DeliveryTopic{topics::Kind::alert, "secops", "m1", Target::parse("org")}, test::delivery(),
                 "org/b1/pc1", "anna", herald::now());
  }
  auto listed = run("inbox --json " + conf);
  CHECK(listed.code == 0);
  auto j = nlohmann::json::parse(listed.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["id"] == "m1");
  CHECK(j[0]["read_at"].is_null());
  CHECK(run("inbox " + conf).out.find("m1") != std::string::npos);

  auto shown = run("show m1 --json " + conf);
  CHECK(shown.code == 0);
  CHECK(nlohmann::json::parse(shown.out)["read_at"].is_string());
  CHECK(run("show m1 " + conf).out.find("Do not open the attachment") != std::string::npos);

  auto unknown = run("show nope " + conf);
  CHECK(unknown.code == 3);
  CHECK(unknown.out == "herald-agent: error: unknown message id 'nope'\n");

  lmdb::Env env(dir / "data", agent_env_options());
  Inbox inbox(env);
  auto out = inbox.outbox();
  REQUIRE(out.size() == 2);  // delivered, then exactly one read
  CHECK(payloads::decode<payloads::Ack>(out[1].payload).state == payloads::AckState::read);
  CHECK(payloads::decode<payloads::Ack>(out[1].payload).user == "anna");
  CHECK(out[1].topic == topics::ack("m1", "org/b1/pc1"));

  auto missing = run("inbox --config " + dir / "nope.conf");
  CHECK(missing.code == 9);
  CHECK(run("--help").code == 0);
  CHECK(run("").code == 2);
  CHECK(run("show " + conf).code == 2);
  CHECK(run("show --help").code == 0);
}

// ---- issue 10: lessons and their images

namespace {
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + "jpeg";

payloads::Delivery lesson() {
  auto d = test::delivery("Fire exits", "info");
  d.body = "Keep them clear.";
  d.images = {payloads::Image{"exit.png", "image/png", kPng}, payloads::Image{"plan.jpg", "image/jpeg", kJpeg}};
  d.lesson = payloads::LessonRef{"bhp-2026", "c1", 2, 4};
  return d;
}
}  // namespace

TEST_CASE("show prints a lesson's place in its course and its images; --save-images writes them once") {
  TempDir dir;
  auto conf = agent_conf(dir);
  {
    lmdb::Env env(dir / "data", agent_env_options());
    Inbox inbox(env);
    inbox.accept(topics::DeliveryTopic{topics::Kind::message, "hr", "l1", Target::parse("org")}, lesson(), "org/b1/pc1",
                 "anna", herald::now());
    inbox.accept(topics::DeliveryTopic{topics::Kind::message, "hr", "m2", Target::parse("org")}, test::delivery(),
                 "org/b1/pc1", "anna", herald::now());
  }
  auto listed = nlohmann::json::parse(run("inbox --json " + conf).out);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0]["lesson"] == nlohmann::json::parse(R"({"course":"bhp-2026","campaign":"c1","number":2,"of":4})"));
  CHECK(listed[0]["images"] == nlohmann::json::parse(R"([{"name":"exit.png","type":"image/png","size":14},
                                                         {"name":"plan.jpg","type":"image/jpeg","size":8}])"));
  CHECK_FALSE(listed[1].contains("lesson"));  // a plain message lists exactly as before
  CHECK_FALSE(listed[1].contains("images"));

  auto shown = run("show l1 " + conf);
  CHECK(shown.code == 0);
  CHECK(shown.out.find("Lesson 2 of 4 (course bhp-2026)\n") != std::string::npos);
  CHECK(shown.out.find("Image:     exit.png (image/png, 14 bytes)\n") != std::string::npos);
  CHECK(shown.out.find("Image:     plan.jpg (image/jpeg, 8 bytes)\n") != std::string::npos);
  CHECK(run("show m2 " + conf).out.find("Lesson") == std::string::npos);

  auto saved = run("show l1 --save-images " + dir / "pics/new" + " " + conf);
  CHECK(saved.code == 0);
  CHECK(saved.out.find("saved " + dir / "pics/new/exit.png" + "\n") != std::string::npos);
  std::ifstream png(dir / "pics/new/exit.png", std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(png), {}) == kPng);
  std::ifstream jpeg(dir / "pics/new/plan.jpg", std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(jpeg), {}) == kJpeg);

  auto again = run("show l1 --save-images " + dir / "pics/new" + " " + conf);
  CHECK(again.code == 2);
  CHECK(again.out.find("herald-agent: error: " + dir / "pics/new/exit.png" + " exists: not overwritten") !=
        std::string::npos);
  CHECK(run("show m2 --save-images " + dir / "none" + " " + conf).out.find("no images to save") != std::string::npos);

  auto as_json = nlohmann::json::parse(run("show l1 --json " + conf).out);
  CHECK(as_json["lesson"]["number"] == 2);
  CHECK_FALSE(as_json["images"][0].contains("data"));
}

TEST_CASE("save_images refuses unsafe names and existing files or links before writing anything") {
  TempDir dir;
  std::vector<payloads::Image> images{{"a.png", "image/png", kPng}, {"../escape.png", "image/png", kPng}};
  CHECK_THROWS_WITH_AS(save_images(images, dir / "out"), doctest::Contains("not a safe file name"), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "out/a.png"));
  CHECK_FALSE(std::filesystem::exists(dir / "escape.png"));

  std::filesystem::create_directories(dir / "out");
  std::filesystem::create_symlink(dir / "target.png", dir / "out/b.png");  // dangling: still refused
  images = {{"a.png", "image/png", kPng}, {"b.png", "image/png", kPng}};
  CHECK_THROWS_WITH_AS(save_images(images, dir / "out"), doctest::Contains("b.png exists"), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "out/a.png"));
  CHECK_FALSE(std::filesystem::exists(dir / "target.png"));

  images = {{"a.png", "image/png", kPng}};
  auto written = save_images(images, dir / "out");
  REQUIRE(written.size() == 1);
  CHECK(written[0] == std::filesystem::path(dir / "out/a.png"));
}
