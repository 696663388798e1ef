#include "herald/common/mqtt.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
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

mqtt::connect_options_builder connect_options(const BrokerSettings& settings) {
  auto ssl =
      mqtt::ssl_options_builder().trust_store(settings.ca_file).enable_server_cert_auth(true).verify(true).finalize();
  if (!settings.cert_file.empty()) {
    ssl.set_key_store(settings.cert_file);
    ssl.set_private_key(settings.key_file.empty() ? settings.cert_file : settings.key_file);
  }
  auto builder = mqtt::connect_options_builder();
  builder.mqtt_version(settings.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1)
      .connect_timeout(settings.connect_timeout)
      .keep_alive_interval(std::chrono::seconds(30))
      .ssl(std::move(ssl));
  if (!settings.username.empty()) builder.user_name(settings.username);
  if (!settings.password.empty()) builder.password(settings.password);
  return builder;
}

bool is_refusal(int reason_code) {
  return reason_code == mqtt::ReasonCode::NOT_AUTHORIZED || reason_code == mqtt::ReasonCode::TOPIC_NAME_INVALID;
}

Error to_error(const mqtt::exception& e, const std::string& doing) {
  int rc = e.get_return_code();
  int reason = e.get_reason_code();
  // A refused CONNECT: 3.1.1 CONNACK codes 4/5 arrive as the return code (with reason 5
  // for 5); Mosquitto 2.0 answers a v5 bad password with 0x87 (or 0x86), which Paho also
  // reports as the return code (reason 0). A refused publish has return code 0.
  if (reason == mqtt::ReasonCode::BAD_USER_NAME_OR_PASSWORD || rc == 4 || rc == 5 ||
      rc == mqtt::ReasonCode::BAD_USER_NAME_OR_PASSWORD || rc == mqtt::ReasonCode::NOT_AUTHORIZED)
    return Error(ErrorKind::auth,
                 doing + ": the broker refused the credentials (bad user name, password or certificate)");
  if (reason == mqtt::ReasonCode::NOT_AUTHORIZED || reason == mqtt::ReasonCode::BANNED)
    return Error(ErrorKind::auth, doing + ": the broker refused this account (not authorized)");
  return Error(ErrorKind::unreachable, doing + ": " + e.what());
}

void connect_or_throw(mqtt::async_client& client, mqtt::connect_options options, const BrokerSettings& settings) {
  std::string doing = "connecting to " + settings.uri;
  try {
    auto token = client.connect(options);
    // Paho's connect timeout does not cover a TLS handshake that never completes; this does.
    if (!token->wait_for(settings.connect_timeout))
      throw Error(ErrorKind::unreachable,
                  doing + ": no answer within " + std::to_string(settings.connect_timeout.count()) + " s");
  } catch (const mqtt::exception& e) {
    throw to_error(e, doing);
  }
}

int disable_nagle(const BrokerSettings& settings) {
  auto colon = settings.uri.rfind(':');
  if (colon == std::string::npos) return 0;
  int port = std::atoi(settings.uri.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return 0;
  int set = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage peer{};
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    int peer_port = 0;
    if (peer.ss_family == AF_INET)
      peer_port = ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
    else if (peer.ss_family == AF_INET6)
      peer_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
    if (peer_port != port) continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) ++set;
  }
  return set;
}

}  // namespace herald::mqtt_edge
