// The one mapping from a broker's answer to an ErrorKind and words (broker_errors.hpp):
// every code's kind and text, written out here rather than read back from the table.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "herald/common/broker_errors.hpp"
#include "herald/common/error.hpp"

using namespace herald;
using namespace herald::mqtt_edge;

namespace {

constexpr auto A = ErrorKind::auth;
constexpr auto N = ErrorKind::not_permitted;
constexpr auto C = ErrorKind::config;
constexpr auto P = ErrorKind::protocol;
constexpr auto U = ErrorKind::unreachable;

struct Expected {
  int code;
  std::string name;
  ErrorKind connect;
  ErrorKind request;
  std::string connect_text;  // empty: "the broker refused the connection (<name>)"
};

const std::string kCredentials = "the broker refused the credentials (bad user name, password or certificate)";

const std::vector<Expected> kV5 = {
    {0x80, "Unspecified error", U, N, ""},
    {0x81, "Malformed Packet", P, P, ""},
    {0x82, "Protocol Error", P, P, ""},
    {0x83, "Implementation specific error", U, N, ""},
    {0x84, "Unsupported Protocol Version", C, P, "the broker does not speak MQTT 5 (set mqtt_version = 4)"},
    {0x85, "Client Identifier not valid", C, P, "the broker does not accept the client id"},
    {0x86, "Bad User Name or Password", A, A, kCredentials},
    {0x87, "Not authorized", A, N, kCredentials},
    {0x88, "Server unavailable", U, U, ""},
    {0x89, "Server busy", U, U, ""},
    {0x8A, "Banned", A, A, "the broker refused this account (banned)"},
    {0x8B, "Server shutting down", U, U, ""},
    {0x8C, "Bad authentication method", A, A,
     "the broker demands an MQTT 5 authentication method Herald does not use (it logs in with a user name and "
     "password or a client certificate)"},
    {0x8D, "Keep Alive timeout", U, U, ""},
    {0x8E, "Session taken over", U, U, ""},
    {0x8F, "Topic Filter invalid", P, P, ""},
    {0x90, "Topic Name invalid", P, P, ""},
    {0x91, "Packet Identifier in use", U, U, ""},
    {0x92, "Packet Identifier not found", U, U, ""},
    {0x93, "Receive Maximum exceeded", U, U, ""},
    {0x94, "Topic Alias invalid", P, P, ""},
    {0x95, "Packet too large", P, P, ""},
    {0x96, "Message rate too high", U, U, ""},
    {0x97, "Quota exceeded", U, U, ""},
    {0x98, "Administrative action", U, U, ""},
    {0x99, "Payload format invalid", P, P, ""},
    {0x9A, "Retain not supported", P, P, "the broker does not support retained messages, which Herald needs"},
    {0x9B, "QoS not supported", P, P, "the broker does not support QoS 1, which Herald needs"},
    {0x9C, "Use another server", U, U, ""},
    {0x9D, "Server moved", U, U, ""},
    {0x9E, "Shared Subscriptions not supported", P, P, ""},
    {0x9F, "Connection rate exceeded", U, U, ""},
    {0xA0, "Maximum connect time", U, U, ""},
    {0xA1, "Subscription Identifiers not supported", P, P, ""},
    {0xA2, "Wildcard Subscriptions not supported", P, P, ""},
};

}  // namespace

TEST_CASE("every MQTT 5 failure reason code has its kind and words for each operation") {
  CHECK(std::size(kReasonCodes) == kV5.size());  // no code left out of this test
  for (const auto& e : kV5) {
    CAPTURE(e.code);
    CHECK(is_failure(e.code, 5, Operation::connect));
    CHECK(error_kind(e.code, 5, Operation::connect) == e.connect);
    CHECK(error_text(e.code, 5, Operation::connect) ==
          (e.connect_text.empty() ? "the broker refused the connection (" + e.name + ")" : e.connect_text));

    CHECK(is_failure(e.code, 5, Operation::publish));
    CHECK(error_kind(e.code, 5, Operation::publish) == e.request);
    CHECK(error_text(e.code, 5, Operation::publish) == "the broker refused the message (" + e.name + ")");

    CHECK(is_failure(e.code, 5, Operation::subscribe));
    CHECK(error_kind(e.code, 5, Operation::subscribe) == e.request);
    CHECK(error_text(e.code, 5, Operation::subscribe) == "the broker refused the subscription (" + e.name + ")");

    // Whatever a DISCONNECT's reason, the session ended: retry.
    CHECK(error_kind(e.code, 5, Operation::connection) == U);
    CHECK(error_text(e.code, 5, Operation::connection) == "the broker closed the connection (" + e.name + ")");

    // A refused publish is dropped (not re-sent) exactly when it is not a passing failure.
    CHECK(is_refusal(e.code) == (e.request != U));
  }
}

