#include "herald/common/mqtt.hpp"

#include <cstdlib>
#include <fstream>

namespace herald::mqtt_edge {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::config, "cannot read password file " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

BrokerSettings settings_from(const Config& config) {
  BrokerSettings s;
  s.uri = env_or("HERALD_BROKER", config.get_or("broker", ""));
  if (s.uri.empty())
    throw Error(ErrorKind::config, "no broker configured: set 'broker = ssl://host:port' in " + config.origin());
  if (s.uri.rfind("ssl://", 0) != 0 && s.uri.rfind("mqtts://", 0) != 0)
    throw Error(ErrorKind::config, "broker '" + s.uri + "' is not a TLS address: Herald only speaks ssl://host:port");
  s.ca_file = env_or("HERALD_CA_FILE", config.path_value("ca_file"));
  if (s.ca_file.empty()) throw Error(ErrorKind::config, "missing 'ca_file' in " + config.origin());
  s.cert_file = config.path_value("cert_file");
  s.key_file = config.path_value("key_file");
  s.username = env_or("HERALD_USERNAME", config.get_or("username", ""));
  s.password = env_or("HERALD_PASSWORD", config.get_or("password", ""));
  if (s.password.empty() && config.get("password_file"))
    s.password = read_secret_file(config.path_value("password_file"));
  s.connect_timeout = std::chrono::seconds(config.get_int("connect_timeout", 5));
  s.mqtt_version = static_cast<int>(config.get_int("mqtt_version", 5));
  if (s.mqtt_version != 5 && s.mqtt_version != 4)
    throw Error(ErrorKind::config, "mqtt_version must be 4 (3.1.1) or 5, not " + std::to_string(s.mqtt_version));
  return s;
}

}  // namespace herald::mqtt_edge
