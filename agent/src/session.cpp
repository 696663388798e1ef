#include "herald/agent/session.hpp"

#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "herald/agent/handler.hpp"
#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/paho.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.0.0"
#endif

namespace herald::agent {
namespace {

constexpr auto kStopWait = std::chrono::seconds(2);

// Paho's tokens carry codes only; say what they mean to an admin (broker_errors.hpp),
// with the codes for the record.
std::string describe_failure(const mqtt::token& tok, mqtt_edge::Operation op, int mqtt_version) {
  int rc = tok.get_return_code();
  int reason = static_cast<int>(tok.get_reason_code());
  int code = mqtt_edge::paho_code(rc, reason, op);
  std::string text = mqtt_edge::error_text(code, mqtt_version, op);
  if (rc == MQTTASYNC_FAILURE && code == mqtt_edge::kNoConnection)
    text += " (broker down, wrong address, or TLS handshake refused: check ca_file, cert_file, key_file)";
  else if (mqtt_edge::error_kind(code, mqtt_version, op) == ErrorKind::auth)
    text += " (is the certificate's CN a computer the broker knows?)";
  text += " [return code " + std::to_string(rc);
  if (reason != 0) text += ", reason code " + std::to_string(reason);
  return text + "]";
}

// "1.7" (seconds), for the retry log lines.
std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// What heraldd confirms a receipt by: its message id and state.
struct ReceiptId {
  std::string id;
  payloads::AckState state = payloads::AckState::delivered;
};

// The receipt an outbox entry carries; nullopt if it is not an Ack (then heraldd never
// confirms it, and the broker's PUBACK is all there is).
std::optional<ReceiptId> receipt_of(const OutboxEntry& e) {
  try {
    auto parsed = topics::parse(e.topic);
    if (auto* t = std::get_if<topics::AckTopic>(&parsed))
      return ReceiptId{t->id, payloads::decode<payloads::Ack>(e.payload).state};
  } catch (const std::exception&) {
    // Not an Ack.
  }
  return std::nullopt;
}

// "delivered for <id>" for an outbox entry, for the log.
std::string receipt_label(const OutboxEntry& e, const std::optional<ReceiptId>& r) {
  if (r) return std::string(payloads::ack_state_name(r->state)) + " for " + r->id;
  return "on " + e.topic;
}

// How a confirmation names a receipt, for matching.
std::string confirmation_key(std::string_view id, payloads::AckState state) {
  std::string k(id);
  k += '\0';
  k += static_cast<char>('0' + static_cast<int>(state));
  return k;
}

}  // namespace

// The session proper. Paho invokes Listener and the client's handlers on its own
// threads; they only post to the executor, where everything else runs.
class AgentSession::Impl {
 public:
  Impl(SessionSettings settings, Inbox& inbox, Display& display, Executor* executor, DisplayedHook on_displayed);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void start();
  void stop();
  void wake();
  void refresh_user();
  void show_alerts(std::vector<std::string> ids);
  bool is_connected() const { return client_ && client_->is_connected(); }
  const std::string& path() const { return settings_.path; }
  std::size_t filter_count() const { return filters_.size(); }
  int version() const { return settings_.broker.mqtt_version; }

 private:
  class Listener;
  void post(std::function<void()> task);
  void connect();
  void on_connected();
  void on_connection_lost(const std::string& cause);
  void on_connect_failed(const std::string& reason);
  // Arms the retry timer (if not armed yet) and returns the delay, for the log.
  std::chrono::milliseconds schedule_retry();
  void on_message(const mqtt::const_message_ptr& msg);
  // Handles one received message; false if the store failed (disk full), in which case
  // it is held in unstored_ and retried by retry_unstored().
  bool handle_message(const std::string& topic, const std::string& payload);
  void retry_unstored();
  void on_publish_done(std::uint64_t token_no, bool ok, int code);  // code: paho_code of a failure
  void on_confirmation(std::string_view payload);
  void flush();
  void done(std::string key);  // queues the outbox entry for removal (confirmed_)
  void remove_confirmed();     // deletes confirmed_ from the outbox
  void arm_resend(Executor::Clock::time_point at);
  void on_resend_timer();
  // Flush after a random delay (max_flush_delay, or the org_wide_flush window).
  void flush_soon(bool org_wide);
  void publish_presence(bool online);
  // Chat (settings_.chat set).
  void on_chat_down(std::string_view payload);
  bool publish_chat_up(const payloads::ChatUp& up);
  void chat_sync(const std::string& conversation);
  // Sends the outbox lines not sent within chat_resend and the pending read marks (after
  // a reconnect also the read marks heraldd has not reflected); arms the re-send timer
  // while lines wait for their echo.
  void flush_chat(bool reconnected);
  // A person's conversation is heraldd's only while that person is logged in here.
  bool may_speak_in(std::string_view conversation);
  void arm_expiry(std::optional<TimePoint> at);
  void on_expiry_timer();
  std::string current_user();
  void note(const std::string& text) const;  // INFO if verbose, else DEBUG

