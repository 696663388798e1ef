#include "herald/common/payloads.hpp"

#include <cstdint>
#include <type_traits>
#include <utility>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/json_guard.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::payloads {
namespace {

using nlohmann::json;

void check_version(const json& j) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "payload is not a JSON object");
  const auto& v = j.at("v");
  // Compared as the JSON number itself: get<int>() would wrap 4294967297 to 1.
  if (!v.is_number_integer() || v != nlohmann::json(kSchemaVersion))
    throw Error(ErrorKind::protocol, "unsupported payload version " + v.dump().substr(0, 40) + " (this build speaks v" +
                                         std::to_string(kSchemaVersion) + ")");
}

std::string string_at(const json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_string()) throw Error(ErrorKind::protocol, std::string("field '") + key + "' must be a string");
  return v.get<std::string>();
}

std::string optional_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) throw Error(ErrorKind::protocol, std::string("field '") + key + "' must be a string");
  return it->get<std::string>();
}

TimePoint time_at(const json& j, const char* key) { return from_rfc3339(string_at(j, key)); }

std::optional<TimePoint> optional_time(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(ErrorKind::protocol, std::string("field '") + key + "' must be a string");
  return from_rfc3339(it->get<std::string>());
}

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

}  // namespace

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view sniff_image_type(std::string_view data) {
  static constexpr std::string_view png_magic{"\x89PNG\r\n\x1a\n", 8};
  static constexpr std::string_view jpeg_magic{"\xff\xd8\xff", 3};
  if (data.substr(0, png_magic.size()) == png_magic) return "image/png";
  if (data.substr(0, jpeg_magic.size()) == jpeg_magic) return "image/jpeg";
  return {};
}

namespace {
constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

// Our own codec rather than OpenSSL's EVP_DecodeBlock: that one skips surrounding
// whitespace and returns the padding as zero bytes, so the length of the image would
// need repairing by hand; a strict decoder refuses every non-canonical spelling instead.
std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
             std::uint32_t(std::uint8_t(bytes[i + 2]));
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) throw Error(ErrorKind::protocol, "invalid base64: length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4] = {0, 0, 0, 0};
    for (std::size_t k = 0; k < 4 - pad; ++k) {
      v[k] = base64_value(text[i + k]);
      if (v[k] < 0) throw Error(ErrorKind::protocol, "invalid base64: unexpected character");
    }
    std::uint32_t n =
        (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) | (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
    // Bits below the last whole byte must be zero: one spelling per byte string.
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0))
      throw Error(ErrorKind::protocol, "invalid base64: non-canonical padding");
    out += char((n >> 16) & 0xff);
    if (pad < 2) out += char((n >> 8) & 0xff);
    if (pad < 1) out += char(n & 0xff);
  }
  return out;
}

void validate(const Image& i) {
  if (!is_safe_file_name(i.name))
    throw Error(ErrorKind::usage, trf("image name '{1}' is not a safe file name (1-64 of A-Z a-z 0-9 . _ -, not "
                                      "starting with '.')",
                                      {i.name.substr(0, 80)}));
  if (i.type != "image/png" && i.type != "image/jpeg")
    throw Error(ErrorKind::usage,
                trf("image {1}: type '{2}' is not image/png or image/jpeg", {i.name, i.type.substr(0, 40)}));
  if (i.data.empty()) throw Error(ErrorKind::usage, trf("image {1} is empty", {i.name}));
  if (sniff_image_type(i.data) != i.type)
    throw Error(ErrorKind::usage, trf("image {1} is not a {2} (its bytes say otherwise)", {i.name, i.type}));
}

bool is_valid_severity(std::string_view s) { return s == "info" || s == "warning" || s == "critical"; }

