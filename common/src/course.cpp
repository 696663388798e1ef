#include "herald/common/course.hpp"

#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/json_guard.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::course {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A manifest is a few lines per lesson; anything bigger is a wrong file, not a course.
constexpr std::size_t kMaxManifestBytes = 1024 * 1024;
// Room for the CampaignRequest around the course ({"v":1,"op":"course-create",...}).
constexpr std::size_t kRequestEnvelopeBytes = 1024;

std::string kib(std::size_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

// Reads a whole file of at most max_bytes; `what` names it in errors ("lesson file").
std::string read_bounded(const fs::path& file, std::size_t max_bytes, const std::string& what) {
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) throw Error(ErrorKind::not_found, file.string() + ": " + trf("{1} not found", {what}));
  if (!fs::is_regular_file(status))
    throw Error(ErrorKind::usage, file.string() + ": " + trf("{1} is not a file", {what}));
  auto size = fs::file_size(file, ec);
  if (ec) throw Error(ErrorKind::usage, file.string() + ": " + trf("cannot read {1}: {2}", {what, ec.message()}));
  // Checked before reading, so a wrong multi-gigabyte file costs nothing.
  if (size > max_bytes)
    throw Error(ErrorKind::usage, file.string() + ": " +
                                      trf("{1} is {2} bytes, over the limit of {3} ({4})",
                                          {what, std::to_string(size), std::to_string(max_bytes), kib(max_bytes)}));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::usage, file.string() + ": " + trf("cannot open {1}", {what}));
  std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw Error(ErrorKind::usage, file.string() + ": " + trf("cannot read {1}", {what}));
  if (data.size() > max_bytes)  // grew while we read it
    throw Error(ErrorKind::usage,
                file.string() + ": " + trf("{1} is over the limit of {2} bytes", {what, std::to_string(max_bytes)}));
  return data;
}

// A path named by a course file, resolved against the course folder. A course is handed
// to an admin by someone else: it must not make `herald` read /etc/shadow or ~/.ssh into
// a message, so only relative paths below the folder are accepted (symlinks included).
fs::path inside(const fs::path& base, const std::string& relative, const std::string& where) {
  if (relative.empty()) throw Error(ErrorKind::usage, where + ": " + tr("empty file name"));
  fs::path p(relative);
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
    throw Error(ErrorKind::usage,
                where + ": " + trf("'{1}' is an absolute path; name files inside the course folder", {relative}));
  for (const auto& part : p)
    if (part == "..")
      throw Error(ErrorKind::usage, where + ": " + trf("'{1}' leads out of the course folder ('..')", {relative}));
  fs::path full = base / p;
  std::error_code ec;
  if (fs::exists(full, ec)) {
    auto real_base = fs::canonical(base.empty() ? fs::path(".") : base, ec);
    auto real = ec ? fs::path() : fs::canonical(full, ec);
    if (ec) throw Error(ErrorKind::usage, where + ": " + trf("cannot resolve '{1}': {2}", {relative, ec.message()}));
    auto rel = real.lexically_relative(real_base);
    if (rel.empty() || *rel.begin() == "..")
      throw Error(ErrorKind::usage, where + ": " + trf("'{1}' leads out of the course folder (a link)", {relative}));
  }
  return full;
}

payloads::Image load_image(const fs::path& base, const std::string& relative, const std::string& where) {
  auto file = inside(base, relative, where);
  payloads::Image image;
  image.name = file.filename().string();
  if (!payloads::is_safe_file_name(image.name))
    throw Error(ErrorKind::usage, where + ": " +
                                      trf("image name '{1}' is not a safe file name (1-64 of A-Z a-z 0-9 . _ -, not "
                                          "starting with '.')",
                                          {image.name}));
  image.data = read_bounded(file, kMaxImageBytes, tr("image"));
  image.type = std::string(payloads::sniff_image_type(image.data));
  if (image.type.empty())
    throw Error(ErrorKind::usage, file.string() + ": " + tr("not a PNG or JPEG image (by its first bytes)"));
  return image;
}