  SessionSettings settings_;
  Inbox& inbox_;
  std::unique_ptr<Executor> own_executor_;
  Executor& executor_;
  MessageHandler handler_;
  DisplayedHook on_displayed_;
  std::unique_ptr<mqtt::async_client> client_;
  mqtt::connect_options options_;
  std::unique_ptr<Listener> connect_listener_;
  std::unique_ptr<Listener> publish_listener_;
  std::unique_ptr<Listener> subscribe_listener_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;

  // Worker-thread state.
  bool connected_ = false;
  unsigned retry_attempt_ = 0;  // retries since the last successful connect
  std::optional<Executor::TimerId> retry_timer_;
  std::optional<Executor::TimerId> expiry_timer_;
  std::optional<Executor::TimerId> flush_timer_;
  Executor::Clock::time_point flush_at_{};  // when flush_timer_ fires
  std::minstd_rand random_;                 // delays and jitter; seeded per session
  std::optional<TimePoint> expiry_at_;
  std::uint64_t next_token_ = 1;
  struct InFlight {
    std::string key;    // outbox key
    std::string label;  // "read for <id>", for the log
    std::optional<ReceiptId> receipt;
  };
  std::map<std::uint64_t, InFlight> in_flight_;  // by token number
  // Receipts the broker acknowledged that heraldd has not confirmed yet, by outbox key.
  struct Sent {
    std::string confirmation;  // confirmation_key()
    Executor::Clock::time_point resend_at;
  };
  std::map<std::string, Sent> sent_;
  std::map<std::string, unsigned> resends_;  // timeouts so far, by outbox key (backoff)
  std::optional<Executor::TimerId> resend_timer_;
  Executor::Clock::time_point resend_at_{};  // when resend_timer_ fires
  std::vector<std::string> confirmed_;       // outbox keys done with, to delete
  std::optional<Executor::TimerId> cleanup_timer_;
  std::vector<std::string> filters_;  // what each (re)connect subscribes to
  std::string confirmation_topic_;    // herald/receipted/{path}
  std::string presence_user_;
  // Chat: when each outbox line (by post id) was last handed to the broker on this
  // connection, the re-send timer, and when a gap last made us ask for lines again.
  std::string chat_down_topic_;
  std::string chat_up_topic_;
  std::map<std::string, Executor::Clock::time_point> chat_sent_;
  std::optional<Executor::TimerId> chat_timer_;
  std::map<std::string, Executor::Clock::time_point> chat_gap_sync_;

  // Storage failures (disk full): the messages the inbox could not store are held here
  // (in order, up to kMaxUnstored) and handled again by a timer with backoff until the
  // store takes them, so none is lost while the connection lasts. One warning per
  // episode. Past the bound, later ones are not held: once storage works again the
  // session subscribes again, and the broker sends its retained copies once more.
  static constexpr std::size_t kMaxUnstored = 256;
  std::deque<std::pair<std::string, std::string>> unstored_;
  bool unstored_overflow_ = false;
  unsigned unstored_attempt_ = 0;
  std::optional<Executor::TimerId> unstored_timer_;
};

// Paho invokes these on its own threads: they only post to the executor.
class AgentSession::Impl::Listener final : public mqtt::iaction_listener {
 public:
  enum class Kind { connect, publish, subscribe };
  Listener(Impl& session, Kind kind) : session_(session), kind_(kind) {}

  void on_success(const mqtt::token& tok) override {
    switch (kind_) {
      case Kind::connect:
        break;  // the connected handler does the work, on reconnects too
      case Kind::publish: {
        auto no = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(tok.get_user_context()));
        session_.post([s = &session_, no] { s->on_publish_done(no, true, 0); });
        break;
      }
      case Kind::subscribe: {
        std::size_t refused = 0;
        try {
          auto response = tok.get_subscribe_response();
          for (auto code : response.get_reason_codes())
            if (mqtt_edge::is_failure(static_cast<int>(code), session_.version(), mqtt_edge::Operation::subscribe))
              ++refused;
        } catch (const std::exception&) {
          // No per-filter codes (MQTT 3.1.1 without response data): nothing refused.
        }
        // "subscribed" is the ready mark: retained messages follow from here on.
        session_.post([s = &session_, refused] {
          auto filters = s->filter_count();
          if (refused > 0)
            log::warn("broker refused " + std::to_string(refused) + " of " + std::to_string(filters) +
                      " subscriptions of " + s->path());
          s->note("subscribed to " + std::to_string(filters - std::min(filters, refused)) + " topic filters for " +
                  s->path());
        });
        break;
      }
    }
  }

