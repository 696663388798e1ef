#pragma once
// What a broker's answer means to Herald: the one mapping from MQTT reason codes (v5),
// CONNACK return codes (3.1.1) and "no answer / no connection" to an ErrorKind (the exit
// code) and words. Paho (herald-agent, heraldd, bench) and libmosquitto (the `herald`
// CLI) both report plain ints, so this header includes neither.
//
// The kinds follow who has to act:
//   auth          the credentials or certificate (or the account itself) are refused
//   not_permitted the account may not do this (the broker's ACL): sending it again is refused again
//   config        Herald's own settings do not fit the broker (mqtt_version, client id)
//   protocol      Herald and the broker disagree on the protocol (malformed, unsupported
//                 feature, invalid topic or payload): sending it again fails again
//   unreachable   the broker is away, busy, overloaded or going away: retrying may work;
//                 every timeout, lost connection and broker DISCONNECT is this
#include <string>
#include <string_view>

#include "herald/common/error.hpp"

namespace herald::mqtt_edge {

// What was being done when the broker answered (or did not).
enum class Operation {
  connect,     // CONNACK
  publish,     // PUBACK
  subscribe,   // SUBACK
  connection,  // the connection ended (a v5 DISCONNECT from the broker, a closed socket)
};

// Pseudo codes for answers that never came; unreachable for every operation.
inline constexpr int kNoAnswer = -1;      // nothing within the deadline
inline constexpr int kNoConnection = -2;  // no connection, or it was lost (network, TLS handshake)

// MQTT 5 reason codes 0x80 and above (MQTT 5.0 section 2.4). Below 0x80 is success
// (0x00 success / granted QoS 0, 0x01/0x02 granted QoS, 0x10 no matching subscribers).
// `on_connect` is the kind for a CONNACK; `on_request` for a PUBACK or SUBACK (codes
// that never come in either are given the kind they would mean). A DISCONNECT from the
// broker is always unreachable: whatever its reason, the session ended and is retried.
// `connect_text` replaces "the broker refused the connection (<name>)" on CONNECT.
struct ReasonCode {
  int code;
  std::string_view name;  // as the MQTT 5 specification names it
  ErrorKind on_connect;
  ErrorKind on_request;
  std::string_view connect_text;
};

inline constexpr std::string_view kRefusedCredentials =
    "the broker refused the credentials (bad user name, password or certificate)";

// clang-format off
inline constexpr ReasonCode kReasonCodes[] = {
  // code  name                                        CONNACK                    PUBACK / SUBACK
  // 0x80: on CONNECT the broker gives no reason, so retrying is all a client can do; on a
  // PUBACK or SUBACK "the receiver does not accept it" without saying why: a refusal.
  {0x80, "Unspecified error",                      ErrorKind::unreachable,    ErrorKind::not_permitted, {}},
  {0x81, "Malformed Packet",                       ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x82, "Protocol Error",                         ErrorKind::protocol,       ErrorKind::protocol,      {}},
  // 0x83 on PUBACK/SUBACK: "valid but the receiver is not willing to accept it".
  {0x83, "Implementation specific error",          ErrorKind::unreachable,    ErrorKind::not_permitted, {}},
  {0x84, "Unsupported Protocol Version",           ErrorKind::config,         ErrorKind::protocol,
   "the broker does not speak MQTT 5 (set mqtt_version = 4)"},
  {0x85, "Client Identifier not valid",            ErrorKind::config,         ErrorKind::protocol,
   "the broker does not accept the client id"},
  {0x86, "Bad User Name or Password",              ErrorKind::auth,           ErrorKind::auth,          kRefusedCredentials},
  // 0x87 on CONNECT is Mosquitto 2.0's answer to a wrong password (and to an unknown
  // certificate); on PUBACK/SUBACK it is the ACL.
  {0x87, "Not authorized",                         ErrorKind::auth,           ErrorKind::not_permitted, kRefusedCredentials},
  {0x88, "Server unavailable",                     ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x89, "Server busy",                            ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x8A, "Banned",                                 ErrorKind::auth,           ErrorKind::auth,
   "the broker refused this account (banned)"},
  {0x8B, "Server shutting down",                   ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  // 0x8C is not about credentials: the CONNECT's Authentication Method property (MQTT 5
  // enhanced authentication, AUTH packets) is not supported by the broker or not the one
  // in use. Herald never sends one, so the broker demands an enhanced authentication
  // Herald does not do: it cannot log in, whatever the password.
  {0x8C, "Bad authentication method",              ErrorKind::auth,           ErrorKind::auth,
   "the broker demands an MQTT 5 authentication method Herald does not use (it logs in with a user name and "
   "password or a client certificate)"},
  {0x8D, "Keep Alive timeout",                     ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x8E, "Session taken over",                     ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x8F, "Topic Filter invalid",                   ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x90, "Topic Name invalid",                     ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x91, "Packet Identifier in use",               ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x92, "Packet Identifier not found",            ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x93, "Receive Maximum exceeded",               ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x94, "Topic Alias invalid",                    ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x95, "Packet too large",                       ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x96, "Message rate too high",                  ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x97, "Quota exceeded",                         ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x98, "Administrative action",                  ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x99, "Payload format invalid",                 ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x9A, "Retain not supported",                   ErrorKind::protocol,       ErrorKind::protocol,
   "the broker does not support retained messages, which Herald needs"},
  {0x9B, "QoS not supported",                      ErrorKind::protocol,       ErrorKind::protocol,
   "the broker does not support QoS 1, which Herald needs"},
  {0x9C, "Use another server",                     ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x9D, "Server moved",                           ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0x9E, "Shared Subscriptions not supported",     ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0x9F, "Connection rate exceeded",               ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0xA0, "Maximum connect time",                   ErrorKind::unreachable,    ErrorKind::unreachable,   {}},
  {0xA1, "Subscription Identifiers not supported", ErrorKind::protocol,       ErrorKind::protocol,      {}},
  {0xA2, "Wildcard Subscriptions not supported",   ErrorKind::protocol,       ErrorKind::protocol,      {}},
};
// clang-format on

// MQTT 3.1.1 codes: CONNACK return codes 1-5 (0 is accepted) and the SUBACK failure 0x80.
// A CONNACK code 1-5 is read as 3.1.1 whatever version was asked for: a 3.1.1-only
// broker answers a v5 CONNECT with return code 1, and v5 CONNACK failures are >= 0x80.
struct ReturnCode {
  int code;
  Operation op;
  std::string_view name;  // as the MQTT 3.1.1 specification names it
  ErrorKind kind;
  std::string_view text;
};

// clang-format off
inline constexpr ReturnCode kReturnCodes311[] = {
  {1, Operation::connect, "unacceptable protocol version", ErrorKind::config,
   "the broker does not speak the MQTT version asked for (set mqtt_version to 4 or 5 as it supports)"},
  {2, Operation::connect, "identifier rejected", ErrorKind::config, "the broker does not accept the client id"},
  {3, Operation::connect, "server unavailable", ErrorKind::unreachable,
   "the broker refused the connection (server unavailable)"},
  {4, Operation::connect, "bad user name or password", ErrorKind::auth, kRefusedCredentials},
  // Mosquitto answers a wrong password (and an unknown certificate) with 5.
  {5, Operation::connect, "not authorized", ErrorKind::auth, kRefusedCredentials},
  // 3.1.1's only SUBACK failure; Mosquitto sends it for a subscription its ACL denies.
  {0x80, Operation::subscribe, "Failure", ErrorKind::not_permitted, "the broker refused the subscription (Failure)"},
};
// clang-format on

// Whether `code` (answering `op` under mqtt_version 4 or 5) says it failed.
bool is_failure(int code, int mqtt_version, Operation op);
// The kind and the words for a failure code (see the tables); unknown codes are
// unreachable, "... (reason code N)".
ErrorKind error_kind(int code, int mqtt_version, Operation op);
std::string error_text(int code, int mqtt_version, Operation op);
// Error(kind, "<doing>: <text>"), with " (<detail>)" appended if detail is not empty.
Error broker_error(int code, int mqtt_version, Operation op, std::string_view doing, std::string_view detail = {});

// A v5 PUBACK code the broker would give again for the same publish (a failure of any
// kind but unreachable): re-sending it is useless. Quota, busy and other passing
// failures are not refusals.
bool is_refusal(int reason_code);

}  // namespace herald::mqtt_edge