TEST_CASE("MQTT 5 success codes are not failures") {
  for (int code : {0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x7F}) {
    CAPTURE(code);
    CHECK_FALSE(is_failure(code, 5, Operation::publish));
    CHECK_FALSE(is_failure(code, 5, Operation::subscribe));
    CHECK_FALSE(is_refusal(code));
  }
  CHECK_FALSE(is_failure(0, 5, Operation::connect));
  CHECK_FALSE(is_failure(0, 4, Operation::connect));
  // 3.1.1 SUBACK: granted QoS 0, 1, 2.
  for (int code : {0, 1, 2}) CHECK_FALSE(is_failure(code, 4, Operation::subscribe));
}

TEST_CASE("MQTT 3.1.1 CONNACK return codes, under either version asked for") {
  struct R {
    int code;
    ErrorKind kind;
    std::string text;
  };
  const std::vector<R> rows = {
      {1, C, "the broker does not speak the MQTT version asked for (set mqtt_version to 4 or 5 as it supports)"},
      {2, C, "the broker does not accept the client id"},
      {3, U, "the broker refused the connection (server unavailable)"},
      {4, A, kCredentials},
      {5, A, kCredentials},
  };
  for (int version : {4, 5})
    for (const auto& r : rows) {
      CAPTURE(version);
      CAPTURE(r.code);
      CHECK(is_failure(r.code, version, Operation::connect));
      CHECK(error_kind(r.code, version, Operation::connect) == r.kind);
      CHECK(error_text(r.code, version, Operation::connect) == r.text);
    }
}

TEST_CASE("a 3.1.1 SUBACK 0x80 is a refusal; under MQTT 5 0x80 is the unspecified error") {
  CHECK(is_failure(0x80, 4, Operation::subscribe));
  CHECK(error_kind(0x80, 4, Operation::subscribe) == N);
  CHECK(error_text(0x80, 4, Operation::subscribe) == "the broker refused the subscription (Failure)");
  CHECK(error_text(0x80, 5, Operation::subscribe) == "the broker refused the subscription (Unspecified error)");
}

TEST_CASE("no answer and no connection are unreachable whatever was being done") {
  for (auto op : {Operation::connect, Operation::publish, Operation::subscribe, Operation::connection})
    for (int version : {4, 5}) {
      CHECK(is_failure(kNoAnswer, version, op));
      CHECK(is_failure(kNoConnection, version, op));
      CHECK(error_kind(kNoAnswer, version, op) == U);
      CHECK(error_kind(kNoConnection, version, op) == U);
      CHECK(error_text(kNoAnswer, version, op) == "no answer from the broker");
      CHECK(error_text(kNoConnection, version, op) == "no connection to the broker");
    }
  CHECK_FALSE(is_refusal(kNoAnswer));
  CHECK_FALSE(is_refusal(kNoConnection));
}

TEST_CASE("unknown failure codes are unreachable and named by number") {
  CHECK(error_kind(0xF0, 5, Operation::publish) == U);
  CHECK(error_text(0xF0, 5, Operation::publish) == "the broker refused the message (reason code 240)");
  CHECK(error_kind(9, 4, Operation::connect) == U);
  CHECK(error_text(9, 4, Operation::connect) == "the broker refused the connection (reason code 9)");
  CHECK_FALSE(is_refusal(0xF0));
}

TEST_CASE("broker_error says what was being done, what happened and any detail") {
  auto e = broker_error(0x87, 5, Operation::connect, "connecting to ssl://b:8883");
  CHECK(e.kind() == A);
  CHECK(std::string(e.what()) == "connecting to ssl://b:8883: " + kCredentials);

  e = broker_error(0x87, 5, Operation::publish, "publishing on herald/x");
  CHECK(e.kind() == N);
  CHECK(std::string(e.what()) == "publishing on herald/x: the broker refused the message (Not authorized)");

  e = broker_error(kNoAnswer, 5, Operation::connect, "connecting to ssl://b:8883", "waited 5 s");
  CHECK(e.kind() == U);
  CHECK(e.exit_code() == 5);
  CHECK(std::string(e.what()) == "connecting to ssl://b:8883: no answer from the broker (waited 5 s)");
}
