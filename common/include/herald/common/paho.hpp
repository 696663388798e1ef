#pragma once
// The Paho MQTT C++ edge of herald-agent, heraldd and the bench (target herald::mqtt_paho;
// the `herald` CLI and herald-acl do without Paho). What the broker's codes mean is
// herald/common/broker_errors.hpp; this only reads them out of Paho.
#include <mqtt/async_client.h>
#include <mqtt/connect_options.h>

#include <string>

#include "herald/common/broker_errors.hpp"
#include "herald/common/error.hpp"
#include "herald/common/mqtt.hpp"

namespace herald::mqtt_edge {

// Connect options with TLS set up (server verified against ca_file). The caller adds
// session, will and reconnect policy.
mqtt::connect_options_builder connect_options(const BrokerSettings& settings);

// Connects, waiting at most settings.connect_timeout; throws broker_error(...) for a
// refusal (auth for refused credentials, see broker_errors.hpp) and Error(unreachable)
// for no answer or no connection, naming the broker.
void connect_or_throw(mqtt::async_client& client, mqtt::connect_options options, const BrokerSettings& settings);

// The broker's code in a failed Paho token or exception, for broker_error(): a refused
// CONNECT's code is the return code (3.1.1 CONNACK 1-5, and Paho reports a v5 CONNACK
// failure such as 0x87 there too, with reason code 0); a refused PUBLISH or SUBSCRIBE
// carries it as the reason code (return code MQTTASYNC_FAILURE). A negative return code
// with no reason is Paho's own failure (no connection, lost, TLS): kNoConnection.
int paho_code(int return_code, int reason_code, Operation op);

// An Error for a failed Paho operation (broker_error of paho_code), with Paho's text
// added when it is Paho's own failure.
Error to_error(const mqtt::exception& e, Operation op, int mqtt_version, const std::string& doing);

// Paho C never sets TCP_NODELAY and has no option for it. With Nagle's algorithm on, a
// small packet written while an earlier one is unacknowledged waits for the broker's
// delayed ACK, up to 40 ms on Linux: heraldd's reply to a query right after Paho's
// PUBACK for the request took 40 ms longer than the query itself. Sets TCP_NODELAY on
// this process's TCP sockets whose peer port is the broker's (from settings.uri); call
// it once connected. Best effort: returns how many sockets it set, never throws.
int disable_nagle(const BrokerSettings& settings);

}  // namespace herald::mqtt_edge
