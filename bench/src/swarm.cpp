#include "herald/bench/swarm.hpp"

#include <mqtt/async_client.h>
#include <mqtt/create_options.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "herald/agent/chat_store.hpp"
#include "herald/agent/commands.hpp"
#include "herald/agent/display.hpp"
#include "herald/agent/executor.hpp"
#include "herald/agent/inbox.hpp"
#include "herald/agent/session.hpp"
#include "herald/common/error.hpp"
#include "herald/common/lmdb.hpp"
#include "herald/common/log.hpp"
#include "herald/common/paho.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"

namespace herald::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUser = "bench";

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct MemberSpec {
  std::string path;
  std::string cert_file;
  std::string key_file;
  std::string user = kUser;  // who is logged in on it (the list's optional 4th word)
};

std::vector<MemberSpec> read_members(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorKind::config, "cannot read swarm list " + file);
  std::vector<MemberSpec> members;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    MemberSpec m;
    if (!(words >> m.path >> m.cert_file >> m.key_file)) continue;
    if (std::string user; words >> user) m.user = user;
    members.push_back(m);
  }
  return members;
}

// When each member showed (or received) which message. Written from workers or Paho
// callbacks: a short lock, nothing else.
class Recorder {
 public:
  void add(const std::string& id, std::int64_t us) {
    std::lock_guard lock(mutex_);
    times_[id].push_back(us);
  }
  std::vector<std::int64_t> get(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = times_.find(id);
    return it == times_.end() ? std::vector<std::int64_t>{} : it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::int64_t>> times_;
};

// The benchmark's screen: nothing to draw, the display hook records the time. (A log
// line per alert from 10,000 agents would measure the terminal, not Herald.)
class NullDisplay final : public agent::Display {
 public:
  void show(const agent::ShownAlert&) override {}
};

std::string message_id_of(const std::string& topic) {
  try {
    auto parsed = topics::parse(topic);
    if (auto* d = std::get_if<topics::DeliveryTopic>(&parsed)) return d->id;
  } catch (const Error&) {
    // Not a delivery: no id to record.
  }
  return {};
}

// ------------------------------------------------------------------ members

class Member {
 public:
  virtual ~Member() = default;
  virtual void start() = 0;
  virtual bool connected() const = 0;
  virtual bool holds(const std::string& id) const = 0;
  virtual bool mark_read(const std::string& id) = 0;
  // When the member stored message `id` (agents: the inbox's received_at), in
  // microseconds since the Unix epoch; -1 if it does not hold it.
  virtual std::int64_t received_us(const std::string& id) const = 0;
  // The employee writes one chat line to the helpdesk, as `herald-agent chat send`
  // does (into the chat outbox, then wake the session). False for raw members.
  virtual bool chat_say(const std::string& text) = 0;
  std::atomic<bool> ready{false};
};

struct Counters {
  std::atomic<std::size_t> ready{0};
  std::atomic<std::size_t> failed{0};  // raw connect/subscribe failures (each retried)
};

class AgentMember final : public Member {
 public:
  AgentMember(const MemberSpec& spec, std::size_t index, const SwarmOptions& options, lmdb::Env& env,
              agent::Executor& executor, agent::Display& display, Recorder& recorder, Counters& counters)
      : executor_(executor),
        inbox_(env, std::to_string(index)),
        chat_(env, std::to_string(index)),
        path_(spec.path),
        user_(spec.user) {
    agent::SessionSettings s;
    s.broker.uri = options.uri;
    s.broker.ca_file = options.ca_file;
    s.broker.cert_file = spec.cert_file;
    s.broker.key_file = spec.key_file;
    // connect_timeout and retry back-off: the real agent's defaults (5 s, 1..30 s).
    s.path = spec.path;
    s.user = spec.user;
    s.host = "swarm";
    s.verbose = false;
    s.chat = &chat_;
    s.on_connected = [this, &counters] {
      if (!ready.exchange(true)) ++counters.ready;
    };
    session_ = std::make_unique<agent::AgentSession>(
        std::move(s), inbox_, display, &executor,
        [&recorder](const std::string& id, TimePoint) { recorder.add(id, now_us()); });
  }
  void start() override { session_->start(); }
  bool connected() const override { return session_->is_connected(); }
  bool holds(const std::string& id) const override { return inbox_.find(id).has_value(); }
  std::int64_t received_us(const std::string& id) const override {
    auto m = inbox_.find(id);
    return m ? to_unix_ms(m->received_at) * 1000 : -1;
  }
  bool chat_say(const std::string& text) override {
    executor_.post([this, text] {
      try {
        chat_.enqueue(path_, text, std::nullopt, herald::now());
      } catch (const Error& e) {
        log::warn(path_ + ": " + e.what());
      }
      session_->wake();
    });
    return true;
  }
  bool mark_read(const std::string& id) override {
    // What `herald-agent show` does: commit the read mark with its receipt, then wake
    // the session so it flushes the outbox. Here on the session's own worker.
    executor_.post([this, id] {
      try {
        inbox_.mark_read(id, herald::now(), path_, user_);
      } catch (const Error& e) {
        log::warn(path_ + ": " + e.what());
      }
      session_->wake();
    });
    return true;
  }