  void on_failure(const mqtt::token& tok) override {
    switch (kind_) {
      case Kind::connect:
        session_.post([s = &session_, reason = describe_failure(tok, mqtt_edge::Operation::connect,
                                                                session_.version())] { s->on_connect_failed(reason); });
        break;
      case Kind::publish: {
        auto no = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(tok.get_user_context()));
        int code = mqtt_edge::paho_code(tok.get_return_code(), static_cast<int>(tok.get_reason_code()),
                                        mqtt_edge::Operation::publish);
        session_.post([s = &session_, no, code] { s->on_publish_done(no, false, code); });
        break;
      }
      case Kind::subscribe:
        session_.post([reason = describe_failure(tok, mqtt_edge::Operation::subscribe, session_.version())] {
          log::warn("subscribe failed: " + reason);
        });
        break;
    }
  }

 private:
  Impl& session_;
  Kind kind_;
};

AgentSession::Impl::Impl(SessionSettings settings, Inbox& inbox, Display& display, Executor* executor,
                         DisplayedHook on_displayed)
    : settings_(std::move(settings)),
      inbox_(inbox),
      own_executor_(executor ? nullptr : std::make_unique<Executor>()),
      executor_(executor ? *executor : *own_executor_),
      handler_(settings_.path, inbox, display, settings_.verbose),
      on_displayed_(std::move(on_displayed)) {
  require_org_path(settings_.path, "agent path");
  if (settings_.front_end)
    handler_.set_hand_off([front_end = settings_.front_end] { return front_end->takes_alerts(); });
  confirmation_topic_ = topics::receipted(settings_.path);
  filters_ = topics::agent_filters(settings_.path);
  filters_.push_back(confirmation_topic_);
  chat_down_topic_ = topics::chat_down(settings_.path);
  chat_up_topic_ = topics::chat_up(settings_.path);
  // The broker's agent listener uses the certificate's CN, the org path, as the client id
  // whatever the agent sends (use_username_as_clientid): send that same id.
  if (settings_.client_id.empty()) settings_.client_id = settings_.path;
  if (settings_.host.empty()) settings_.host = host_name();
  // Sessions started in the same instant (a swarm) must not draw the same delays.
  random_.seed(
      static_cast<std::minstd_rand::result_type>(std::random_device{}() ^ std::hash<std::string>{}(settings_.path)));
  int version = settings_.broker.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  try {
    client_ =
        std::make_unique<mqtt::async_client>(settings_.broker.uri, settings_.client_id, mqtt::create_options(version),
                                             static_cast<mqtt::iclient_persistence*>(nullptr));
  } catch (const mqtt::exception& e) {
    throw Error(ErrorKind::config, trf("cannot use broker address '{1}': {2}", {settings_.broker.uri, e.what()}));
  }
  connect_listener_ = std::make_unique<Listener>(*this, Listener::Kind::connect);
  publish_listener_ = std::make_unique<Listener>(*this, Listener::Kind::publish);
  subscribe_listener_ = std::make_unique<Listener>(*this, Listener::Kind::subscribe);

  // The will is fixed at connect time, so its `at` is when the session started.
  payloads::Presence offline{false, herald::now(), current_user(), settings_.host, HERALD_VERSION};
  auto builder = mqtt_edge::connect_options(settings_.broker);
  // No automatic_reconnect: Paho retries every client at the same instants (1, 2, 4 ..
  // 30 s, no jitter), so after a broker restart thousands of TLS handshakes arrived at
  // once on a listen backlog of 100 (bench/README.md, "Reconnect storm"). The session
  // reconnects with its own jittered timer instead (schedule_retry).
  builder.will(mqtt::message(topics::presence(settings_.path), payloads::encode(offline), 1, true));
  // Receipts are kept in our own LMDB outbox, so the broker need not keep a session.
  if (version == MQTTVERSION_5)
    builder.clean_start(true);
  else
    builder.clean_session(true);
  options_ = builder.finalize();

  client_->set_connected_handler([this](const std::string&) { post([this] { on_connected(); }); });
  client_->set_connection_lost_handler(
      [this](const std::string& cause) { post([this, cause] { on_connection_lost(cause); }); });
  client_->set_message_callback(
      [this](mqtt::const_message_ptr msg) { post([this, msg = std::move(msg)] { on_message(msg); }); });
}

AgentSession::Impl::~Impl() {
  stop();
  client_.reset();  // before the listeners it may still reference
}

void AgentSession::Impl::post(std::function<void()> task) {
  if (stopping_) return;
  executor_.post([this, task = std::move(task)] {
    if (!stopping_) task();
  });
}

void AgentSession::Impl::start() {
  if (started_) return;
  started_ = true;
  post([this] {
    auto removed = inbox_.purge_expired(herald::now());
    if (removed > 0) log::info("expired " + std::to_string(removed) + " message(s)");
    arm_expiry(inbox_.next_expiry());
    connect();
  });
}

