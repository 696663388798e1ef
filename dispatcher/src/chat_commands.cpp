#include "herald/dispatcher/chat_commands.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>

#include "herald/common/broker_errors.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/text.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/format.hpp"
#include "herald/dispatcher/session.hpp"

namespace herald::dispatcher {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A history of kHistoryLines lines of 4 KiB each, every byte escaped, still fits.
constexpr std::size_t kMaxChatReplyBytes = 64 * 1024 * 1024;
// heraldd's answer to a history request for a conversation that has no line yet
// (topics.md "chat history"): for the interactive view an empty conversation.
constexpr std::string_view kNoConversation = "no conversation with";
// `chat send` and `chat close` publish their post again after this without an answer
// (the live view: HelpdeskChat::Timing::resend).
constexpr milliseconds kRepost{3000};
// How much of a line's text `herald chat` shows in its LAST column.
constexpr std::size_t kShownText = 40;

std::string local_minute(TimePoint at) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(at));
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string time_or_empty(const std::optional<TimePoint>& t) { return t ? to_rfc3339(*t) : std::string(); }

// An answer to one post or request, from its reply payload.
payloads::Reply decode_reply(const std::string& payload) {
  try {
    return payloads::decode<payloads::Reply>(payload, kMaxChatReplyBytes);
  } catch (const Error& e) {
    throw Error(ErrorKind::protocol, trf("heraldd sent an unreadable reply: {1}", {e.what()}));
  }
}

// Marks only ever get set (delivered, then read): a line that arrives again without
// one it had (an older history answered after a newer update) keeps it.
results::ChatLine merged(const results::ChatLine& had, results::ChatLine news) {
  if (!news.delivered_at) news.delivered_at = had.delivered_at;
  if (!news.read_at) news.read_at = had.read_at;
  return news;
}

// The helpdesk's Session for the interactive chat: replies and the conversation's
// chatlog, both through next().
class SessionChatLink : public ChatLink {
 public:
  SessionChatLink(const Settings& settings, const Target& target)
      : session_(settings.broker), timeout_(settings.request_timeout) {
    session_.subscribe_replies();
    session_.subscribe(topics::chat_log(target), chat_refused_text(session_.account(), target));
  }

  const std::string& account() const override { return session_.account(); }

  bool publish(const std::string& topic, const std::string& payload) override {
    auto outcome = session_.publish_all({Publication{topic, payload, false}}, timeout_).front();
    if (outcome.accepted) return true;
    using mqtt_edge::Operation;
    int version = session_.reports_refusals() ? 5 : 4;
    if (mqtt_edge::error_kind(outcome.reason_code, version, Operation::publish) == ErrorKind::not_permitted)
      return false;
    throw mqtt_edge::broker_error(outcome.reason_code, version, Operation::publish, trf("publishing on {1}", {topic}));
  }

  std::optional<Message> next(milliseconds timeout) override {
    auto received = session_.next_message(timeout);
    if (!received) return std::nullopt;
    return Message{std::move(received->topic), std::move(received->payload)};
  }

 private:
  Session session_;
  std::chrono::seconds timeout_;
};

// A one-shot post (chat send, chat close): publish, then heraldd's ChatPosted or error.
results::ChatPosted post_and_wait(const Settings& settings, const Target& target, const payloads::ChatPost& post) {
  Session session(settings.broker);
  // Subscribe first so heraldd's answer cannot arrive before we listen.
  session.subscribe_replies();
  auto post_id = new_id();
  auto topic = topics::chat(session.account(), post_id, target);
  auto payload = payloads::encode(post);
  // A post is not retained: one that reaches the broker while heraldd is (re)connecting
  // is not kept for it. So it goes again, with the same post id (heraldd records it
  // once), until heraldd answers or the time is up, as the live view does.
  const auto deadline = std::chrono::steady_clock::now() + settings.request_timeout;
  std::optional<payloads::Reply> reply;
  while (!reply) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) break;
    auto outcome = session.publish_all({Publication{topic, payload, false}}, settings.request_timeout);
    if (const auto& o = outcome.front(); !o.accepted) {
      using mqtt_edge::Operation;
      if (mqtt_edge::error_kind(o.reason_code, 5, Operation::publish) == ErrorKind::not_permitted)
        throw Error(ErrorKind::not_permitted, chat_refused_text(session.account(), target));
      throw mqtt_edge::broker_error(o.reason_code, 5, Operation::publish, trf("publishing on {1}", {topic}));
    }
    reply = session.await_reply(post_id, std::min(left, kRepost));
  }
  if (!reply) {
    auto text = no_answer_text(settings.request_timeout);
    // MQTT 3.1.1 drops a refused publish silently, so a refusal looks the same.
    if (!session.reports_refusals())
      text += "; " + trf("with MQTT 3.1.1 a refusal by the broker looks the same ({1}?)",
                         {chat_refused_text(session.account(), target)});
    throw Error(ErrorKind::unreachable, text);
  }
  if (!reply->ok) throw Error(error_kind_from_reply(reply->error_kind), reply->error);
  return results::read<results::ChatPosted>(reply->result);
}

}  // namespace

