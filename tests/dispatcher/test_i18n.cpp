// herald's human output in Polish, from the same sample results as test_format.cpp:
// headings, state words and the totals line are translated, the data is not; the
// English output stays byte for byte what test_format.cpp asserts.
#include <doctest/doctest.h>

#include <sstream>

#include "../unit/language.hpp"
#include "herald/common/error.hpp"
#include "herald/dispatcher/format.hpp"

using namespace herald::dispatcher;
using herald::testing::Language;

namespace {

const char* kStatus = R"({
  "id": "20261122T130118Z-3f9a2c1b7d", "kind": "alert", "state": "active", "sender": "secops",
  "title": "Ostrzeżenie przed phishingiem", "targets": ["org/branch01", "user:jkowalski"],
  "sent_at": "2026-11-22T13:01:18.000Z", "expires_at": null, "recalled_at": null, "recalled_by": null,
  "totals": {"recipients": 3, "pending": 1, "delivered": 0, "displayed": 1, "read": 1},
  "recipients": [
    {"recipient": "org/branch01/pc042", "state": "read", "delivered_at": "2026-11-22T13:01:19.000Z",
     "displayed_at": "2026-11-22T13:01:19.500Z", "read_at": "2026-11-22T13:05:00.000Z", "user": "jkowalski"},
    {"recipient": "org/branch01/pc7", "state": "displayed", "delivered_at": "2026-11-22T13:01:19.000Z",
     "displayed_at": null, "read_at": null, "user": "łucja"},
    {"recipient": "org/branch01/pc044", "state": "pending", "user": null}
  ]})";

std::string printed_status() {
  std::ostringstream out;
  print_status_reply(std::string(R"({"v":1,"ok":true,"result":)") + kStatus + "}", out);
  return out.str();
}

}  // namespace

TEST_CASE("herald status in Polish: translated headings and words, aligned by what the eye sees") {
  Language pl("LANG", "pl_PL.UTF-8");
  CHECK(printed_status() ==
        "20261122T130118Z-3f9a2c1b7d (alert, aktywna) do org/branch01,user:jkowalski: odbiorcy: 3, oczekuje: 1, "
        "dostarczono: 0, wyświetlono: 1, przeczytano: 1\n"
        "ODBIORCA            STAN         DOSTARCZONO               WYŚWIETLONO               PRZECZYTANO          "
        "     UŻYTKOWNIK\n"
        "org/branch01/pc042  przeczytana  2026-11-22T13:01:19.000Z  2026-11-22T13:01:19.500Z  "
        "2026-11-22T13:05:00.000Z  jkowalski\n"
        "org/branch01/pc7    wyświetlona  2026-11-22T13:01:19.000Z  -                         -                 "
        "        łucja\n"
        "org/branch01/pc044  oczekuje     -                         -                         -                 "
        "        -\n");
}

TEST_CASE("herald status under an unknown language is the English of test_format.cpp") {
  Language xx("LANGUAGE", "xx");
  auto text = printed_status();
  CHECK(text.rfind("20261122T130118Z-3f9a2c1b7d (alert, active) to org/branch01,user:jkowalski: 3 recipients, 1 "
                   "pending, 0 delivered, 1 displayed, 1 read\nRECIPIENT           STATE      DELIVERED",
                   0) == 0);
}

TEST_CASE("an error from heraldd's reply keeps its text; the reader's language is only around it") {
  Language pl("LANGUAGE", "pl");
  std::ostringstream out;
  try {
    print_status_reply(R"({"v":1,"ok":false,"error":{"kind":3,"message":"unknown message id 'm9'"}})", out);
    FAIL("no error");
  } catch (const herald::Error& e) {
    CHECK(e.exit_code() == 3);  // exit codes never change with the language
    CHECK(std::string(e.what()) == "unknown message id 'm9'");
  }
}
