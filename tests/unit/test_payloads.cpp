#include <doctest/doctest.h>

#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"

using namespace herald;
using namespace herald::payloads;

TEST_CASE("a delivery round-trips through JSON") {
  Delivery d;
  d.title = "Phishing";
  d.body = "Do not open the invoice mail.";
  d.severity = "critical";
  d.links = {"https://intranet/x"};
  d.sent_at = from_rfc3339("2026-11-22T13:00:00.000Z");
  d.expires_at = from_rfc3339("2026-11-22T15:00:00.000Z");
  auto back = decode<Delivery>(encode(d));
  CHECK(back.title == d.title);
  CHECK(back.body == d.body);
  CHECK(back.severity == "critical");
  CHECK(back.links == d.links);
  CHECK(back.sent_at == d.sent_at);
  CHECK(back.expires_at == d.expires_at);
}

TEST_CASE("hostile payloads are protocol errors, never crashes") {
  const char* bad[] = {
      "",
      "not json",
      "[]",
      "{}",
      R"({"v":2,"body":"x","sent_at":"2026-11-22T13:00:00Z"})",
      R"({"v":"1","body":"x","sent_at":"2026-11-22T13:00:00Z"})",
      R"({"v":1,"body":42,"sent_at":"2026-11-22T13:00:00Z"})",
      R"({"v":1,"body":"","sent_at":"2026-11-22T13:00:00Z"})",
      R"({"v":1,"body":"x","sent_at":"yesterday"})",
      R"({"v":1,"body":"x","sent_at":"2026-11-22T13:00:00Z","links":"http://x"})",
      R"({"v":1,"body":"x","sent_at":"2026-11-22T13:00:00Z","links":[1]})",
      R"({"v":1,"body":"x","sent_at":"2026-11-22T13:00:00Z","severity":"apocalyptic"})",
  };
  for (const char* p : bad) {
    CAPTURE(p);
    CHECK_THROWS_AS(decode<Delivery>(p), Error);
  }
  std::string huge(kMaxPayloadBytes + 1, 'x');
  CHECK_THROWS_AS(decode<Delivery>(huge), Error);
  CHECK_THROWS_AS(decode<Ack>(R"({"v":1,"state":"eaten","at":"2026-11-22T13:00:00Z"})"), Error);
  CHECK_THROWS_AS(decode<Presence>(R"({"v":1,"state":"maybe","at":"2026-11-22T13:00:00Z"})"), Error);
}

TEST_CASE("validate enforces the documented limits") {
  Delivery d;
  d.body = "ok";
  d.sent_at = now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  CHECK_NOTHROW(validate(d));
  d.body = std::string(kMaxBodyBytes + 1, 'a');
  CHECK_THROWS_WITH_AS(validate(d), doctest::Contains("over the limit"), Error);
  d.body = "";
  CHECK_THROWS_WITH_AS(validate(d), "empty body: a message needs text", Error);
  d.body = "x";
  d.links = {"ftp://x"};
  CHECK_THROWS_AS(validate(d), Error);
}

TEST_CASE("acks and replies round-trip") {
  Ack a{AckState::read, from_rfc3339("2026-11-22T13:00:00.500Z"), "jkowalski", "admin"};
  auto back = decode<Ack>(encode(a));
  CHECK(back.state == AckState::read);
  CHECK(back.user == "jkowalski");
  CHECK(back.sender == "admin");
  Reply r;
  r.ok = false;
  r.error_kind = 3;
  r.error = "unknown message id 'x'";
  auto rb = decode<Reply>(encode(r));
  CHECK_FALSE(rb.ok);
  CHECK(rb.error == r.error);
}

TEST_CASE("an ok reply keeps its result whole; a missing result is null") {
  auto rb =
      decode<Reply>(R"({"v":1,"ok":true,"result":{"recipients":[{"recipient":"org/b1/pc1","user":null}],"n":2}})");
  CHECK(rb.ok);
  CHECK(rb.result == nlohmann::json::parse(R"({"recipients":[{"recipient":"org/b1/pc1","user":null}],"n":2})"));
  CHECK(decode<Reply>(R"({"v":1,"ok":true})").result.is_null());
  auto failed = decode<Reply>(R"({"v":1,"ok":false,"result":{"x":1},"error":{"kind":3,"message":"m"}})");
  CHECK_FALSE(failed.ok);
  CHECK(failed.result.is_null());
  CHECK_THROWS_AS(decode<Reply>(R"([1,2])"), Error);
}