void AgentSession::Impl::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  // From here on, queued tasks of this session are no-ops; wait for the one that may
  // be running, then nothing on the worker touches the worker-thread state.
  executor_.drain();
  if (retry_timer_) executor_.cancel(*retry_timer_);
  if (expiry_timer_) executor_.cancel(*expiry_timer_);
  if (flush_timer_) executor_.cancel(*flush_timer_);
  if (cleanup_timer_) executor_.cancel(*cleanup_timer_);
  if (unstored_timer_) executor_.cancel(*unstored_timer_);
  if (resend_timer_) executor_.cancel(*resend_timer_);
  if (chat_timer_) executor_.cancel(*chat_timer_);
  // The worker is idle and its timers are cancelled: its state is ours now.
  try {
    remove_confirmed();
  } catch (const Error& e) {
    log::warn(std::string("cannot clean the outbox: ") + e.what() + "; those receipts are sent again");
  }
  try {
    if (client_->is_connected()) {
      payloads::Presence offline{false, herald::now(), current_user(), settings_.host, HERALD_VERSION};
      client_->publish(mqtt::make_message(topics::presence(settings_.path), payloads::encode(offline), 1, true))
          ->wait_for(kStopWait);
      client_->disconnect()->wait_for(kStopWait);
      log::info("disconnected from " + settings_.broker.uri + " (stopping)");
    } else {
      // Also ends a pending connect.
      client_->disconnect()->wait_for(kStopWait);
    }
  } catch (const mqtt::exception& e) {
    log::debug(std::string("disconnect: ") + e.what());
  }
  client_->disable_callbacks();
  executor_.drain();
}

void AgentSession::Impl::wake() {
  post([this] {
    flush_chat(false);  // first: a person waits at the screen for the helpdesk to see it
    flush();
  });
}

void AgentSession::Impl::refresh_user() {
  post([this] {
    if (!connected_) return;
    auto user = current_user();
    if (user == presence_user_) return;
    publish_presence(true);
    // After the presence, so heraldd knows who is logged in when the sync arrives.
    if (settings_.chat && !user.empty()) {
      chat_sync(person_conversation(user));
      flush_chat(false);
    }
  });
}

void AgentSession::Impl::show_alerts(std::vector<std::string> ids) {
  post([this, ids = std::move(ids)] {
    bool queued = false;
    for (const auto& id : ids) {
      HandleResult r;
      try {
        r = handler_.show_stored(id, current_user(), herald::now());
      } catch (const Error& e) {
        log::warn("cannot show alert " + id + " the desktop program left unanswered: " + e.what());
        continue;
      }
      queued = queued || r.outbox_changed;
      if (r.displayed_at && on_displayed_) on_displayed_(r.id, *r.displayed_at);
    }
    if (queued) {
      flush_soon(false);
      if (settings_.front_end) settings_.front_end->inbox_changed();
    }
  });
}

void AgentSession::Impl::note(const std::string& text) const {
  if (settings_.verbose)
    log::info(text);
  else
    log::debug(text);
}

std::string AgentSession::Impl::current_user() {
  return settings_.user_source ? settings_.user_source() : settings_.user;
}

void AgentSession::Impl::connect() {
  retry_timer_.reset();
  auto timeout = settings_.broker.connect_timeout;
  for (unsigned i = 0; i < retry_attempt_ && timeout < settings_.max_connect_timeout; ++i) timeout *= 2;
  options_.set_connect_timeout(
      std::max(std::min(timeout, settings_.max_connect_timeout), settings_.broker.connect_timeout));
  try {
    client_->connect(options_, nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    on_connect_failed(e.what());
  }
}

std::chrono::milliseconds AgentSession::Impl::schedule_retry() {
  using std::chrono::milliseconds;
  milliseconds delay;
  milliseconds max_delay = settings_.max_retry;
  if (retry_attempt_ == 0) {
    // The first retry is spread widely: every agent lost the broker at the same moment.
    std::uniform_int_distribution<std::int64_t> pick(200, 3000);
    delay = std::min(milliseconds(pick(random_)), std::max(max_delay, milliseconds(200)));
  } else {
    milliseconds base = settings_.min_retry;
    for (unsigned i = 1; i < retry_attempt_ && base < max_delay; ++i) base *= 2;
    base = std::min(base, max_delay);
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    delay = std::min(milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter(random_))),
                     max_delay);
    delay = std::max(delay, milliseconds(100));
  }
  ++retry_attempt_;
  if (!retry_timer_)
    retry_timer_ = executor_.schedule_at(Executor::Clock::now() + delay, [this] {
      if (!stopping_) connect();
    });
  return delay;
}

void AgentSession::Impl::on_connect_failed(const std::string& reason) {
  if (connected_ || retry_timer_) return;
  auto delay = schedule_retry();
  log::warn("cannot connect to " + settings_.broker.uri + " as " + settings_.path + ": " + reason + "; retrying in " +
            seconds_text(delay) + " s");
}

