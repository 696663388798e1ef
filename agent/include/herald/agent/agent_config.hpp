#pragma once
// herald-agent's configuration file (key = value, see herald::Config):
//   broker = ssl://127.0.0.1:8883     ca_file = ca.crt
//   cert_file = agent.crt              key_file = agent.key
//   data_dir = /var/lib/herald-agent   (LMDB environment and agent.sock)
//   display = auto|notify|terminal|log|command   display_command = PROGRAM
//   user = LOGIN                       (else: the first logged-in user in utmp)
//   connect_timeout = 5
// The agent's org path is its certificate's CN; a `path` key, if present, must match.
#include <chrono>
#include <optional>
#include <string>

#include "herald/common/config.hpp"
#include "herald/common/mqtt.hpp"

namespace herald::agent {

inline constexpr const char* kDefaultConfigPath = "/etc/herald/agent.conf";
inline constexpr const char* kDefaultDataDir = "/var/lib/herald-agent";

struct AgentConfig {
  std::string origin;  // the config file
  mqtt_edge::BrokerSettings broker;
  std::string path;  // from the certificate's CN
  std::string user;  // configured login, "" = detect from utmp
  std::string data_dir = kDefaultDataDir;
  std::string display = "auto";
  std::string display_command;
  // `receipt_timeout = SECONDS` (default 30): a receipt heraldd has not confirmed this
  // long after the broker took it is sent again (SessionSettings::receipt_timeout).
  std::chrono::seconds receipt_timeout{30};
};

enum class ConfigNeeds {
  store,   // `inbox`: data_dir only
  path,    // `show`: data_dir and the org path (for the receipt topic)
  daemon,  // `run`: everything, broker included
};

// Throws Error(config) naming the file and key.
AgentConfig load_agent_config(const Config& config, ConfigNeeds needs);
// $HERALD_AGENT_CONFIG, else /etc/herald/agent.conf.
std::string default_config_path();

}  // namespace herald::agent
