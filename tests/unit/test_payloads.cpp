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