void validate(const Delivery& d) {
  if (d.body.empty()) throw Error(ErrorKind::usage, tr("empty body: a message needs text"));
  if (d.body.size() > kMaxBodyBytes)
    throw Error(ErrorKind::usage, trf("body is {1} bytes, over the limit of {2}",
                                      {std::to_string(d.body.size()), std::to_string(kMaxBodyBytes)}));
  if (d.title.size() > kMaxTitleBytes)
    throw Error(ErrorKind::usage, trf("title is {1} bytes, over the limit of {2}",
                                      {std::to_string(d.title.size()), std::to_string(kMaxTitleBytes)}));
  if (!is_valid_severity(d.severity))
    throw Error(ErrorKind::usage, trf("invalid severity '{1}': use info, warning or critical", {d.severity}));
  if (d.links.size() > kMaxLinks)
    throw Error(ErrorKind::usage,
                trf("too many links: {1} (limit {2})", {std::to_string(d.links.size()), std::to_string(kMaxLinks)}));
  for (const auto& link : d.links) {
    bool web = link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0;
    if (!web || link.size() > kMaxLinkBytes || link.find_first_of(" \t\r\n") != std::string::npos)
      throw Error(ErrorKind::usage, trf("invalid link '{1}': expected an http(s) URL under {2} bytes",
                                        {link.substr(0, 80), std::to_string(kMaxLinkBytes)}));
  }
  if (d.images.size() > kMaxImages)
    throw Error(ErrorKind::usage,
                trf("too many images: {1} (limit {2})", {std::to_string(d.images.size()), std::to_string(kMaxImages)}));
  for (std::size_t i = 0; i < d.images.size(); ++i) {
    validate(d.images[i]);
    // Agents save images by name into one folder: a repeated name would overwrite.
    for (std::size_t k = 0; k < i; ++k)
      if (d.images[k].name == d.images[i].name)
        throw Error(ErrorKind::usage, trf("image name {1} appears twice", {d.images[i].name}));
  }
  if (d.lesson) {
    const auto& l = *d.lesson;
    if (!is_valid_token(l.course) || !is_valid_token(l.campaign))
      throw Error(ErrorKind::usage, "lesson: course and campaign must be ids (1-64 of A-Z a-z 0-9 . _ -)");
    if (l.of < 1 || l.number < 1 || l.number > l.of)
      throw Error(ErrorKind::usage, "lesson number " + std::to_string(l.number) + " of " + std::to_string(l.of) +
                                        " is not between 1 and the number of lessons");
  }
  if (!d.expires_at) throw Error(ErrorKind::usage, "no expiry: every message expires (at most 366 days)");
  if (*d.expires_at <= d.sent_at) throw Error(ErrorKind::usage, "expiry is not after the send time");
  if (*d.expires_at - d.sent_at > kMaxExpiry)
    throw Error(ErrorKind::usage, "expiry " + to_rfc3339(*d.expires_at) + " is more than 366 days after the send time");
}

void check_received(const Delivery& d, TimePoint now) {
  if (d.sent_at > now + kMaxClockSkew)
    throw Error(ErrorKind::protocol, "sent_at " + to_rfc3339(d.sent_at) +
                                         " is in the future (more than 5 minutes ahead of this clock, " +
                                         to_rfc3339(now) + ")");
}

std::string_view ack_state_name(AckState s) {
  switch (s) {
    case AckState::delivered:
      return "delivered";
    case AckState::displayed:
      return "displayed";
    case AckState::read:
      return "read";
    case AckState::confirmed:
      return "confirmed";
  }
  return "delivered";
}

AckState ack_state_from_name(std::string_view name) {
  if (name == "delivered") return AckState::delivered;
  if (name == "displayed") return AckState::displayed;
  if (name == "read") return AckState::read;
  if (name == "confirmed") return AckState::confirmed;
  throw Error(ErrorKind::protocol, "unknown receipt state '" + std::string(name) + "'");
}

