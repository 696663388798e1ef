#include "herald/common/broker_errors.hpp"

#include "herald/common/i18n.hpp"

namespace herald::mqtt_edge {
namespace {

const ReasonCode* find_reason(int code) {
  for (const auto& row : kReasonCodes)
    if (row.code == code) return &row;
  return nullptr;
}

const ReturnCode* find_return(int code, int mqtt_version, Operation op) {
  // CONNACK 1-5 are 3.1.1 codes whatever was asked for (see kReturnCodes311); SUBACK 0x80
  // is 3.1.1's "Failure" only under 3.1.1 (under v5 it is "Unspecified error").
  if (op == Operation::subscribe && mqtt_version == 5) return nullptr;
  for (const auto& row : kReturnCodes311)
    if (row.code == code && row.op == op) return &row;
  return nullptr;
}

const char* refused_what(Operation op) {
  switch (op) {
    case Operation::connect:
      return tr("the broker refused the connection");
    case Operation::publish:
      return tr("the broker refused the message");
    case Operation::subscribe:
      return tr("the broker refused the subscription");
    case Operation::connection:
      break;
  }
  return tr("the broker closed the connection");
}

}  // namespace

bool is_failure(int code, int mqtt_version, Operation op) {
  if (code < 0) return true;  // kNoAnswer, kNoConnection
  if (op == Operation::connect) return code != 0;
  (void)mqtt_version;  // 0x80 and above fail in both versions (3.1.1: SUBACK 0x80)
  return code >= 0x80;
}

ErrorKind error_kind(int code, int mqtt_version, Operation op) {
  if (code < 0 || op == Operation::connection) return ErrorKind::unreachable;
  if (const auto* row = find_return(code, mqtt_version, op)) return row->kind;
  if (const auto* row = find_reason(code)) return op == Operation::connect ? row->on_connect : row->on_request;
  return ErrorKind::unreachable;
}

std::string error_text(int code, int mqtt_version, Operation op) {
  if (code == kNoAnswer) return tr("no answer from the broker");
  if (code < 0) return tr("no connection to the broker");
  if (op != Operation::connection)
    if (const auto* row = find_return(code, mqtt_version, op)) return std::string(row->text);
  std::string what(refused_what(op));
  if (const auto* row = find_reason(code)) {
    if (op == Operation::connect && !row->connect_text.empty()) return std::string(row->connect_text);
    return what + " (" + std::string(row->name) + ")";
  }
  return what + " " + trf("(reason code {1})", {std::to_string(code)});
}

Error broker_error(int code, int mqtt_version, Operation op, std::string_view doing, std::string_view detail) {
  std::string message = std::string(doing) + ": " + error_text(code, mqtt_version, op);
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  return Error(error_kind(code, mqtt_version, op), message);
}

bool is_refusal(int reason_code) {
  if (!is_failure(reason_code, 5, Operation::publish) || reason_code < 0) return false;
  return error_kind(reason_code, 5, Operation::publish) != ErrorKind::unreachable;
}

}  // namespace herald::mqtt_edge
