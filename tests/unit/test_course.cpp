#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "herald/common/course.hpp"
#include "herald/common/error.hpp"
#include "temp_dir.hpp"

using namespace herald;
using herald::test::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path kCourses = HERALD_COURSES_DIR;
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// A valid two-lesson course folder to break one thing at a time.
fs::path good_folder(const fs::path& root) {
  auto dir = root / "c";
  write(dir / "course.json", R"({"id":"fire","title":"Fire safety","owner":"ignored","lessons":[
    {"title":"Exits","file":"01.md","images":["exit.png"],"links":["https://intranet/fire"],"note":"ignored"},
    {"title":"Extinguishers","file":"sub/02.md"}]})");
  write(dir / "01.md", "Keep exits clear.\n");
  write(dir / "sub/02.md", "Know where they are.\n");
  write(dir / "exit.png", kPng);
  return dir;
}

Error load_error(const fs::path& p) {
  try {
    course::load(p);
  } catch (const Error& e) {
    return e;
  }
  FAIL("loading " << p << " did not fail");
  return Error(ErrorKind::internal, "");
}

void check_refused(const fs::path& p, ErrorKind kind, const std::string& says) {
  auto e = load_error(p);
  CAPTURE(e.what());
  CHECK(e.kind() == kind);
  CHECK(std::string(e.what()).find(says) != std::string::npos);
  CHECK(std::string(e.what()).find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("the example course folder loads, and its course.json alone gives the same course") {
  auto c = course::load(kCourses / "bhp");
  CHECK(c.id == "bhp-biblioteka");
  CHECK(c.title == "BHP w bibliotece");
  REQUIRE(c.lessons.size() == 4);
  CHECK(c.lessons[0].title == "Drogi ewakuacyjne");
  REQUIRE(c.lessons[0].images.size() == 1);
  CHECK(c.lessons[0].images[0].name == "wyjscie.png");
  CHECK(c.lessons[0].images[0].type == "image/png");
  CHECK(c.lessons[0].images[0].data.size() < 5 * 1024);
  CHECK(c.lessons[2].links == std::vector<std::string>{"https://www.ciop.pl/"});
  CHECK(course::load(kCourses / "bhp" / "course.json") == c);
}

TEST_CASE("the single-file example course loads: the file name is the id, '## ' starts a lesson") {
  auto c = course::load(kCourses / "security-101.md");
  CHECK(c.id == "security-101");
  CHECK(c.title == "Security 101");
  REQUIRE(c.lessons.size() == 8);
  CHECK(c.lessons[0].title == "Spotting phishing");
  CHECK(c.lessons[0].body.rfind("A phishing mail", 0) == 0);
  CHECK(c.lessons[0].body.find("## ") == std::string::npos);
  CHECK(c.lessons[7].title == "Reporting an incident");
  CHECK(c.lessons[7].links == std::vector<std::string>{"https://www.cert.pl/"});
  CHECK(c.lessons[7].body.back() != '\n');
}

TEST_CASE("a Markdown course: images beside the file, links from the text, code blocks are not lessons") {
  TempDir tmp;
  write(tmp.path / "img" / "plan.png", kPng);
  write(tmp.path / "photo.jpg", std::string("\xff\xd8\xff\xe0", 4) + "jpeg");
  write(tmp.path / "first-aid.md",
        "\n# First aid\nIntro, not sent.\n\n## Kit\nSee ![the plan](img/plan.png \"Plan\") and\n"
        "![photo](photo.jpg), ![again](img/plan.png) and ![web](https://x.example/a.png).\n"
        "Read https://intranet/aid. Also (https://intranet/b), again https://intranet/aid\n"
        "```\n## not a lesson\n```\n\n## Call\r\nDial 112.\r\n");
  auto c = course::load(tmp.path / "first-aid.md");
  CHECK(c.id == "first-aid");
  CHECK(c.title == "First aid");
  REQUIRE(c.lessons.size() == 2);
  CHECK(c.lessons[0].title == "Kit");
  CHECK(c.lessons[0].body.find("## not a lesson") != std::string::npos);
  REQUIRE(c.lessons[0].images.size() == 2);
  CHECK(c.lessons[0].images[0].name == "plan.png");
  CHECK(c.lessons[0].images[1].name == "photo.jpg");
  CHECK(c.lessons[0].images[1].type == "image/jpeg");
  CHECK(c.lessons[0].links ==
        std::vector<std::string>{"https://x.example/a.png", "https://intranet/aid", "https://intranet/b"});
  CHECK(c.lessons[1].title == "Call");
  CHECK(c.lessons[1].body == "Dial 112.");
}

TEST_CASE("a course folder: manifest keys it does not know are ignored, paths are relative to it") {
  TempDir tmp;
  auto c = course::load(good_folder(tmp.path));
  CHECK(c.id == "fire");
  REQUIRE(c.lessons.size() == 2);
  CHECK(c.lessons[0].body == "Keep exits clear.\n");
  CHECK(c.lessons[0].links == std::vector<std::string>{"https://intranet/fire"});
  CHECK(c.lessons[1].body == "Know where they are.\n");
}

TEST_CASE("every broken course is refused with one line naming the file and what is wrong") {
  TempDir tmp;
  auto dir = good_folder(tmp.path);
  auto manifest = dir / "course.json";
  auto with_manifest = [&](const std::string& text) {
    write(manifest, text);
    return dir;
  };
  check_refused(tmp.path / "nope", ErrorKind::not_found, "nope: no such course folder or file");
  check_refused(tmp.path, ErrorKind::not_found, "course.json: not found");
  write(tmp.path / "notes.txt", "x");
  check_refused(tmp.path / "notes.txt", ErrorKind::usage, "a course is a folder");

  SUBCASE("missing and oversize files") {
    fs::remove(dir / "exit.png");
    check_refused(dir, ErrorKind::not_found, (dir / "exit.png").string() + ": image not found");
    write(dir / "exit.png", kPng + std::string(course::kMaxImageBytes, 'x'));
    check_refused(dir, ErrorKind::usage,
                  std::to_string(kPng.size() + course::kMaxImageBytes) + " bytes, over the limit of 131072 (128 KiB)");
    write(dir / "exit.png", "GIF89a");
    check_refused(dir, ErrorKind::usage, "exit.png: not a PNG or JPEG image");
    fs::remove(dir / "sub/02.md");
    write(dir / "exit.png", kPng);
    check_refused(dir, ErrorKind::not_found, "02.md: lesson file not found");
  }
  SUBCASE("paths that leave the course folder") {
    write(tmp.path / "secret.md", "secret");
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"../secret.md"}]})");
    check_refused(dir, ErrorKind::usage, "lesson 1: '../secret.md' leads out of the course folder");
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"sub/../../secret.md"}]})");
    check_refused(dir, ErrorKind::usage, "leads out of the course folder");
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"/etc/hostname"}]})");
    check_refused(dir, ErrorKind::usage, "'/etc/hostname' is an absolute path");
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","images":["../exit.png"]}]})");
    check_refused(dir, ErrorKind::usage, "leads out of the course folder");
    fs::create_symlink(tmp.path / "secret.md", dir / "link.md");
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"link.md"}]})");
    check_refused(dir, ErrorKind::usage, "'link.md' leads out of the course folder (a link)");
  }
  SUBCASE("manifest content") {
    check_refused(with_manifest("{"), ErrorKind::usage, "course.json: not valid JSON");
    check_refused(with_manifest("[]"), ErrorKind::usage, "a course manifest is a JSON object");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[]})"), ErrorKind::usage,
                  "course.json: course has no lessons");
    check_refused(with_manifest(R"({"id":"x","title":"X"})"), ErrorKind::usage, "course has no lessons");
    check_refused(with_manifest(R"({"title":"X","lessons":[]})"), ErrorKind::usage, "'id' is missing");
    check_refused(with_manifest(R"({"id":"a/b","title":"X","lessons":[{"title":"A","file":"01.md"}]})"),
                  ErrorKind::usage, "course id 'a/b'");
    check_refused(with_manifest(R"({"id":"x","title":7,"lessons":[]})"), ErrorKind::usage, "'title' must be a string");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A"}]})"), ErrorKind::usage,
                  "lesson 1: needs 'file'");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","images":"a.png"}]})"),
                  ErrorKind::usage, "'images' must be a list of strings");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"","file":"01.md"}]})"), ErrorKind::usage,
                  "lesson 1 '': no title");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":")" + std::string(201, 't') +
                                R"(","file":"01.md"}]})"),
                  ErrorKind::usage, "title is 201 bytes, over the limit of 200");
    check_refused(
        with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","links":["ftp://x"]}]})"),
        ErrorKind::usage, "lesson 1 'A': invalid link 'ftp://x'");
    write(dir / "empty.md", "");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"empty.md"}]})"),
                  ErrorKind::usage, "lesson 1 'A': empty body");
    write(dir / "latin2.md", "Zaj\xea\xe6 si\xea");
    check_refused(with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"latin2.md"}]})"),
                  ErrorKind::usage, "not valid UTF-8");
    write(dir / "a b.png", kPng);
    check_refused(
        with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","images":["a b.png"]}]})"),
        ErrorKind::usage, "image name 'a b.png' is not a safe file name");
    std::string many = R"({"id":"x","title":"X","lessons":[)";
    for (std::size_t i = 0; i <= course::kMaxLessons; ++i)
      many += std::string(i ? "," : "") + R"({"title":"A","file":"01.md"})";
    check_refused(with_manifest(many + "]}"), ErrorKind::usage, "101 lessons, over the limit of 100");
  }
  SUBCASE("a lesson whose images make its message too big") {
    std::string images;
    for (int i = 0; i < 3; ++i) {
      auto name = "big" + std::to_string(i) + ".png";
      write(dir / name, kPng + std::string(course::kMaxImageBytes - kPng.size(), 'x'));
      images += std::string(i ? "," : "") + "\"" + name + "\"";
    }
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","images":[)" + images + "]}]}");
    check_refused(dir, ErrorKind::usage, "lesson 1 'A': the message would be");
    check_refused(dir, ErrorKind::usage, "over the limit of 262144 (256 KiB)");
    std::string nine;
    for (int i = 0; i < 9; ++i) {
      write(dir / ("p" + std::to_string(i) + ".png"), kPng + std::to_string(i));
      nine += std::string(i ? "," : "") + "\"p" + std::to_string(i) + ".png\"";
    }
    with_manifest(R"({"id":"x","title":"X","lessons":[{"title":"A","file":"01.md","images":[)" + nine + "]}]}");
    check_refused(dir, ErrorKind::usage, "lesson 1: more than 8 images");
  }
  SUBCASE("Markdown files") {
    write(tmp.path / "no-title.md", "Some text\n## Lesson\nx\n");
    check_refused(tmp.path / "no-title.md", ErrorKind::usage,
                  "no-title.md:1: a course file starts with '# Course title'");
    write(tmp.path / "no-lessons.md", "# Title\njust an intro\n");
    check_refused(tmp.path / "no-lessons.md", ErrorKind::usage, "no-lessons.md: course has no lessons");
    write(tmp.path / "empty-lesson.md", "# Title\n## One\n\n## Two\ntext\n");
    check_refused(tmp.path / "empty-lesson.md", ErrorKind::usage, "empty-lesson.md:2: lesson 1 'One' has no text");
    write(tmp.path / "missing-image.md", "# Title\n## One\n![x](gone.png)\n");
    check_refused(tmp.path / "missing-image.md", ErrorKind::not_found, "gone.png: image not found");
    write(tmp.path / "escape.md", "# Title\n## One\n![x](../etc/a.png)\n");
    check_refused(tmp.path / "escape.md", ErrorKind::usage, "leads out of the course folder");
    write(tmp.path / "bad id!.md", "# Title\n## One\ntext\n");
    check_refused(tmp.path / "bad id!.md", ErrorKind::usage, "is the course id");
  }
}