// ---- checks and output ---------------------------------------------------------------

Target parse_chat_target(std::string_view text) {
  try {
    return Target::parse(text);
  } catch (const Error&) {
    throw Error(ErrorKind::usage,
                trf("invalid chat target '{1}': expected a computer's org path (org/branch01/pc042) or user:LOGIN",
                    {text::printable(text, 100)}));
  }
}

std::string chat_list_scope(std::string_view under) {
  if (under == topics::kPersonLevel || is_valid_org_path(under)) return std::string(under);
  if (under.rfind("user:", 0) == 0 && is_valid_login(under.substr(5)))
    return std::string(topics::kPersonLevel) + "/" + std::string(under.substr(5));
  throw Error(ErrorKind::usage,
              trf("invalid --under '{1}': expected an org path such as org/branch01, user or user:LOGIN",
                  {text::printable(under, 100)}));
}

std::string chat_scope_of(const Target& target) { return topics::scope_covering({target}); }

std::string unknown_chat_target_text(const Target& target) {
  return trf("unknown chat target '{1}'", {target.to_string()});
}

std::string chat_refused_text(std::string_view account, const Target& target) {
  return trf("{1} may not chat with {2}", {account, target.to_string()});
}

results::ChatList merge_chat_lists(std::vector<results::ChatList> lists) {
  results::ChatList merged;
  for (auto& list : lists)
    for (auto& c : list.conversations) merged.conversations.push_back(std::move(c));
  std::stable_sort(merged.conversations.begin(), merged.conversations.end(),
                   [](const results::ChatSummary& a, const results::ChatSummary& b) {
                     if (!a.last || !b.last) return a.last.has_value() && !b.last.has_value();
                     return a.last->at > b.last->at;
                   });
  return merged;
}

results::ChatList ask_chat_lists(const std::vector<std::string>& scopes,
                                 const std::function<results::ChatList(const std::string& scope)>& ask) {
  std::vector<results::ChatList> lists;
  std::optional<Error> refused;
  for (const auto& scope : scopes) {
    try {
      lists.push_back(ask(scope));
    } catch (const Error& e) {
      // By default both the computers and the people are asked about: an account with
      // the `chat` right over only one of them sees that one.
      if (e.kind() != ErrorKind::not_permitted || scopes.size() == 1) throw;
      if (!refused) refused = e;
    }
  }
  if (lists.empty()) {
    if (refused) throw *refused;
    throw Error(ErrorKind::internal, tr("no scope to list conversations under"));
  }
  return merge_chat_lists(std::move(lists));
}

void print_chat_list(const results::ChatList& list, std::ostream& out) {
  if (list.conversations.empty()) {
    out << tr("no conversations") << '\n';
    return;
  }
  text::Table table({tr("TARGET"), tr("STATE"), tr("UNREAD"), tr("ABOUT"), tr("LAST")});
  for (const auto& c : list.conversations) {
    std::string last = "-";
    if (c.last)
      last = local_minute(c.last->at) + " " + text::printable(c.last->from, 64) + ": " +
             text::shorten(text::printable(c.last->text, 4 * kShownText), kShownText);
    table.add({c.conversation.target, c.conversation.open ? tr("open") : tr("closed"),
               std::to_string(c.conversation.unread), c.conversation.about.value_or("-"), std::move(last)});
  }
  table.print(out);
}

void print_chat_history(const results::ChatHistory& history, std::ostream& out) {
  for (const auto& line : history.lines) out << chat::format_line(line, chat::Side::helpdesk) << '\n';
}

void print_chat_history_csv(const results::ChatHistory& history, std::ostream& out) {
  out << "seq,from,at,delivered_at,read_at,text\n";
  for (const auto& line : history.lines)
    out << line.seq << ',' << csv_field(text::printable(line.from, 200)) << ',' << to_rfc3339(line.at) << ','
        << time_or_empty(line.delivered_at) << ',' << time_or_empty(line.read_at) << ','
        << csv_field(text::printable(line.text, 4 * payloads::kMaxChatTextBytes, true)) << '\n';
}