void AgentSession::Impl::on_connected() {
  connected_ = true;
  retry_attempt_ = 0;
  in_flight_.clear();
  // Every unconfirmed receipt goes again now (the flush below): the broker may have
  // dropped it (a restart without heraldd's session) or heraldd's confirmation.
  sent_.clear();
  if (resend_timer_) executor_.cancel(*resend_timer_);
  resend_timer_.reset();
  note("connected to " + settings_.broker.uri + " as " + settings_.path);
  try {
    auto collection = mqtt::string_collection::create(filters_);
    mqtt::iasync_client::qos_collection qos(filters_.size(), 1);
    client_->subscribe(collection, qos, nullptr, *subscribe_listener_);
    publish_presence(true);
  } catch (const mqtt::exception& e) {
    log::warn("after connecting: " + std::string(e.what()));
  }
  flush();
  if (settings_.chat) {
    chat_sent_.clear();
    chat_gap_sync_.clear();
    chat_sync(settings_.path);
    if (auto user = current_user(); !user.empty()) chat_sync(person_conversation(user));
    flush_chat(true);
  }
  if (settings_.on_connected) settings_.on_connected();
}

void AgentSession::Impl::on_connection_lost(const std::string& cause) {
  connected_ = false;
  // Publishes without PUBACK are re-sent from the outbox after the reconnect.
  in_flight_.clear();
  if (retry_timer_) return;  // a reconnect is already scheduled
  auto delay = schedule_retry();
  log::warn("disconnected from " + settings_.broker.uri + (cause.empty() ? "" : ": " + cause) + "; reconnecting in " +
            seconds_text(delay) + " s");
}

void AgentSession::Impl::on_message(const mqtt::const_message_ptr& msg) {
  if (msg->get_topic() == confirmation_topic_) {
    const auto& payload = msg->get_payload();
    return on_confirmation(std::string_view(payload.data(), payload.size()));
  }
  if (msg->get_topic() == chat_down_topic_) {
    const auto& payload = msg->get_payload();
    return on_chat_down(std::string_view(payload.data(), payload.size()));
  }
  if (!unstored_.empty()) {
    // The store is failing: keep the order, wait for the retry.
    if (unstored_.size() < kMaxUnstored)
      unstored_.emplace_back(msg->get_topic(), msg->get_payload_str());
    else
      unstored_overflow_ = true;
    return;
  }
  if (handle_message(msg->get_topic(), msg->get_payload_str())) return;
  unstored_.emplace_back(msg->get_topic(), msg->get_payload_str());
  unstored_attempt_ = 0;
  retry_unstored();  // arms the timer (the first attempt just failed)
}

bool AgentSession::Impl::handle_message(const std::string& topic, const std::string& payload) {
  HandleResult result;
  try {
    result = handler_.handle(topic, payload, current_user(), herald::now());
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::storage) throw;
    if (unstored_.empty())
      log::error("cannot store received messages: " + std::string(e.what()) +
                 "; holding them and retrying until the store takes them");
    return false;
  }
  if (result.expires_at) arm_expiry(result.expires_at);
  if (result.outbox_changed) flush_soon(result.org_wide);
  if (result.displayed_at && on_displayed_) on_displayed_(result.id, *result.displayed_at);
  if (auto* front_end = settings_.front_end) {
    using Action = HandleResult::Action;
    if (result.handed_off || (result.action == Action::stored && result.displayed_at))
      front_end->alert_arrived(result.id, result.handed_off);
    if (result.action == Action::stored || result.action == Action::recall || result.displayed_at)
      front_end->inbox_changed();
  }
  return true;
}

void AgentSession::Impl::retry_unstored() {
  unstored_timer_.reset();
  if (stopping_) return;
  if (unstored_attempt_ > 0) {
    while (!unstored_.empty() && handle_message(unstored_.front().first, unstored_.front().second))
      unstored_.pop_front();
    if (unstored_.empty()) {
      log::info("the store works again: stored the messages held since it failed");
      unstored_attempt_ = 0;
      if (std::exchange(unstored_overflow_, false) && connected_) {
        // Some were not held: subscribing again makes the broker send its retained copies.
        try {
          auto filters = topics::agent_filters(settings_.path);
          client_->subscribe(mqtt::string_collection::create(filters),
                             mqtt::iasync_client::qos_collection(filters.size(), 1), nullptr, *subscribe_listener_);
        } catch (const mqtt::exception& e) {
          log::warn("subscribing again after the store recovered: " + std::string(e.what()));
        }
      }
      return;
    }
  }
  // 1, 2, 4 .. 60 s.
  auto delay = std::chrono::seconds(1u << std::min(unstored_attempt_, 6u));
  ++unstored_attempt_;
  unstored_timer_ = executor_.schedule_at(Executor::Clock::now() + std::min(delay, std::chrono::seconds(60)),
                                          [this] { retry_unstored(); });
}

