#include "herald/broker/rules.hpp"

#include <variant>

#include "herald/common/error.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"

namespace herald::broker {

bool client_id_allowed(std::string_view username, std::string_view client_id) {
  if (username.empty()) return false;
  if (client_id == username) return true;
  return client_id.size() > username.size() + 1 && client_id.substr(0, username.size()) == username &&
         client_id[username.size()] == ':';
}

std::optional<std::size_t> payload_limit(std::string_view topic) {
  topics::ParsedTopic parsed;
  try {
    parsed = topics::parse(topic);
  } catch (const Error&) {
    // Not a Herald topic (the ACL refuses those anyway): the general limit.
    return payloads::kMaxPayloadBytes;
  }
  // A directory import and a whole course (its lessons' images inside) are large.
  if (std::holds_alternative<topics::RequestTopic>(parsed) || std::holds_alternative<topics::CampaignTopic>(parsed))
    return payloads::kMaxRequestBytes;
  if (std::holds_alternative<topics::ReplyTopic>(parsed)) return std::nullopt;
  // Everything else, the chat topics included (a line is at most 4 KiB of text and a
  // ChatUpdate at most 50 lines, escaped: well under this).
  return payloads::kMaxPayloadBytes;
}

std::size_t general_limit() { return payloads::kMaxPayloadBytes; }
std::size_t request_limit() { return payloads::kMaxRequestBytes; }

}  // namespace herald::broker
