#pragma once
// Broker connection settings shared by herald, herald-agent and heraldd: TLS always,
// either a client certificate (agents) or a username and password (people, heraldd).
// No MQTT library here: the `herald` CLI connects with libmosquitto, herald-agent and
// heraldd with Paho (herald/common/paho.hpp, target herald::mqtt_paho).
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

}  // namespace herald::mqtt_edge
