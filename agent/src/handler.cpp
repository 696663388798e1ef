#include "herald/agent/handler.hpp"

#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"
#include "herald/common/log.hpp"

namespace herald::agent {
namespace {

struct Dropped {
  std::string reason;
};

}  // namespace

bool DisplayBudget::take(TimePoint now) {
  while (!shown_.empty() && shown_.front() <= now - std::chrono::minutes(1)) shown_.pop_front();
  if (shown_.size() >= kMaxAlertsShownPerMinute) return false;
  shown_.push_back(now);
  return true;
}

MessageHandler::MessageHandler(std::string agent_path, Inbox& inbox, Display& display, bool verbose)
    : agent_path_(std::move(agent_path)), inbox_(inbox), display_(display), verbose_(verbose) {}

void MessageHandler::note(const std::string& text) const {
  if (verbose_)
    log::info(text);
  else
    log::debug(text);
}

HandleResult MessageHandler::handle(std::string_view topic, std::string_view payload, std::string_view user,
                                    TimePoint now) {
  if (payload.empty()) return {};
  try {
    try {
      auto parsed = topics::parse(topic);
      if (auto* delivery = std::get_if<topics::DeliveryTopic>(&parsed))
        return handle_delivery(*delivery, payload, user, now);
      if (auto* recall = std::get_if<topics::RecallTopic>(&parsed)) return handle_recall(*recall, payload, now);
      if (auto* remind = std::get_if<topics::RemindTopic>(&parsed)) return handle_remind(*remind, payload, user, now);
      throw Dropped{"not a delivery, recall or reminder topic"};
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;
      throw Dropped{e.what()};
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      // Any other library exception from hostile input is still just a bad payload.
      throw Dropped{e.what()};
    }
  } catch (const Dropped& d) {
    log::warn("dropped message on " + printable(topic, 300) + ": " + printable(d.reason, 300));
    HandleResult r;
    r.action = HandleResult::Action::dropped;
    r.reason = d.reason;
    return r;
  }
}

HandleResult MessageHandler::handle_delivery(const topics::DeliveryTopic& topic, std::string_view payload,
                                             std::string_view user, TimePoint now) {
  auto delivery = payloads::decode<payloads::Delivery>(payload);
  payloads::check_received(delivery, now);
  // The broker's ACL already limits what we receive; these checks keep a broker
  // misconfiguration from putting someone else's messages on this screen.
  if (topic.target.is_person()) throw Dropped{"person targets are routed by heraldd, not read by agents"};
  if (!is_under(agent_path_, topic.target.org_path()))
    throw Dropped{"target " + topic.target.to_string() + " does not include " + agent_path_};
  if (!delivery.for_user.empty() && topic.target.org_path() != agent_path_)
    throw Dropped{"a person's copy (for_user) must be addressed to this computer's own path"};

  HandleResult r;
  r.id = topic.id;
  r.org_wide = topic.target.org_path().find('/') == std::string::npos;  // the root: every computer
  bool for_this_user = delivery.for_user.empty() || delivery.for_user == user;
  bool is_alert_to_show = topic.kind == topics::Kind::alert && for_this_user;
  // Every alert put on screen spends the screen's budget; one over it waits in the inbox.
  auto within_budget = [&] {
    if (budget_.take(now)) return true;
    log::warn("alert " + topic.id + " from " + topic.account +
              " not shown: " + std::to_string(kMaxAlertsShownPerMinute) +
              " alerts were shown on this screen in the last minute; it is in the inbox");
    return false;
  };

  // A new alert is shown before it is stored: the screen is what an alert is for, and
  // showing it need not wait for the store's fsync. It is then stored as displayed in
  // one transaction with its one receipt. Were the agent to die in between, the
  // broker's retained copy brings it again on the next connect: shown twice, never lost.
  std::optional<TimePoint> shown_at;
  bool tried_to_show = is_alert_to_show && inbox_.check(topic, delivery, now) == DeliveryOutcome::stored;
  if (auto held = shown_unstored_.find(topic.id); tried_to_show && held != shown_unstored_.end()) {
    shown_at = held->second;  // shown before its store failed: not again
  } else {
    if (tried_to_show && !within_budget()) tried_to_show = is_alert_to_show = false;
    if (tried_to_show) {
      if (hand_off(topic, delivery, user))
        r.handed_off = true;
      else
        shown_at = show(topic, delivery, user);
    }
  }

  std::string delivered_key;  // set only when `delivered` was queued just now
  DeliveryOutcome outcome;
  try {
    outcome = inbox_.accept(topic, delivery, agent_path_, user, now, &delivered_key, shown_at);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::storage && shown_at && shown_unstored_.size() < kMaxShownUnstored)
      shown_unstored_.emplace(topic.id, *shown_at);
    throw;
  }
  shown_unstored_.erase(topic.id);
  std::string kind(topics::kind_name(topic.kind));
  switch (outcome) {
    case DeliveryOutcome::stored:
      r.action = HandleResult::Action::stored;
      r.outbox_changed = true;
      r.expires_at = delivery.expires_at;
      note("stored " + kind + " " + topic.id + " from " + topic.account + " for " + topic.target.to_string());
      if (shown_at) {
        r.displayed_at = shown_at;
        note("displayed alert " + topic.id);
        return r;
      }
      if (r.handed_off) note("handed alert " + topic.id + " to the desktop program");
      break;
    case DeliveryOutcome::duplicate:
      r.action = HandleResult::Action::duplicate;
      break;
    case DeliveryOutcome::expired:
      r.action = HandleResult::Action::expired;
      log::debug("ignored expired " + kind + " " + topic.id);
      return r;
    case DeliveryOutcome::recalled:
      r.action = HandleResult::Action::recalled;
      log::debug("ignored recalled " + kind + " " + topic.id);
      return r;
    case DeliveryOutcome::conflict:
      throw Dropped{"message id '" + topic.id + "' already belongs to another account's message in this inbox"};
  }

