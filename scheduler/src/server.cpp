#include "herald/scheduler/server.hpp"

#include <mqtt/async_client.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "herald/common/directory.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/log.hpp"
#include "herald/common/paho.hpp"
#include "herald/common/topics.hpp"
#include "herald/scheduler/ledger.hpp"
#include "herald/scheduler/processor.hpp"

namespace herald::scheduler {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long heraldd waits for the end-of-replay marker before assuming the broker's
// retained replay is over anyway (see Impl::on_connected), and the quiet period after
// the last retained message that the fallback then also requires.
constexpr auto kRestoreMarkerTimeout = std::chrono::seconds(15);
constexpr auto kRestoreSettle = std::chrono::seconds(3);

struct Event {
  enum class Type { message, connected, lost };
  Type type = Type::message;
  Inbound message;
  std::string text;
};

// What the Paho callbacks push onto and the worker drains; callbacks never block on
// anything but this mutex.
class EventQueue {
 public:
  void push(Event e) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(e));
    }
    ready_.notify_one();
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    ready_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Waits until there is something, stop() or the deadline; takes up to max events.
  void pop(std::vector<Event>& out, std::size_t max, SteadyClock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [&] { return stopped_ || !events_.empty(); });
    while (!events_.empty() && out.size() < max) {
      out.push_back(std::move(events_.front()));
      events_.pop_front();
    }
  }
  // Sleeps up to `d` unless stopped; returns false if stopped.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, d, [&] { return stopped_; });
    return !stopped_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
  bool stopped_ = false;
};

}  // namespace

ServerSettings settings_from(const Config& config) {
  Config with_defaults = config;
  if (!config.get("username")) with_defaults.set("username", "heraldd");
  ServerSettings s;
  s.broker = mqtt_edge::settings_from(with_defaults);
  if (s.broker.password.empty())
    throw Error(ErrorKind::config, trf("missing 'password' or 'password_file' in {1}", {config.origin()}));
  s.data_dir = config.path_value("data_dir");
  if (s.data_dir.empty()) throw Error(ErrorKind::config, trf("missing 'data_dir' in {1}", {config.origin()}));
  s.directory_csv = config.path_value("directory_csv");
  // The broker accepts only the account's own name (or "NAME:...") as a password
  // client's id: the persistent session is the account's.
  s.client_id = config.get_or("client_id", s.broker.username);
  if (!is_valid_token(s.client_id) || s.client_id != s.broker.username)
    throw Error(ErrorKind::config,
                trf("'client_id' in {1} must be the account name '{2}' (the broker binds client ids to accounts)",
                    {config.origin(), s.broker.username}));
  auto inflight = config.get_int("max_inflight", 20);
  if (inflight < 1 || inflight > 65535)
    throw Error(ErrorKind::config, tr("'max_inflight' must be between 1 and 65535"));
  s.max_inflight = static_cast<std::size_t>(inflight);
  auto batch = config.get_int("max_batch", 5000);
  if (batch < 1 || batch > 100000) throw Error(ErrorKind::config, tr("'max_batch' must be between 1 and 100000"));
  s.max_batch = static_cast<std::size_t>(batch);
  auto retention = config.get_int("chat_retention_days", 365);
  if (retention < 1 || retention > 36500)
    throw Error(ErrorKind::config, trf("'chat_retention_days' in {1} must be between 1 and 36500", {config.origin()}));
  s.chat_retention_days = static_cast<int>(retention);
  try {
    s.clock = clock_from_config(config.get_or("clock", ""));
  } catch (const Error& e) {
    throw Error(ErrorKind::config, trf("'clock' in {1}: {2}", {config.origin(), e.what()}));
  }
  return s;
}

struct Server::Impl {
  ServerSettings settings;
  EventQueue queue;
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Processor> processor;
  std::unique_ptr<mqtt::async_client> client;
  std::deque<mqtt::delivery_token_ptr> inflight;
  std::string marker_topic;
  std::string marker_token;
  unsigned connections = 0;
  SteadyClock::time_point restore_deadline{};

  explicit Impl(ServerSettings s) : settings(std::move(s)) {
    // A topic only heraldd writes and reads (the server role may use all of herald/).
    marker_topic = topics::reply(settings.broker.username, "heraldd-restore-marker");
  }

  void open_ledger() {
    ledger = std::make_unique<Ledger>(Ledger::Options{settings.data_dir, true});
    processor = std::make_unique<Processor>(*ledger, &herald::now, settings.clock);
    processor->set_chat_retention(std::chrono::hours(24) * settings.chat_retention_days);
    if (settings.directory_csv.empty()) return;
    auto txn = ledger->write();
    if (ledger->has_directory(txn)) return;
    auto entries = load_directory_csv(settings.directory_csv);
    ledger->replace_directory(txn, entries);
    txn.commit();
    log::info(trf("imported the org directory from {1}: {2} entries",
                  {settings.directory_csv, std::to_string(entries.size())}));
  }