void add_image(Lesson& lesson, payloads::Image image, const std::string& where) {
  for (const auto& other : lesson.images)
    if (other.name == image.name) {
      if (other.data == image.data) return;  // the same picture named twice
      throw Error(ErrorKind::usage, where + ": " + trf("two different images are named {1}", {image.name}));
    }
  if (lesson.images.size() == kMaxImagesPerLesson)
    throw Error(ErrorKind::usage, where + ": " + trf("more than {1} images", {std::to_string(kMaxImagesPerLesson)}));
  lesson.images.push_back(std::move(image));
}

std::string string_field(const json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Error(ErrorKind::usage, where + ": " + trf("'{1}' is missing", {key}));
    return {};
  }
  if (!it->is_string()) throw Error(ErrorKind::usage, where + ": " + trf("'{1}' must be a string", {key}));
  return it->get<std::string>();
}

std::vector<std::string> string_list(const json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error(ErrorKind::usage, where + ": " + trf("'{1}' must be a list of strings", {key}));
  for (const auto& item : *it) {
    if (!item.is_string()) throw Error(ErrorKind::usage, where + ": " + trf("'{1}' must be a list of strings", {key}));
    out.push_back(item.get<std::string>());
  }
  return out;
}

Course load_manifest(const fs::path& file) {
  const fs::path base = file.parent_path();
  const std::string name = file.string();
  auto text = read_bounded(file, kMaxManifestBytes, tr("course manifest"));
  try {
    json_guard::check_depth(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, name + ": " + e.what());
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::usage, name + ": " + tr("not valid JSON"));
  if (!j.is_object()) throw Error(ErrorKind::usage, name + ": " + tr("a course manifest is a JSON object"));
  Course c;
  c.id = string_field(j, "id", name, true);
  c.title = string_field(j, "title", name, true);
  auto lessons = j.find("lessons");
  if (lessons == j.end() || lessons->is_null())
    throw Error(ErrorKind::usage, name + ": " + tr("course has no lessons"));
  if (!lessons->is_array()) throw Error(ErrorKind::usage, name + ": " + tr("'lessons' must be a list"));
  if (lessons->size() > kMaxLessons)
    throw Error(ErrorKind::usage, name + ": " +
                                      trf("{1} lessons, over the limit of {2}",
                                          {std::to_string(lessons->size()), std::to_string(kMaxLessons)}));
  auto flag = [](const json& object, const std::string& where) -> std::optional<bool> {
    auto it = object.find("require_confirm");
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) throw Error(ErrorKind::usage, where + ": " + tr("'require_confirm' must be true or false"));
    return it->get<bool>();
  };
  const bool confirm_all = flag(j, name).value_or(false);
  std::size_t number = 0;
  for (const auto& entry : *lessons) {
    ++number;
    std::string where = name + ": " + trf("lesson {1}", {std::to_string(number)});
    if (!entry.is_object()) throw Error(ErrorKind::usage, where + ": " + tr("must be a JSON object"));
    Lesson lesson;
    lesson.title = string_field(entry, "title", where, true);
    auto body_file = string_field(entry, "file", where, false);
    if (!body_file.empty()) {
      lesson.body = read_bounded(inside(base, body_file, where), payloads::kMaxBodyBytes, tr("lesson file"));
    } else {
      lesson.body = string_field(entry, "body", where, false);
      if (lesson.body.empty())
        throw Error(ErrorKind::usage, where + ": " + tr("needs 'file' (a Markdown or text file)"));
    }
    lesson.links = string_list(entry, "links", where);
    for (const auto& image : string_list(entry, "images", where))
      add_image(lesson, load_image(base, image, where), where);
    lesson.require_confirm = flag(entry, where).value_or(confirm_all);
    c.lessons.push_back(std::move(lesson));
  }
  return c;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// http(s) URLs in the text, in order, each once. A URL ends at whitespace or at a
// character that closes Markdown syntax around it; trailing sentence punctuation is
// not part of it.
std::vector<std::string> find_links(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto http = text.find("http://", pos);
    auto https = text.find("https://", pos);
    auto start = std::min(http, https);
    if (start == std::string_view::npos) break;
    auto end = text.find_first_of(" \t\r\n()<>[]\"'`", start);
    if (end == std::string_view::npos) end = text.size();
    std::string url(text.substr(start, end - start));
    while (!url.empty() && std::string_view(".,;:!?*_").find(url.back()) != std::string_view::npos) url.pop_back();
    pos = end;
    if (url == "http://" || url == "https://") continue;
    bool seen = false;
    for (const auto& u : out) seen = seen || u == url;
    if (!seen) out.push_back(std::move(url));
  }
  return out;
}