void to_json(json& j, const Image& i) { j = json{{"name", i.name}, {"type", i.type}, {"data", base64_encode(i.data)}}; }
void from_json(const json& j, Image& i) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "an image must be a JSON object");
  i.name = string_at(j, "name");
  i.type = string_at(j, "type");
  i.data = base64_decode(string_at(j, "data"));
}

void to_json(json& j, const LessonRef& l) {
  j = json{{"course", l.course}, {"campaign", l.campaign}, {"number", l.number}, {"of", l.of}};
}
void from_json(const json& j, LessonRef& l) {
  if (!j.is_object()) throw Error(ErrorKind::protocol, "field 'lesson' must be a JSON object");
  l.course = string_at(j, "course");
  l.campaign = string_at(j, "campaign");
  auto count_at = [&](const char* key) {
    const auto& v = j.at(key);
    if (!v.is_number_unsigned())
      throw Error(ErrorKind::protocol, std::string("field 'lesson.") + key + "' must be a non-negative integer");
    return v.get<std::size_t>();
  };
  l.number = count_at("number");
  l.of = count_at("of");
}

void to_json(json& j, const Delivery& d) {
  j = json{{"v", kSchemaVersion},
           {"title", d.title},
           {"body", d.body},
           {"severity", d.severity},
           {"links", d.links},
           {"sent_at", to_rfc3339(d.sent_at)},
           {"expires_at", time_or_null(d.expires_at)}};
  if (!d.for_user.empty()) j["for_user"] = d.for_user;
  if (!d.images.empty()) j["images"] = d.images;
  if (d.lesson) j["lesson"] = *d.lesson;
  if (d.require_confirm) j["require_confirm"] = true;
}

