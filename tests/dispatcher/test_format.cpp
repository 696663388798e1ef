// Human output of status, pending and list from sample heraldd results. (Table, widths and
// printable are herald::text's: tests/unit/test_text.cpp.)
#include <doctest/doctest.h>

#include <sstream>

#include "herald/common/error.hpp"
#include "herald/dispatcher/format.hpp"

using namespace herald::dispatcher;

namespace {

// The CLI's readers: status straight from the reply text, the others typed.
std::string printed_status(const std::string& result) {
  std::ostringstream out;
  print_status_reply(R"({"v":1,"ok":true,"result":)" + result + "}", out);
  return out.str();
}

template <typename Result, typename Print>
std::string printed(Print print, const char* result) {
  std::ostringstream out;
  print(herald::results::decode<Result>(result), out);
  return out.str();
}

}  // namespace

TEST_CASE("status: totals line, then one aligned row per recipient") {
  const char* result = R"({
    "id": "20261122T130118Z-3f9a2c1b7d", "kind": "alert", "state": "active", "sender": "secops",
    "title": "Phishing warning", "targets": ["org/branch01", "user:jkowalski"],
    "sent_at": "2026-11-22T13:01:18.000Z", "expires_at": null, "recalled_at": null, "recalled_by": null,
    "totals": {"recipients": 3, "pending": 1, "delivered": 0, "displayed": 1, "read": 1},
    "recipients": [
      {"recipient": "org/branch01/pc042", "state": "read", "delivered_at": "2026-11-22T13:01:19.000Z",
       "displayed_at": "2026-11-22T13:01:19.500Z", "read_at": "2026-11-22T13:05:00.000Z", "user": "jkowalski"},
      {"recipient": "org/branch01/pc7", "state": "displayed", "delivered_at": "2026-11-22T13:01:19.000Z",
       "displayed_at": null, "read_at": null, "user": "łucja"},
      {"recipient": "org/branch01/pc044", "state": "pending", "user": null}
    ]})";
  CHECK(printed_status(result) ==
        "20261122T130118Z-3f9a2c1b7d (alert, active) to org/branch01,user:jkowalski: 3 recipients, 1 pending, "
        "0 delivered, 1 displayed, 1 read\n"
        "RECIPIENT           STATE      DELIVERED                 DISPLAYED                 READ                      "
        "USER\n"
        "org/branch01/pc042  read       2026-11-22T13:01:19.000Z  2026-11-22T13:01:19.500Z  2026-11-22T13:05:00.000Z  "
        "jkowalski\n"
        "org/branch01/pc7    displayed  2026-11-22T13:01:19.000Z  -                         -                         "
        "łucja\n"
        "org/branch01/pc044  pending    -                         -                         -                         "
        "-\n");
}

TEST_CASE("status: a result that is not heraldd's (no totals, rows named path) is Error(protocol)") {
  // heraldd always sends totals and names each row's state and recipient.
  for (const char* result : {
           R"({"id": "m1", "kind": "message", "targets": ["org"],
               "recipients": [{"path": "org/a/pc1", "delivered_at": "t1", "read_at": "t3"}]})",
           R"({"id": "m1", "kind": "message", "state": "active", "title": "", "sender": "a", "targets": ["org"],
               "sent_at": "2026-11-22T13:01:18.000Z",
               "totals": {"recipients": 1, "pending": 0, "delivered": 1, "displayed": 0, "read": 0},
               "recipients": [{"path": "org/a/pc1", "state": "delivered", "delivered_at": "t1"}]})",
           R"({"id": "m1", "kind": "message", "state": "active", "title": "", "sender": "a", "targets": ["org"],
               "sent_at": "2026-11-22T13:01:18.000Z",
               "totals": {"recipients": 1, "pending": 0, "delivered": 1, "displayed": 0, "read": 0},
               "recipients": [{"recipient": "org/a/pc1", "delivered_at": "t1"}]})"}) {
    CAPTURE(result);
    try {
      printed_status(result);
      FAIL("a malformed status must throw");
    } catch (const herald::Error& e) {
      CHECK(e.kind() == herald::ErrorKind::protocol);
    }
  }
}