// ![alt](target) references, in order.
std::vector<std::string> find_image_refs(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find("![", pos)) != std::string_view::npos) {
    auto close = text.find("](", pos + 2);
    if (close == std::string_view::npos) break;
    auto end = text.find(')', close + 2);
    if (end == std::string_view::npos) break;
    auto alt_newline = text.find('\n', pos);
    pos = end + 1;
    if (alt_newline < close) continue;  // not one reference: "![" and "](" on different lines
    auto target = trim(text.substr(close + 2, end - close - 2));
    // ![x](file.png "title"): the title is not part of the file name.
    if (auto space = target.find(' '); space != std::string::npos) target.resize(space);
    if (target.find("://") != std::string::npos) continue;  // a web image: it is a link
    out.push_back(target);
  }
  return out;
}

Course load_markdown(const fs::path& file) {
  const fs::path base = file.parent_path();
  const std::string name = file.string();
  // A course's text is at most kMaxLessons bodies; its images are separate files.
  auto text = read_bounded(file, kMaxLessons * payloads::kMaxBodyBytes, tr("course file"));
  Course c;
  c.id = file.stem().string();
  if (!is_valid_token(c.id))
    throw Error(ErrorKind::usage,
                name + ": " +
                    trf("the file name '{1}' is the course id and must be 1-64 of A-Z a-z 0-9 . _ - (rename the file)",
                        {c.id}));
  struct Section {
    std::string title;
    std::string body;
    std::size_t line = 0;
  };
  std::vector<Section> sections;
  bool have_title = false;
  bool in_fence = false;
  std::size_t line_number = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto stripped = trim(line);
    // A "## " inside a code block is an example, not a lesson.
    if (stripped.rfind("```", 0) == 0 || stripped.rfind("~~~", 0) == 0) in_fence = !in_fence;
    if (!in_fence && line.rfind("# ", 0) == 0 && !have_title && sections.empty()) {
      c.title = trim(line.substr(2));
      have_title = true;
      continue;
    }
    if (!have_title) {
      if (stripped.empty()) continue;
      throw Error(ErrorKind::usage,
                  name + ":" + std::to_string(line_number) + ": " + tr("a course file starts with '# Course title'"));
    }
    if (!in_fence && line.rfind("## ", 0) == 0) {
      if (sections.size() == kMaxLessons)
        throw Error(ErrorKind::usage, name + ":" + std::to_string(line_number) + ": " +
                                          trf("more than {1} lessons", {std::to_string(kMaxLessons)}));
      sections.push_back(Section{trim(line.substr(3)), {}, line_number});
      continue;
    }
    // Text between the course title and the first lesson introduces the course: it
    // is for whoever edits the file, not sent.
    if (sections.empty()) continue;
    sections.back().body += line;
    sections.back().body += '\n';
  }
  if (!have_title) throw Error(ErrorKind::usage, name + ": " + tr("a course file starts with '# Course title'"));
  if (sections.empty())
    throw Error(ErrorKind::usage, name + ": " + tr("course has no lessons (each starts with '## Title')"));
  std::size_t number = 0;
  for (auto& section : sections) {
    ++number;
    std::string where = name + ":" + std::to_string(section.line) + ": " + trf("lesson {1}", {std::to_string(number)});
    Lesson lesson;
    lesson.title = std::move(section.title);
    lesson.body = trim(section.body);
    if (lesson.body.empty()) throw Error(ErrorKind::usage, where + " " + trf("'{1}' has no text", {lesson.title}));
    lesson.links = find_links(lesson.body);
    for (const auto& ref : find_image_refs(lesson.body)) add_image(lesson, load_image(base, ref, where), where);
    c.lessons.push_back(std::move(lesson));
  }
  return c;
}

// The largest Delivery heraldd can make of a lesson: the longest ids and login it may
// add, so a course that passes here is never refused at send time.
payloads::Delivery widest_delivery(const Course& c, std::size_t index) {
  auto d = lesson_delivery(c, index);
  d.sent_at = TimePoint{} + std::chrono::hours(24 * 365 * 30);
  d.expires_at = d.sent_at + std::chrono::hours(1);
  d.for_user = std::string(64, 'u');
  d.lesson = payloads::LessonRef{std::string(64, 'c'), std::string(64, 'k'), c.lessons.size(), c.lessons.size()};
  return d;
}

