#pragma once
// The wire contract's topics: every topic string Herald publishes, subscribes to or
// writes into an ACL is built and parsed here, and nowhere else. topics.md documents
// exactly these shapes.
//
// Identity lives in the topic so that the broker's ACL can bind it:
//   herald/alert/{account}/{id}/{target...}     admin -> agents   retained, QoS 1
//   herald/msg/{account}/{id}/{target...}       admin -> agents   retained, QoS 1
//   herald/recall/{account}/{id}/{target...}    admin -> agents   retained, QoS 1 (tombstone)
//   herald/ack/{id}/{agent-path...}             agent -> heraldd  QoS 1
//   herald/receipted/{agent-path...}            heraldd -> agent  QoS 1 (receipts recorded durably)
//   herald/presence/{agent-path...}             agent -> heraldd  retained, QoS 1, also last will
//   herald/req/{account}/{request-id}/{op}/{scope-path...}   admin -> heraldd  QoS 1
//   herald/reply/{account}/{request-id}         heraldd -> admin  QoS 1
//   herald/campaign/{account}/{request-id}/{scope...}        admin -> heraldd  QoS 1 (courses, campaigns)
//   herald/schedule/{account}/{request-id}/{kind}/{scope...} admin -> heraldd  QoS 1 (delayed, recurring)
//   herald/remind/{account}/{id}/{agent-path...}             heraldd -> agent  QoS 1 (show message id again)
//   herald/chat/{account}/{post-id}/{target...}  helpdesk -> heraldd  QoS 1 (a line, read mark or close)
//   herald/chatup/{agent-path...}                agent -> heraldd     QoS 1 (the employee's side)
//   herald/chatdown/{agent-path...}              heraldd -> agent     QoS 1 (lines and marks for it)
//   herald/chatlog/{target...}                   heraldd -> helpdesk  QoS 1 (live view of a conversation)
// {target...} is an org path (org/branch01/pc042) or user/{login}.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "herald/common/orgpath.hpp"