payloads::ChatPost prepare_chat_say(const ChatOptions& o, TimePoint at) {
  (void)parse_chat_target(o.target);
  payloads::validate_chat_text(o.text);
  payloads::ChatPost post;
  post.op = payloads::ChatOp::say;
  post.text = o.text;
  post.at = at;
  if (!o.about.empty()) {
    require_message_id(o.about);
    post.about = o.about;
  }
  return post;
}

// ---- the interactive chat ------------------------------------------------------------

ChatConnect session_chat_connect(const Settings& settings, const Target& target) {
  return
      [settings, target]() -> std::unique_ptr<ChatLink> { return std::make_unique<SessionChatLink>(settings, target); };
}

HelpdeskChat::HelpdeskChat(Target target, ChatConnect connect, Timing timing)
    : target_(std::move(target)), target_text_(target_.to_string()), connect_(std::move(connect)), timing_(timing) {
  model_.conversation.target = target_text_;
}

void HelpdeskChat::open() {
  link_ = connect_();
  ask_history();
  if (!link_) throw Error(ErrorKind::unreachable, tr("lost the connection while asking heraldd for the history"));
  const auto deadline = Clock::now() + timing_.request;
  while (!history_request_.empty()) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0))
      throw Error(ErrorKind::unreachable,
                  no_answer_text(std::chrono::duration_cast<std::chrono::seconds>(timing_.request)));
    auto message = link_->next(left);  // a loss here ends the command, as any other's
    if (message) handle(*message);
    check_failed();
  }
}

results::ChatHistory HelpdeskChat::snapshot() {
  check_failed();
  model_.lines.clear();
  for (const auto& [seq, line] : lines_) model_.lines.push_back(line);
  return model_;
}

void HelpdeskChat::wait_for_change(milliseconds timeout) {
  check_failed();
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!link_) {
      if (try_reconnect()) return;
      std::this_thread::sleep_until(std::min(deadline, next_connect_));
      continue;
    }
    if (!history_request_.empty() && Clock::now() - history_asked_ >= timing_.request) ask_history();
    publish_due();
    check_failed();
    if (!link_) continue;
    // Wake for the next re-send too.
    auto until = deadline;
    for (const auto& [id, p] : pending_)
      if (p.published) until = std::min(until, p.last_sent + timing_.resend);
    auto wait = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(until - Clock::now()));
    std::optional<ChatLink::Message> message;
    try {
      message = link_->next(wait);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::unreachable) throw;
      lost();
      return;  // the view may show the lines waiting again
    }
    bool changed = message && handle(*message);
    check_failed();
    if (changed) return;
  }
}

void HelpdeskChat::send(const std::string& text) {
  check_failed();
  payloads::validate_chat_text(text);
  payloads::ChatPost post;
  post.op = payloads::ChatOp::say;
  post.text = text;
  post.at = now();
  auto id = new_id();
  order_.push_back(id);
  auto& pending = pending_[id];
  pending.post = std::move(post);
  pending.written = Clock::now();
  publish(id, pending);
}

void HelpdeskChat::mark_read(std::uint64_t seq) {
  if (seq <= read_sent_) return;
  read_sent_ = seq;
  // heraldd's count says the helpdesk (this account or another) has read them all.
  if (model_.conversation.unread == 0) return;
  // A newer mark covers an older one still waiting.
  for (auto it = order_.begin(); it != order_.end();) {
    if (pending_[*it].post.op == payloads::ChatOp::read) {
      pending_.erase(*it);
      it = order_.erase(it);
    } else {
      ++it;
    }
  }
  payloads::ChatPost post;
  post.op = payloads::ChatOp::read;
  post.seq = seq;
  post.at = now();
  auto id = new_id();
  order_.push_back(id);
  auto& pending = pending_[id];
  pending.post = std::move(post);
  publish(id, pending);
}

std::vector<std::string> HelpdeskChat::unsent() {
  std::vector<std::string> texts;
  auto late = Clock::now() - timing_.quiet;
  for (const auto& id : order_)
    if (const auto& p = pending_.at(id); p.post.op == payloads::ChatOp::say && (!link_ || p.written <= late))
      texts.push_back(p.post.text);
  return texts;
}

