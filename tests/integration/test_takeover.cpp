// Issue 9, items 2 and 11: no account can take over another account's or a computer's
// MQTT session, and the broker itself refuses payloads that Herald would drop.
//
// Mosquitto disconnects a connected client when a new one connects with the same client
// id. Herald's broker plugin (broker-plugin/) refuses a password client whose id is not
// its account name or "NAME:..."; on the agents' listener the id is the certificate's CN
// whatever the client sends (use_username_as_clientid). The same plugin refuses a
// publish over payloads.hpp's limit for its topic, so it is never stored or retained.
#include <doctest/doctest.h>
#include <mqtt/async_client.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "helpers.hpp"
#include "herald/common/broker_errors.hpp"
#include "herald/common/error.hpp"
#include "herald/common/paho.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;
namespace topics = herald::topics;
namespace payloads = herald::payloads;

namespace {

const std::string kMonitor = "mon1";
const std::string kHelpdesk = "helpdesk1";

std::vector<Account> takeover_accounts() {
  return {{kMonitor, "mon1-pw", {"monitor"}, {}, false}, {kHelpdesk, "helpdesk1-pw", {"helpdesk"}, {}, false}};
}

herald::mqtt_edge::BrokerSettings as_account(Broker& b, const std::string& account) {
  herald::mqtt_edge::BrokerSettings s;
  s.uri = b.people_uri();
  s.ca_file = b.ca_file().string();
  s.username = account;
  s.password = b.password(account);
  return s;
}

herald::mqtt_edge::BrokerSettings as_agent(Broker& b, const std::string& org_path) {
  auto [crt, key] = b.agent_cert(org_path);
  herald::mqtt_edge::BrokerSettings s;
  s.uri = b.agent_uri();
  s.ca_file = b.ca_file().string();
  s.cert_file = crt.string();
  s.key_file = key.string();
  return s;
}

// One MQTT 5 connection with a chosen client id, recording what is delivered to it.
class Client {
 public:
  Client(herald::mqtt_edge::BrokerSettings settings, const std::string& client_id)
      : settings_(std::move(settings)),
        client_(settings_.uri, client_id, mqtt::create_options(MQTTVERSION_5), nullptr) {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      // Only record here: never block inside a Paho callback.
      std::lock_guard<std::mutex> lock(mutex_);
      received_.emplace_back(m->get_topic(), m->get_payload().size());
    });
  }
  ~Client() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(2s);
    } catch (const mqtt::exception& e) {  // teardown only: the verdict is already recorded
      MESSAGE("client teardown: " << e.what());
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // "connected" or "refused: why".
  std::string connect() {
    try {
      herald::mqtt_edge::connect_or_throw(
          client_, herald::mqtt_edge::connect_options(settings_).clean_start(true).finalize(), settings_);
      return "connected";
    } catch (const herald::Error& e) {
      return std::string("refused: ") + e.what();
    } catch (const mqtt::exception& e) {
      return std::string("refused: ") + e.what();
    }
  }
  // "accepted", "refused" (PUBACK 0x87) or what went wrong.
  std::string publish(const std::string& topic, const std::string& payload, bool retain) {
    try {
      auto tok = client_.publish(topic, payload.data(), payload.size(), 1, retain);
      if (!tok->wait_for(30s)) return "no PUBACK";
      int reason = tok->get_reason_code();
      if (herald::mqtt_edge::is_refusal(reason)) return "refused";
      return reason < 0x80 ? "accepted" : "reason " + std::to_string(reason);
    } catch (const mqtt::exception& e) {
      if (herald::mqtt_edge::is_refusal(e.get_reason_code())) return "refused";
      return std::string("error: ") + e.what();
    }
  }
  void subscribe(const std::string& filter) { client_.subscribe(filter, 1)->wait_for(5s); }
  // Size of the payload delivered on `topic`, if one was.
  std::optional<std::size_t> got(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [t, size] : received_)
      if (t == topic) return size;
    return std::nullopt;
  }
  bool connected() { return client_.is_connected(); }

 private:
  herald::mqtt_edge::BrokerSettings settings_;
  mqtt::async_client client_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::size_t>> received_;
};

bool refused(const std::string& verdict) { return verdict.rfind("refused", 0) == 0; }

}  // namespace

