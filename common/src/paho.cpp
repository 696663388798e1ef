#include "herald/common/paho.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>

namespace herald::mqtt_edge {

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

int paho_code(int return_code, int reason_code, Operation op) {
  if (op == Operation::connect && return_code > 0) return return_code;
  if (reason_code >= 0x80) return reason_code;
  if (return_code > 0) return return_code;
  return kNoConnection;
}

Error to_error(const mqtt::exception& e, Operation op, int mqtt_version, const std::string& doing) {
  int code = paho_code(e.get_return_code(), e.get_reason_code(), op);
  return broker_error(code, mqtt_version, op, doing, code == kNoConnection ? e.what() : std::string());
}

void connect_or_throw(mqtt::async_client& client, mqtt::connect_options options, const BrokerSettings& settings) {
  std::string doing = "connecting to " + settings.uri;
  try {
    auto token = client.connect(options);
    // Paho's connect timeout does not cover a TLS handshake that never completes; this does.
    if (!token->wait_for(settings.connect_timeout))
      throw broker_error(kNoAnswer, settings.mqtt_version, Operation::connect, doing,
                         "waited " + std::to_string(settings.connect_timeout.count()) + " s");
  } catch (const mqtt::exception& e) {
    throw to_error(e, Operation::connect, settings.mqtt_version, doing);
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