TEST_CASE("status straight from heraldd's reply prints the table; error replies throw as ask() does") {
  const char* result = R"({"id": "m1", "kind": "alert", "state": "active", "targets": ["org/a", "user:ala"],
    "title": "", "sender": "secops", "sent_at": "2026-11-22T13:01:18.000Z", "expires_at": null,
    "totals": {"recipients": 2, "pending": 1, "delivered": 0, "displayed": 0, "read": 1},
    "recipients": [{"recipient": "org/a/pc1", "state": "read", "delivered_at": "t1", "displayed_at": null,
                    "read_at": "t3", "user": "ala"},
                   {"recipient": "user:ala", "state": "pending", "user": null, "computer": null}]})";
  CHECK(printed_status(result).rfind(
            "m1 (alert, active) to org/a,user:ala: 2 recipients, 1 pending, 0 delivered, 0 displayed, 1 read\n", 0) ==
        0);

  std::ostringstream none;
  try {
    print_status_reply(R"({"v":1,"ok":false,"error":{"kind":3,"message":"unknown message id 'x'"}})", none);
    FAIL("an error reply must throw");
  } catch (const herald::Error& e) {
    CHECK(e.kind() == herald::ErrorKind::not_found);
    CHECK(std::string(e.what()) == "unknown message id 'x'");
  }
  try {
    print_status_reply("{not json", none);
    FAIL("invalid JSON must throw");
  } catch (const herald::Error& e) {
    CHECK(e.kind() == herald::ErrorKind::protocol);
  }
  CHECK(none.str().empty());
}

TEST_CASE("pending: unread messages grouped per recipient") {
  const char* result = R"({"under": "org/branch01", "total_unread": 3, "recipients": [
      {"recipient": "org/branch01/pc042", "user": "jkowalski", "unread": [
        {"id": "20261122T130118Z-3f9a2c1b7d", "kind": "message", "title": "Nowy regulamin", "sent_at": "2026-11-22T13:01:18.123Z"},
        {"id": "20261122T140000Z-aaaaaaaaaa", "kind": "alert", "title": "Ćwiczenia", "sent_at": "2026-11-22T14:00:00.000Z"}]},
      {"recipient": "org/branch01/pc043", "unread": []},
      {"recipient": "org/branch01/pc044", "unread": [
        {"id": "20261122T150000Z-bbbbbbbbbb", "kind": "alert", "title": "", "sent_at": "2026-11-22T15:00:00.000Z"}]}]})";
  CHECK(printed<herald::results::Pending>(print_pending, result) ==
        "org/branch01/pc042 (jkowalski): 2 unread\n"
        "  ID                           KIND     SENT                      TITLE\n"
        "  20261122T130118Z-3f9a2c1b7d  message  2026-11-22T13:01:18.123Z  Nowy regulamin\n"
        "  20261122T140000Z-aaaaaaaaaa  alert    2026-11-22T14:00:00.000Z  Ćwiczenia\n"
        "\n"
        "org/branch01/pc044: 1 unread\n"
        "  ID                           KIND   SENT                      TITLE\n"
        "  20261122T150000Z-bbbbbbbbbb  alert  2026-11-22T15:00:00.000Z  -\n");
  CHECK(printed<herald::results::Pending>(print_pending,
                                          R"({"under": "org/branch02", "total_unread": 0, "recipients": []})") ==
        "nothing unread under org/branch02\n");
}

TEST_CASE("list: one row per message") {
  const char* result = R"({"messages": [
      {"id": "20261122T130118Z-3f9a2c1b7d", "kind": "alert", "sent_at": "2026-11-22T13:01:18.123Z",
       "targets": ["org/branch01"], "recipients": 12, "read": 5, "state": "active", "title": "Phishing warning",
       "sender": "secops", "expires_at": null, "delivered": 3, "displayed": 0, "pending": 4},
      {"id": "20261121T090000Z-0123456789", "kind": "message", "sent_at": "2026-11-21T09:00:00.000Z",
       "targets": ["org", "user:jk"], "recipients": 396, "read": 396, "state": "recalled", "title": "Zebranie\nw piątek",
       "sender": "hr", "expires_at": "2026-12-21T09:00:00.000Z", "delivered": 0, "displayed": 0, "pending": 0}]})";
  CHECK(
      printed<herald::results::List>(print_list, result) ==
      "ID                           KIND     SENT                      TARGETS       READ/RECIPIENTS  STATE     TITLE\n"
      "20261122T130118Z-3f9a2c1b7d  alert    2026-11-22T13:01:18.123Z  org/branch01  5/12             active    "
      "Phishing warning\n"
      "20261121T090000Z-0123456789  message  2026-11-21T09:00:00.000Z  org,user:jk   396/396          recalled  "
      "Zebranie w piątek\n");
  CHECK(printed<herald::results::List>(print_list, R"({"messages": []})") ==
        "ID  KIND  SENT  TARGETS  READ/RECIPIENTS  STATE  TITLE\n");
}
