// herald::topics::parse on any topic string. parse and the builders are each other's
// inverse (topics.md): a topic that parses must be rebuilt byte for byte, or an ACL
// written with the builders would not match what receivers accept.
#include "herald/common/topics.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "finding.hpp"
#include "herald/common/error.hpp"

namespace t = herald::topics;

namespace {

std::string rebuild(const t::ParsedTopic& parsed) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, t::DeliveryTopic>) return t::delivery(v.kind, v.account, v.id, v.target);
        if constexpr (std::is_same_v<V, t::RecallTopic>) return t::recall(v.account, v.id, v.target);
        if constexpr (std::is_same_v<V, t::AckTopic>) return t::ack(v.id, v.agent_path);
        if constexpr (std::is_same_v<V, t::PresenceTopic>) return t::presence(v.agent_path);
        if constexpr (std::is_same_v<V, t::RequestTopic>) return t::request(v.account, v.request_id, v.op, v.scope);
        if constexpr (std::is_same_v<V, t::ReplyTopic>) return t::reply(v.account, v.request_id);
        if constexpr (std::is_same_v<V, t::ReceiptedTopic>) return t::receipted(v.agent_path);
        if constexpr (std::is_same_v<V, t::CampaignTopic>) return t::campaign(v.account, v.request_id, v.scope);
        if constexpr (std::is_same_v<V, t::ScheduleTopic>) return t::schedule(v.account, v.request_id, v.kind, v.scope);
        if constexpr (std::is_same_v<V, t::RemindTopic>) return t::remind(v.account, v.id, v.agent_path);
        if constexpr (std::is_same_v<V, t::ChatTopic>) return t::chat(v.account, v.post_id, v.target);
        if constexpr (std::is_same_v<V, t::ChatUpTopic>) return t::chat_up(v.agent_path);
        if constexpr (std::is_same_v<V, t::ChatDownTopic>) return t::chat_down(v.agent_path);
        if constexpr (std::is_same_v<V, t::ChatLogTopic>) return t::chat_log(v.target);
        // Every alternative above: a new topic kind must be rebuilt here too.
        static_assert(std::is_same_v<V, t::RemindTopic> || std::is_same_v<V, t::ChatTopic> ||
                          std::is_same_v<V, t::ChatUpTopic> || std::is_same_v<V, t::ChatDownTopic> ||
                          std::is_same_v<V, t::ChatLogTopic> || std::is_same_v<V, t::DeliveryTopic> ||
                          std::is_same_v<V, t::RecallTopic> || std::is_same_v<V, t::AckTopic> ||
                          std::is_same_v<V, t::PresenceTopic> || std::is_same_v<V, t::RequestTopic> ||
                          std::is_same_v<V, t::ReplyTopic> || std::is_same_v<V, t::ReceiptedTopic> ||
                          std::is_same_v<V, t::CampaignTopic> || std::is_same_v<V, t::ScheduleTopic>,
                      "rebuild() lacks a topic kind");
      },
      parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view topic(reinterpret_cast<const char*>(data), size);
  t::ParsedTopic parsed;
  try {
    parsed = t::parse(topic);
  } catch (const herald::Error&) {
    return 0;
  }
  std::string again;
  try {
    again = rebuild(parsed);
  } catch (const herald::Error& e) {
    herald::fuzz::finding("a parsed topic's parts are refused by its builder", std::string(e.what()));
  }
  if (again != topic) herald::fuzz::finding("builder(parse(topic)) != topic", std::string(topic) + " | " + again);
  return 0;
}
