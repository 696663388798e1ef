#include "herald/agent/agent_config.hpp"

#include <cstdlib>

#include "herald/agent/display.hpp"
#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::agent {

std::string default_config_path() {
  const char* env = std::getenv("HERALD_AGENT_CONFIG");
  return env && *env ? std::string(env) : std::string(kDefaultConfigPath);
}

AgentConfig load_agent_config(const Config& config, ConfigNeeds needs) {
  AgentConfig c;
  c.origin = config.origin();
  if (auto dir = config.get("data_dir")) c.data_dir = config.path_value("data_dir");
  c.user = config.get_or("user", "");
  if (!c.user.empty() && !is_valid_login(c.user))
    throw Error(ErrorKind::config, trf("'user' in {1} is not a valid login: '{2}'", {c.origin, c.user}));
  c.display = config.get_or("display", "auto");
  c.display_command = config.get_or("display_command", "");
  if (!is_valid_display_mode(c.display))
    throw Error(ErrorKind::config, trf("'display' in {1} must be auto, notify, terminal, log or command, not '{2}'",
                                       {c.origin, c.display}));
  if (c.display == "command" && c.display_command.empty())
    throw Error(ErrorKind::config, trf("display = command in {1} needs 'display_command = PROGRAM'", {c.origin}));
  auto receipt_timeout = config.get_int("receipt_timeout", 30);
  if (receipt_timeout < 1 || receipt_timeout > 600)
    throw Error(ErrorKind::config, trf("'receipt_timeout' in {1} must be between 1 and 600 seconds", {c.origin}));
  c.receipt_timeout = std::chrono::seconds(receipt_timeout);
  if (needs == ConfigNeeds::store) return c;

  auto cert_file = config.path_value("cert_file");
  if (cert_file.empty()) throw Error(ErrorKind::config, trf("missing 'cert_file' in {1}", {c.origin}));
  auto cn = certificate_common_name(cert_file);
  if (!is_valid_org_path(cn))
    throw Error(ErrorKind::config, trf("certificate {1} has CN '{2}', which is not an org path (org/branch/computer): "
                                       "issue agent certificates with herald-pki",
                                       {cert_file, printable(cn, 100)}));
  if (auto configured = config.get("path"); configured && *configured != cn)
    throw Error(ErrorKind::config,
                trf("'path = {1}' in {2} does not match the certificate's CN '{3}' ({4}); remove 'path' or fix it",
                    {*configured, c.origin, cn, cert_file}));
  c.path = cn;
  if (needs == ConfigNeeds::path) return c;

  c.broker = mqtt_edge::settings_from(config);
  if (c.broker.key_file.empty()) throw Error(ErrorKind::config, trf("missing 'key_file' in {1}", {c.origin}));
  return c;
}

}  // namespace herald::agent