 private:
  agent::Executor& executor_;
  agent::Inbox inbox_;
  agent::ChatStore chat_;
  std::string path_;
  std::string user_;
  std::unique_ptr<agent::AgentSession> session_;
};

// A plain Paho subscriber: what any MQTT client would do, nothing of Herald's.
class RawMember final : public Member, private mqtt::iaction_listener {
 public:
  RawMember(const MemberSpec& spec, const SwarmOptions& options, Recorder& recorder, Counters& counters,
            std::mutex& retry_mutex, std::deque<RawMember*>& retries, const std::atomic<bool>& send_receipts)
      : path_(spec.path), counters_(counters), retry_mutex_(retry_mutex), retries_(retries) {
    mqtt_edge::BrokerSettings b;
    b.uri = options.uri;
    b.ca_file = options.ca_file;
    b.cert_file = spec.cert_file;
    b.key_file = spec.key_file;
    // Generous: on a shared machine a nice-19 swarm can be starved for seconds, and a
    // subscriber that gives up mid-handshake only adds load. (Only connecting is slow.)
    b.connect_timeout = 20s;
    client_ = std::make_unique<mqtt::async_client>(b.uri, spec.path, mqtt::create_options(MQTTVERSION_5),
                                                   static_cast<mqtt::iclient_persistence*>(nullptr));
    options_ = mqtt_edge::connect_options(b).clean_start(true).finalize();
    client_->set_message_callback([this, &recorder, &send_receipts](mqtt::const_message_ptr msg) {
      auto id = message_id_of(msg->get_topic());
      if (id.empty()) return;
      auto at = now_us();
      recorder.add(id, at);
      if (send_receipts) {
        // Diagnosis: Herald's receipt traffic (delivered + displayed, QoS 1) without
        // any of the agent's processing. publish() only queues: it does not block.
        try {
          for (auto state : {payloads::AckState::delivered, payloads::AckState::displayed})
            client_->publish(mqtt::make_message(
                topics::ack(id, path_), payloads::encode(payloads::Ack{state, herald::now(), kUser, {}}), 1, false));
        } catch (const mqtt::exception&) {
          // Diagnosis only: a receipt that cannot be queued is not counted anywhere.
        }
      }
      std::lock_guard lock(held_mutex_);
      held_.push_back(id);
    });
    // Subscribing from the connected callback only queues the request: it never blocks.
    client_->set_connected_handler([this](const std::string&) {
      auto filters = topics::agent_filters(path_);
      mqtt::iasync_client::qos_collection qos(filters.size(), 1);
      try {
        client_->subscribe(mqtt::string_collection::create(filters), qos, nullptr, *this);
      } catch (const mqtt::exception&) {
        retry();
      }
    });
  }
  ~RawMember() override {
    client_->disable_callbacks();
    client_.reset();
  }
  void start() override {
    try {
      client_->connect(options_, nullptr, connect_listener_);
    } catch (const mqtt::exception&) {
      retry();
    }
  }
  bool connected() const override { return client_->is_connected(); }
  bool holds(const std::string& id) const override {
    std::lock_guard lock(held_mutex_);
    for (const auto& h : held_)
      if (h == id) return true;
    return false;
  }
  bool mark_read(const std::string&) override { return false; }
  std::int64_t received_us(const std::string&) const override { return -1; }  // raw: see `times`
  bool chat_say(const std::string&) override { return false; }

 private:
  struct ConnectListener final : mqtt::iaction_listener {
    RawMember* member;
    explicit ConnectListener(RawMember* m) : member(m) {}
    void on_success(const mqtt::token&) override {}
    void on_failure(const mqtt::token&) override { member->retry(); }
  };
  void on_success(const mqtt::token&) override {  // SUBACK
    if (!ready.exchange(true)) ++counters_.ready;
  }
  void on_failure(const mqtt::token&) override { retry(); }
  void retry() {
    ++counters_.failed;
    std::lock_guard lock(retry_mutex_);
    retries_.push_back(this);
  }

  std::string path_;
  Counters& counters_;
  std::mutex& retry_mutex_;
  std::deque<RawMember*>& retries_;
  std::unique_ptr<mqtt::async_client> client_;
  mqtt::connect_options options_;
  ConnectListener connect_listener_{this};
  mutable std::mutex held_mutex_;
  std::vector<std::string> held_;
};

void answer(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int run_swarm(const SwarmOptions& options) {
  log::set_component("swarm");
  log::set_verbose(false);
  auto specs = read_members(options.list_file);
  Recorder recorder;
  Counters counters;
  NullDisplay display;
  std::unique_ptr<lmdb::Env> env;
  std::vector<std::unique_ptr<agent::Executor>> executors;
  std::mutex retry_mutex;
  std::deque<RawMember*> retries;
  std::atomic<bool> send_receipts{false};
  std::vector<std::unique_ptr<Member>> members;
  members.reserve(specs.size());

  if (options.mode == SwarmOptions::Mode::agent) {
    auto env_options = agent::agent_env_options();
    env_options.map_size = std::size_t{1} << 30;  // hundreds of inboxes share it
    env_options.max_readers = 126;
    env = std::make_unique<lmdb::Env>(options.data_dir, env_options);
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options.executors); ++i)
      executors.push_back(std::make_unique<agent::Executor>());
    for (std::size_t i = 0; i < specs.size(); ++i)
      members.push_back(std::make_unique<AgentMember>(specs[i], i, options, *env, *executors[i % executors.size()],
                                                      display, recorder, counters));
  } else {
    for (const auto& spec : specs)
      members.push_back(
          std::make_unique<RawMember>(spec, options, recorder, counters, retry_mutex, retries, send_receipts));
  }