std::vector<std::string> HelpdeskChat::unconfirmed() const {
  std::vector<std::string> texts;
  for (const auto& id : order_)
    if (const auto& p = pending_.at(id); p.post.op == payloads::ChatOp::say) texts.push_back(p.post.text);
  return texts;
}

void HelpdeskChat::finish(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (unconfirmed().empty() || left <= milliseconds(0)) return;
    wait_for_change(left);
  }
}

void HelpdeskChat::apply(const results::ChatHistory& news) {
  model_.conversation = news.conversation;
  model_.conversation.target = target_text_;
  for (const auto& line : news.lines) {
    auto it = lines_.find(line.seq);
    if (it == lines_.end())
      lines_.emplace(line.seq, line);
    else
      it->second = merged(it->second, line);
  }
}

std::vector<std::string> HelpdeskChat::pending_posts() const { return order_; }

bool HelpdeskChat::handle(const ChatLink::Message& message) {
  topics::ParsedTopic parsed;
  try {
    parsed = topics::parse(message.topic);
  } catch (const Error&) {
    return false;  // not a Herald topic: nothing this chat asked for
  }
  if (const auto* reply = std::get_if<topics::ReplyTopic>(&parsed))
    return handle_reply(reply->request_id, message.payload);
  const auto* log = std::get_if<topics::ChatLogTopic>(&parsed);
  if (!log || !(log->target == target_)) return false;
  payloads::ChatUpdate update;
  try {
    update = payloads::decode<payloads::ChatUpdate>(message.payload, kMaxChatReplyBytes);
  } catch (const Error&) {
    // Only heraldd may publish here (the broker's ACL); an unreadable update is
    // dropped, and the next history (on reconnect) repairs what it carried.
    return false;
  }
  if (update.history.conversation.target != target_text_) return false;
  if (!history_request_.empty()) {
    held_.push_back(std::move(update.history));
    return false;
  }
  apply(update.history);
  return true;
}

bool HelpdeskChat::handle_reply(const std::string& id, const std::string& payload) {
  if (!history_request_.empty() && id == history_request_) {
    auto reply = decode_reply(payload);
    history_request_.clear();
    if (reply.ok) {
      apply(results::read<results::ChatHistory>(reply.result));
    } else {
      auto kind = error_kind_from_reply(reply.error_kind);
      // No line yet: the conversation starts with the first one written here.
      if (kind != ErrorKind::not_found || reply.error.rfind(kNoConversation, 0) != 0)
        failed_ = Error(kind, reply.error);
    }
    for (const auto& h : held_) apply(h);
    held_.clear();
    return true;
  }
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;  // an answer to a post already confirmed
  auto reply = decode_reply(payload);
  bool say = it->second.post.op == payloads::ChatOp::say;
  pending_.erase(it);
  order_.erase(std::find(order_.begin(), order_.end(), id));
  // A line heraldd refuses (an unknown target above all) ends the chat with its reason;
  // a refused read mark changes nothing the helpdesk needs to know.
  if (!reply.ok && say) {
    auto kind = error_kind_from_reply(reply.error_kind);
    failed_ = Error(
        kind, kind == ErrorKind::not_found && reply.error.empty() ? unknown_chat_target_text(target_) : reply.error);
  }
  return true;
}

void HelpdeskChat::publish(const std::string& post_id, Pending& pending) {
  if (!link_) return;  // published again once connected
  bool accepted = false;
  try {
    accepted = link_->publish(topics::chat(link_->account(), post_id, target_), payloads::encode(pending.post));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::unreachable) throw;
    lost();
    return;
  }
  if (!accepted) throw Error(ErrorKind::not_permitted, chat_refused_text(link_->account(), target_));
  pending.published = true;
  pending.last_sent = Clock::now();
}

void HelpdeskChat::publish_due() {
  auto now = Clock::now();
  // Oldest first, so heraldd records the lines in the order written.
  for (const auto& id : std::vector<std::string>(order_)) {
    if (!link_) return;
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    if (!it->second.published || now - it->second.last_sent >= timing_.resend) publish(id, it->second);
  }
}

void HelpdeskChat::ask_history() {
  if (!link_) return;
  payloads::Request request;
  request.id = target_text_;
  request.limit = kHistoryLines;
  auto id = new_id();
  auto scope = chat_scope_of(target_);
  bool accepted = false;
  try {
    accepted =
        link_->publish(topics::request(link_->account(), id, topics::kOpChats, scope), payloads::encode(request));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::unreachable) throw;
    lost();
    return;
  }
  if (!accepted) throw Error(ErrorKind::not_permitted, chat_refused_text(link_->account(), target_));
  history_request_ = id;
  history_asked_ = Clock::now();
}