namespace herald::topics {

enum class Kind { alert, message };
std::string_view kind_name(Kind kind);       // "alert" / "message" (JSON, CLI)
Kind kind_from_name(std::string_view name);  // throws Error(protocol)

inline constexpr std::string_view kRoot = "herald";
inline constexpr std::string_view kPersonLevel = "user";

// Request operations carried in herald/req/...; the op is a topic level so the ACL can
// grant each one separately.
inline constexpr std::string_view kOpStatus = "status";
inline constexpr std::string_view kOpPending = "pending";
inline constexpr std::string_view kOpList = "list";
inline constexpr std::string_view kOpImport = "import";
// Reads about courses, campaigns, schedules and course progress: granted with `status`.
inline constexpr std::string_view kOpCourses = "courses";
inline constexpr std::string_view kOpCampaigns = "campaigns";
inline constexpr std::string_view kOpSchedules = "schedules";
inline constexpr std::string_view kOpProgress = "progress";
// Chat conversations (list, or one's history with Request::id = the target): granted
// with `chat`, not `status`, and the only op whose scope may be "user" or "user/LOGIN".
inline constexpr std::string_view kOpChats = "chats";
bool is_known_op(std::string_view op);

std::string delivery(Kind kind, std::string_view account, std::string_view id, const Target& target);
std::string recall(std::string_view account, std::string_view id, const Target& target);
std::string ack(std::string_view id, std::string_view agent_path);
// heraldd's confirmation to one agent that its receipts are recorded durably; only
// then does the agent delete them from its outbox.
std::string receipted(std::string_view agent_path);
std::string presence(std::string_view agent_path);
std::string request(std::string_view account, std::string_view request_id, std::string_view op,
                    std::string_view scope_path);
std::string reply(std::string_view account, std::string_view request_id);
// {scope...} of the two below is a scope's wire levels: an org path (org/branch01),
// "user" (every person) or "user/LOGIN" (one person); the deepest one that covers every
// target the request touches (see scope_covering()).
// Course and campaign changes (a CampaignRequest): the broker lets an account publish
// here only with the `campaign` capability over {scope}; heraldd checks that what the
// request touches lies under {scope}.
std::string campaign(std::string_view account, std::string_view request_id, std::string_view scope_path);
// Delayed and recurring messages (a ScheduleRequest): publishing needs the `alert` or
// `message` capability (by {kind}) over {scope}, as sending does.
std::string schedule(std::string_view account, std::string_view request_id, Kind kind, std::string_view scope_path);
std::string all_campaign_requests();  // herald/campaign/#
std::string all_schedule_requests();  // herald/schedule/#
// heraldd's reminder to one agent: show message {id} from {account} again if it is
// still unread there (payloads carry only the time; the agent decides from its inbox).
std::string remind(std::string_view account, std::string_view id, std::string_view agent_path);

// Chat (topics.md "Chat"). A conversation is identified by its target: a computer
// (org path) or a person (user:LOGIN). The helpdesk's post: a line, a read mark or a
// close, in {account}'s name, to {target}; heraldd answers on reply(account, post_id).
std::string chat(std::string_view account, std::string_view post_id, const Target& target);
// The agent's side of its conversations (its computer's, and the person's logged in).
std::string chat_up(std::string_view agent_path);
// heraldd -> one agent: lines and marks of the conversations that agent takes part in.
std::string chat_down(std::string_view agent_path);
// heraldd -> helpdesk accounts watching one conversation (`herald chat TARGET`).
std::string chat_log(const Target& target);
std::string all_chat_posts();  // herald/chat/#
std::string all_chat_ups();    // herald/chatup/#

// Subscription filters.
// What one agent subscribes to for one ancestor-or-self level of its path.
std::vector<std::string> agent_filters_for_level(std::string_view level_path);
// All filters an agent at `agent_path` needs (its path and every ancestor, the
// reminders and the chat lines addressed to its own path).
std::vector<std::string> agent_filters(std::string_view agent_path);
std::string all_deliveries(Kind kind);              // herald/alert/#
std::string all_recalls();                          // herald/recall/#
std::string all_acks();                             // herald/ack/#
std::string all_presence();                         // herald/presence/#
std::string all_requests();                         // herald/req/#
std::string replies_for(std::string_view account);  // herald/reply/{account}/+

// ACL topic patterns (Mosquitto acl_file syntax; %u is the connected username).
namespace acl {
// Rules every agent gets through "pattern" lines: its own path is its username.
std::vector<std::string> agent_read_own_patterns();  // herald/alert/+/+/%u ...
std::string agent_ack_write_pattern();               // herald/ack/+/%u
std::string agent_presence_write_pattern();          // herald/presence/%u
std::string agent_receipted_read_pattern();          // herald/receipted/%u
std::string agent_remind_read_pattern();             // herald/remind/+/+/%u
std::string agent_chat_down_read_pattern();          // herald/chatdown/%u
std::string agent_chat_up_write_pattern();           // herald/chatup/%u
// Rules for one ancestor level of an agent (literal, in the agent's user block).
std::vector<std::string> agent_read_ancestor(std::string_view ancestor_path);
// Admin capabilities bound to the account's own name and a scope (org path or
// "user" for person targets).
std::string send_scope(Kind kind, std::string_view account, std::string_view scope);
std::string recall_scope(std::string_view account, std::string_view scope);
std::string request_scope(std::string_view account, std::string_view op, std::string_view scope);
std::string replies(std::string_view account);
std::string ack_read_scope(std::string_view scope);
std::string presence_read_scope(std::string_view scope);
// The `chat` capability over {S}: post to conversations in scope
// (herald/chat/{account}/+/{S}/#), watch them (herald/chatlog/{S}/#) and ask about them
// (herald/req/{account}/+/chats/{S}/#; for S = "user" that is user/#: every person and
// the list of all of them).
std::string chat_scope(std::string_view account, std::string_view scope);
std::string chat_log_read_scope(std::string_view scope);
std::string chat_request_scope(std::string_view account, std::string_view scope);
// herald/campaign/{account}/+/{S}/#
std::string campaign_scope(std::string_view account, std::string_view scope);
// herald/schedule/{account}/+/{alert|msg}/{S}/#
std::string schedule_scope(Kind kind, std::string_view account, std::string_view scope);
// Everything Herald uses (herald/#): heraldd's own account.
std::string everything();
}  // namespace acl

struct DeliveryTopic {
  Kind kind;
  std::string account;
  std::string id;
  Target target;
};
struct RecallTopic {
  std::string account;
  std::string id;
  Target target;
};
struct AckTopic {
  std::string id;
  std::string agent_path;
};
struct PresenceTopic {
  std::string agent_path;
};
struct ReceiptedTopic {
  std::string agent_path;
};
struct RequestTopic {
  std::string account;
  std::string request_id;
  std::string op;
  std::string scope;
};
struct ReplyTopic {
  std::string account;
  std::string request_id;
};
struct RemindTopic {
  std::string account;
  std::string id;
  std::string agent_path;
};
struct ChatTopic {
  std::string account;
  std::string post_id;
  Target target;
};
struct ChatUpTopic {
  std::string agent_path;
};
struct ChatDownTopic {
  std::string agent_path;
};
struct ChatLogTopic {
  Target target;
};
struct CampaignTopic {
  std::string account;
  std::string request_id;
  std::string scope;  // wire levels: org/..., user or user/LOGIN
};
struct ScheduleTopic {
  std::string account;
  std::string request_id;
  Kind kind;
  std::string scope;
};
// The deepest scope (wire levels) covering every target: their deepest common org
// ancestor, "user/LOGIN" for one person, "user" for several. Throws Error(usage) if
// the targets mix computers and people (no single scope covers both: start one per
// kind) or are empty.
std::string scope_covering(const std::vector<Target>& targets);
// Does a target lie under a scope in wire levels (org/... covers its subtree, user
// covers every person, user/LOGIN that person)?
bool scope_covers(std::string_view scope_path, const Target& target);
using ParsedTopic =
    std::variant<DeliveryTopic, RecallTopic, AckTopic, PresenceTopic, RequestTopic, ReplyTopic, ReceiptedTopic,
                 CampaignTopic, ScheduleTopic, RemindTopic, ChatTopic, ChatUpTopic, ChatDownTopic, ChatLogTopic>;

// Throws Error(protocol) for anything that is not exactly one of the shapes above.
ParsedTopic parse(std::string_view topic);

}  // namespace herald::topics
