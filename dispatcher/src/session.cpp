#include "herald/dispatcher/session.hpp"

#include <atomic>

#include <mqtt/create_options.h>

#include "herald/common/error.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/topics.hpp"

namespace herald::dispatcher {
namespace {

// Replies carry whole query results (a status of every computer in the org), so they
// may be far larger than a Delivery.
constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;

std::string client_id_for(const std::string& account) {
  auto id = new_id();  // "<time>-<random hex>": keep the random part
  return "herald-cli-" + account + "-" + id.substr(id.find('-') + 1);
}

bool is_refusal_code(int reason_code) { return reason_code >= 0x80; }

}  // namespace

std::string request_refused_text(std::string_view account, std::string_view op, std::string_view scope) {
  return std::string(account) + " may not ask for " + std::string(op) + " under " + std::string(scope);
}

std::string no_answer_text(std::chrono::seconds timeout) {
  return "no answer from heraldd within " + std::to_string(timeout.count()) + " s (is heraldd running?)";
}

ErrorKind error_kind_from_reply(int kind) {
  if (kind < static_cast<int>(ErrorKind::internal) || kind > static_cast<int>(ErrorKind::config))
    return ErrorKind::internal;
  return static_cast<ErrorKind>(kind);
}

Session::Session(const mqtt_edge::BrokerSettings& settings) : settings_(settings) {
  int version = settings_.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  try {
    client_ = std::make_unique<mqtt::async_client>(settings_.uri, client_id_for(settings_.username),
                                                   mqtt::create_options(version), nullptr);
  } catch (const mqtt::exception& e) {
    throw Error(ErrorKind::config, "cannot use broker address '" + settings_.uri + "': " + e.what());
  }
  // Messages are queued by Paho's own thread; we read them on ours (never block in a callback).
  client_->start_consuming();
  auto builder = mqtt_edge::connect_options(settings_);
  // A clean session: the CLI keeps no state at the broker between runs.
  if (version == MQTTVERSION_5)
    builder.clean_start(true);
  else
    builder.clean_session(true);
  mqtt_edge::connect_or_throw(*client_, builder.finalize(), settings_);
}

namespace {
std::atomic<bool> g_leave_to_exit{false};
}  // namespace

void Session::leave_connections_to_process_exit() { g_leave_to_exit = true; }

Session::~Session() {
  if (!client_) return;
  if (g_leave_to_exit) {
    // Deliberately not destroyed: the process _exits next (see the header).
    [[maybe_unused]] auto* left = client_.release();
    return;
  }
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
    client_->stop_consuming();
  } catch (const mqtt::exception&) {
    // Nothing left to do: every publish was already acknowledged or reported.
  }
}

void Session::subscribe_replies() {
  auto filter = topics::replies_for(account());
  std::string doing = "subscribing to " + filter;
  try {
    auto token = client_->subscribe(filter, 1);
    if (!token->wait_for(settings_.connect_timeout))
      throw Error(ErrorKind::unreachable, doing + ": no answer from " + settings_.uri);
    // v5: a SUBACK reason code >= 0x80; 3.1.1: granted QoS 0x80.
    if (is_refusal_code(token->get_reason_code()))
      throw Error(ErrorKind::not_permitted, account() + " may not read its replies (" + filter + ")");
    auto response = token->get_subscribe_response();
    for (auto code : response.get_reason_codes())
      if (is_refusal_code(code))
        throw Error(ErrorKind::not_permitted, account() + " may not read its replies (" + filter + ")");
  } catch (const mqtt::exception& e) {
    if (is_refusal_code(e.get_reason_code()) || e.get_return_code() == 0x80)
      throw Error(ErrorKind::not_permitted, account() + " may not read its replies (" + filter + ")");
    throw mqtt_edge::to_error(e, doing);
  }
}

std::vector<PublishOutcome> Session::publish_all(const std::vector<Publication>& publications,
                                                 std::chrono::milliseconds timeout) {
  std::vector<mqtt::delivery_token_ptr> tokens;
  std::vector<PublishOutcome> outcomes;
  tokens.reserve(publications.size());
  for (const auto& p : publications) {
    outcomes.push_back(PublishOutcome{p.topic, true, 0});
    try {
      tokens.push_back(client_->publish(p.topic, p.payload.data(), p.payload.size(), 1, p.retained));
    } catch (const mqtt::exception& e) {
      throw mqtt_edge::to_error(e, "publishing on " + p.topic);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string doing = "publishing on " + outcomes[i].topic;
    try {
      if (!tokens[i]->wait_until(deadline))
        throw Error(ErrorKind::unreachable, doing + ": the broker did not acknowledge within " +
                                                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s");
      int code = tokens[i]->get_reason_code();
      if (is_refusal_code(code)) outcomes[i] = PublishOutcome{outcomes[i].topic, false, code};
    } catch (const mqtt::exception& e) {
      // Paho reports a v5 PUBACK with reason code >= 0x80 as a failed token.
      if (is_refusal_code(e.get_reason_code()))
        outcomes[i] = PublishOutcome{outcomes[i].topic, false, e.get_reason_code()};
      else
        throw mqtt_edge::to_error(e, doing);
    }
  }
  return outcomes;
}

std::optional<payloads::Reply> Session::await_reply(std::string_view request_id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    mqtt::const_message_ptr message;
    if (!client_->try_consume_message_until(&message, deadline)) return std::nullopt;
    if (!message)
      throw Error(ErrorKind::unreachable, "lost the connection to " + settings_.uri + " while waiting for heraldd");
    topics::ParsedTopic parsed;
    try {
      parsed = topics::parse(message->get_topic());
    } catch (const Error&) {
      continue;  // not a Herald reply topic; nothing we asked for
    }
    const auto* reply = std::get_if<topics::ReplyTopic>(&parsed);
    if (!reply || reply->request_id != request_id) continue;  // an answer to something else
    try {
      return payloads::decode<payloads::Reply>(message->get_payload_str(), kMaxReplyBytes);
    } catch (const Error& e) {
      throw Error(ErrorKind::protocol, "heraldd sent an unreadable reply: " + std::string(e.what()));
    }
  }
}

nlohmann::json Session::ask(std::string_view op, std::string_view scope, const payloads::Request& request,
                            std::chrono::seconds timeout) {
  auto request_id = new_id();
  auto topic = topics::request(account(), request_id, op, scope);
  auto outcomes = publish_all({Publication{topic, payloads::encode(request), false}}, timeout);
  if (!outcomes.front().accepted)
    throw Error(ErrorKind::not_permitted, request_refused_text(account(), op, scope));
  auto reply = await_reply(request_id, timeout);
  if (!reply) throw Error(ErrorKind::unreachable, no_answer_text(timeout));
  if (!reply->ok) throw Error(error_kind_from_reply(reply->error_kind), reply->error);
  return reply->result;
}

}  // namespace herald::dispatcher