void AgentSession::Impl::flush_soon(bool org_wide) {
  std::int64_t low = 0, high = settings_.max_flush_delay.count();
  if (org_wide) {
    low = settings_.org_wide_flush_min.count();
    high = std::max(low, settings_.org_wide_flush_max.count());
  }
  if (high <= 0) return flush();
  std::uniform_int_distribution<std::int64_t> pick(low, high);
  auto at = Executor::Clock::now() + std::chrono::milliseconds(pick(random_));
  if (flush_timer_) {
    if (flush_at_ <= at) return;  // the armed flush comes first and sends this receipt too
    executor_.cancel(*flush_timer_);
  }
  flush_at_ = at;
  flush_timer_ = executor_.schedule_at(at, [this] {
    if (stopping_) return;  // stop() may be waiting; the session's state is no longer ours
    flush_timer_.reset();
    flush();
  });
}

void AgentSession::Impl::flush() {
  if (!connected_ || in_flight_.size() >= settings_.max_in_flight) return;
  std::set<std::string> pending(confirmed_.begin(), confirmed_.end());
  for (const auto& [no, sent] : in_flight_) pending.insert(sent.key);
  for (const auto& [key, sent] : sent_) pending.insert(key);
  for (const auto& entry : inbox_.outbox(pending.size() + settings_.max_in_flight)) {
    if (in_flight_.size() >= settings_.max_in_flight) break;
    if (pending.count(entry.key)) continue;
    auto receipt = receipt_of(entry);
    auto no = next_token_++;
    try {
      client_->publish(mqtt::make_message(entry.topic, entry.payload, 1, false),
                       reinterpret_cast<void*>(static_cast<std::uintptr_t>(no)), *publish_listener_);
    } catch (const mqtt::exception& e) {
      log::warn("cannot send receipt " + receipt_label(entry, receipt) + " now: " + e.what() + "; it stays queued");
      return;
    }
    in_flight_[no] = InFlight{entry.key, receipt_label(entry, receipt), std::move(receipt)};
  }
}

void AgentSession::Impl::on_publish_done(std::uint64_t token_no, bool ok, int code) {
  auto it = in_flight_.find(token_no);
  if (it == in_flight_.end()) return;  // from before a reconnect: the entry was re-sent
  auto [key, label, receipt] = std::move(it->second);
  in_flight_.erase(it);
  if (ok) {
    if (settings_.verbose)
      log::info("sent receipt " + label);
    else
      log::debug("sent receipt " + label);
    if (!receipt) {
      done(std::move(key));  // not a receipt: heraldd confirms nothing else
    } else {
      // Kept until heraldd confirms it; sent again if it does not in time.
      auto base = settings_.receipt_timeout;
      for (unsigned i = resends_[key]; i > 0 && base < settings_.max_receipt_timeout; --i) base *= 2;
      base = std::min(base, settings_.max_receipt_timeout);
      std::uniform_real_distribution<double> jitter(0.75, 1.25);
      auto at =
          Executor::Clock::now() +
          std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter(random_)));
      sent_[key] = Sent{confirmation_key(receipt->id, receipt->state), at};
      arm_resend(at);
    }
  } else if (mqtt_edge::is_refusal(code)) {
    // Re-sending a refused receipt would be refused again (the ACL or the certificate
    // is wrong, or the broker rejects the topic or payload): the admin must fix it.
    log::error("broker refused receipt " + label + ": " +
               mqtt_edge::error_text(code, version(), mqtt_edge::Operation::publish) + "; dropping it");
    inbox_.remove_outbox(key);
    resends_.erase(key);
  } else {
    log::debug("receipt " + label + " not acknowledged (" +
               mqtt_edge::error_text(code, version(), mqtt_edge::Operation::publish) + "); re-sent after reconnect");
    return;
  }
  flush();
}

void AgentSession::Impl::on_confirmation(std::string_view payload) {
  payloads::Receipted confirmed;
  try {
    confirmed = payloads::decode<payloads::Receipted>(payload);
  } catch (const Error& e) {
    log::warn("dropped a confirmation of receipts on " + confirmation_topic_ + ": " + printable(e.what(), 300));
    return;
  }
  std::set<std::string> wanted;
  for (const auto& item : confirmed.receipts) wanted.insert(confirmation_key(item.id, item.state));
  std::size_t n = 0;
  for (auto it = sent_.begin(); it != sent_.end();) {
    if (!wanted.count(it->second.confirmation)) {
      ++it;
      continue;
    }
    resends_.erase(it->first);
    done(it->first);
    it = sent_.erase(it);
    ++n;
  }
  // A re-sent copy may still await its PUBACK while the first one's confirmation comes.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const auto& r = it->second.receipt;
    if (!r || !wanted.count(confirmation_key(r->id, r->state))) {
      ++it;
      continue;
    }
    resends_.erase(it->second.key);
    done(std::move(it->second.key));
    it = in_flight_.erase(it);
    ++n;
  }
  log::debug("heraldd confirmed " + std::to_string(n) + " receipt(s) of " + settings_.path);
  flush();
}