  mqtt::connect_options connect_options() {
    auto builder = mqtt_edge::connect_options(settings.broker);
    // A persistent session: the broker queues receipts and presences while heraldd is
    // down and hands them over when it returns.
    if (settings.broker.mqtt_version == 5) {
      auto expiry = static_cast<int>(settings.session_expiry_days) * 24 * 3600;
      builder.clean_start(false).properties(mqtt::properties{{mqtt::property::SESSION_EXPIRY_INTERVAL, expiry}});
    } else {
      builder.clean_session(false);
    }
    builder.automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30));
    return builder.finalize();
  }

  void make_client() {
    int version = settings.broker.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    mqtt::create_options create(version);
    // Clears and replies made while reconnecting go out once connected again.
    create.set_send_while_disconnected(true, false);
    create.set_max_buffered_messages(200000);
    client = std::make_unique<mqtt::async_client>(settings.broker.uri, settings.client_id, create, nullptr);
    client->set_message_callback([this](mqtt::const_message_ptr m) {
      Event e;
      e.message = Inbound{m->get_topic(), m->to_string(), m->is_retained()};
      queue.push(std::move(e));
    });
    client->set_connected_handler([this](const std::string&) { queue.push(Event{Event::Type::connected, {}, {}}); });
    client->set_connection_lost_handler([this](const std::string& cause) {
      queue.push(Event{Event::Type::lost, {}, cause});
    });
  }

  void connect() {
    auto options = connect_options();
    while (!queue.stopped()) {
      try {
        mqtt_edge::connect_or_throw(*client, options, settings.broker);
        return;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::auth) throw;
        log::warn(trf("{1}; retrying in 5 s", {e.what()}));
        queue.sleep_for(std::chrono::seconds(5));
      }
    }
  }

  // Publishes with at most settings.max_inflight QoS 1 messages unacknowledged. Paho
  // queues anything beyond the broker's receive maximum (Mosquitto's
  // max_inflight_messages) and drains that queue slowly (measured: ~250 messages/s
  // instead of >10,000/s), which would turn a restore of thousands of messages into
  // minutes; a sliding window below the broker's limit keeps the fast path.
  void publish(const std::vector<Outbound>& out) {
    for (const auto& o : out) {
      while (inflight.size() >= settings.max_inflight) await_oldest();
      try {
        inflight.push_back(client->publish(mqtt::make_message(o.topic, o.payload, 1, o.retained)));
      } catch (const mqtt::exception& e) {
        log::warn(trf("could not publish on {1}: {2}", {o.topic, e.what()}));
      }
    }
    while (!inflight.empty() && inflight.front()->is_complete()) inflight.pop_front();
  }

  void await_oldest() {
    auto token = inflight.front();
    inflight.pop_front();
    try {
      // Bounded: while disconnected, buffered publishes complete only after the reconnect.
      if (client->is_connected()) token->wait_for(std::chrono::seconds(5));
    } catch (const mqtt::exception& e) {
      log::warn(trf("a publish failed: {1}", {e.what()}));
    }
  }

  void flush(std::vector<Inbound>& run) {
    if (run.empty()) return;
    auto out = processor->process(run);
    run.clear();
    publish(out);
  }

  void finish_restore() { publish(processor->finish_restore()); }

  // Renews the subscriptions and starts restoring the broker's retained store.
  //
  // How heraldd knows that the broker's retained replay is over: after the
  // subscriptions it publishes a marker (QoS 1) to a private topic it is also
  // subscribed to. Mosquitto handles one client's packets in order and queues the
  // retained messages of a SUBSCRIBE for that client before it handles the next packet,
  // so the marker reaches heraldd after every retained message of this subscribe. If
  // the marker does not come back (an ACL without the server role's read on its own
  // reply topic, say), heraldd falls back to a settle delay: the replay is taken as
  // over kRestoreMarkerTimeout after subscribing and kRestoreSettle after the last
  // retained message.
  void on_connected() {
    ++connections;
    // Replies follow Paho's PUBACK for their request: without this each waited for the
    // broker's delayed ACK (40 ms).
    mqtt_edge::disable_nagle(settings.broker);
    log::info(trf("connected to {1} as {2} (persistent session)", {settings.broker.uri, settings.client_id}));
    processor->begin_restore();
    std::vector<std::string> filters = {topics::all_deliveries(topics::Kind::alert),
                                        topics::all_deliveries(topics::Kind::message),
                                        topics::all_recalls(),
                                        topics::all_acks(),
                                        topics::all_presence(),
                                        topics::all_requests(),
                                        topics::all_campaign_requests(),
                                        topics::all_schedule_requests(),
                                        topics::all_chat_posts(),
                                        topics::all_chat_ups(),
                                        marker_topic};
    try {
      auto collection = mqtt::string_collection::create(filters);
      auto token = client->subscribe(collection, mqtt::iasync_client::qos_collection(filters.size(), 1));
      if (!token->wait_for(settings.broker.connect_timeout + std::chrono::seconds(5))) {
        log::warn(tr("no answer to the subscription within the connect timeout; continuing"));
      } else if (settings.broker.mqtt_version == 5) {
        auto codes = token->get_subscribe_response().get_reason_codes();
        for (std::size_t i = 0; i < codes.size() && i < filters.size(); ++i)
          if (int code = static_cast<int>(codes[i]); mqtt_edge::is_failure(code, 5, mqtt_edge::Operation::subscribe))
            log::warn(mqtt_edge::broker_error(code, 5, mqtt_edge::Operation::subscribe,
                                              trf("subscribing to {1}", {filters[i]}))
                          .what());
      }
    } catch (const mqtt::exception& e) {
      log::warn(trf("subscribing failed: {1}; waiting for the next reconnect", {e.what()}));
      return;
    }
    log::info(trf("subscribed to {1} topic filters; restoring the broker's retained store",
                  {std::to_string(filters.size())}));
    marker_token = std::to_string(connections) + "-" + new_id();
    restore_deadline = SteadyClock::now() + kRestoreMarkerTimeout;
    publish({Outbound{marker_topic, marker_token, false}});
  }

  SteadyClock::time_point next_wakeup() {
    auto wake = SteadyClock::now() + std::chrono::hours(1);
    if (auto next = processor->next_expiry()) {
      auto in = std::max(*next - now(), TimePoint::duration::zero());
      wake = std::min(wake, SteadyClock::now() + in);
    }
    // The next lesson or scheduled occurrence, on the scheduler's clock: no polling, so
    // an idle heraldd with any number of campaigns sleeps until the next one is due.
    // Nothing fires during a restore (below), so a due item does not shorten that wait.
    if (auto due = processor->next_due(); due && !processor->restoring())
      wake = std::min(wake, settings.clock->steady_at(*due));
    // Chat: the re-send tick only while lines wait for an acknowledgement, and the
    // retention sweep when the oldest conversation passes retention (at most hourly).
    auto real_time = [&](TimePoint t) { return SteadyClock::now() + std::max(t - now(), TimePoint::duration::zero()); };
    if (auto resend = processor->next_chat_resend(); resend && !processor->restoring())
      wake = std::min(wake, real_time(*resend));
    if (auto sweep = processor->next_chat_expiry()) wake = std::min(wake, real_time(*sweep));
    if (processor->restoring() && !marker_token.empty()) wake = std::min(wake, restore_deadline);
    return wake;
  }

  void work() {
    std::vector<Event> events;
    std::vector<Inbound> run;
    while (!queue.stopped()) {
      events.clear();
      queue.pop(events, settings.max_batch, next_wakeup());
      for (auto& e : events) {
        switch (e.type) {
          case Event::Type::message:
            if (e.message.topic == marker_topic) {
              flush(run);
              if (processor->restoring() && e.message.payload == marker_token) {
                marker_token.clear();
                finish_restore();
              }
              break;
            }
            if (processor->restoring() && e.message.retained)
              restore_deadline = std::max(restore_deadline, SteadyClock::now() + kRestoreSettle);
            run.push_back(std::move(e.message));
            break;
          case Event::Type::connected:
            flush(run);
            on_connected();
            break;
          case Event::Type::lost:
            flush(run);
            log::warn(e.text.empty() ? trf("connection to {1} lost; reconnecting", {settings.broker.uri})
                                     : trf("connection to {1} lost: {2}; reconnecting", {settings.broker.uri, e.text}));
            break;
        }
      }
      flush(run);
      if (processor->restoring() && !marker_token.empty() && SteadyClock::now() >= restore_deadline) {
        log::warn(tr("restore: the end-of-replay marker did not come back; assuming the retained replay is over"));
        marker_token.clear();
        finish_restore();
      }
      if (auto next = processor->next_expiry(); next && *next <= now()) publish(processor->expire());
      // Not while the broker replays its retained store: a lesson fired now would look
      // lost to finish_restore() and be published twice.
      if (auto due = processor->next_due(); due && !processor->restoring() && *due <= settings.clock->now())
        publish(processor->fire_due());
      if (auto resend = processor->next_chat_resend(); resend && !processor->restoring() && *resend <= now())
        publish(processor->resend_chats());
      if (auto sweep = processor->next_chat_expiry(); sweep && *sweep <= now()) processor->expire_chats();
    }
  }
};

Server::Server(ServerSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
Server::~Server() = default;

void Server::stop() { impl_->queue.stop(); }

void Server::run() {
  auto& s = *impl_;
  log::info(trf("heraldd starting: ledger {1}, broker {2}, client id {3}",
                {s.settings.data_dir, s.settings.broker.uri, s.settings.client_id}));
  s.open_ledger();
  s.make_client();
  s.connect();
  if (!s.queue.stopped()) s.work();
  log::info(tr("heraldd stopping"));
  try {
    if (s.client->is_connected()) s.client->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception& e) {
    log::warn(trf("disconnecting: {1}", {e.what()}));
  }
}

}  // namespace herald::scheduler
