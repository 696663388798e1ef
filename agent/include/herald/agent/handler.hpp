#pragma once
// What the agent does with one received MQTT message, without any MQTT: parse the topic
// and payload through herald::topics / herald::payloads, check the target, store,
// dedupe, honour recalls and expiry, show alerts. AgentSession feeds it from the
// broker; unit tests feed it hostile input directly.
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "herald/agent/chat_store.hpp"
#include "herald/agent/display.hpp"
#include "herald/agent/inbox.hpp"

namespace herald::agent {

// How many alerts one screen shows per minute. An account that may alert a branch could
// otherwise pop up thousands of windows on every screen there (and, the alerts being
// retained, on every computer that joins within their lifetime). Alerts over the budget
// are stored and acknowledged `delivered` like a message: they wait in the inbox.
inline constexpr std::size_t kMaxAlertsShownPerMinute = 6;

// A sliding one-minute window of the times alerts were shown.
class DisplayBudget {
 public:
  // True, and counts the alert, if fewer than kMaxAlertsShownPerMinute were shown in the
  // minute before `now`.
  bool take(TimePoint now);

 private:
  std::deque<TimePoint> shown_;
};

struct HandleResult {
  enum class Action {
    ignored,    // zero-length payload (a retained clear)
    dropped,    // malformed or not for this computer: `reason` says why (logged)
    stored,     // new message stored, `delivered` queued (`displayed` instead if shown now)
    duplicate,  // already stored
    expired,    // arrived after its expiry
    recalled,   // a tombstone exists for it
    recall,     // a recall was applied (tombstone stored, maybe a message deleted)
    reminded,   // a reminder showed a stored unread message again (`reason` says if not)
    shown,      // show_stored() showed an alert a desktop program had taken
  };
  Action action = Action::ignored;
  std::string id;
  std::string reason;
  bool outbox_changed = false;            // a receipt was queued: flush
  std::optional<TimePoint> expires_at;    // something new will expire then: arm the timer
  std::optional<TimePoint> displayed_at;  // the alert was shown now
  bool org_wide = false;                  // addressed to the org root: every computer got it
  // The alert was handed to a desktop program (hand_off) instead of the display: it is
  // stored as delivered, and the program answers `displayed` (docs/desktop-protocol.md).
  bool handed_off = false;
};

class MessageHandler {
 public:
  // verbose: log stored/displayed/recalled at INFO (daemon) or DEBUG (swarm).
  MessageHandler(std::string agent_path, Inbox& inbox, Display& display, bool verbose = true);

  // Never throws for bad input: a malformed topic or payload is logged as
  // "dropped message on <topic>: <reason>" and reported as Action::dropped. LMDB
  // failures (Error(storage)) do propagate; the caller handles that message again
  // later (AgentSession holds it while the disk is full), and an alert already shown
  // before its store failed is not shown again then.
  HandleResult handle(std::string_view topic, std::string_view payload, std::string_view user, TimePoint now);

  const std::string& agent_path() const { return agent_path_; }

  // Asked before each alert is shown: true hands it to a desktop program instead of the
  // display (only the ALERT log line is written here). Unset: always the display.
  void set_hand_off(std::function<bool()> hand_off) { hand_off_ = std::move(hand_off); }

  // Shows a stored alert through the display (not handed off, no budget: it was counted
  // when it arrived) and records it displayed: for an alert a desktop program took and
  // then vanished without answering. Action::ignored (with the reason) if it is gone,
  // expired, read, already displayed or for someone else.
  HandleResult show_stored(std::string_view id, std::string_view user, TimePoint now);

 private:
  HandleResult handle_delivery(const topics::DeliveryTopic& topic, std::string_view payload, std::string_view user,
                               TimePoint now);
  HandleResult handle_recall(const topics::RecallTopic& topic, std::string_view payload, TimePoint now);
  // herald/remind/{account}/{id}/{this path}: shows the stored message again (through the
  // display and its budget) if this inbox holds it from that account, unexpired and
  // unread, and for the user at this screen; otherwise Action::ignored with the reason.
  // Never stores anything but the `displayed` mark of a message not shown before.
  HandleResult handle_remind(const topics::RemindTopic& topic, std::string_view payload, std::string_view user,
                             TimePoint now);
  // Shows the alert; returns when, or nullopt if the display failed (logged).
  std::optional<TimePoint> show(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery,
                                std::string_view user);
  std::optional<TimePoint> show(const ShownAlert& alert);
  // True (and the ALERT log line written) if the alert goes to a desktop program.
  bool hand_off(const topics::DeliveryTopic& topic, const payloads::Delivery& delivery, std::string_view user);
  void note(const std::string& text) const;

  std::string agent_path_;
  Inbox& inbox_;
  Display& display_;
  bool verbose_;
  DisplayBudget budget_;
  std::function<bool()> hand_off_;
  // Alerts shown whose store then failed (disk full), by id: handled again later, they
  // are stored as displayed at that time instead of being shown once more. Bounded.
  static constexpr std::size_t kMaxShownUnstored = 256;
  std::map<std::string, TimePoint> shown_unstored_;
};

// What the agent did with one ChatUpdate on herald/chatdown/{its path}.
struct ChatHandled {
  bool dropped = false;
  std::string reason;        // why it was dropped (logged)
  std::string conversation;  // the update's target
  ChatApplied applied;
};

// Checks and stores one ChatUpdate for the agent at `agent_path`: the topic must be
// its own chatdown topic, the conversation its own path or a person's (heraldd routes
// a person's conversation to the computers that person is logged in at; which login
// the employee sees is the CLI's choice), every line numbered from 1. Never throws for
// bad input: it is logged as "dropped message on TOPIC: why". Error(storage) does
// propagate.
ChatHandled handle_chat_down(ChatStore& store, std::string_view agent_path, std::string_view topic,
                             std::string_view payload);

}  // namespace herald::agent
