#include "herald/dispatcher/settings.hpp"

#include <cstdlib>
#include <filesystem>

#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/orgpath.hpp"

namespace herald::dispatcher {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::chrono::seconds positive_seconds(const Config& config, const std::string& key, long fallback) {
  long n = config.get_int(key, fallback);
  if (n <= 0 || n > 3600)
    throw Error(ErrorKind::config,
                trf("'{1}' in {2} must be 1-3600 seconds, not {3}", {key, config.origin(), std::to_string(n)}));
  return std::chrono::seconds(n);
}

}  // namespace

std::string resolve_config_path(const std::string& config_flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!config_flag.empty()) return config_flag;  // Config::load names it if unreadable
  if (auto from_env = env("HERALD_CONFIG"); !from_env.empty()) return from_env;
  if (auto home = env("HOME"); !home.empty()) {
    auto user_file = fs::path(home) / ".config/herald/herald.conf";
    if (fs::exists(user_file, ec)) return user_file.string();
  }
  if (fs::exists("/etc/herald/herald.conf", ec)) return "/etc/herald/herald.conf";
  return {};
}

Settings Settings::load(const std::string& config_flag) {
  auto path = resolve_config_path(config_flag);
  if (path.empty()) {
    // Everything may also come from the environment (HERALD_BROKER, ...), e.g. in CI.
    if (env("HERALD_BROKER").empty())
      throw Error(ErrorKind::config, tr("no configuration: pass --config FILE, set HERALD_CONFIG, or create "
                                        "~/.config/herald/herald.conf or /etc/herald/herald.conf"));
    return from_config(Config::from_string("", "the environment"));
  }
  return from_config(Config::load(path));
}

Settings Settings::from_config(const Config& config) {
  Settings s;
  s.config = config;
  s.broker = mqtt_edge::settings_from(config);
  if (s.broker.username.empty())
    throw Error(ErrorKind::config,
                trf("missing 'username' in {1}: herald connects as an admin account", {config.origin()}));
  if (!is_valid_token(s.broker.username))
    throw Error(ErrorKind::config,
                trf("invalid username '{1}' in {2}: an account name is 1-64 letters, digits, '.', '_' or '-'",
                    {s.broker.username, config.origin()}));
  s.scope = config.get_or("scope", "org");
  if (!is_valid_org_path(s.scope))
    throw Error(ErrorKind::config, trf("invalid scope '{1}' in {2}: expected an org path such as org or org/branch01",
                                       {s.scope, config.origin()}));
  s.confirm_timeout = positive_seconds(config, "confirm_timeout", 3);
  s.request_timeout = positive_seconds(config, "request_timeout", 10);
  return s;
}

}  // namespace herald::dispatcher