TEST_CASE("every message expires, at most 366 days after it was sent, for any publisher") {
  const std::string sent = R"("sent_at":"2026-11-22T13:00:00.000Z")";
  auto with_expiry = [&](const std::string& expiry) { return R"({"v":1,"body":"x",)" + sent + expiry + "}"; };
  CHECK_THROWS_WITH_AS(decode<Delivery>(with_expiry("")), doctest::Contains("no expiry"), Error);
  CHECK_THROWS_WITH_AS(decode<Delivery>(with_expiry(R"(,"expires_at":null)")), doctest::Contains("no expiry"), Error);
  CHECK_THROWS_WITH_AS(decode<Delivery>(with_expiry(R"(,"expires_at":"2126-11-22T13:00:00.000Z")")),
                       doctest::Contains("more than 366 days"), Error);
  CHECK_NOTHROW(decode<Delivery>(with_expiry(R"(,"expires_at":"2027-11-23T13:00:00.000Z")")));  // 366 days
  CHECK_THROWS_AS(decode<Delivery>(with_expiry(R"(,"expires_at":"2027-11-23T13:00:00.001Z")")), Error);
  CHECK_THROWS_AS(decode<Recall>(R"({"v":1,"recalled_at":"2026-11-22T13:00:00.000Z","expires_at":null})"), Error);
  CHECK_THROWS_AS(
      decode<Recall>(R"({"v":1,"recalled_at":"2026-11-22T13:00:00.000Z","expires_at":"2126-01-01T00:00:00Z"})"), Error);
}

TEST_CASE("a receiver refuses a delivery sent more than 5 minutes ahead of its own clock") {
  Delivery d;
  d.body = "x";
  TimePoint receiver_now = from_rfc3339("2026-11-22T13:00:00.000Z");
  d.sent_at = receiver_now + kMaxClockSkew;
  d.expires_at = d.sent_at + std::chrono::hours(1);
  CHECK_NOTHROW(check_received(d, receiver_now));
  d.sent_at = receiver_now + kMaxClockSkew + std::chrono::milliseconds(1);
  CHECK_THROWS_WITH_AS(check_received(d, receiver_now), doctest::Contains("in the future"), Error);
  d.sent_at = from_rfc3339("2036-11-22T13:00:00.000Z");  // ten years ahead
  CHECK_THROWS_AS(check_received(d, receiver_now), Error);
}

TEST_CASE("the version is exactly the integer 1") {
  for (const char* v : {"4294967297", "1.0", "18446744073709551617", "-4294967295", "true"}) {
    CAPTURE(v);
    std::string p = std::string(R"({"v":)") + v +
                    R"(,"body":"x","sent_at":"2026-11-22T13:00:00Z","expires_at":"2026-11-23T13:00:00Z"})";
    CHECK_THROWS_WITH_AS(decode<Delivery>(p), doctest::Contains("payload"), Error);
  }
}

TEST_CASE("deeply nested JSON is refused before any parser walks it") {
  std::string deep = R"({"v":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK_THROWS_WITH_AS(decode<Delivery>(deep), "JSON nested deeper than 32 levels", Error);
  CHECK_THROWS_AS(decode<Ack>(deep), Error);
  CHECK_THROWS_AS(decode<Reply>(deep), Error);
  // Brackets inside strings do not count.
  std::string in_string = R"({"v":1,"body":")" + std::string(1000, '[') +
                          R"(","sent_at":"2026-11-22T13:00:00Z","expires_at":"2026-11-23T13:00:00Z"})";
  CHECK_NOTHROW(decode<Delivery>(in_string));
}

