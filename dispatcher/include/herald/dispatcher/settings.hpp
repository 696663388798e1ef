#pragma once
// What `herald` reads from its configuration file, resolved once per run.
//
// File lookup: --config FILE, else $HERALD_CONFIG, else ~/.config/herald/herald.conf,
// else /etc/herald/herald.conf. Keys (besides the broker keys read by
// herald::mqtt_edge::settings_from: broker, ca_file, username, password /
// password_file, connect_timeout, mqtt_version):
//   scope            org subtree this account asks about in queries (default "org")
//   confirm_timeout  seconds to wait for heraldd to confirm recording a send (default 3)
//   request_timeout  seconds to wait for heraldd's answer to a query (default 10)
//   timezone, clock  read by local_defaults() (plans_commands.hpp), not here: the
//                    defaults of --tz and --start, which need no connection
#include <chrono>
#include <string>

#include "herald/common/config.hpp"
#include "herald/common/mqtt.hpp"

namespace herald::dispatcher {

struct Settings {
  Config config;
  mqtt_edge::BrokerSettings broker;
  std::string scope = "org";
  std::chrono::seconds confirm_timeout{3};
  std::chrono::seconds request_timeout{10};

  // Finds and reads the config file (see above); throws Error(config).
  static Settings load(const std::string& config_flag);
  // Interprets an already loaded config; throws Error(config).
  static Settings from_config(const Config& config);
};

// The file `herald` would read for this --config value (empty: not given). Throws
// Error(config) when an explicitly named file (flag or $HERALD_CONFIG) is missing;
// returns "" when no default file exists.
std::string resolve_config_path(const std::string& config_flag);

}  // namespace herald::dispatcher