  if (!is_alert_to_show || tried_to_show) return r;
  // A duplicate stored but never shown (the agent stopped between storing and showing).
  if (outcome == DeliveryOutcome::duplicate) {
    auto stored = inbox_.find(topic.id);
    if (!stored || stored->displayed_at) return r;
  }
  if (!within_budget()) return r;
  if (hand_off(topic, delivery, user)) {
    r.handed_off = true;
    note("handed alert " + topic.id + " to the desktop program");
    return r;
  }
  auto at = show(topic, delivery, user);
  if (!at) return r;
  // The `delivered` queued above is not flushed before this handling step ends (the
  // session flushes after handle() returns, on this same thread), so it cannot be in
  // flight: `displayed` replaces it and the broker carries one receipt, not two.
  if (inbox_.mark_displayed(topic.id, *at, agent_path_, user, delivered_key)) {
    r.displayed_at = at;
    r.outbox_changed = true;
    note("displayed alert " + topic.id);
  }
  return r;
}

std::optional<TimePoint> MessageHandler::show(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                                              std::string_view user) {
  return show(ShownAlert{topic.id, delivery.severity, delivery.title, delivery.body, topic.account, delivery.links,
                         std::string(user)});
}

bool MessageHandler::hand_off(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                              std::string_view user) {
  if (!hand_off_ || !hand_off_()) return false;
  // The journal records every alert, whoever puts it on screen.
  LogDisplay().show(ShownAlert{topic.id, delivery.severity, delivery.title, delivery.body, topic.account,
                               delivery.links, std::string(user)});
  return true;
}

HandleResult MessageHandler::show_stored(std::string_view id, std::string_view user, TimePoint now) {
  HandleResult r;
  r.id = std::string(id);
  auto ignore = [&](std::string why) {
    r.action = HandleResult::Action::ignored;
    r.reason = std::move(why);
    log::debug("alert " + r.id + " not shown again: " + r.reason);
    return r;
  };
  auto m = inbox_.find(id);
  if (!m) return ignore("not in this inbox");
  if (m->kind != topics::Kind::alert) return ignore("not an alert");
  if (m->expired(now)) return ignore("expired");
  if (m->displayed_at || m->read_at) return ignore("already displayed or read");
  if (!m->delivery.for_user.empty() && m->delivery.for_user != user)
    return ignore("for " + m->delivery.for_user + ", who is not logged in here");
  const auto& d = m->delivery;
  auto at = show(ShownAlert{m->id, d.severity, d.title, d.body, m->sender, d.links, std::string(user)});
  if (!at) return ignore("the display failed");
  if (inbox_.mark_displayed(id, *at, agent_path_, user)) {
    r.displayed_at = at;
    r.outbox_changed = true;
    note("displayed alert " + r.id + " (the desktop program did not)");
  }
  r.action = HandleResult::Action::shown;
  return r;
}

std::optional<TimePoint> MessageHandler::show(const ShownAlert& alert) {
  try {
    display_.show(alert);
  } catch (const std::exception& e) {
    log::warn("could not display alert " + alert.id + ": " + e.what());
    return std::nullopt;
  }
  return herald::now();
}