TEST_CASE("no account or certificate can take over heraldd's or a computer's session") {
  System sys("takeover", takeover_accounts());
  auto& reader = sys.agent("org/branch01/pc001", "jkowalski");
  auto& other = sys.agent("org/branch01/pc002", "anowak");
  REQUIRE(reader.wait_connected());
  REQUIRE(other.wait_connected());
  auto id = herald_ok(sys, {"send", "--to", "org/branch01", "--title", "T", "--body", "Open me"});
  REQUIRE(waits_for_inbox(reader, id));
  REQUIRE(waits_for_inbox(other, id));

  // The review's attack, repeated: each attempt must be refused and must leave the named
  // session alone.
  auto& b = sys.broker();
  auto started = std::chrono::steady_clock::now();
  int attempts = 0;
  for (int round = 0; round < 3; ++round) {
    if (round == 1) b.reload();  // the checks survive a SIGHUP (what `herald-acl apply` sends)
    for (auto [account, client_id] : std::vector<std::pair<std::string, std::string>>{
             {kMonitor, "heraldd"},                      // the monitor account as heraldd
             {kHelpdesk, "org/branch01/pc002"},          // the helpdesk as a computer (its id is its path)
             {kHelpdesk, "agent:org/branch01/pc002"},    // ... and as the id agents used to send
             {kHelpdesk, "admin"},                       // another account
             {kHelpdesk, "admin:cli-0123456789abcdef"},  // another account's `herald` command
             {kHelpdesk, "helpdesk1x"},                  // a name that merely starts with its own
             {"admin", "heraldd:anything"}}) {           // even full-admin is not heraldd
      Client c(as_account(b, account), client_id);
      auto verdict = c.connect();
      INFO(account << " with client id '" << client_id << "': " << verdict);
      CHECK(refused(verdict));
      ++attempts;
    }
    // A certificate names its own session whatever id it sends (org/hq/pc001 runs no agent).
    for (std::string client_id : {"heraldd", "org/branch01/pc002", "agent:org/branch01/pc001"}) {
      Client c(as_agent(b, "org/hq/pc001"), client_id);
      CHECK(c.connect() == "connected");
    }
  }
  MESSAGE(attempts
          << " refused takeover attempts in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
          << " ms");
  CHECK(b.log().find("as heraldd (") != std::string::npos);  // heraldd's own connection
  CHECK(b.log().find("as org/hq/pc001 (") != std::string::npos);

  // The sessions are the ones from before: none was dropped, and a receipt sent now is
  // recorded (the review lost 2-3 of 3 read receipts here).
  CHECK(reader.cli({"show", id}).exit_code == 0);
  CHECK(other.cli({"show", id}).exit_code == 0);
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc001") == "read"; }, 10s, 100ms));
  CHECK(eventually([&] { return state_of(sys, id, "org/branch01/pc002") == "read"; }, 10s, 100ms));
  CHECK(sys.heraldd().log().find("lost") == std::string::npos);
  CHECK(reader.log().find("disconnected from") == std::string::npos);
  CHECK(other.log().find("disconnected from") == std::string::npos);
}

TEST_CASE("two herald commands of one account at the same time both work") {
  System sys("same-account", takeover_accounts());
  auto& pc = sys.agent("org/branch01/pc001", "jkowalski");
  REQUIRE(pc.wait_connected());
  auto id = herald_ok(sys, {"send", "--to", "org/branch01/pc001", "--title", "T", "--body", "B"});
  sys.cli_config(kHelpdesk);  // written once, before the commands race
  for (int round = 0; round < 3; ++round) {
    std::vector<std::future<RunResult>> runs;
    for (int i = 0; i < 4; ++i)
      runs.push_back(std::async(std::launch::async, [&] { return sys.herald({"status", id}, kHelpdesk); }));
    for (auto& r : runs) {
      auto result = r.get();
      INFO("herald status stderr: " << result.err);
      CHECK(result.exit_code == 0);
      CHECK(result.out.find("org/branch01/pc001") != std::string::npos);
    }
  }
}