TEST_CASE("a confirmation of receipts round-trips and is bounded") {
  Receipted r;
  r.receipts = {{"m1", AckState::read}, {"m2", AckState::delivered}};
  auto text = encode(r);
  CHECK(text == R"({"receipts":[{"id":"m1","state":"read"},{"id":"m2","state":"delivered"}],"v":1})");
  CHECK(decode<Receipted>(text).receipts == r.receipts);
  CHECK(decode<Receipted>(R"({"v":1,"receipts":[]})").receipts.empty());
  for (const char* bad : {R"({"v":1})", R"({"v":1,"receipts":{}})", R"({"v":1,"receipts":[{"id":"m1"}]})",
                          R"({"v":1,"receipts":[{"id":"a/b","state":"read"}]})",
                          R"({"v":1,"receipts":[{"id":"m1","state":"seen"}]})", R"({"v":1,"receipts":[7]})"}) {
    INFO(bad);
    CHECK_THROWS_AS(decode<Receipted>(bad), herald::Error);
  }
  std::string many = R"({"v":1,"receipts":[)";
  for (std::size_t i = 0; i <= kMaxReceiptedItems; ++i)
    many += std::string(i ? "," : "") + R"({"id":"m","state":"read"})";
  CHECK_THROWS_AS(decode<Receipted>(many + "]}"), herald::Error);
}

namespace {
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest-of-a-png";
const std::string kJpeg = std::string("\xff\xd8\xff\xe0", 4) + "rest-of-a-jpeg";

Delivery lesson_delivery_for_test() {
  Delivery d;
  d.title = "Fire exits";
  d.body = "Keep them clear.";
  d.sent_at = from_rfc3339("2026-11-22T13:00:00.000Z");
  d.expires_at = from_rfc3339("2026-11-29T13:00:00.000Z");
  d.images = {Image{"exit.png", "image/png", kPng}, Image{"plan_2.jpg", "image/jpeg", kJpeg}};
  d.lesson = LessonRef{"bhp-2026", "c-1", 3, 8};
  return d;
}

// The encoded lesson with one field of its JSON replaced by `patch` (a JSON Patch).
std::string patched(const nlohmann::json& patch) {
  nlohmann::json j = nlohmann::json::parse(encode(lesson_delivery_for_test()));
  return j.patch(patch).dump();
}
}  // namespace

TEST_CASE("base64 is strict: every byte string has one spelling") {
  for (std::string raw : {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("foob"),
                          std::string("fooba"), std::string("foobar"), kPng}) {
    CAPTURE(raw);
    CHECK(base64_decode(base64_encode(raw)) == raw);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode(std::string("\xff\xfe", 2)) == "//4=");
  for (const char* bad : {"Zm9", "Zm9v\n", " Zm8=", "Zm8", "Zm==Zm9v", "Zm9=", "Zg=x", "Z===", "Zm9v*A==", "===="}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(base64_decode(bad), doctest::Contains("base64"), Error);
  }
}

TEST_CASE("images and the lesson reference round-trip; a delivery without them encodes as before") {
  auto d = lesson_delivery_for_test();
  auto text = encode(d);
  CHECK(text.find(R"("images":[{"data":")" + base64_encode(kPng) + R"(","name":"exit.png","type":"image/png"})") !=
        std::string::npos);
  CHECK(text.find(R"("lesson":{"campaign":"c-1","course":"bhp-2026","number":3,"of":8})") != std::string::npos);
  auto back = decode<Delivery>(text);
  CHECK(back.images == d.images);
  REQUIRE(back.lesson);
  CHECK(*back.lesson == *d.lesson);

  d.images.clear();
  d.lesson.reset();
  CHECK(
      encode(d) ==
      R"({"body":"Keep them clear.","expires_at":"2026-11-29T13:00:00.000Z","links":[],"sent_at":"2026-11-22T13:00:00.000Z","severity":"info","title":"Fire exits","v":1})");
  auto plain = decode<Delivery>(encode(d));
  CHECK(plain.images.empty());
  CHECK_FALSE(plain.lesson);
}