HandleResult MessageHandler::handle_remind(const topics::RemindTopic& topic, std::string_view payload,
                                           std::string_view user, TimePoint now) {
  // Only the schema matters: `at` says when heraldd sent it, and a late reminder of an
  // unread message is still worth showing.
  (void)payloads::decode<payloads::Remind>(payload);
  // The ACL lets an agent read only its own reminders; this keeps a misconfigured broker
  // from making one screen show what another was reminded of.
  if (topic.agent_path != agent_path_) throw Dropped{"a reminder for " + topic.agent_path + ", not " + agent_path_};
  HandleResult r;
  r.id = topic.id;
  auto ignore = [&](std::string why) {
    r.action = HandleResult::Action::ignored;
    r.reason = std::move(why);
    log::debug("reminder for " + topic.id + " from " + topic.account + " ignored: " + r.reason);
    return r;
  };
  auto m = inbox_.find(topic.id);
  if (!m) return ignore("not in this inbox");
  // Ids are chosen by their sender: the reminder is about this account's message only.
  if (m->sender != topic.account) return ignore("this inbox holds that id from another account");
  if (m->expired(now)) return ignore("expired");
  // Read is done, unless it asks for confirmation and has none yet.
  if (m->read_at && !m->awaits_confirmation()) return ignore("already read");
  if (!m->delivery.for_user.empty() && m->delivery.for_user != user)
    return ignore("for " + m->delivery.for_user + ", who is not logged in here");
  if (!budget_.take(now)) {
    log::warn("reminder for " + topic.id + " from " + topic.account + " not shown: " +
              std::to_string(kMaxAlertsShownPerMinute) + " alerts were shown on this screen in the last minute");
    return ignore("over the display budget");
  }
  const auto& d = m->delivery;
  auto at =
      show(ShownAlert{m->id, d.severity, "Reminder: " + (d.title.empty() ? std::string("unread message") : d.title),
                      d.body, m->sender, d.links, std::string(user)});
  if (!at) return ignore("the display failed");
  r.action = HandleResult::Action::reminded;
  note("reminded of " + std::string(topics::kind_name(m->kind)) + " " + topic.id + " from " + topic.account);
  // A message first seen through its reminder was displayed now: its `displayed`
  // receipt goes out once, like an alert's. Already shown earlier: nothing to record.
  if (!m->displayed_at) {
    try {
      if (inbox_.mark_displayed(topic.id, *at, agent_path_, user)) {
        r.displayed_at = at;
        r.outbox_changed = true;
      }
    } catch (const Error& e) {
      // Shown already: holding the reminder for a retry would show it twice.
      log::warn("reminder for " + topic.id + " shown but its displayed mark not stored: " + e.what());
    }
  }
  return r;
}

HandleResult MessageHandler::handle_recall(const topics::RecallTopic& topic, std::string_view payload, TimePoint now) {
  auto recall = payloads::decode<payloads::Recall>(payload);
  if (!topic.target.is_person() && !is_under(agent_path_, topic.target.org_path()))
    throw Dropped{"target " + topic.target.to_string() + " does not include " + agent_path_};
  HandleResult r;
  r.action = HandleResult::Action::recall;
  r.id = topic.id;
  bool removed = inbox_.apply_recall(topic, recall, now);
  r.expires_at = recall.expires_at;
  if (removed)
    note("recalled " + topic.id + ": removed from the inbox");
  else
    log::debug("recall " + topic.id + " stored as tombstone");
  return r;
}

ChatHandled handle_chat_down(ChatStore& store, std::string_view agent_path, std::string_view topic,
                             std::string_view payload) {
  ChatHandled r;
  try {
    try {
      auto parsed = topics::parse(topic);
      auto* down = std::get_if<topics::ChatDownTopic>(&parsed);
      if (!down) throw Dropped{"not a chat topic for this agent"};
      if (down->agent_path != agent_path)
        throw Dropped{"chat lines for " + down->agent_path + ", not " + std::string(agent_path)};
      auto update = payloads::decode<payloads::ChatUpdate>(payload);
      const auto& target = update.history.conversation.target;
      auto conversation = Target::parse(target);
      if (!conversation.is_person() && conversation.org_path() != agent_path)
        throw Dropped{"conversation " + target + " is not this computer's"};
      for (const auto& line : update.history.lines) {
        if (line.seq == 0) throw Dropped{"a chat line without a seq"};
        if (line.from.empty()) throw Dropped{"chat line " + std::to_string(line.seq) + " has no author"};
      }
      r.conversation = conversation.to_string();
      update.history.conversation.target = r.conversation;
      r.applied = store.apply(update.history, agent_path);
      return r;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;
      throw Dropped{e.what()};
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      throw Dropped{e.what()};
    }
  } catch (const Dropped& d) {
    log::warn("dropped message on " + printable(topic, 300) + ": " + printable(d.reason, 300));
    r.dropped = true;
    r.reason = d.reason;
    r.conversation.clear();
    return r;
  }
}

}  // namespace herald::agent