void from_json(const json& j, Delivery& d) {
  check_version(j);
  d.title = optional_string(j, "title");
  d.body = string_at(j, "body");
  d.severity = optional_string(j, "severity");
  if (d.severity.empty()) d.severity = "info";
  d.links.clear();
  if (auto it = j.find("links"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw Error(ErrorKind::protocol, "field 'links' must be an array");
    for (const auto& l : *it) {
      if (!l.is_string()) throw Error(ErrorKind::protocol, "field 'links' must hold strings");
      d.links.push_back(l.get<std::string>());
    }
  }
  d.sent_at = time_at(j, "sent_at");
  d.expires_at = optional_time(j, "expires_at");
  d.for_user = optional_string(j, "for_user");
  d.images.clear();
  if (auto it = j.find("images"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) throw Error(ErrorKind::protocol, "field 'images' must be an array");
    // Checked before decoding any: a hostile list of thousands costs nothing.
    if (it->size() > kMaxImages)
      throw Error(ErrorKind::protocol,
                  "too many images: " + std::to_string(it->size()) + " (limit " + std::to_string(kMaxImages) + ")");
    for (const auto& image : *it) d.images.push_back(image.get<Image>());
  }
  d.lesson.reset();
  if (auto it = j.find("lesson"); it != j.end() && !it->is_null()) d.lesson = it->get<LessonRef>();
  d.require_confirm = false;
  if (auto it = j.find("require_confirm"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw Error(ErrorKind::protocol, "field 'require_confirm' must be a boolean");
    d.require_confirm = it->get<bool>();
  }
  try {
    validate(d);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, e.what());
  }
}

void to_json(json& j, const Remind& r) { j = json{{"v", kSchemaVersion}, {"at", to_rfc3339(r.at)}}; }
void from_json(const json& j, Remind& r) {
  check_version(j);
  r.at = time_at(j, "at");
}

void to_json(json& j, const Recall& r) {
  j = json{
      {"v", kSchemaVersion}, {"recalled_at", to_rfc3339(r.recalled_at)}, {"expires_at", time_or_null(r.expires_at)}};
}
void from_json(const json& j, Recall& r) {
  check_version(j);
  r.recalled_at = time_at(j, "recalled_at");
  r.expires_at = optional_time(j, "expires_at");
  if (!r.expires_at) throw Error(ErrorKind::protocol, "a recall needs the message's expires_at");
  if (*r.expires_at - r.recalled_at > kMaxExpiry)
    throw Error(ErrorKind::protocol, "recall expires more than 366 days after it was made");
}

void to_json(json& j, const Ack& a) {
  j = json{{"v", kSchemaVersion}, {"state", ack_state_name(a.state)}, {"at", to_rfc3339(a.at)}, {"user", a.user}};
  if (!a.sender.empty()) j["sender"] = a.sender;
}
void from_json(const json& j, Ack& a) {
  check_version(j);
  a.state = ack_state_from_name(string_at(j, "state"));
  a.at = time_at(j, "at");
  a.user = optional_string(j, "user");
  if (!a.user.empty() && a.user.size() > 64) throw Error(ErrorKind::protocol, "field 'user' is too long");
  a.sender = optional_string(j, "sender");
  if (a.sender.size() > 64) throw Error(ErrorKind::protocol, "field 'sender' is too long");
}

void to_json(json& j, const Receipted& r) {
  json items = json::array();
  for (const auto& item : r.receipts) items.push_back(json{{"id", item.id}, {"state", ack_state_name(item.state)}});
  j = json{{"v", kSchemaVersion}, {"receipts", std::move(items)}};
}
void from_json(const json& j, Receipted& r) {
  check_version(j);
  const auto& items = j.at("receipts");
  if (!items.is_array()) throw Error(ErrorKind::protocol, "field 'receipts' must be an array");
  if (items.size() > kMaxReceiptedItems)
    throw Error(ErrorKind::protocol,
                "more than " + std::to_string(kMaxReceiptedItems) + " receipts in one confirmation");
  r.receipts.clear();
  for (const auto& item : items) {
    auto id = string_at(item, "id");
    if (!is_valid_token(id)) throw Error(ErrorKind::protocol, "field 'id' is not a message id");
    r.receipts.push_back(Receipted::Item{std::move(id), ack_state_from_name(string_at(item, "state"))});
  }
}

void to_json(json& j, const Presence& p) {
  j = json{{"v", kSchemaVersion},    {"state", p.online ? "online" : "offline"},
           {"at", to_rfc3339(p.at)}, {"user", p.user},
           {"host", p.host},         {"version", p.version}};
}
void from_json(const json& j, Presence& p) {
  check_version(j);
  auto state = string_at(j, "state");
  if (state != "online" && state != "offline")
    throw Error(ErrorKind::protocol, "presence state must be online or offline, not '" + state + "'");
  p.online = state == "online";
  p.at = time_at(j, "at");
  p.user = optional_string(j, "user");
  p.host = optional_string(j, "host");
  p.version = optional_string(j, "version");
  if (p.user.size() > 64 || p.host.size() > 255 || p.version.size() > 64)
    throw Error(ErrorKind::protocol, "presence field too long");
}

void to_json(json& j, const Request& r) {
  j = json{{"v", kSchemaVersion}};
  if (!r.id.empty()) j["id"] = r.id;
  if (!r.csv.empty()) j["csv"] = r.csv;
  if (r.limit) j["limit"] = r.limit;
}
void from_json(const json& j, Request& r) {
  check_version(j);
  r.id = optional_string(j, "id");
  r.csv = optional_string(j, "csv");
  r.limit = 0;
  if (auto it = j.find("limit"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) throw Error(ErrorKind::protocol, "field 'limit' must be a positive integer");
    r.limit = it->get<std::size_t>();
  }
}

void to_json(json& j, const Reply& r) {
  j = json{{"v", kSchemaVersion}, {"ok", r.ok}};
  if (!r.ok)
    j["error"] = json{{"kind", r.error_kind}, {"message", r.error}};
  else
    j["result"] = r.result;
}
void from_json(const json& j, Reply& r) {
  check_version(j);
  const auto& ok = j.at("ok");
  if (!ok.is_boolean()) throw Error(ErrorKind::protocol, "field 'ok' must be a boolean");
  r.ok = ok.get<bool>();
  if (r.ok) {
    r.result = j.contains("result") ? j.at("result") : json(nullptr);
  } else {
    const auto& e = j.at("error");
    r.error = string_at(e, "message");
    const auto& kind = e.at("kind");
    if (!kind.is_number_integer() || kind < 0 || kind > 255)
      throw Error(ErrorKind::protocol, "field 'error.kind' must be an integer from 0 to 255");
    r.error_kind = kind.get<int>();
  }
}

// ---- chat ----------------------------------------------------------------------------

namespace {
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

std::uint64_t seq_at(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  if (!it->is_number_unsigned()) throw Error(ErrorKind::protocol, std::string("field '") + key + "' must be a count");
  return it->get<std::uint64_t>();
}

std::optional<std::string> about_at(const json& j) {
  auto about = optional_string(j, "about");
  if (about.empty()) return std::nullopt;
  if (!is_valid_token(about)) throw Error(ErrorKind::protocol, "field 'about' is not a message id");
  return about;
}

void put_about(json& j, const std::optional<std::string>& about) {
  if (about) j["about"] = *about;
}
}  // namespace

std::size_t chat_line_bound(const results::ChatLine& line) {
  return 6 * (line.text.size() + line.from.size() + line.post.size()) + 256;
}

void validate_chat_text(std::string_view text) {
  if (text.empty()) throw Error(ErrorKind::usage, tr("empty line"));
  if (text.size() > kMaxChatTextBytes)
    throw Error(ErrorKind::usage, trf("line too long ({1} bytes; at most {2})",
                                      {std::to_string(text.size()), std::to_string(kMaxChatTextBytes)}));
  if (!is_valid_utf8(text)) throw Error(ErrorKind::usage, tr("line is not valid UTF-8"));
}

namespace {
// A usage error in a received text is the sender's protocol error here.
void check_received_text(const std::string& text) {
  try {
    validate_chat_text(text);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, std::string("field 'text': ") + e.what());
  }
}

}  // namespace

