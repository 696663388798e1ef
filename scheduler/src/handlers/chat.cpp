// Chat (topics.md "Chat", scheduler/README.md "Chat"): heraldd gives every line of a
// conversation its seq, records it, and only then passes it on (after the batch's
// commit, like every publish): to the agents of the conversation on
// herald/chatdown/{agent} and to the helpdesk watching it on herald/chatlog/{target}.
// Every check comes before the first write, so a refused post or a dropped ChatUp
// leaves nothing behind.
#include <algorithm>

#include "handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"

namespace herald::scheduler::handlers {
namespace {

using results::ChatLine;

// Who reads an update: the unread count it carries is that reader's.
enum class Reader { employee, helpdesk };

results::Conversation conversation(const ChatRecord& c, Reader reader) {
  results::Conversation out;
  out.target = c.target;
  out.about = c.about;
  out.open = c.open;
  out.unread = reader == Reader::employee ? c.employee_unread : c.helpdesk_unread;
  return out;
}

// One ChatUpdate per kMaxChatLinesPerUpdate lines (fewer when their text would make the
// payload too large: escaped control characters take six bytes each), in seq order; one
// without lines when only the conversation changed (a close, a read mark that moved nothing).
void publish_update(Batch& b, const std::string& topic, const ChatRecord& c, Reader reader,
                    const std::vector<ChatLine>& lines) {
  std::size_t from = 0;
  do {
    payloads::ChatUpdate u;
    u.history.conversation = conversation(c, reader);
    auto to = from;
    for (std::size_t bytes = 0; to < lines.size() && to - from < payloads::kMaxChatLinesPerUpdate; ++to) {
      bytes += payloads::chat_line_bound(lines[to]);
      if (bytes > payloads::kMaxChatUpdateLineBytes && to > from) break;
    }
    u.history.lines.assign(lines.begin() + static_cast<std::ptrdiff_t>(from),
                           lines.begin() + static_cast<std::ptrdiff_t>(to));
    b.publish(topic, payloads::encode(u), false);
    from = to;
  } while (from < lines.size());
}

// The computers taking part: a computer's conversation is its own; a person's follows
// them to every computer whose latest presence says they are logged in.
std::vector<std::string> computers_of(Batch& b, const Target& target) {
  if (!target.is_person()) return {target.org_path()};
  return b.ledger.online_computers_of(b.txn, target.login());
}

// To the agents of the conversation (plus `sender`, whose echo is its confirmation).
void publish_to_agents(Batch& b, const ChatRecord& c, const Target& target, const std::vector<ChatLine>& lines,
                       std::string_view sender = {}) {
  auto computers = computers_of(b, target);
  if (!sender.empty() && std::find(computers.begin(), computers.end(), sender) == computers.end())
    computers.emplace_back(sender);
  for (const auto& computer : computers) publish_update(b, topics::chat_down(computer), c, Reader::employee, lines);
  if (c.undelivered()) b.chat_sent = true;
}

void publish_to_log(Batch& b, const ChatRecord& c, const Target& target, const std::vector<ChatLine>& lines) {
  publish_update(b, topics::chat_log(target), c, Reader::helpdesk, lines);
}

Error no_conversation(std::string_view target) {
  return Error(ErrorKind::not_found, "no conversation with '" + std::string(target) + "'");
}

// The conversation, or a new one for a target heraldd knows.
ChatRecord conversation_for(Batch& b, const Target& target, bool helpdesk) {
  auto name = target.to_string();
  if (auto c = b.ledger.chat(b.txn, name)) return std::move(*c);
  // A damaged record (reported, read as absent) must not be started again over its lines.
  if (b.ledger.chat_line(b.txn, name, 1))
    throw Error(ErrorKind::internal, "the ledger record of conversation '" + name + "' is damaged");
  // An agent is known by what it is (the topic is its own, checked by the broker);
  // the helpdesk names a target, which must be a computer or person heraldd knows.
  if (helpdesk) {
    bool known = target.is_person() ? b.ledger.login_known(b.txn, target.login())
                                    : b.ledger.computer_known(b.txn, target.org_path());
    if (!known) throw Error(ErrorKind::not_found, "unknown chat target '" + name + "'");
  }
  // Its agent must be able to post and acknowledge in it (a post id is at most 64 bytes).
  if (!target.is_person() && !b.ledger.chat_keys_fit(name, name, std::string(64, 'p')))
    throw Error(ErrorKind::protocol, "org path '" + name + "' is too long for a chat");
  ChatRecord c;
  c.target = name;
  return c;
}

// Adds a recorded line to the conversation's counts; a new line reopens it.
void append(ChatRecord& c, const ChatLine& line) {
  c.last_seq = line.seq;
  c.last_at = line.at;
  c.open = true;
  if (results::from_employee(line)) {
    ++c.helpdesk_unread;
  } else {
    ++c.employee_unread;
    c.last_helpdesk_seq = line.seq;
  }
}

// Only a message heraldd knows becomes what the conversation is about.
void set_about(Batch& b, ChatRecord& c, const std::optional<std::string>& about) {
  if (about && b.message(*about).has_value()) c.about = *about;
}

// Records a new line (and its post id) and passes it on.
void record_line(Batch& b, ChatRecord& c, const Target& target, const ChatLine& line,
                 const std::optional<std::string>& about, std::string_view sender) {
  if (!b.ledger.chat_keys_fit(c.target, line.from, line.post))
    throw Error(ErrorKind::protocol, "conversation, writer or post id too long for the ledger");
  append(c, line);
  set_about(b, c, about);
  b.ledger.put_chat_line(b.txn, c.target, line);
  b.ledger.put_chat(b.txn, c);
  b.ledger.put_chat_post(b.txn, line.from, line.post, ChatPostRef{c.target, line.seq});
  publish_to_agents(b, c, target, {line}, sender);
  publish_to_log(b, c, target, {line});
  b.notes.push_back("recorded chat line " + std::to_string(line.seq) + " of " + c.target + " from " + line.from);
}

// `reader` has seen the other side's lines up to `seq`: they get read_at (if they had
// none) and the reader's unread count is counted again. Returns the changed lines, or
// nullopt if the mark did not move.
std::optional<std::vector<ChatLine>> mark_read(Batch& b, ChatRecord& c, Reader reader, std::uint64_t seq) {
  seq = std::min(seq, c.last_seq);
  auto& mark = reader == Reader::helpdesk ? c.helpdesk_read : c.employee_read;
  if (seq <= mark) return std::nullopt;
  std::vector<ChatLine> changed;
  std::size_t unread = 0;
  b.ledger.scan_chat_lines(b.txn, c.target, mark + 1, [&](const ChatLine& l) {
    bool theirs = results::from_employee(l) == (reader == Reader::helpdesk);
    if (!theirs) return true;
    if (l.seq > seq) {
      ++unread;
    } else if (!l.read_at) {
      changed.push_back(l);
      changed.back().read_at = b.now;
    }
    return true;
  });
  for (const auto& l : changed) b.ledger.put_chat_line(b.txn, c.target, l);  // after the scan: a write ends it
  mark = seq;
  (reader == Reader::helpdesk ? c.helpdesk_unread : c.employee_unread) = unread;
  return changed;
}

// `agent` holds every line up to `seq`: helpdesk lines up to it are delivered.
std::vector<ChatLine> mark_delivered(Batch& b, ChatRecord& c, std::string_view agent, std::uint64_t seq) {
  seq = std::min(seq, c.last_seq);
  auto before = b.ledger.chat_acked(b.txn, c.target, agent);
  std::vector<ChatLine> changed;
  if (seq <= before) return changed;
  b.ledger.put_chat_acked(b.txn, c.target, agent, seq);  // first: the write a long path could refuse
  b.ledger.scan_chat_lines(b.txn, c.target, before + 1, [&](const ChatLine& l) {
    if (l.seq > seq) return false;
    if (!results::from_employee(l) && !l.delivered_at) {
      changed.push_back(l);
      changed.back().delivered_at = b.now;
    }
    return true;
  });
  for (const auto& l : changed) b.ledger.put_chat_line(b.txn, c.target, l);
  c.acked = std::max(c.acked, seq);
  return changed;
}

std::vector<ChatLine> lines_after(Batch& b, const ChatRecord& c, std::uint64_t seq) {
  std::vector<ChatLine> lines;
  b.ledger.scan_chat_lines(b.txn, c.target, seq + 1, [&](const ChatLine& l) {
    lines.push_back(l);
    return true;
  });
  return lines;
}

std::string posted(std::string post, std::string target, std::uint64_t seq) {
  return results::encode(results::ChatPosted{std::move(post), std::move(target), seq});
}

// An agent takes part in its computer's conversation and in the conversation of the
// person its latest presence says is logged in there.
void require_part(Batch& b, std::string_view agent, const Target& target) {
  if (!target.is_person()) {
    if (target.org_path() == agent) return;
    throw Error(ErrorKind::protocol, "conversation '" + target.org_path() + "' is not this agent's own");
  }
  auto p = b.ledger.presence(b.txn, agent);
  if (p && p->online && p->user == target.login()) return;
  throw Error(ErrorKind::protocol, "conversation '" + target.to_string() + "': its person is not logged in at " +
                                       std::string(agent) + " (presence)");
}

std::string helpdesk_post(Batch& b, const topics::ChatTopic& t, const payloads::ChatPost& post) {
  auto name = t.target.to_string();
  switch (post.op) {
    case payloads::ChatOp::say: {
      // A repeat (the reply was lost, or not yet seen): the same answer, nothing recorded.
      if (auto seen = b.ledger.chat_post(b.txn, t.account, t.post_id))
        return posted(t.post_id, seen->target, seen->seq);
      auto c = conversation_for(b, t.target, true);
      ChatLine line;
      line.seq = c.last_seq + 1;
      line.from = t.account;
      line.text = post.text;
      line.at = b.now;
      line.post = t.post_id;
      record_line(b, c, t.target, line, post.about, {});
      return posted(t.post_id, name, line.seq);
    }
    case payloads::ChatOp::read: {
      auto c = b.ledger.chat(b.txn, name);
      if (!c) throw no_conversation(name);
      if (auto changed = mark_read(b, *c, Reader::helpdesk, post.seq)) {
        b.ledger.put_chat(b.txn, *c);
        publish_to_agents(b, *c, t.target, *changed);
        publish_to_log(b, *c, t.target, *changed);
      }
      return posted(t.post_id, name, 0);
    }
    case payloads::ChatOp::close: {
      auto c = b.ledger.chat(b.txn, name);
      if (!c) throw no_conversation(name);
      if (c->open) {
        c->open = false;
        b.ledger.put_chat(b.txn, *c);
        publish_to_agents(b, *c, t.target, {});
        publish_to_log(b, *c, t.target, {});
        b.notes.push_back("closed chat " + name + " by " + t.account);
      }
      return posted(t.post_id, name, 0);
    }
  }
  throw Error(ErrorKind::protocol, "unknown chat op");
}

}  // namespace

void chat_post(Batch& b, const topics::ChatTopic& t, const Inbound& in) {
  // A payload that breaks the schema is hostile (herald refuses such a line before it
  // sends it): dropped and logged like every hostile chat payload, not answered.
  auto post = payloads::decode<payloads::ChatPost>(in.payload);
  auto reply_topic = topics::reply(t.account, t.post_id);
  auto what = "chat " + std::string(payloads::chat_op_name(post.op)) + " " + t.post_id + " from " + t.account + " to " +
              t.target.to_string();
  answer_request(b, reply_topic, what, [&] { return helpdesk_post(b, t, post); });
}

void chat_up(Batch& b, const topics::ChatUpTopic& t, const Inbound& in) {
  auto up = payloads::decode<payloads::ChatUp>(in.payload);
  auto target = Target::parse(up.conversation);
  if (up.op == payloads::ChatUpOp::say) {
    if (auto seen = b.ledger.chat_post(b.txn, t.agent_path, up.post)) {
      // A repeat: the agent missed the echo, so only it gets it again, even if its person
      // has logged out since (the line is its own, and the echo empties its outbox).
      auto c = b.ledger.chat(b.txn, seen->target);
      auto line = b.ledger.chat_line(b.txn, seen->target, seen->seq);
      if (c && line) publish_update(b, topics::chat_down(t.agent_path), *c, Reader::employee, {*line});
      return;
    }
  }
  require_part(b, t.agent_path, target);
  auto name = target.to_string();
  switch (up.op) {
    case payloads::ChatUpOp::say: {
      auto c = conversation_for(b, target, false);
      ChatLine line;
      line.seq = c.last_seq + 1;
      line.from = t.agent_path;
      line.text = up.text;
      line.at = b.now;
      line.delivered_at = b.now;  // an employee's line is delivered once heraldd has it
      line.post = up.post;
      record_line(b, c, target, line, up.about, t.agent_path);
      return;
    }
    case payloads::ChatUpOp::read: {
      auto c = b.ledger.chat(b.txn, name);
      if (!c) throw no_conversation(name);
      if (auto changed = mark_read(b, *c, Reader::employee, up.seq)) {
        b.ledger.put_chat(b.txn, *c);
        publish_to_agents(b, *c, target, *changed, t.agent_path);
        publish_to_log(b, *c, target, *changed);
      }
      return;
    }
    case payloads::ChatUpOp::ack: {
      auto c = b.ledger.chat(b.txn, name);
      if (!c) throw no_conversation(name);
      auto acked = c->acked;
      auto changed = mark_delivered(b, *c, t.agent_path, up.seq);
      if (c->acked != acked) b.ledger.put_chat(b.txn, *c);
      if (!changed.empty()) publish_to_log(b, *c, target, changed);
      return;
    }
    case payloads::ChatUpOp::sync: {
      // Sent on every connect, conversation or not: nothing to say when there is none.
      auto c = b.ledger.chat(b.txn, name);
      if (!c) return;
      publish_update(b, topics::chat_down(t.agent_path), *c, Reader::employee, lines_after(b, *c, up.seq));
      if (c->undelivered()) b.chat_sent = true;
      return;
    }
  }
}

std::size_t resend_chats(Batch& b) {
  std::size_t sent = 0;
  for (const auto& name : b.ledger.undelivered_chats(b.txn)) {
    auto c = b.ledger.chat(b.txn, name);
    if (!c || !c->undelivered()) continue;
    Target target;
    try {
      target = Target::parse(name);
    } catch (const Error& e) {
      b.notes.push_back("chat re-send skipped conversation " + printable(name) + ": " + first_line(e.what()));
      continue;
    }
    std::vector<std::string> computers;
    if (target.is_person()) {
      computers = b.ledger.online_computers_of(b.txn, target.login());
    } else if (auto p = b.ledger.presence(b.txn, target.org_path()); p && p->online) {
      computers.push_back(target.org_path());
    }
    for (const auto& computer : computers) {
      auto acked = b.ledger.chat_acked(b.txn, name, computer);
      if (acked >= c->last_helpdesk_seq) continue;
      publish_update(b, topics::chat_down(computer), *c, Reader::employee, lines_after(b, *c, acked));
      ++sent;
    }
  }
  return sent;
}

}  // namespace herald::scheduler::handlers
