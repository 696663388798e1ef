#pragma once
// heraldd's MQTT wiring: a persistent session with a fixed client id, subscriptions
// renewed on every (re)connect, callbacks that only queue, and one worker thread that
// feeds the Processor in batches, publishes what it returns, runs the expiry timer and
// restores the broker's retained store after each connect.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "herald/common/clock.hpp"
#include "herald/common/config.hpp"
#include "herald/common/mqtt.hpp"

namespace herald::scheduler {

struct ServerSettings {
  mqtt_edge::BrokerSettings broker;  // broker, ca_file, username (default heraldd), password(_file), connect_timeout
  std::string data_dir;              // the ledger (LMDB)
  std::string directory_csv;         // imported at start if the ledger has no directory yet
  std::string client_id = "heraldd";
  std::size_t max_batch = 5000;   // messages applied per write transaction
  std::size_t max_inflight = 20;  // unacknowledged publishes; keep <= the broker's max_inflight_messages
  // MQTT 5 only: the Session Expiry Interval heraldd asks for on CONNECT (days * 86400 s),
  // so the broker keeps heraldd's session, and queues receipts for it, while heraldd is
  // down. Not a heraldd.conf key (settings_from leaves 30). Under MQTT 3.1.1 the broker's
  // persistent_client_expiration decides (30d in broker-config/mosquitto.conf.in).
  int session_expiry_days = 30;
  // When campaign lessons and scheduled messages are due (heraldd.conf key `clock`:
  // "system", the default, or "simulated START SPEED" for tests and demos). Messages
  // are still stamped, expired and receipted by the real time.
  std::shared_ptr<const Clock> clock = system_clock();
  // Chat conversations are deleted this many days after their last line (heraldd.conf
  // key `chat_retention_days`, 1 to 36500).
  int chat_retention_days = 365;
};

// Reads the keys above from a heraldd.conf; throws Error(config).
ServerSettings settings_from(const Config& config);

class Server {
 public:
  explicit Server(ServerSettings settings);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the ledger, connects and works until stop(). Throws Error for what cannot
  // go on: bad credentials (auth), a ledger that cannot be opened or written (storage).
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::scheduler