void validate_lesson(const Lesson& l, const std::string& where) {
  if (l.title.empty()) throw Error(ErrorKind::usage, where + ": " + tr("no title"));
  if (l.title.size() > payloads::kMaxTitleBytes)
    throw Error(ErrorKind::usage, where + ": " +
                                      trf("title is {1} bytes, over the limit of {2}",
                                          {std::to_string(l.title.size()), std::to_string(payloads::kMaxTitleBytes)}));
  if (l.images.size() > kMaxImagesPerLesson)
    throw Error(ErrorKind::usage, where + ": " +
                                      trf("{1} images, over the limit of {2}",
                                          {std::to_string(l.images.size()), std::to_string(kMaxImagesPerLesson)}));
  for (const auto& image : l.images)
    if (image.data.size() > kMaxImageBytes)
      throw Error(ErrorKind::usage, where + ": " +
                                        trf("image {1} is {2} bytes, over the limit of {3} ({4})",
                                            {image.name, std::to_string(image.data.size()),
                                             std::to_string(kMaxImageBytes), kib(kMaxImageBytes)}));
}

}  // namespace

payloads::Delivery lesson_delivery(const Course& c, std::size_t index) {
  if (index >= c.lessons.size())
    throw Error(ErrorKind::usage, trf("course {1} has no lesson {2}", {c.id, std::to_string(index + 1)}));
  const auto& l = c.lessons[index];
  payloads::Delivery d;
  d.title = l.title;
  d.body = l.body;
  d.links = l.links;
  d.images = l.images;
  d.require_confirm = l.require_confirm;
  return d;
}

void validate(const Course& c) {
  if (!is_valid_token(c.id))
    throw Error(ErrorKind::usage, trf("course id '{1}' must be 1-64 of A-Z a-z 0-9 . _ -", {c.id.substr(0, 80)}));
  if (c.title.empty()) throw Error(ErrorKind::usage, trf("course {1} has no title", {c.id}));
  if (c.title.size() > payloads::kMaxTitleBytes)
    throw Error(ErrorKind::usage, trf("course title is {1} bytes, over the limit of {2}",
                                      {std::to_string(c.title.size()), std::to_string(payloads::kMaxTitleBytes)}));
  if (c.lessons.empty()) throw Error(ErrorKind::usage, tr("course has no lessons"));
  if (c.lessons.size() > kMaxLessons)
    throw Error(ErrorKind::usage, trf("course has {1} lessons, over the limit of {2}",
                                      {std::to_string(c.lessons.size()), std::to_string(kMaxLessons)}));
  std::size_t total = 0;
  for (std::size_t i = 0; i < c.lessons.size(); ++i) {
    std::string where = trf("lesson {1} '{2}'", {std::to_string(i + 1), c.lessons[i].title.substr(0, 80)});
    validate_lesson(c.lessons[i], where);
    auto d = widest_delivery(c, i);
    std::string encoded;
    try {
      payloads::validate(d);
      encoded = payloads::encode(d);
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, where + ": " + e.what());
    } catch (const json::type_error&) {
      throw Error(ErrorKind::usage, where + ": " + tr("title or text is not valid UTF-8"));
    }
    if (encoded.size() > payloads::kMaxPayloadBytes)
      throw Error(ErrorKind::usage,
                  where + ": " +
                      trf("the message would be {1} bytes with its images, over the limit of {2} ({3})",
                          {std::to_string(encoded.size()), std::to_string(payloads::kMaxPayloadBytes),
                           kib(payloads::kMaxPayloadBytes)}));
    total += encoded.size();
  }
  std::string title_check;
  try {
    title_check = json(c.title).dump();
  } catch (const json::type_error&) {
    throw Error(ErrorKind::usage, tr("course title is not valid UTF-8"));
  }
  // The lessons' encodings bound the course's own (it has no for_user or times).
  if (total + title_check.size() > payloads::kMaxRequestBytes - kRequestEnvelopeBytes)
    throw Error(ErrorKind::usage,
                trf("course is about {1} KiB with its images, over the limit of {2} for one course; split it",
                    {std::to_string(total / 1024), kib(payloads::kMaxRequestBytes - kRequestEnvelopeBytes)}));
}

