#pragma once
// What Herald's Mosquitto plugin (herald_broker_plugin.so) decides, as plain functions
// so that the rules are readable apart from the plugin API's C glue (src/plugin.cpp).
#include <cstddef>
#include <optional>
#include <string_view>

namespace herald::broker {

// Whether an account that logged in with a password may use this MQTT client id: the
// id must be the account name itself or start with the name and ':' (heraldd is
// "heraldd", a `herald` command "ops1:<random>"). Account names cannot contain ':' or
// '/', and agents' ids are their certificate CNs (org paths, imposed by the agent
// listener's use_username_as_clientid), so no account can name another account's or
// a computer's session, and a Mosquitto session takeover stays within one account.
bool client_id_allowed(std::string_view username, std::string_view client_id);

// The largest payload Herald accepts on a topic, from common's payloads.hpp:
// kMaxRequestBytes on herald/req/... (a directory import), kMaxPayloadBytes on every
// other topic that anyone but heraldd may write. Replies (herald/reply/..., written
// by heraldd only) have no limit here: only the broker's max_packet_size bounds them.
std::optional<std::size_t> payload_limit(std::string_view topic);
std::size_t general_limit();  // payloads::kMaxPayloadBytes: allowed on every topic
std::size_t request_limit();  // payloads::kMaxRequestBytes

}  // namespace herald::broker
