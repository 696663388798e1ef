#include "herald/common/topics.hpp"

#include <optional>

#include "herald/common/error.hpp"

namespace herald::topics {
namespace {

constexpr std::string_view kAlert = "alert";
constexpr std::string_view kMsg = "msg";
constexpr std::string_view kRecall = "recall";
constexpr std::string_view kAck = "ack";
constexpr std::string_view kPresence = "presence";
constexpr std::string_view kReceipted = "receipted";
constexpr std::string_view kReq = "req";
constexpr std::string_view kReply = "reply";
constexpr std::string_view kChat = "chat";
constexpr std::string_view kChatUp = "chatup";
constexpr std::string_view kChatDown = "chatdown";
constexpr std::string_view kChatLog = "chatlog";
constexpr std::string_view kCampaign = "campaign";
constexpr std::string_view kSchedule = "schedule";
constexpr std::string_view kRemind = "remind";

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string_view level_of(Kind kind) { return kind == Kind::alert ? kAlert : kMsg; }

std::string target_levels(const Target& target) {
  return target.is_person() ? std::string(kPersonLevel) + "/" + target.login() : target.org_path();
}

void require_token(std::string_view value, std::string_view what) {
  if (!is_valid_token(value))
    throw Error(ErrorKind::usage, "invalid " + std::string(what) + " '" + std::string(value) +
                                      "': 1-64 letters, digits, '.', '_' or '-'");
}

Error malformed(std::string_view topic, std::string_view why) {
  return Error(ErrorKind::protocol, "malformed topic '" + std::string(topic) + "': " + std::string(why));
}

std::string rest_from(const std::vector<std::string>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

// "user/LOGIN" -> "LOGIN"; anything else -> nullopt (not checked as a login).
std::optional<std::string_view> person_of_scope(std::string_view scope) {
  if (scope.size() <= kPersonLevel.size() + 1 || scope.substr(0, kPersonLevel.size()) != kPersonLevel ||
      scope[kPersonLevel.size()] != '/')
    return std::nullopt;
  return scope.substr(kPersonLevel.size() + 1);
}

// A scope in wire levels: an org path, "user" (every person) or "user/LOGIN".
bool is_valid_scope(std::string_view scope) {
  if (scope == kPersonLevel) return true;
  if (auto login = person_of_scope(scope)) return is_valid_login(*login);
  return is_valid_org_path(scope);
}

void require_scope(std::string_view scope) {
  if (!is_valid_scope(scope))
    throw Error(ErrorKind::usage, "invalid scope '" + std::string(scope) + "': an org path, 'user' or 'user/LOGIN'");
}

Target target_from(const std::vector<std::string>& parts, std::size_t from, std::string_view topic) {
  if (parts.size() <= from) throw malformed(topic, "missing target");
  if (parts[from] == kPersonLevel) {
    if (parts.size() != from + 2 || !is_valid_login(parts[from + 1])) throw malformed(topic, "bad person target");
    return Target::person(parts[from + 1]);
  }
  auto path = rest_from(parts, from);
  if (!is_valid_org_path(path)) throw malformed(topic, "bad org path");
  return Target::path(path);
}

}  // namespace

std::string_view kind_name(Kind kind) { return kind == Kind::alert ? "alert" : "message"; }

Kind kind_from_name(std::string_view name) {
  if (name == "alert") return Kind::alert;
  if (name == "message") return Kind::message;
  throw Error(ErrorKind::protocol, "unknown message kind '" + std::string(name) + "'");
}

bool is_known_op(std::string_view op) {
  return op == kOpStatus || op == kOpPending || op == kOpList || op == kOpImport || op == kOpCourses ||
         op == kOpCampaigns || op == kOpSchedules || op == kOpProgress || op == kOpChats;
}

std::string delivery(Kind kind, std::string_view account, std::string_view id, const Target& target) {
  require_token(account, "account");
  require_token(id, "message id");
  return join({kRoot, level_of(kind), account, id, target_levels(target)});
}

std::string recall(std::string_view account, std::string_view id, const Target& target) {
  require_token(account, "account");
  require_token(id, "message id");
  return join({kRoot, kRecall, account, id, target_levels(target)});
}

std::string ack(std::string_view id, std::string_view agent_path) {
  require_token(id, "message id");
  require_org_path(agent_path, "agent path");
  return join({kRoot, kAck, id, agent_path});
}

std::string receipted(std::string_view agent_path) {
  require_org_path(agent_path, "agent path");
  return join({kRoot, kReceipted, agent_path});
}

std::string presence(std::string_view agent_path) {
  require_org_path(agent_path, "agent path");
  return join({kRoot, kPresence, agent_path});
}

std::string request(std::string_view account, std::string_view request_id, std::string_view op,
                    std::string_view scope_path) {
  require_token(account, "account");
  require_token(request_id, "request id");
  if (!is_known_op(op)) throw Error(ErrorKind::usage, "unknown request op '" + std::string(op) + "'");
  if (op == kOpChats)
    require_scope(scope_path);
  else
    require_org_path(scope_path, "scope");
  return join({kRoot, kReq, account, request_id, op, scope_path});
}

std::string reply(std::string_view account, std::string_view request_id) {
  require_token(account, "account");
  require_token(request_id, "request id");
  return join({kRoot, kReply, account, request_id});
}

std::string campaign(std::string_view account, std::string_view request_id, std::string_view scope_path) {
  require_token(account, "account");
  require_token(request_id, "request id");
  require_scope(scope_path);
  return join({kRoot, kCampaign, account, request_id, scope_path});
}

std::string schedule(std::string_view account, std::string_view request_id, Kind kind, std::string_view scope_path) {
  require_token(account, "account");
  require_token(request_id, "request id");
  require_scope(scope_path);
  return join({kRoot, kSchedule, account, request_id, level_of(kind), scope_path});
}

std::string all_campaign_requests() { return join({kRoot, kCampaign, "#"}); }
std::string all_schedule_requests() { return join({kRoot, kSchedule, "#"}); }

std::string remind(std::string_view account, std::string_view id, std::string_view agent_path) {
  require_token(account, "account");
  require_token(id, "message id");
  require_org_path(agent_path, "agent path");
  return join({kRoot, kRemind, account, id, agent_path});
}

std::string chat(std::string_view account, std::string_view post_id, const Target& target) {
  require_token(account, "account");
  require_token(post_id, "post id");
  return join({kRoot, kChat, account, post_id, target_levels(target)});
}

std::string chat_up(std::string_view agent_path) {
  require_org_path(agent_path, "agent path");
  return join({kRoot, kChatUp, agent_path});
}

std::string chat_down(std::string_view agent_path) {
  require_org_path(agent_path, "agent path");
  return join({kRoot, kChatDown, agent_path});
}

std::string chat_log(const Target& target) { return join({kRoot, kChatLog, target_levels(target)}); }
std::string all_chat_posts() { return join({kRoot, kChat, "#"}); }
std::string all_chat_ups() { return join({kRoot, kChatUp, "#"}); }

std::string scope_covering(const std::vector<Target>& targets) {
  if (targets.empty()) throw Error(ErrorKind::usage, "no targets: nothing to cover");
  bool people = targets.front().is_person();
  for (const auto& t : targets)
    if (t.is_person() != people)
      throw Error(ErrorKind::usage,
                  "targets mix computers and people: no single scope covers both (start one for each)");
  if (people) {
    const auto& login = targets.front().login();
    for (const auto& t : targets)
      if (t.login() != login) return std::string(kPersonLevel);
    return join({kPersonLevel, login});
  }
  // The deepest common ancestor: the longest shared run of levels.
  auto common = split_path(targets.front().org_path());
  for (const auto& t : targets) {
    auto levels = split_path(t.org_path());
    std::size_t n = 0;
    while (n < common.size() && n < levels.size() && common[n] == levels[n]) ++n;
    common.resize(n);
  }
  // Every org path starts with "org", so at least that level is shared.
  std::string out;
  for (const auto& level : common) {
    if (!out.empty()) out += '/';
    out += level;
  }
  return out;
}

bool scope_covers(std::string_view scope_path, const Target& target) {
  if (!is_valid_scope(scope_path)) return false;
  if (scope_path == kPersonLevel) return target.is_person();
  if (auto login = person_of_scope(scope_path)) return target.is_person() && target.login() == *login;
  return !target.is_person() && is_under(target.org_path(), scope_path);
}

std::vector<std::string> agent_filters_for_level(std::string_view level_path) {
  return {join({kRoot, kAlert, "+", "+", level_path}), join({kRoot, kMsg, "+", "+", level_path}),
          join({kRoot, kRecall, "+", "+", level_path})};
}

std::vector<std::string> agent_filters(std::string_view agent_path) {
  std::vector<std::string> out;
  for (const auto& level : ancestors_or_self(agent_path))
    for (auto& f : agent_filters_for_level(level)) out.push_back(std::move(f));
  // Reminders and chat lines name one computer: only its own path, never an ancestor's.
  out.push_back(join({kRoot, kRemind, "+", "+", agent_path}));
  out.push_back(join({kRoot, kChatDown, agent_path}));
  return out;
}

std::string all_deliveries(Kind kind) { return join({kRoot, level_of(kind), "#"}); }
std::string all_recalls() { return join({kRoot, kRecall, "#"}); }
std::string all_acks() { return join({kRoot, kAck, "#"}); }
std::string all_presence() { return join({kRoot, kPresence, "#"}); }
std::string all_requests() { return join({kRoot, kReq, "#"}); }
std::string replies_for(std::string_view account) { return join({kRoot, kReply, account, "+"}); }

namespace acl {

std::vector<std::string> agent_read_own_patterns() { return agent_filters_for_level("%u"); }
std::string agent_ack_write_pattern() { return join({kRoot, kAck, "+", "%u"}); }
std::string agent_presence_write_pattern() { return join({kRoot, kPresence, "%u"}); }
std::string agent_receipted_read_pattern() { return join({kRoot, kReceipted, "%u"}); }
std::string agent_remind_read_pattern() { return join({kRoot, kRemind, "+", "+", "%u"}); }
std::string agent_chat_down_read_pattern() { return join({kRoot, kChatDown, "%u"}); }
std::string agent_chat_up_write_pattern() { return join({kRoot, kChatUp, "%u"}); }
std::vector<std::string> agent_read_ancestor(std::string_view ancestor_path) {
  return agent_filters_for_level(ancestor_path);
}

namespace {
// "org/branch01" covers the subtree (the '#' also matches the level itself);
// "user" covers every person target.
std::string scope_levels(std::string_view scope) {
  if (scope == kPersonLevel) return join({kPersonLevel, "+"});
  return join({scope, "#"});
}
}  // namespace

std::string send_scope(Kind kind, std::string_view account, std::string_view scope) {
  return join({kRoot, level_of(kind), account, "+", scope_levels(scope)});
}
std::string recall_scope(std::string_view account, std::string_view scope) {
  return join({kRoot, kRecall, account, "+", scope_levels(scope)});
}
std::string request_scope(std::string_view account, std::string_view op, std::string_view scope) {
  return join({kRoot, kReq, account, "+", op, scope_levels(scope)});
}
std::string replies(std::string_view account) { return join({kRoot, kReply, account, "#"}); }
std::string ack_read_scope(std::string_view scope) { return join({kRoot, kAck, "+", scope_levels(scope)}); }
std::string presence_read_scope(std::string_view scope) { return join({kRoot, kPresence, scope_levels(scope)}); }
std::string chat_scope(std::string_view account, std::string_view scope) {
  return join({kRoot, kChat, account, "+", scope_levels(scope)});
}
std::string chat_log_read_scope(std::string_view scope) { return join({kRoot, kChatLog, scope_levels(scope)}); }
// Listing every person's conversations asks with scope "user" itself: user/# matches it.
std::string chat_request_scope(std::string_view account, std::string_view scope) {
  return join({kRoot, kReq, account, "+", kOpChats, scope, "#"});
}
// Unlike a target, a request's {scope} may be "user" itself (several people), so
// "user" grants user/# here: '#' matches the level itself and each person below it.
std::string campaign_scope(std::string_view account, std::string_view scope) {
  return join({kRoot, kCampaign, account, "+", scope, "#"});
}
std::string schedule_scope(Kind kind, std::string_view account, std::string_view scope) {
  return join({kRoot, kSchedule, account, "+", level_of(kind), scope, "#"});
}
std::string everything() { return join({kRoot, "#"}); }

}  // namespace acl

ParsedTopic parse(std::string_view topic) {
  if (topic.size() > 1024) throw malformed(topic.substr(0, 64), "longer than 1024 bytes");
  auto parts = split_path(topic);
  if (parts.size() < 3 || parts[0] != kRoot) throw malformed(topic, "not a herald topic");
  // An empty level would vanish when the rest is joined into a path ("herald/ack/0//org"
  // would read as an ack from org), so no level may be empty.
  for (const auto& part : parts)
    if (part.empty()) throw malformed(topic, "empty topic level");
  const auto& type = parts[1];
  if (type == kAlert || type == kMsg || type == kRecall) {
    if (parts.size() < 5 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]))
      throw malformed(topic, "expected herald/" + type + "/{account}/{id}/{target}");
    auto target = target_from(parts, 4, topic);
    if (type == kRecall) return RecallTopic{parts[2], parts[3], std::move(target)};
    return DeliveryTopic{type == kAlert ? Kind::alert : Kind::message, parts[2], parts[3], std::move(target)};
  }
  if (type == kAck) {
    auto path = rest_from(parts, 3);
    if (parts.size() < 4 || !is_valid_token(parts[2]) || !is_valid_org_path(path))
      throw malformed(topic, "expected herald/ack/{id}/{agent-path}");
    return AckTopic{parts[2], path};
  }
  if (type == kPresence) {
    auto path = rest_from(parts, 2);
    if (!is_valid_org_path(path)) throw malformed(topic, "expected herald/presence/{agent-path}");
    return PresenceTopic{path};
  }
  if (type == kReceipted) {
    auto path = rest_from(parts, 2);
    if (!is_valid_org_path(path)) throw malformed(topic, "expected herald/receipted/{agent-path}");
    return ReceiptedTopic{path};
  }
  if (type == kReq) {
    auto scope = rest_from(parts, 5);
    if (parts.size() < 6 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]) || !is_known_op(parts[4]) ||
        !(parts[4] == kOpChats ? is_valid_scope(scope) : is_valid_org_path(scope)))
      throw malformed(topic, "expected herald/req/{account}/{request-id}/{op}/{scope}");
    return RequestTopic{parts[2], parts[3], parts[4], scope};
  }
  if (type == kReply) {
    if (parts.size() != 4 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]))
      throw malformed(topic, "expected herald/reply/{account}/{request-id}");
    return ReplyTopic{parts[2], parts[3]};
  }
  if (type == kCampaign) {
    auto scope = rest_from(parts, 4);
    if (parts.size() < 5 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]) || !is_valid_scope(scope))
      throw malformed(topic, "expected herald/campaign/{account}/{request-id}/{scope}");
    return CampaignTopic{parts[2], parts[3], scope};
  }
  if (type == kSchedule) {
    auto scope = rest_from(parts, 5);
    if (parts.size() < 6 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]) ||
        (parts[4] != kAlert && parts[4] != kMsg) || !is_valid_scope(scope))
      throw malformed(topic, "expected herald/schedule/{account}/{request-id}/{alert|msg}/{scope}");
    return ScheduleTopic{parts[2], parts[3], parts[4] == kAlert ? Kind::alert : Kind::message, scope};
  }
  if (type == kRemind) {
    auto path = rest_from(parts, 4);
    if (parts.size() < 5 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]) || !is_valid_org_path(path))
      throw malformed(topic, "expected herald/remind/{account}/{id}/{agent-path}");
    return RemindTopic{parts[2], parts[3], path};
  }
  if (type == kChat) {
    if (parts.size() < 5 || !is_valid_token(parts[2]) || !is_valid_token(parts[3]))
      throw malformed(topic, "expected herald/chat/{account}/{post-id}/{target}");
    return ChatTopic{parts[2], parts[3], target_from(parts, 4, topic)};
  }
  if (type == kChatUp || type == kChatDown) {
    auto path = rest_from(parts, 2);
    if (!is_valid_org_path(path)) throw malformed(topic, "expected herald/" + type + "/{agent-path}");
    if (type == kChatUp) return ChatUpTopic{path};
    return ChatDownTopic{path};
  }
  if (type == kChatLog) return ChatLogTopic{target_from(parts, 2, topic)};
  throw malformed(topic, "unknown topic type '" + type + "'");
}

}  // namespace herald::topics