TEST_CASE("a course round-trips through its wire form; hostile wire forms are protocol errors") {
  auto c = course::load(kCourses / "bhp");
  nlohmann::json j = c;
  CHECK(j.at("lessons").at(0).at("images").at(0).at("name") == "wyjscie.png");
  auto back = nlohmann::json::parse(j.dump()).get<course::Course>();
  CHECK(back == c);
  auto l = j.at("lessons").at(1).get<course::Lesson>();
  CHECK(l == c.lessons[1]);

  auto refused = [](nlohmann::json bad, const std::string& says) {
    CAPTURE(bad.dump());
    try {
      bad.get<course::Course>();
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::protocol);
      CHECK(std::string(e.what()).find(says) != std::string::npos);
    } catch (const nlohmann::json::exception&) {
      // a missing field: the caller's decode turns this into a protocol error
      CHECK(says == "missing");
    }
  };
  auto bad = j;
  bad["lessons"] = nlohmann::json::array();
  refused(bad, "course has no lessons");
  bad = j;
  bad["lessons"][0]["images"][0]["data"] = "%%%";
  refused(bad, "base64");
  bad = j;
  bad["lessons"][0]["images"][0]["name"] = "../../.bashrc";
  refused(bad, "not a safe file name");
  bad = j;
  bad["lessons"][0]["body"] = 5;
  refused(bad, "must be a string");
  bad = j;
  bad["id"] = "x/y";
  refused(bad, "course id");
  bad = j;
  bad.erase("title");
  refused(bad, "missing");
  bad = j;
  bad["lessons"] = nlohmann::json::array();
  for (std::size_t i = 0; i <= course::kMaxLessons; ++i) bad["lessons"].push_back(nlohmann::json::object());
  refused(bad, "more than 100 lessons");
}

TEST_CASE("lesson_delivery is the lesson as a message; the caller adds times and the reference") {
  auto c = course::load(kCourses / "bhp");
  auto d = course::lesson_delivery(c, 0);
  CHECK(d.title == "Drogi ewakuacyjne");
  CHECK(d.body == c.lessons[0].body);
  CHECK(d.images == c.lessons[0].images);
  CHECK(d.severity == "info");
  CHECK_FALSE(d.lesson);
  CHECK_THROWS_AS(course::lesson_delivery(c, 4), Error);
}