void AgentSession::Impl::done(std::string key) {
  confirmed_.push_back(std::move(key));
  if (confirmed_.size() >= settings_.cleanup_batch || settings_.cleanup_delay <= std::chrono::milliseconds::zero()) {
    remove_confirmed();
  } else if (!cleanup_timer_) {
    cleanup_timer_ = executor_.schedule_at(Executor::Clock::now() + settings_.cleanup_delay, [this] {
      if (stopping_) return;  // stop() cleans up itself
      cleanup_timer_.reset();
      remove_confirmed();
    });
  }
}

void AgentSession::Impl::remove_confirmed() {
  if (confirmed_.empty()) return;
  inbox_.remove_outbox(confirmed_);
  confirmed_.clear();
}

void AgentSession::Impl::arm_resend(Executor::Clock::time_point at) {
  if (resend_timer_) {
    if (resend_at_ <= at) return;  // the armed one comes first and re-arms for this one
    executor_.cancel(*resend_timer_);
  }
  resend_at_ = at;
  resend_timer_ = executor_.schedule_at(at, [this] {
    if (stopping_) return;
    resend_timer_.reset();
    on_resend_timer();
  });
}

void AgentSession::Impl::on_resend_timer() {
  auto now = Executor::Clock::now();
  std::size_t due = 0;
  std::optional<Executor::Clock::time_point> next;
  for (auto it = sent_.begin(); it != sent_.end();) {
    if (it->second.resend_at > now) {
      if (!next || it->second.resend_at < *next) next = it->second.resend_at;
      ++it;
      continue;
    }
    ++resends_[it->first];
    it = sent_.erase(it);  // no longer "sent": the flush below sends it again
    ++due;
  }
  if (next) arm_resend(*next);
  if (due == 0) return;
  log::info("heraldd has not confirmed " + std::to_string(due) + " receipt(s) of " + settings_.path +
            "; sending them again");
  flush();
}

void AgentSession::Impl::publish_presence(bool online) {
  payloads::Presence p{online, herald::now(), current_user(), settings_.host, HERALD_VERSION};
  try {
    client_->publish(mqtt::make_message(topics::presence(settings_.path), payloads::encode(p), 1, true));
    presence_user_ = p.user;
  } catch (const mqtt::exception& e) {
    log::warn("cannot publish presence: " + std::string(e.what()));
  }
}

void AgentSession::Impl::on_chat_down(std::string_view payload) {
  if (!settings_.chat) {
    log::debug("ignored chat lines on " + chat_down_topic_ + ": this session keeps no chat");
    return;
  }
  if (payload.empty()) return;  // a retained clear
  ChatHandled handled;
  try {
    handled = handle_chat_down(*settings_.chat, settings_.path, chat_down_topic_, payload);
  } catch (const Error& e) {
    // Not acknowledged: heraldd sends the lines again (every 30 s, and after our sync).
    log::error("cannot store chat lines: " + std::string(e.what()) + "; heraldd sends them again");
    return;
  }
  if (handled.dropped) return;
  const auto& applied = handled.applied;
  if (settings_.front_end && (applied.stored > 0 || applied.confirmed > 0)) settings_.front_end->chat_changed();
  note("stored " + std::to_string(applied.stored) + " chat line(s) of " + handled.conversation +
       (applied.confirmed ? ", " + std::to_string(applied.confirmed) + " of ours recorded" : ""));
  if (applied.stored > 0 && applied.contiguous > 0) {
    payloads::ChatUp ack;
    ack.op = payloads::ChatUpOp::ack;
    ack.conversation = handled.conversation;
    ack.seq = applied.contiguous;
    ack.at = herald::now();
    if (may_speak_in(ack.conversation)) publish_chat_up(ack);
  }
  if (applied.gap) {
    // A line is missing below one we hold (lost, or this person's earlier lines never
    // came to this computer): ask for them, at most every few seconds.
    auto now = Executor::Clock::now();
    auto& last = chat_gap_sync_[handled.conversation];
    if (last == Executor::Clock::time_point{} || now - last >= std::chrono::seconds(5)) {
      last = now;
      if (may_speak_in(handled.conversation)) chat_sync(handled.conversation);
    }
  }
}

bool AgentSession::Impl::may_speak_in(std::string_view conversation) {
  if (conversation == settings_.path) return true;
  auto user = current_user();
  return !user.empty() && conversation == person_conversation(user);
}

bool AgentSession::Impl::publish_chat_up(const payloads::ChatUp& up) {
  if (!connected_) return false;
  try {
    client_->publish(mqtt::make_message(chat_up_topic_, payloads::encode(up), 1, false));
    return true;
  } catch (const mqtt::exception& e) {
    // Repaired by the re-sends: the outbox, and the sync after the next connect.
    log::debug("cannot send chat " + std::string(payloads::chat_up_op_name(up.op)) + " now: " + e.what());
    return false;
  }
}