TEST_CASE("hostile images and lesson references are protocol errors") {
  using nlohmann::json;
  auto replace = [](const char* path, json value) {
    return json::array({{{"op", "replace"}, {"path", path}, {"value", value}}});
  };
  CHECK_NOTHROW(decode<Delivery>(patched(json::array())));
  struct Case {
    json patch;
    const char* says;
  };
  const Case cases[] = {
      {replace("/images/0/data", "not base64!"), "base64"},
      {replace("/images/0/data", base64_encode(kPng) + "\n"), "base64"},
      {replace("/images/0/data", base64_encode("GIF89a-not-allowed")), "its bytes say otherwise"},
      {replace("/images/1/data", base64_encode(kPng)), "its bytes say otherwise"},  // says jpeg, is png
      {replace("/images/0/type", "image/gif"), "not image/png or image/jpeg"},
      {replace("/images/0/type", 7), "must be a string"},
      {replace("/images/0/data", ""), "is empty"},
      {replace("/images/0/name", "../x.png"), "not a safe file name"},
      {replace("/images/0/name", "/etc/passwd"), "not a safe file name"},
      {replace("/images/0/name", ".bashrc"), "not a safe file name"},
      {replace("/images/0/name", ""), "not a safe file name"},
      {replace("/images/0/name", std::string(65, 'a')), "not a safe file name"},
      {replace("/images/0/name", "plan_2.jpg"), "appears twice"},
      {replace("/images/0", "exit.png"), "must be a JSON object"},
      {replace("/images", json::object()), "must be an array"},
      {replace("/images", json::array({json::object(), json::object(), json::object(), json::object(), json::object(),
                                       json::object(), json::object(), json::object(), json::object()})),
       "too many images: 9"},
      {replace("/lesson/number", 0), "lesson number 0 of 8"},
      {replace("/lesson/number", 9), "lesson number 9 of 8"},
      {replace("/lesson/number", -1), "non-negative integer"},
      {replace("/lesson/number", "3"), "non-negative integer"},
      {replace("/lesson/of", 0), "lesson number 3 of 0"},
      {replace("/lesson/course", "a/b"), "must be ids"},
      {replace("/lesson/campaign", "+"), "must be ids"},
      {replace("/lesson", json::array()), "must be a JSON object"},
      {json::array({{{"op", "remove"}, {"path", "/lesson/of"}}}), "payload"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.patch.dump());
    CHECK_THROWS_WITH_AS(decode<Delivery>(patched(c.patch)), doctest::Contains(c.says), Error);
    try {
      decode<Delivery>(patched(c.patch));
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::protocol);
    }
  }
}

TEST_CASE("validate checks images and the lesson reference before anything is sent") {
  auto d = lesson_delivery_for_test();
  CHECK_NOTHROW(validate(d));
  d.images.resize(kMaxImages + 1, Image{"x.png", "image/png", kPng});
  CHECK_THROWS_WITH_AS(validate(d), doctest::Contains("too many images"), Error);
  d = lesson_delivery_for_test();
  d.images[0].name = "../x.png";
  CHECK_THROWS_WITH_AS(validate(d), doctest::Contains("not a safe file name"), Error);
  d = lesson_delivery_for_test();
  d.lesson->number = 0;
  CHECK_THROWS_AS(validate(d), Error);
  CHECK(is_safe_file_name("a.png"));
  CHECK(is_safe_file_name("A-b_c.1.JPG"));
  CHECK_FALSE(is_safe_file_name("a b.png"));
  CHECK_FALSE(is_safe_file_name("a\\b.png"));
  CHECK_FALSE(is_safe_file_name(".."));
  CHECK(sniff_image_type(kPng) == "image/png");
  CHECK(sniff_image_type(kJpeg) == "image/jpeg");
  CHECK(sniff_image_type("\x89PN") == "");
}

TEST_CASE("a reminder is {v, at}; anything else is a protocol error") {
  Remind r{from_rfc3339("2026-11-22T13:00:00.000Z")};
  CHECK(encode(r) == R"({"at":"2026-11-22T13:00:00.000Z","v":1})");
  CHECK(decode<Remind>(encode(r)).at == r.at);
  for (const char* bad : {"", "{}", R"({"v":1})", R"({"v":2,"at":"2026-11-22T13:00:00Z"})", R"({"v":1,"at":5})",
                          R"({"v":1,"at":"soon"})", "[1]"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(decode<Remind>(bad), Error);
  }
}
