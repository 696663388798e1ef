#include "herald/scheduler/processor.hpp"

#include <algorithm>
#include <chrono>
#include <variant>

#include "handlers/handlers.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"

namespace herald::scheduler {

namespace handlers {

std::string first_line(std::string_view s) { return printable(s.substr(0, s.find('\n'))); }

void Batch::drop(std::string_view topic, std::string_view reason) {
  ++stats.dropped;
  log::warn(trf("dropped message on {1}: {2}", {printable(topic), first_line(reason)}));
}

}  // namespace handlers

namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// One handler per topic type (handlers/). Exhaustive: a new topics::ParsedTopic
// alternative does not compile until it has its line here.
void handle(handlers::Batch& b, const Inbound& in) {
  // Zero-length payloads are MQTT's clears of retained copies; nothing to record.
  if (in.payload.empty()) return;
  std::visit(
      Overloaded{
          [&](const topics::DeliveryTopic& t) { handlers::delivery(b, t, in); },
          [&](const topics::RecallTopic& t) { handlers::recall(b, t, in); },
          [&](const topics::AckTopic& t) { handlers::receipt(b, t, in); },
          [&](const topics::PresenceTopic& t) { handlers::presence(b, t, in); },
          [&](const topics::RequestTopic& t) { handlers::request(b, t, in); },
          [&](const topics::ReplyTopic&) { throw Error(ErrorKind::protocol, "not a topic heraldd handles"); },
          [&](const topics::ReceiptedTopic&) { throw Error(ErrorKind::protocol, "not a topic heraldd handles"); },
          [&](const topics::CampaignTopic& t) { handlers::campaign(b, t, in); },
          [&](const topics::ScheduleTopic& t) { handlers::schedule(b, t, in); },
          [&](const topics::RemindTopic&) { throw Error(ErrorKind::protocol, "not a topic heraldd handles"); },
          [&](const topics::ChatTopic& t) { handlers::chat_post(b, t, in); },
          [&](const topics::ChatUpTopic& t) { handlers::chat_up(b, t, in); },
          [&](const topics::ChatDownTopic&) { throw Error(ErrorKind::protocol, "not a topic heraldd handles"); },
          [&](const topics::ChatLogTopic&) { throw Error(ErrorKind::protocol, "not a topic heraldd handles"); },
      },
      topics::parse(in.topic));
}

void log_notes(const handlers::Batch& b) {
  for (const auto& note : b.notes) log::info(note);
}

// One confirmation per agent per batch (more only past kMaxReceiptedItems), published
// after the commit like everything else: it promises the receipts are on disk.
void add_confirmations(handlers::Batch& b) {
  for (auto& [agent, confirmed] : b.confirmations()) {
    auto& items = confirmed.receipts;
    for (std::size_t from = 0; from < items.size(); from += payloads::kMaxReceiptedItems) {
      payloads::Receipted part;
      auto to = std::min(items.size(), from + payloads::kMaxReceiptedItems);
      part.receipts.assign(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(from)),
                           std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(to)));
      b.publish(topics::receipted(agent), payloads::encode(part), false);
    }
  }
}

}  // namespace

Processor::Processor(Ledger& ledger, Clock clock, std::shared_ptr<const herald::Clock> due_clock)
    : ledger_(ledger),
      clock_(std::move(clock)),
      due_clock_(due_clock ? std::move(due_clock) : std::shared_ptr<const herald::Clock>(system_clock())) {}

std::vector<Outbound> Processor::process(const std::vector<Inbound>& batch) {
  handlers::Batch b(ledger_, clock_(), stats_, restoring_ ? &seen_ : nullptr);
  b.due_now = due_clock_->now();
  for (const auto& in : batch) {
    try {
      handle(b, in);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::storage) throw;  // the transaction is unusable
      b.drop(in.topic, e.what());
    } catch (const nlohmann::json::exception& e) {
      b.drop(in.topic, e.what());
    }
  }
  b.txn.commit();
  log_notes(b);
  add_confirmations(b);
  if (b.chat_sent && !chat_resend_at_) chat_resend_at_ = b.now + kChatResendInterval;
  return std::move(b.out);
}

void Processor::expire_chats() {
  handlers::Batch b(ledger_, clock_(), stats_, nullptr);
  auto deleted = ledger_.expire_chats(b.txn, b.now - chat_retention_);
  b.txn.commit();
  chats_expired_at_ = b.now;
  if (!deleted.empty())
    log::info(trf("deleted {1} chat conversation(s) whose last line is older than {2} days",
                  {std::to_string(deleted.size()), std::to_string(chat_retention_.count() / 86400)}));
}

