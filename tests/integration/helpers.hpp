#pragma once
// Small steps the integration tests share, phrased as a user would do them.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "herald/testing/fixture.hpp"

namespace herald::testing {

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// `herald ARGS` as `account`; requires success and returns stdout trimmed (for
// alert/send: the new message id).
inline std::string herald_ok(System& sys, std::vector<std::string> args, const std::string& account = "admin") {
  auto r = sys.herald(args, account);
  INFO("herald stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return trim(r.out);
}

inline nlohmann::json herald_json(System& sys, std::vector<std::string> args, const std::string& account = "admin") {
  args.push_back("--json");
  auto out = herald_ok(sys, args, account);
  auto j = nlohmann::json::parse(out, nullptr, false);
  INFO("output: " << out);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

inline nlohmann::json inbox(Agent& agent) {
  auto r = agent.cli({"inbox", "--json"});
  INFO("herald-agent inbox stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(j.is_array());
  return j;
}

inline bool inbox_has(Agent& agent, const std::string& id) {
  for (const auto& m : inbox(agent))
    if (m.at("id") == id) return true;
  return false;
}

inline bool waits_for_inbox(Agent& agent, const std::string& id,
                            std::chrono::milliseconds t = std::chrono::seconds(10)) {
  return eventually([&] { return inbox_has(agent, id); }, t, std::chrono::milliseconds(100));
}

// The set-up most delivery tests share: the agents connected, `herald ARGS` sent as
// `account`, and the new message in every one of the agents' inboxes; each step is
// REQUIREd. Returns the message id.
inline std::string send_and_wait(System& sys, const std::vector<Agent*>& agents, std::vector<std::string> args,
                                 const std::string& account = "admin") {
  for (auto* a : agents) {
    INFO("agent " << a->path() << " connecting");
    REQUIRE(a->wait_connected());
  }
  auto id = herald_ok(sys, std::move(args), account);
  for (auto* a : agents) {
    INFO("message " << id << " in the inbox of " << a->path());
    REQUIRE(waits_for_inbox(*a, id));
  }
  return id;
}

inline nlohmann::json recipient(const nlohmann::json& status, const std::string& who) {
  for (const auto& r : status.at("recipients"))
    if (r.at("recipient") == who) return r;
  return nullptr;
}

inline std::string state_of(System& sys, const std::string& id, const std::string& who) {
  auto st = herald_json(sys, {"status", id});
  auto r = recipient(st, who);
  return r.is_null() ? "absent" : r.at("state").get<std::string>();
}

// What the broker currently retains under a topic filter, read with the broker's own
// client as heraldd (which may read everything). Returns "topic payload" lines.
inline std::vector<std::string> retained(System& sys, const std::string& filter) {
  auto& b = sys.broker();
  auto r = run({"mosquitto_sub", "--cafile", b.ca_file().string(), "-h", "127.0.0.1", "-p",
                std::to_string(b.people_port()), "-u", "heraldd", "-P", b.password("heraldd"), "--id-prefix",
                "heraldd:", "-t", filter, "-v", "--retained-only", "-W", "1"});
  std::vector<std::string> lines;
  std::string line;
  for (char c : r.out) {
    if (c == '\n') {
      if (!line.empty()) lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  return lines;
}

}  // namespace herald::testing

#include <mqtt/async_client.h>

#include "herald/common/directory.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/time.hpp"

namespace herald::testing {

// A plain MQTT client over TLS, for what no Herald program would do: hostile payloads,
// forbidden subscriptions, bulk backlogs. Either an account (password) or an agent
// certificate.
class RawClient {
 public:
  RawClient(System& sys, const std::string& account) : client_(sys.broker().people_uri(), account + ":raw-" + rnd()) {
    auto ssl = mqtt::ssl_options_builder().trust_store(sys.broker().ca_file().string()).finalize();
    connect(mqtt::connect_options_builder()
                .user_name(account)
                .password(sys.broker().password(account))
                .ssl(ssl)
                .clean_session(true)
                .finalize());
  }
  RawClient(System& sys, const std::string& org_path, bool /*as_agent*/)
      : client_(sys.broker().agent_uri(), "raw-agent" + rnd()) {
    auto [crt, key] = sys.broker().agent_cert(org_path);
    auto ssl = mqtt::ssl_options_builder()
                   .trust_store(sys.broker().ca_file().string())
                   .key_store(crt.string())
                   .private_key(key.string())
                   .finalize();
    connect(mqtt::connect_options_builder().ssl(ssl).clean_session(true).finalize());
  }
  ~RawClient() {
    try {
      client_.disconnect()->wait_for(std::chrono::seconds(2));
    } catch (...) {  // NOLINT: best effort at teardown; the test result is already decided
    }
  }
  void publish(const std::string& topic, const std::string& payload, bool retain = false) {
    client_.publish(topic, payload.data(), payload.size(), 1, retain)->wait_for(std::chrono::seconds(5));
  }
  void subscribe(const std::string& filter) { client_.subscribe(filter, 1)->wait_for(std::chrono::seconds(5)); }
  // Messages received so far: topic -> payload, in arrival order.
  std::vector<std::pair<std::string, std::string>> received(std::chrono::milliseconds wait) {
    std::vector<std::pair<std::string, std::string>> out;
    auto deadline = std::chrono::steady_clock::now() + wait;
    mqtt::const_message_ptr msg;
    while (std::chrono::steady_clock::now() < deadline) {
      if (client_.try_consume_message_for(&msg, std::chrono::milliseconds(100)) && msg)
        out.emplace_back(msg->get_topic(), msg->to_string());
    }
    return out;
  }

 private:
  static std::string rnd() { return std::to_string(std::rand()); }
  void connect(mqtt::connect_options opts) {
    client_.start_consuming();
    client_.connect(opts)->wait_for(std::chrono::seconds(5));
  }
  mqtt::async_client client_;
};

}  // namespace herald::testing