void AgentSession::Impl::chat_sync(const std::string& conversation) {
  payloads::ChatUp sync;
  sync.op = payloads::ChatUpOp::sync;
  sync.conversation = conversation;
  try {
    if (auto state = settings_.chat->state(conversation)) sync.seq = state->contiguous;
  } catch (const Error& e) {
    log::warn("cannot read the chat state of " + conversation + ": " + e.what() + "; asking for every line");
  }
  sync.at = herald::now();
  publish_chat_up(sync);
}

void AgentSession::Impl::flush_chat(bool reconnected) {
  if (!settings_.chat || !connected_) return;
  auto now = Executor::Clock::now();
  std::vector<ChatOutboxLine> waiting;
  std::vector<std::pair<std::string, std::uint64_t>> reads;
  try {
    waiting = settings_.chat->outbox();
    reads = settings_.chat->pending_reads();
    if (reconnected) {
      // The broker may have lost a read mark it acknowledged; heraldd's lines say.
      for (auto& r : settings_.chat->unconfirmed_reads())
        if (std::none_of(reads.begin(), reads.end(), [&](const auto& p) { return p.first == r.first; }))
          reads.push_back(std::move(r));
    }
  } catch (const Error& e) {
    log::warn("cannot read the chat outbox: " + std::string(e.what()));
    return;
  }
  std::map<std::string, Executor::Clock::time_point> still_sent;
  std::size_t sent = 0;
  for (const auto& line : waiting) {
    auto it = chat_sent_.find(line.post);
    if (it != chat_sent_.end() && now - it->second < settings_.chat_resend) {
      still_sent.insert(*it);
      continue;
    }
    if (!may_speak_in(line.conversation)) continue;
    payloads::ChatUp say;
    say.op = payloads::ChatUpOp::say;
    say.conversation = line.conversation;
    say.post = line.post;
    say.text = line.text;
    say.about = line.about;
    say.at = line.at;
    if (!publish_chat_up(say)) break;
    still_sent[line.post] = now;
    ++sent;
  }
  chat_sent_ = std::move(still_sent);  // lines echoed meanwhile are forgotten
  if (sent > 0) note("sent " + std::to_string(sent) + " chat line(s) of " + settings_.path);
  for (const auto& [conversation, seq] : reads) {
    if (!may_speak_in(conversation)) continue;
    payloads::ChatUp read;
    read.op = payloads::ChatUpOp::read;
    read.conversation = conversation;
    read.seq = seq;
    read.at = herald::now();
    if (!publish_chat_up(read)) break;
    try {
      settings_.chat->read_sent(conversation, seq);
    } catch (const Error& e) {
      log::warn("cannot record a sent read mark: " + std::string(e.what()) + "; it is sent again");
    }
  }
  if (!waiting.empty() && !chat_timer_) {
    chat_timer_ = executor_.schedule_at(now + settings_.chat_resend, [this] {
      if (stopping_) return;
      chat_timer_.reset();
      flush_chat(false);
    });
  }
}

void AgentSession::Impl::arm_expiry(std::optional<TimePoint> at) {
  if (!at || (expiry_at_ && *expiry_at_ <= *at)) return;
  if (expiry_timer_) executor_.cancel(*expiry_timer_);
  expiry_at_ = at;
  expiry_timer_ = executor_.schedule_at(*at, [this] {
    if (!stopping_) on_expiry_timer();
  });
}

void AgentSession::Impl::on_expiry_timer() {
  expiry_timer_.reset();
  expiry_at_.reset();
  auto removed = inbox_.purge_expired(herald::now());
  if (removed > 0) log::info("expired " + std::to_string(removed) + " message(s)");
  if (removed > 0 && settings_.front_end) settings_.front_end->inbox_changed();
  arm_expiry(inbox_.next_expiry());
}

AgentSession::AgentSession(SessionSettings settings, Inbox& inbox, Display& display, Executor* executor,
                           DisplayedHook on_displayed)
    : impl_(std::make_unique<Impl>(std::move(settings), inbox, display, executor, std::move(on_displayed))) {}
AgentSession::~AgentSession() = default;  // Impl's destructor stops
void AgentSession::start() { impl_->start(); }
void AgentSession::stop() { impl_->stop(); }
void AgentSession::wake() { impl_->wake(); }
void AgentSession::refresh_user() { impl_->refresh_user(); }
void AgentSession::show_alerts(std::vector<std::string> ids) { impl_->show_alerts(std::move(ids)); }
bool AgentSession::is_connected() const { return impl_->is_connected(); }
const std::string& AgentSession::path() const { return impl_->path(); }

}  // namespace herald::agent