std::string_view chat_op_name(ChatOp op) {
  switch (op) {
    case ChatOp::say:
      return "say";
    case ChatOp::read:
      return "read";
    case ChatOp::close:
      return "close";
  }
  return "say";
}

ChatOp chat_op_from_name(std::string_view name) {
  if (name == "say") return ChatOp::say;
  if (name == "read") return ChatOp::read;
  if (name == "close") return ChatOp::close;
  throw Error(ErrorKind::protocol, "unknown chat op '" + std::string(name.substr(0, 40)) + "'");
}

std::string_view chat_up_op_name(ChatUpOp op) {
  switch (op) {
    case ChatUpOp::say:
      return "say";
    case ChatUpOp::read:
      return "read";
    case ChatUpOp::ack:
      return "ack";
    case ChatUpOp::sync:
      return "sync";
  }
  return "say";
}

ChatUpOp chat_up_op_from_name(std::string_view name) {
  if (name == "say") return ChatUpOp::say;
  if (name == "read") return ChatUpOp::read;
  if (name == "ack") return ChatUpOp::ack;
  if (name == "sync") return ChatUpOp::sync;
  throw Error(ErrorKind::protocol, "unknown chat op '" + std::string(name.substr(0, 40)) + "'");
}

void to_json(json& j, const ChatPost& p) {
  j = json{{"v", kSchemaVersion}, {"op", chat_op_name(p.op)}, {"at", to_rfc3339(p.at)}};
  if (p.op == ChatOp::say) j["text"] = p.text;
  if (p.op == ChatOp::read) j["seq"] = p.seq;
  put_about(j, p.about);
}

void from_json(const json& j, ChatPost& p) {
  check_version(j);
  p = ChatPost{};
  p.op = chat_op_from_name(string_at(j, "op"));
  p.at = time_at(j, "at");
  p.about = about_at(j);
  if (p.op == ChatOp::say) {
    p.text = string_at(j, "text");
    check_received_text(p.text);
  }
  if (p.op == ChatOp::read) p.seq = seq_at(j, "seq");
}