bool HelpdeskChat::try_reconnect() {
  if (Clock::now() < next_connect_) return false;
  next_connect_ = Clock::now() + timing_.reconnect;
  try {
    link_ = connect_();
  } catch (const Error& e) {
    // The broker still away: try again later. Anything else (credentials, rights)
    // will not mend by waiting.
    if (e.kind() != ErrorKind::unreachable) throw;
    return false;
  }
  // What happened meanwhile comes with the history; every line still waiting goes again.
  ask_history();
  publish_due();
  return true;
}

void HelpdeskChat::lost() {
  link_.reset();
  history_request_.clear();
  for (auto& [id, p] : pending_) p.published = false;
  next_connect_ = Clock::now();
}

void HelpdeskChat::check_failed() const {
  if (failed_) throw *failed_;
}

// ---- commands --------------------------------------------------------------------------

int run_chat_list(const ChatOptions& o, const GlobalOptions& global, std::ostream& out) {
  std::optional<std::string> under;
  if (!o.under.empty()) under = chat_list_scope(o.under);
  auto settings = Settings::load(global.config_path);
  std::vector<std::string> scopes = under ? std::vector<std::string>{*under}
                                          : std::vector<std::string>{settings.scope, std::string(topics::kPersonLevel)};
  Session session(settings.broker);
  session.subscribe_replies();
  auto merged = ask_chat_lists(scopes, [&](const std::string& scope) {
    return results::read<results::ChatList>(
        session.ask(topics::kOpChats, scope, payloads::Request{}, settings.request_timeout));
  });
  if (o.json)
    out << results::encode(merged) << '\n';
  else
    print_chat_list(merged, out);
  return 0;
}

int run_chat_interactive(const ChatOptions& o, const GlobalOptions& global, std::istream& in, std::ostream& out) {
  auto target = parse_chat_target(o.target);
  auto settings = Settings::load(global.config_path);
  HelpdeskChat::Timing timing;
  timing.request = settings.request_timeout;
  HelpdeskChat chat(target, session_chat_connect(settings, target), timing);
  chat.open();
  chat::TerminalOptions options;
  options.viewer = chat::Side::helpdesk;
  options.heading = trf("Chat with {1}", {target.to_string()});
  int code = chat::run_terminal(chat, in, out, options);
  if (auto left = chat.unconfirmed(); !left.empty())
    throw Error(ErrorKind::unreachable,
                trn("{1} line was not recorded by heraldd (no answer in time) and may be lost",
                    "{1} lines were not recorded by heraldd (no answer in time) and may be lost", left.size()));
  return code;
}

int run_chat_send(const ChatOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto post = prepare_chat_say(o, now());
  auto target = parse_chat_target(o.target);
  auto settings = Settings::load(global.config_path);
  auto posted = post_and_wait(settings, target, post);
  if (o.json)
    out << results::encode(posted) << '\n';
  else
    out << trf("sent (line {1})", {std::to_string(posted.seq)}) << '\n';
  return 0;
}

int run_chat_close(const ChatOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto target = parse_chat_target(o.target);
  auto settings = Settings::load(global.config_path);
  payloads::ChatPost post;
  post.op = payloads::ChatOp::close;
  post.at = now();
  auto posted = post_and_wait(settings, target, post);
  if (o.json)
    out << results::encode(posted) << '\n';
  else
    out << trf("closed the conversation with {1}", {target.to_string()}) << '\n';
  return 0;
}

int run_chat_history(const ChatOptions& o, const GlobalOptions& global, std::ostream& out) {
  auto target = parse_chat_target(o.target);
  if (o.json && o.csv) throw Error(ErrorKind::usage, tr("use either --json or --csv, not both"));
  auto settings = Settings::load(global.config_path);
  Session session(settings.broker);
  session.subscribe_replies();
  payloads::Request request;
  request.id = target.to_string();
  request.limit = o.limit;
  auto result = session.ask(topics::kOpChats, chat_scope_of(target), request, settings.request_timeout);
  auto history = results::read<results::ChatHistory>(result);
  if (o.json)
    out << results::encode(history) << '\n';
  else if (o.csv)
    print_chat_history_csv(history, out);
  else
    print_chat_history(history, out);
  return 0;
}

}  // namespace herald::dispatcher
