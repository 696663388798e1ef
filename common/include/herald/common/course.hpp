#pragma once
// E-learning courses: what `herald course create DIR|FILE` reads, what heraldd stores,
// and what each lesson becomes on the wire (a Delivery with its images and a
// LessonRef). The on-disk format is documented in dispatcher/README.md ("Courses"):
//   DIR/course.json  {"id": "bhp-2026", "title": "Health and safety",
//                     "lessons": [{"title": "Fire exits", "file": "01-exits.md",
//                                  "images": ["exits.png"], "links": ["https://..."],
//                                  "require_confirm": true}]}
//                    "require_confirm": true beside "lessons" asks it of every lesson;
//                    a lesson's own true/false overrides that.
//   FILE.json        the same manifest; files are relative to its folder
//   FILE.md          one Markdown file: "# Course title", then each "## Lesson title"
//                    starts a lesson; ![alt](file.png) names an image beside the file
//                    and http(s) URLs in the text become the lesson's links.
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "herald/common/payloads.hpp"

namespace herald::course {

inline constexpr std::size_t kMaxLessons = 100;
inline constexpr std::size_t kMaxImagesPerLesson = 8;
// Per image (raw bytes, PNG or JPEG). A lesson's whole Delivery (text, links and the
// images base64-encoded) must also fit payloads::kMaxPayloadBytes (256 KiB), which in
// practice leaves about 180 KiB of images per lesson.
inline constexpr std::size_t kMaxImageBytes = 128 * 1024;
// The whole course as sent to heraldd (payloads::kMaxRequestBytes, 8 MiB).

struct Lesson {
  std::string title;  // 1-200 bytes
  std::string body;   // 1 byte - 64 KiB, Markdown or plain text, shown as written
  std::vector<std::string> links;
  std::vector<payloads::Image> images;
  // The employee must confirm the lesson (its Delivery carries require_confirm). On
  // the wire only when true, so courses stored before it are unchanged.
  bool require_confirm = false;
  bool operator==(const Lesson&) const = default;
};

struct Course {
  std::string id;     // a token (1-64 of A-Z a-z 0-9 . _ -)
  std::string title;  // 1-200 bytes
  std::vector<Lesson> lessons;
  bool operator==(const Course&) const = default;
};

// Reads a course folder or file (see above). Throws Error(not_found) for a missing
// file, Error(usage) with one line (file and what is wrong) for anything else; checks
// everything validate() checks.
Course load(const std::filesystem::path& dir_or_file);

// Every limit: id, titles, 1..kMaxLessons lessons, bodies, links, images (type by
// magic bytes, size, safe file names), each lesson's encoded Delivery within 256 KiB.
// Throws Error(usage) naming the lesson (1-based) and the limit.
void validate(const Course& c);

// Lesson `index` (0-based) of `c` as the Delivery heraldd publishes; times, expiry and
// the LessonRef are set by the caller.
payloads::Delivery lesson_delivery(const Course& c, std::size_t index);

// Wire form (images base64). from_json checks types and validate()s.
void to_json(nlohmann::json& j, const Lesson& l);
void from_json(const nlohmann::json& j, Lesson& l);
void to_json(nlohmann::json& j, const Course& c);
void from_json(const nlohmann::json& j, Course& c);

}  // namespace herald::course