Course load(const fs::path& dir_or_file) {
  std::error_code ec;
  auto status = fs::status(dir_or_file, ec);
  if (ec || !fs::exists(status))
    throw Error(ErrorKind::not_found, dir_or_file.string() + ": " + tr("no such course folder or file"));
  Course c;
  std::string name;
  if (fs::is_directory(status)) {
    auto manifest = dir_or_file / "course.json";
    if (!fs::exists(manifest, ec))
      throw Error(ErrorKind::not_found, manifest.string() + ": " + tr("not found (a course folder needs course.json)"));
    name = manifest.string();
    c = load_manifest(manifest);
  } else {
    auto ext = dir_or_file.extension().string();
    name = dir_or_file.string();
    if (ext == ".json")
      c = load_manifest(dir_or_file);
    else if (ext == ".md" || ext == ".markdown")
      c = load_markdown(dir_or_file);
    else
      throw Error(ErrorKind::usage,
                  name + ": " + tr("a course is a folder with course.json, a .json manifest or a .md file"));
  }
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(e.kind(), name + ": " + e.what());
  }
  return c;
}

void to_json(json& j, const Lesson& l) {
  j = json{{"title", l.title}, {"body", l.body}, {"links", l.links}, {"images", l.images}};
  if (l.require_confirm) j["require_confirm"] = true;
}

namespace {
void lesson_from_json(const json& j, Lesson& l) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "a lesson must be a JSON object");
  auto str = [&](const char* key) {
    const auto& v = j.at(key);
    if (!v.is_string()) throw Error(ErrorKind::protocol, std::string("lesson field '") + key + "' must be a string");
    return v.get<std::string>();
  };
  l.title = str("title");
  l.body = str("body");
  l.links.clear();
  l.images.clear();
  if (auto it = j.find("links"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw Error(ErrorKind::protocol, "lesson field 'links' must be an array");
    for (const auto& link : *it) {
      if (!link.is_string()) throw Error(ErrorKind::protocol, "lesson field 'links' must hold strings");
      l.links.push_back(link.get<std::string>());
    }
  }
  if (auto it = j.find("images"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw Error(ErrorKind::protocol, "lesson field 'images' must be an array");
    if (it->size() > kMaxImagesPerLesson)
      throw Error(ErrorKind::protocol, "a lesson has more than " + std::to_string(kMaxImagesPerLesson) + " images");
    for (const auto& image : *it) l.images.push_back(image.get<payloads::Image>());
  }
  l.require_confirm = false;
  if (auto it = j.find("require_confirm"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw Error(ErrorKind::protocol, "lesson field 'require_confirm' must be a boolean");
    l.require_confirm = it->get<bool>();
  }
}
}  // namespace

void from_json(const json& j, Lesson& l) {
  lesson_from_json(j, l);
  try {
    // A lone lesson is checked as a course of one: the same limits.
    Course c{"lesson", "lesson", {l}};
    validate(c);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, e.what());
  }
}

void to_json(json& j, const Course& c) {
  json lessons = json::array();
  for (const auto& l : c.lessons) lessons.push_back(l);
  j = json{{"id", c.id}, {"title", c.title}, {"lessons", std::move(lessons)}};
}

void from_json(const json& j, Course& c) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "a course must be a JSON object");
  for (const char* key : {"id", "title"})
    if (!j.at(key).is_string())
      throw Error(ErrorKind::protocol, std::string("course field '") + key + "' must be a string");
  c.id = j.at("id").get<std::string>();
  c.title = j.at("title").get<std::string>();
  const auto& lessons = j.at("lessons");
  if (!lessons.is_array()) throw Error(ErrorKind::protocol, "course field 'lessons' must be an array");
  // Checked before decoding: a hostile list of a million lessons costs nothing.
  if (lessons.size() > kMaxLessons)
    throw Error(ErrorKind::protocol, "course has more than " + std::to_string(kMaxLessons) + " lessons");
  c.lessons.clear();
  for (const auto& entry : lessons) {
    Lesson l;
    lesson_from_json(entry, l);
    c.lessons.push_back(std::move(l));
  }
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, e.what());
  }
}

}  // namespace herald::course
