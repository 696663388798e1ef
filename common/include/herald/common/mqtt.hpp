#pragma once
// Broker connection settings shared by herald, herald-agent and heraldd: TLS always,
// either a client certificate (agents) or a username and password (people, heraldd).
#include <mqtt/async_client.h>
#include <mqtt/connect_options.h>

#include <chrono>
#include <string>

#include "herald/common/config.hpp"
#include "herald/common/error.hpp"

namespace herald::mqtt_edge {

struct BrokerSettings {
  std::string uri;        // ssl://127.0.0.1:8883 (only ssl:// and mqtts:// are accepted)
  std::string ca_file;    // the CA that signed the broker's certificate
  std::string cert_file;  // client certificate (agents)
  std::string key_file;
  std::string username;  // password accounts (people, heraldd)
  std::string password;
  std::chrono::seconds connect_timeout{5};
  int mqtt_version = 5;
};

// Reads broker, ca_file, cert_file, key_file, username, password / password_file,
// connect_timeout, mqtt_version from the config; HERALD_BROKER, HERALD_USERNAME,
// HERALD_PASSWORD and HERALD_CA_FILE in the environment override it.
BrokerSettings settings_from(const Config& config);

// Connect options with TLS set up (server verified against ca_file). The caller adds
// session, will and reconnect policy.
mqtt::connect_options_builder connect_options(const BrokerSettings& settings);

// Connects, waiting at most settings.connect_timeout; throws Error(auth) for refused
// credentials and Error(unreachable) otherwise, both naming the broker.
void connect_or_throw(mqtt::async_client& client, mqtt::connect_options options, const BrokerSettings& settings);

// An Error for a failed MQTT operation: refusal codes (0x87, 0x86, 0x8C, 4, 5) map to
// not_permitted/auth, timeouts and lost connections to unreachable.
Error to_error(const mqtt::exception& e, const std::string& doing);

// MQTT v5 reason code meaning "refused by authorization" for a publish or subscribe.
bool is_refusal(int reason_code);

// Paho C never sets TCP_NODELAY and has no option for it. With Nagle's algorithm on, a
// small packet written while an earlier one is unacknowledged waits for the broker's
// delayed ACK, up to 40 ms on Linux: heraldd's reply to a query right after Paho's
// PUBACK for the request took 40 ms longer than the query itself. Sets TCP_NODELAY on
// this process's TCP sockets whose peer port is the broker's (from settings.uri); call
// it once connected. Best effort: returns how many sockets it set, never throws.
int disable_nagle(const BrokerSettings& settings);

}  // namespace herald::mqtt_edge