TEST_CASE("the broker refuses payloads over Herald's limits, per topic") {
  System sys("limits");
  auto& b = sys.broker();
  Client tap(as_account(b, "heraldd"), "heraldd:tap");  // heraldd's account may read everything
  REQUIRE(tap.connect() == "connected");
  tap.subscribe("herald/#");
  Client admin(as_account(b, "admin"), "admin:raw");
  REQUIRE(admin.connect() == "connected");
  auto n = 0;
  auto next_id = [&n] { return "limit" + std::to_string(++n); };

  // A 300 KiB retained alert: refused, not stored, not forwarded.
  auto big_alert = topics::delivery(topics::Kind::alert, "admin", next_id(), herald::Target::path("org"));
  CHECK(admin.publish(big_alert, std::string(300 * 1024, 'x'), true) == "refused");
  // The largest allowed alert still passes (no over-blocking at the boundary).
  auto max_alert = topics::delivery(topics::Kind::alert, "admin", next_id(), herald::Target::path("org"));
  // A valid Delivery padded with JSON whitespace: heraldd clears retained copies it
  // refuses (topics.md, "Recording"), which would take this one away from `fresh`.
  payloads::Delivery valid;
  valid.body = "limit";
  valid.sent_at = herald::now();
  valid.expires_at = valid.sent_at + std::chrono::hours(1);
  auto max_payload = payloads::encode(valid);
  max_payload.resize(payloads::kMaxPayloadBytes, ' ');
  CHECK(admin.publish(max_alert, max_payload, true) == "accepted");
  CHECK(eventually([&] { return tap.got(max_alert).has_value(); }));
  CHECK_FALSE(tap.got(big_alert).has_value());
  {
    Client fresh(as_account(b, "heraldd"), "heraldd:fresh");
    REQUIRE(fresh.connect() == "connected");
    fresh.subscribe(big_alert);
    fresh.subscribe(max_alert);
    CHECK(eventually([&] { return fresh.got(max_alert).has_value(); }));  // retained copies do arrive
    CHECK_FALSE(fresh.got(big_alert).has_value());
  }
  admin.publish(max_alert, "", true);  // clear it again

  // A directory import request may be as large as kMaxRequestBytes, and no larger.
  auto request = topics::request("admin", next_id(), topics::kOpImport, "org");
  CHECK(admin.publish(request, std::string(payloads::kMaxRequestBytes, ' '), false) == "accepted");
  CHECK(eventually([&] { return tap.got(request) == payloads::kMaxRequestBytes; }, 20s));
  auto too_big = topics::request("admin", next_id(), topics::kOpImport, "org");
  CHECK(admin.publish(too_big, std::string(payloads::kMaxRequestBytes + 1, ' '), false) == "refused");
  // One publisher's messages reach a subscriber in order: once a later small one has
  // arrived, the refused one would have too.
  auto after = topics::request("admin", next_id(), topics::kOpStatus, "org");
  CHECK(admin.publish(after, "{}", false) == "accepted");
  CHECK(eventually([&] { return tap.got(after).has_value(); }));
  CHECK_FALSE(tap.got(too_big).has_value());

  // A course (course-create, its images inside) may be as large as kMaxRequestBytes too;
  // a scheduled message has the general limit, like the message it becomes.
  auto course = topics::campaign("admin", next_id(), "org");
  CHECK(admin.publish(course, std::string(payloads::kMaxRequestBytes, ' '), false) == "accepted");
  CHECK(eventually([&] { return tap.got(course) == payloads::kMaxRequestBytes; }, 20s));
  auto too_big_course = topics::campaign("admin", next_id(), "org");
  CHECK(admin.publish(too_big_course, std::string(payloads::kMaxRequestBytes + 1, ' '), false) == "refused");
  auto too_big_schedule = topics::schedule("admin", next_id(), topics::Kind::message, "org");
  CHECK(admin.publish(too_big_schedule, std::string(payloads::kMaxPayloadBytes + 1, ' '), false) == "refused");
  auto max_schedule = topics::schedule("admin", next_id(), topics::Kind::message, "org");
  CHECK(admin.publish(max_schedule, std::string(payloads::kMaxPayloadBytes, ' '), false) == "accepted");
  auto after_course = topics::campaign("admin", next_id(), "org");
  CHECK(admin.publish(after_course, "{}", false) == "accepted");
  CHECK(eventually([&] { return tap.got(after_course).has_value(); }));
  CHECK(tap.got(max_schedule) == payloads::kMaxPayloadBytes);
  CHECK_FALSE(tap.got(too_big_course).has_value());
  CHECK_FALSE(tap.got(too_big_schedule).has_value());

  // An agent's receipt over the general limit: refused on the agents' listener too.
  Client agent(as_agent(b, "org/branch01/pc001"), "org/branch01/pc001");
  REQUIRE(agent.connect() == "connected");
  auto ack = topics::ack("limit-ack", "org/branch01/pc001");
  CHECK(agent.publish(ack, std::string(payloads::kMaxPayloadBytes + 1, 'x'), false) == "refused");
  auto small_ack = topics::ack("limit-ack2", "org/branch01/pc001");
  CHECK(agent.publish(small_ack, "{}", false) == "accepted");
  CHECK(eventually([&] { return tap.got(small_ack).has_value(); }));
  CHECK_FALSE(tap.got(ack).has_value());

  CHECK(b.log().find("herald: refused a 307200-byte publish") != std::string::npos);
  CHECK(tap.connected());
}