void to_json(json& j, const ChatUp& u) {
  j = json{
      {"v", kSchemaVersion}, {"op", chat_up_op_name(u.op)}, {"conversation", u.conversation}, {"at", to_rfc3339(u.at)}};
  if (u.op == ChatUpOp::say) {
    j["post"] = u.post;
    j["text"] = u.text;
  } else {
    j["seq"] = u.seq;
  }
  put_about(j, u.about);
}

void from_json(const json& j, ChatUp& u) {
  check_version(j);
  u = ChatUp{};
  u.op = chat_up_op_from_name(string_at(j, "op"));
  u.conversation = string_at(j, "conversation");
  // The conversation must name a computer or a person; whose, heraldd checks.
  try {
    (void)Target::parse(u.conversation);
  } catch (const Error&) {
    throw Error(ErrorKind::protocol, "field 'conversation' is not a computer or user:LOGIN");
  }
  u.at = time_at(j, "at");
  u.about = about_at(j);
  if (u.op == ChatUpOp::say) {
    u.post = string_at(j, "post");
    if (!is_valid_token(u.post)) throw Error(ErrorKind::protocol, "field 'post' is not a post id");
    u.text = string_at(j, "text");
    check_received_text(u.text);
  } else {
    u.seq = seq_at(j, "seq");
  }
}

void to_json(json& j, const ChatUpdate& u) {
  j = u.history;
  j["v"] = kSchemaVersion;
}

void from_json(const json& j, ChatUpdate& u) {
  check_version(j);
  u = ChatUpdate{};
  try {
    u.history = j.get<results::ChatHistory>();
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, std::string("chat update: ") + e.what());
  }
  if (u.history.lines.size() > kMaxChatLinesPerUpdate)
    throw Error(ErrorKind::protocol, "chat update has more than " + std::to_string(kMaxChatLinesPerUpdate) + " lines");
  for (const auto& line : u.history.lines) check_received_text(line.text);
}

template <typename T>
T decode(std::string_view payload, std::size_t max_bytes) {
  if (payload.size() > max_bytes)
    throw Error(ErrorKind::protocol, "payload of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                                         std::to_string(max_bytes));
  json_guard::check_depth(payload);
  json j = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::protocol, "payload is not valid JSON");
  try {
    if constexpr (std::is_same_v<T, Reply>) {
      // A reply's result can be megabytes (a status of every computer in the org): move
      // it out of the parsed document rather than let from_json copy it, which cost
      // nearly as much as the parse (herald-bench-queries).
      json result = nullptr;
      if (auto it = j.find("result"); it != j.end()) result = std::exchange(*it, nullptr);
      auto reply = j.get<Reply>();
      if (reply.ok) reply.result = std::move(result);
      return reply;
    } else {
      return j.get<T>();
    }
  } catch (const json::exception& e) {
    throw Error(ErrorKind::protocol, std::string("payload does not match the schema: ") + e.what());
  }
}

template Delivery decode<Delivery>(std::string_view, std::size_t);
template ChatPost decode<ChatPost>(std::string_view, std::size_t);
template ChatUp decode<ChatUp>(std::string_view, std::size_t);
template ChatUpdate decode<ChatUpdate>(std::string_view, std::size_t);
template Recall decode<Recall>(std::string_view, std::size_t);
template Remind decode<Remind>(std::string_view, std::size_t);
template Ack decode<Ack>(std::string_view, std::size_t);
template Presence decode<Presence>(std::string_view, std::size_t);
template Receipted decode<Receipted>(std::string_view, std::size_t);
template Request decode<Request>(std::string_view, std::size_t);
template Reply decode<Reply>(std::string_view, std::size_t);

}  // namespace herald::payloads