  // Connect a few at a time: at most `in_flight` connects of this process without an
  // outcome yet. Raw members that failed are started again after a second (the
  // agents' own sessions retry by themselves and stay "in flight" until connected).
  std::thread starter([&] {
    auto in_flight = std::max<std::size_t>(1, options.connects_in_flight);
    std::size_t attempts = 0, next = 0;
    auto last_retry = std::chrono::steady_clock::now();
    while (counters.ready.load() < members.size()) {
      auto outcomes = counters.ready.load() + counters.failed.load();
      if (std::chrono::steady_clock::now() - last_retry >= 1s) {
        last_retry = std::chrono::steady_clock::now();
        std::deque<RawMember*> again;
        {
          std::lock_guard lock(retry_mutex);
          again.swap(retries);
        }
        for (auto* m : again) {
          ++attempts;
          m->start();
        }
      }
      if (next < members.size() && attempts - std::min(attempts, outcomes) < in_flight) {
        ++attempts;
        members[next++]->start();
        continue;
      }
      std::this_thread::sleep_for(2ms);
    }
  });
  starter.detach();

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command, id;
    words >> command >> id;
    if (command == "connected") {
      std::size_t now_connected = 0;
      for (const auto& m : members) now_connected += m->connected() ? 1 : 0;
      answer("connected " + std::to_string(counters.ready.load()) + " " + std::to_string(now_connected));
    } else if (command == "times") {
      auto times = recorder.get(id);
      std::string out = "times " + id + " " + std::to_string(times.size());
      for (auto t : times) out += " " + std::to_string(t);
      answer(out);
    } else if (command == "received") {
      std::string out;
      std::size_t n = 0;
      for (const auto& m : members)
        if (auto at = m->received_us(id); at >= 0) {
          out += " " + std::to_string(at);
          ++n;
        }
      answer("received " + id + " " + std::to_string(n) + out);
    } else if (command == "has") {
      std::size_t n = 0;
      for (const auto& m : members) n += (m->connected() && m->holds(id)) ? 1 : 0;
      answer("has " + id + " " + std::to_string(n));
    } else if (command == "read") {
      std::size_t n = 0;
      for (const auto& m : members) n += m->mark_read(id) ? 1 : 0;
      answer("read " + id + " " + std::to_string(n));
    } else if (command == "chatsay") {
      // chatsay K: the first K members each write one line; answers when they were
      // handed to the session's worker, per member.
      std::size_t k = std::strtoul(id.c_str(), nullptr, 10);
      std::string out;
      std::size_t n = 0;
      for (std::size_t i = 0; i < members.size() && n < k; ++i) {
        auto at = now_us();
        if (!members[i]->chat_say("Benchmark question " + std::to_string(at) + ": please ignore.")) continue;
        out += " " + specs[i].path + " " + std::to_string(at);
        ++n;
      }
      answer("chatsay " + std::to_string(n) + out);
    } else if (command == "receipts") {
      send_receipts = id == "on";
      answer("receipts " + id);
    } else if (command == "quit") {
      answer("bye");
      break;
    } else {
      answer("error unknown command");
    }
  }
  // The orchestrator measures the next phase right away: leave at once, the broker
  // notices the closed sockets (no graceful per-session goodbye for 250 sessions).
  std::fflush(stdout);
  _exit(0);
}

int run_publish(const PublishOptions& options) {
  std::ifstream pw(options.password_file);
  std::string password;
  std::getline(pw, password);
  std::ifstream in(options.payload_file, std::ios::binary);
  std::string payload((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  mqtt_edge::BrokerSettings b;
  b.uri = options.uri;
  b.ca_file = options.ca_file;
  b.username = options.username;
  b.password = password;
  mqtt::async_client client(b.uri, options.username + ":raw-publisher", mqtt::create_options(MQTTVERSION_5),
                            static_cast<mqtt::iclient_persistence*>(nullptr));
  mqtt_edge::connect_or_throw(client, mqtt_edge::connect_options(b).clean_start(true).finalize(), b);
  try {
    client.publish(mqtt::make_message(options.topic, payload, 1, options.retained))->wait_for(10s);
  } catch (const mqtt::exception& e) {
    throw mqtt_edge::to_error(e, mqtt_edge::Operation::publish, b.mqtt_version, "publishing on " + options.topic);
  }
  // The broker has the message (PUBACK): leave without Paho's teardown, which sleeps.
  std::_Exit(0);
}

}  // namespace herald::bench
