// Requests: queries and admin operations, answered inside the batch's transaction
// (see ledger.hpp, DURABILITY) by queries.cpp.
#include <chrono>

#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/scheduler/queries.hpp"

namespace herald::scheduler::handlers {

std::string error_reply(ErrorKind kind, const std::string& message) {
  payloads::Reply r;
  r.ok = false;
  r.error_kind = static_cast<int>(kind);
  r.error = message;
  return payloads::encode(r);
}

// payloads::Reply's encoding with the result written in place, as queries::answer does.
std::string ok_reply_text(std::string_view result) {
  std::string reply = "{\"v\":" + std::to_string(payloads::kSchemaVersion) + ",\"ok\":true,\"result\":";
  reply.append(result);
  reply.push_back('}');
  return reply;
}

void request(Batch& b, const topics::RequestTopic& t, const Inbound& in) {
  payloads::Request request;
  try {
    request = payloads::decode<payloads::Request>(in.payload, payloads::kMaxRequestBytes);
  } catch (const Error& e) {
    // The asker is waiting for an answer: say why, as well as logging it.
    b.drop(in.topic, e.what());
    b.publish(topics::reply(t.account, t.request_id), error_reply(e.kind(), e.what()), false);
    return;
  }
  bool ok = false;
  std::string error;
  auto started = std::chrono::steady_clock::now();
  auto reply = queries::answer(b.ledger, b.txn, t, request, b.now, &ok, &error);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  b.notes.push_back("answered " + t.op + " request " + t.request_id + " from " + t.account + " about " + t.scope +
                    (ok ? ": ok" : ": " + first_line(error)) + " (" + std::to_string(took.count()) + " ms, " +
                    std::to_string(reply.size()) + " bytes)");
  b.publish(topics::reply(t.account, t.request_id), std::move(reply), false);
}

}  // namespace herald::scheduler::handlers
