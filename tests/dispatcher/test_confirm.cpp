// Read and confirm (issue 12) in `herald`: send --require-confirm, alert refusing it, and
// the human output of confirmations (status, pending, list, progress).
#include <doctest/doctest.h>

#include <sstream>

#include "herald/common/error.hpp"
#include "herald/dispatcher/commands.hpp"
#include "herald/dispatcher/format.hpp"

using namespace herald;
using namespace herald::dispatcher;

namespace {

const TimePoint kSent = from_rfc3339("2026-11-22T13:00:00.000Z");

std::string printed_status(const std::string& result) {
  std::ostringstream out;
  print_status_reply(R"({"v":1,"ok":true,"result":)" + result + "}", out);
  return out.str();
}

}  // namespace

TEST_CASE("send --require-confirm puts it in the message; an alert refuses it") {
  SendOptions o;
  o.kind = topics::Kind::message;
  o.to = {"org/branch01"};
  o.title = "Regulamin";
  o.body = "Przeczytaj.";
  o.body_given = true;
  CHECK_FALSE(prepare_send(o, kSent).delivery.require_confirm);
  o.require_confirm = true;
  CHECK(prepare_send(o, kSent).delivery.require_confirm);
  o.kind = topics::Kind::alert;
  try {
    (void)prepare_send(o, kSent);
    FAIL("an alert accepted --require-confirm");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find("--require-confirm is for messages") == 0);
  }
}

TEST_CASE("status of a message that asks for confirmation: a CONFIRMED column and the count") {
  const char* result = R"({
    "id": "m1", "kind": "message", "state": "active", "require_confirm": true, "sender": "hr",
    "title": "Regulamin", "targets": ["org/b1"], "sent_at": "2026-11-22T13:00:00.000Z", "expires_at": null,
    "recalled_at": null, "recalled_by": null,
    "totals": {"recipients": 2, "pending": 0, "delivered": 0, "displayed": 0, "read": 1, "confirmed": 1},
    "recipients": [
      {"recipient": "org/b1/pc1", "state": "confirmed", "delivered_at": "2026-11-22T13:00:01.000Z",
       "displayed_at": null, "read_at": "2026-11-22T13:02:00.000Z", "confirmed_at": "2026-11-22T13:03:00.000Z",
       "user": "jk"},
      {"recipient": "org/b1/pc2", "state": "read", "delivered_at": "2026-11-22T13:00:01.000Z",
       "displayed_at": null, "read_at": "2026-11-22T13:04:00.000Z", "confirmed_at": null, "user": "an"}]})";
  CHECK(
      printed_status(result) ==
      "m1 (message, active) to org/b1: 2 recipients, 0 pending, 0 delivered, 0 displayed, 1 read, 1 confirmed\n"
      "RECIPIENT   STATE      DELIVERED                 DISPLAYED  READ                      CONFIRMED                 "
      "USER\n"
      "org/b1/pc1  confirmed  2026-11-22T13:00:01.000Z  -          2026-11-22T13:02:00.000Z  2026-11-22T13:03:00.000Z  "
      "jk\n"
      "org/b1/pc2  read       2026-11-22T13:00:01.000Z  -          2026-11-22T13:04:00.000Z  -                         "
      "an\n");
  // A wrong type is a protocol error, as for every other field.
  std::string bad = result;
  bad.replace(bad.find("\"require_confirm\": true"), 23, "\"require_confirm\": 1");
  CHECK_THROWS_AS(printed_status(bad), Error);
}

TEST_CASE("pending marks what waits for confirmation; list counts confirmed as read; progress shows them") {
  std::ostringstream pending;
  print_pending(results::decode<results::Pending>(
                    R"({"under":"org","total_unread":1,"recipients":[{"recipient":"org/b1/pc1","unread":[)"
                    R"({"id":"m1","kind":"message","title":"Regulamin","sent_at":"2026-11-22T13:00:00.000Z",)"
                    R"("require_confirm":true}]}]})"),
                pending);
  CHECK(pending.str().find("Regulamin (to confirm)") != std::string::npos);

  std::ostringstream list;
  print_list(results::decode<results::List>(
                 R"({"messages":[{"id":"m1","kind":"message","title":"T","sender":"hr","targets":["org"],)"
                 R"("sent_at":"2026-11-22T13:00:00.000Z","expires_at":null,"state":"active","require_confirm":true,)"
                 R"("recipients":5,"delivered":0,"displayed":0,"read":1,"confirmed":2,"pending":2}]})"),
             list);
  CHECK(list.str().find("3/5") != std::string::npos);

  auto progress = results::decode<results::Progress>(
      R"({"course":"rodo","people":[{"login":"jk","name":"Jan","read":2,"sent":2,"total":2,"first_at":null,)"
      R"("last_at":null,"confirmed":1}],"lessons":[{"lesson":"l1","title":"One","sent":1,"read":1,"unread":0,)"
      R"("confirmed":0},{"lesson":"l2","title":"Two","sent":1,"read":1,"unread":0,"confirmed":1,)"
      R"("require_confirm":true}],"not_started":[]})");
  std::ostringstream text;
  print_progress(progress, text);
  CHECK(text.str().find("2 of 2 sent, 2 total, 1 confirmed") != std::string::npos);
  CHECK(text.str().find("CONFIRMED") != std::string::npos);
  std::ostringstream csv;
  print_progress_csv(progress, csv);
  CHECK(csv.str() == "login,name,read,sent,total,first_at,last_at,confirmed\njk,Jan,2,2,2,,,1\n");
  // A course without lessons to confirm prints as before.
  progress.lessons.pop_back();
  progress.people[0].confirmed = 0;
  std::ostringstream plain;
  print_progress_csv(progress, plain);
  CHECK(plain.str() == "login,name,read,sent,total,first_at,last_at\njk,Jan,2,2,2,,\n");
}