std::optional<TimePoint> Processor::next_chat_expiry() {
  auto txn = ledger_.read();
  auto oldest = ledger_.oldest_chat(txn);
  if (!oldest) return std::nullopt;
  auto due = *oldest + chat_retention_;
  if (chats_expired_at_) due = std::max(due, *chats_expired_at_ + kChatExpiryInterval);
  return due;
}

std::vector<Outbound> Processor::resend_chats() {
  handlers::Batch b(ledger_, clock_(), stats_, nullptr);
  auto computers = handlers::resend_chats(b);
  b.txn.commit();  // nothing written: no fsync
  log_notes(b);
  chat_resend_at_ = computers ? std::optional<TimePoint>(b.now + kChatResendInterval) : std::nullopt;
  if (computers) log::info(trf("re-sent unacknowledged chat lines to {1} computer(s)", {std::to_string(computers)}));
  return std::move(b.out);
}

std::vector<Outbound> Processor::expire() {
  handlers::Batch b(ledger_, clock_(), stats_, nullptr);
  for (const auto& id : ledger_.open_due(b.txn, b.now)) {
    auto m = ledger_.message(b.txn, id);
    if (!m) {
      ledger_.set_aside_message(b.txn, id);  // damaged (or gone): not met again at every tick
      continue;
    }
    std::size_t n = 0;
    if (!m->recalled_at) n += handlers::clear_deliveries(b, *m);  // a recall already cleared them
    ledger_.scan_tombstones(b.txn, m->id, [&](std::string_view account, std::string_view target, std::string_view) {
      b.clear(topics::recall(account, m->id, Target::parse(target)));
      ++n;
    });
    ledger_.close_open(b.txn, *m);
    b.notes.push_back("expired " + std::string(topics::kind_name(m->kind)) + " " + m->id + ": cleared " +
                      std::to_string(n) + " retained topics");
  }
  b.txn.commit();
  log_notes(b);
  return std::move(b.out);
}

std::vector<Outbound> Processor::fire_due() {
  handlers::Batch b(ledger_, clock_(), stats_, restoring_ ? &seen_ : nullptr);
  b.due_now = due_clock_->now();
  handlers::fire_due(b);
  b.txn.commit();
  log_notes(b);
  return std::move(b.out);
}

std::optional<TimePoint> Processor::next_due() {
  auto txn = ledger_.read();
  if (auto d = ledger_.next_due(txn)) return d->at;
  return std::nullopt;
}

std::optional<TimePoint> Processor::next_expiry() {
  auto txn = ledger_.read();
  return ledger_.next_expiry(txn);
}

void Processor::begin_restore() {
  restoring_ = true;
  seen_.clear();
}

std::vector<Outbound> Processor::finish_restore() {
  std::vector<Outbound> out;
  std::size_t expected = 0;
  auto now = clock_();
  {
    auto txn = ledger_.read();
    auto want = [&](std::string topic, const std::function<std::string()>& payload) {
      ++expected;
      if (!seen_.count(topic)) out.push_back(Outbound{std::move(topic), payload(), true});
    };
    ledger_.scan_open(txn, now + std::chrono::milliseconds(1), [&](std::string_view id, std::optional<TimePoint>) {
      auto m = ledger_.message(txn, id);
      if (!m) return true;
      if (m->state(now) == MessageState::active) {
        auto original = ledger_.payload(txn, id);
        if (!original) return true;
        for (const auto& t : m->targets)
          want(topics::delivery(m->kind, m->sender, m->id, Target::parse(t)), [&] { return *original; });
        ledger_.scan_routes(txn, m->id, [&](std::string_view computer, std::string_view login) {
          want(topics::delivery(m->kind, m->sender, m->id, Target::path(std::string(computer))),
               [&] { return handlers::routed_payload(*original, login); });
        });
      } else if (m->state(now) == MessageState::recalled) {
        ledger_.scan_tombstones(
            txn, m->id, [&](std::string_view account, std::string_view target, std::string_view payload) {
              want(topics::recall(account, m->id, Target::parse(target)), [&] { return std::string(payload); });
            });
      }
      return true;
    });
  }
  log::info(trf("restore: the broker held {1} of {2} retained topics heraldd expects; republished {3}",
                {std::to_string(expected - out.size()), std::to_string(expected), std::to_string(out.size())}));
  restoring_ = false;
  seen_.clear();
  // The agents may have missed chat lines while heraldd or the broker was away.
  chat_resend_at_ = now;
  return out;
}

}  // namespace herald::scheduler
