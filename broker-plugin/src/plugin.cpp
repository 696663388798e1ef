// Herald's Mosquitto 2.0 plugin (plugin API v5): the C entry points and the two
// callbacks. The decisions themselves are herald::broker's (rules.hpp).
//
// MOSQ_EVT_BASIC_AUTH fires only for clients that log in with a password: Mosquitto
// 2.0.11 skips it for a listener with use_identity_as_username (src/handle_connect.c),
// so the agents' listener binds their client ids with use_username_as_clientid instead
// (broker-config/mosquitto.conf.in). Our callback is registered at startup, before
// Mosquitto's own password_file check, and survives SIGHUP (a reload re-registers only
// the built-in checks, after it): it refuses a foreign client id and otherwise defers,
// so the password is still checked by password_file.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <exception>
#include <string>

#include "herald/broker/rules.hpp"

namespace {

mosquitto_plugin_id_t* plugin_id = nullptr;

const char* or_empty(const char* s) { return s ? s : ""; }

int on_basic_auth(int /*event*/, void* event_data, void* /*userdata*/) {
  auto* ed = static_cast<mosquitto_evt_basic_auth*>(event_data);
  const char* username = ed->username;
  const char* client_id = mosquitto_client_id(ed->client);
  try {
    if (username && client_id && herald::broker::client_id_allowed(username, client_id)) return MOSQ_ERR_PLUGIN_DEFER;
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "herald: client id check failed: %s", e.what());
    return MOSQ_ERR_AUTH;
  }
  // Refused before Mosquitto looks up the id, so the session it names is untouched.
  mosquitto_log_printf(MOSQ_LOG_NOTICE,
                       "herald: refused client id '%s' for account '%s' from %s: an account's client id is its "
                       "name or starts with its name and ':'",
                       or_empty(client_id), or_empty(username), or_empty(mosquitto_client_address(ed->client)));
  return MOSQ_ERR_AUTH;
}

int on_message(int /*event*/, void* event_data, void* /*userdata*/) {
  auto* ed = static_cast<mosquitto_evt_message*>(event_data);
  // Nearly every message is small: decide those without looking at the topic.
  if (ed->payloadlen <= herald::broker::general_limit()) return MOSQ_ERR_SUCCESS;
  try {
    auto limit = herald::broker::payload_limit(or_empty(ed->topic));
    if (!limit || ed->payloadlen <= *limit) return MOSQ_ERR_SUCCESS;
    // MOSQ_ERR_ACL_DENIED: a PUBACK 0x87 under MQTT 5, silently dropped under 3.1.1;
    // either way nothing is stored, retained or forwarded.
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "herald: refused a %u-byte publish on '%s' from '%s' (limit %zu bytes)",
                         ed->payloadlen, or_empty(ed->topic), or_empty(mosquitto_client_id(ed->client)), *limit);
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "herald: size check on '%s' failed: %s", or_empty(ed->topic), e.what());
  }
  return MOSQ_ERR_ACL_DENIED;
}

}  // namespace

extern "C" {

int mosquitto_plugin_version(int supported_version_count, const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i)
    if (supported_versions[i] == 5) return 5;
  return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** /*userdata*/, mosquitto_opt* /*options*/,
                          int /*option_count*/) {
  plugin_id = identifier;
  int rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "herald: cannot register the client id check: %s", mosquitto_strerror(rc));
    return rc;
  }
  rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_MESSAGE, on_message, nullptr, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "herald: cannot register the size check: %s", mosquitto_strerror(rc));
    return rc;
  }
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "herald: client ids bound to accounts; payload limits %zu / %zu bytes",
                       herald::broker::general_limit(), herald::broker::request_limit());
  return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void* /*userdata*/, mosquitto_opt* /*options*/, int /*option_count*/) {
  int rc = mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
  int rc2 = mosquitto_callback_unregister(plugin_id, MOSQ_EVT_MESSAGE, on_message, nullptr);
  return rc != MOSQ_ERR_SUCCESS ? rc : rc2;
}

}  // extern "C"
