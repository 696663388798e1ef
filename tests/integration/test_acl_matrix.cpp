// Issue 3: the denial matrix. Every forbidden attempt is made against a real Mosquitto
// configured by herald-acl, and the test checks that the broker refused it AND that
// nothing reached any agent or the ledger. heraldd's own account (role server) reads
// everything, so a tap logged in as heraldd on `herald/#` sees whatever heraldd could
// record: if the tap got nothing, the ledger cannot have. Each allowed action of each
// built-in role is checked too (no over-blocking). The matrix is printed; any row whose
// outcome differs from the expected one fails the test.
//
// Mosquitto 2.0.11's acl_file does not check SUBSCRIBE (the SUBACK grants it), so the
// forbidden-subscription rows prove "nothing delivered".
#include <doctest/doctest.h>
#include <mqtt/async_client.h>
#include <mqtt/create_options.h>

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "herald/common/error.hpp"
#include "herald/common/paho.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/topics.hpp"
#include "herald/testing/fixture.hpp"

using namespace herald::testing;
using namespace std::chrono_literals;
namespace topics = herald::topics;

namespace {

std::string unique_suffix() {
  static std::atomic<int> n{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// One MQTT connection that records everything delivered to it.
class Probe {
 public:
  Probe(const std::string& uri, herald::mqtt_edge::BrokerSettings settings, const std::string& tag)
      : settings_(std::move(settings)),
        // An account's client id must be "NAME" or "NAME:..." (the broker's plugin); an
        // agent's is its certificate's CN whatever it sends.
        client_(uri, settings_.username + ":acl-" + tag + "-" + unique_suffix(),
                mqtt::create_options(settings_.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1), nullptr) {
    settings_.uri = uri;
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      // Only record here: never block inside a Paho callback.
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back(m->get_topic());
    });
    client_.set_connection_lost_handler([this](const std::string&) { lost_ = true; });
  }
  ~Probe() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(2s);
    } catch (const mqtt::exception& e) {  // teardown only: the verdict is already recorded
      std::cerr << "probe teardown: " << e.what() << "\n";
    }
  }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // "connected" or "refused: why".
  std::string connect(bool tls = true) {
    const bool v5 = settings_.mqtt_version == 5;
    try {
      if (!tls) {
        // What a misconfigured client would try: MQTT in the clear on a TLS port.
        auto plain = mqtt::connect_options_builder()
                         .mqtt_version(v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1)
                         .connect_timeout(5s)
                         .user_name(settings_.username)
                         .password(settings_.password)
                         .finalize();
        auto tok = client_.connect(plain);
        if (!tok->wait_for(6s)) return "refused: no answer";
        return "connected";
      }
      auto builder = herald::mqtt_edge::connect_options(settings_);
      if (v5)
        builder.clean_start(true);
      else
        builder.clean_session(true);
      herald::mqtt_edge::connect_or_throw(client_, builder.finalize(), settings_);
      return "connected";
    } catch (const herald::Error& e) {
      return std::string("refused: ") + e.what();
    } catch (const mqtt::exception& e) {
      return std::string("refused: ") + e.what();
    }
  }

  // The PUBACK verdict: "accepted" or "refused" (0x87 under MQTT 5), or what went wrong.
  std::string publish(const std::string& topic, const std::string& payload = "{\"v\":1}") {
    try {
      auto tok = client_.publish(topic, payload.data(), payload.size(), 1, false);
      if (!tok->wait_for(5s)) return "no PUBACK";
      int reason = tok->get_reason_code();
      if (herald::mqtt_edge::is_refusal(reason)) return "refused";
      return reason < 0x80 ? "accepted" : "reason " + std::to_string(reason);
    } catch (const mqtt::exception& e) {
      if (herald::mqtt_edge::is_refusal(e.get_reason_code())) return "refused";
      return std::string("error: ") + e.what();
    }
  }

  void subscribe(const std::vector<std::string>& filters) {
    for (const auto& f : filters) client_.subscribe(f, 1)->wait_for(5s);
  }

  bool got(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::find(received_.begin(), received_.end(), topic) != received_.end();
  }
  bool connected() { return client_.is_connected() && !lost_; }

 private:
  herald::mqtt_edge::BrokerSettings settings_;
  mqtt::async_client client_;
  std::mutex mutex_;
  std::vector<std::string> received_;
  std::atomic<bool> lost_{false};
};

herald::mqtt_edge::BrokerSettings account_settings(Broker& b, const std::string& name, const std::string& password,
                                                   int version = 5) {
  herald::mqtt_edge::BrokerSettings s;
  s.ca_file = b.ca_file().string();
  s.username = name;
  s.password = password;
  s.mqtt_version = version;
  return s;
}

herald::mqtt_edge::BrokerSettings agent_settings(Broker& b, const std::string& ca, const fs::path& crt,
                                                 const fs::path& key) {
  herald::mqtt_edge::BrokerSettings s;
  s.ca_file = ca.empty() ? b.ca_file().string() : ca;
  s.cert_file = crt.string();
  s.key_file = key.string();
  return s;
}

struct Row {
  std::string attempt;
  std::string expected;
  std::string seen;
};

class Matrix {
 public:
  void add(std::string attempt, std::string expected, std::string seen) {
    rows_.push_back({std::move(attempt), std::move(expected), std::move(seen)});
  }
  void print_and_check() {
    std::size_t w = 7;
    for (const auto& r : rows_) w = std::max(w, r.attempt.size());
    std::ostringstream out;
    out << "\n"
        << std::left << std::setw(static_cast<int>(w)) << "attempt"
        << " | " << std::setw(30) << "expected"
        << " | seen\n";
    for (const auto& r : rows_)
      out << std::setw(static_cast<int>(w)) << r.attempt << " | " << std::setw(30) << r.expected << " | " << r.seen
          << (r.expected == r.seen ? "" : "   <-- MISMATCH") << "\n";
    std::cout << out.str() << std::flush;
    for (const auto& r : rows_) {
      CAPTURE(r.attempt);
      CHECK(r.seen == r.expected);
    }
  }

 private:
  std::vector<Row> rows_;
};

const std::string kOps = "ops1";
const std::string kHelpdesk = "helpdesk1";
const std::string kTrainer = "trainer1";
// A branch-1 trainer: the built-in role `trainer` covers the whole org, so this one has
// no role, only the account's own campaign and status scopes.
const std::string kBranchTrainer = "trainer2";
// A branch-1 helpdesk: chat over branch 1 only (the built-in `helpdesk` chats over org).
const std::string kBranchHelpdesk = "helpdesk2";
const std::string kMonitor = "mon1";
const std::string kDisabled = "gone1";
const std::string kTemp = "temp1";

std::vector<Account> matrix_accounts(bool temp_disabled) {
  return {
      {kOps, "ops1-pw", {"communications-operator"}, {{"alert", {"org/branch01"}}}, false},
      {kHelpdesk, "helpdesk1-pw", {"helpdesk"}, {}, false},
      {kTrainer, "trainer1-pw", {"trainer"}, {}, false},
      {kBranchTrainer, "trainer2-pw", {}, {{"campaign", {"org/branch01"}}, {"status", {"org/branch01"}}}, false},
      {kBranchHelpdesk, "helpdesk2-pw", {}, {{"chat", {"org/branch01"}}}, false},
      {kMonitor, "mon1-pw", {"monitor"}, {}, false},
      {kDisabled, "gone1-pw", {"full-admin"}, {}, true},
      {kTemp, "temp1-pw", {"full-admin"}, {}, temp_disabled},
  };
}

}  // namespace

TEST_CASE("denial matrix: the broker refuses every forbidden action and allows every permitted one") {
  TempDir tmp("acl-matrix");
  // One certificate is one session (the agent listener's client id is the CN), so the
  // tampered computer and the revoked one have certificates of their own.
  Broker broker(tmp.path() / "broker",
                default_directory_csv() + "org/branch01/pc003,computer,Stanowisko 3,tkowal,Tomasz Kowal\n" +
                    "org/branch02/pc002,computer,Stanowisko 2,mzielinska,Maria Zielinska\n",
                matrix_accounts(false));
  const std::string people = broker.people_uri();
  const std::string agents = broker.agent_uri();
  Matrix m;
  int n = 0;
  auto id = [&n] { return "m" + std::to_string(++n); };

  auto account = [&](const std::string& name, int version = 5) {
    auto p = std::make_unique<Probe>(people, account_settings(broker, name, broker.password(name), version), name);
    auto c = p->connect();
    INFO(name << ": " << c);
    REQUIRE(c == "connected");
    return p;
  };
  auto agent = [&](const std::string& path, const std::string& tag) {
    auto [crt, key] = broker.agent_cert(path);
    auto p = std::make_unique<Probe>(agents, agent_settings(broker, "", crt, key), tag);
    auto c = p->connect();
    INFO(path << ": " << c);
    REQUIRE(c == "connected");
    return p;
  };

  // Observers: the ledger tap (heraldd's account reads everything) and one real-looking
  // agent per computer, subscribed exactly as herald-agent subscribes.
  auto tap = account("heraldd");
  tap->subscribe({"herald/#"});
  std::map<std::string, std::unique_ptr<Probe>> computers;
  for (std::string path : {"org/hq/pc001", "org/branch01/pc001", "org/branch01/pc002", "org/branch02/pc001"}) {
    computers[path] = agent(path, "agent");
    computers[path]->subscribe(topics::agent_filters(path));
  }
  // A tampered branch-1 agent (branch01/pc003's certificate) subscribing to what it must not get.
  auto evil = agent("org/branch01/pc003", "evil");
  evil->subscribe({"#", "herald/alert/+/+/org/branch02", "herald/msg/+/+/org/branch01/pc002", "herald/alert/+/+/user/+",
                   "herald/ack/#", "herald/presence/#", "herald/reply/#", "herald/req/#"});
  auto admin = account("admin");
  auto ops = account(kOps);
  ops->subscribe({"herald/ack/#", "herald/presence/#", "herald/reply/#", "herald/alert/#", "herald/msg/#"});
  auto ops_v311 = account(kOps, 4);
  auto helpdesk = account(kHelpdesk);
  auto trainer = account(kTrainer);
  auto branch_trainer = account(kBranchTrainer);
  auto mon = account(kMonitor);
  mon->subscribe({"herald/ack/+/org/#", "herald/presence/org/#", "herald/alert/#", "herald/msg/#", "herald/reply/#"});
  helpdesk->subscribe({"herald/reply/" + kHelpdesk + "/#"});

  // herald-agent also subscribes to heraldd's confirmations of its receipts; the tampered
  // agent and the monitor try to read other computers' confirmations.
  for (auto& [path, p] : computers) p->subscribe({topics::receipted(path)});
  evil->subscribe({"herald/receipted/#", topics::receipted("org/branch01/pc001")});
  // ... and heraldd's reminders to other computers.
  evil->subscribe({"herald/remind/#", "herald/remind/+/+/org/branch01/pc002"});
  mon->subscribe({"herald/receipted/#"});

  std::set<std::string> revoked;  // computers cut off by the revocation step at the end

  // After a publish was acknowledged, a sync message from heraldd reaching the tap and
  // every computer proves the broker has finished routing everything before it.
  auto sync = [&] {
    auto topic =
        topics::delivery(topics::Kind::message, "heraldd", "sync" + unique_suffix(), herald::Target::path("org"));
    REQUIRE(tap->publish(topic) == "accepted");
    bool ok = eventually([&] {
      if (!tap->got(topic)) return false;
      for (auto& [path, p] : computers)
        if (!revoked.count(path) && !p->got(topic)) return false;
      return true;
    });
    REQUIRE(ok);
    std::this_thread::sleep_for(100ms);
  };
  auto who_got = [&](const std::string& topic) {
    sync();
    std::string out;
    if (tap->got(topic)) out += " ledger";
    for (auto& [path, p] : computers)
      if (p->got(topic)) out += " " + path;
    if (evil->got(topic)) out += " evil";
    if (ops->got(topic)) out += " ops1";
    if (mon->got(topic)) out += " mon1";
    return out.empty() ? std::string("nobody") : out.substr(1);
  };
  // A forbidden publish: refused, and received by nobody.
  auto forbidden = [&](const std::string& attempt, Probe& by, const std::string& topic) {
    auto verdict = by.publish(topic);
    auto got = who_got(topic);
    m.add(attempt, "refused, nobody got it", verdict + ", " + (got == "nobody" ? "nobody got it" : got + " got it"));
  };
  auto allowed = [&](const std::string& attempt, Probe& by, const std::string& topic, const std::string& receivers) {
    auto verdict = by.publish(topic);
    m.add(attempt, "accepted, got by " + receivers, verdict + ", got by " + who_got(topic));
  };
  using topics::Kind;
  auto to = [](const std::string& p) { return herald::Target::path(p); };

  // ---- agents
  forbidden("agent publishes an alert", *computers["org/branch01/pc001"],
            topics::delivery(Kind::alert, "admin", id(), to("org/branch01/pc002")));
  forbidden("agent publishes an inbox message", *computers["org/branch01/pc001"],
            topics::delivery(Kind::message, "admin", id(), to("org")));
  forbidden("agent publishes a recall", *computers["org/branch01/pc001"], topics::recall("admin", id(), to("org")));
  forbidden("agent publishes a receipt for another computer", *computers["org/branch01/pc001"],
            topics::ack(id(), "org/branch01/pc002"));
  forbidden("agent publishes presence for another computer", *computers["org/branch01/pc001"],
            topics::presence("org/branch02/pc001"));
  forbidden("agent publishes a request", *computers["org/branch01/pc001"],
            topics::request("admin", id(), "status", "org"));
  forbidden("agent publishes a reply", *computers["org/branch01/pc001"], topics::reply("admin", id()));
  {
    auto t = topics::delivery(Kind::alert, "admin", id(), to("org/branch02"));
    admin->publish(t);
    m.add("agent subscribes to another branch's topics", "ledger org/branch02/pc001", who_got(t));
  }
  {
    auto t = topics::delivery(Kind::message, "admin", id(), to("org/branch01/pc002"));
    admin->publish(t);
    auto got = who_got(t);
    m.add("agent subscribes to another computer's topics", "ledger org/branch01/pc002", got);
  }
  {
    auto t = topics::delivery(Kind::alert, "admin", id(), herald::Target::person("jkowalski"));
    admin->publish(t);
    m.add("agent subscribes to person topics (user/+)", "ledger", who_got(t));
  }
  {
    auto t = topics::ack(id(), "org/branch02/pc001");
    auto verdict = computers["org/branch02/pc001"]->publish(t);
    m.add("agent publishes its own receipt; others subscribed to herald/ack/#", "accepted, ledger mon1",
          verdict + ", " + who_got(t));
  }
  {
    auto t = topics::presence("org/branch02/pc001");
    auto verdict = computers["org/branch02/pc001"]->publish(t);
    m.add("agent publishes its own presence; evil subscribed to #", "accepted, ledger mon1",
          verdict + ", " + who_got(t));
  }
  {
    auto t = topics::reply("admin", id());
    tap->publish(t);
    m.add("agent or ops1 subscribed to another account's replies", "ledger", who_got(t));
  }
  forbidden("agent publishes a confirmation of its own receipts", *computers["org/branch01/pc001"],
            topics::receipted("org/branch01/pc001"));
  forbidden("agent publishes a confirmation to another computer", *computers["org/branch01/pc001"],
            topics::receipted("org/branch01/pc002"));
  {
    auto t = topics::request("admin", id(), "status", "org");
    admin->publish(t);
    m.add("agent subscribes to requests (herald/req/#)", "ledger", who_got(t));
  }
  forbidden("agent publishes a campaign request", *computers["org/branch01/pc001"],
            topics::campaign("admin", id(), "org"));
  forbidden("agent publishes a schedule request", *computers["org/branch01/pc001"],
            topics::schedule("admin", id(), Kind::message, "org"));
  forbidden("agent publishes a reminder to itself", *computers["org/branch01/pc001"],
            topics::remind("admin", id(), "org/branch01/pc001"));
  forbidden("agent publishes a reminder to another computer", *computers["org/branch01/pc001"],
            topics::remind("admin", id(), "org/branch01/pc002"));
  {
    auto t = topics::remind("admin", id(), "org/branch01/pc002");
    auto verdict = tap->publish(t);
    m.add("heraldd reminds one computer; evil subscribed to other computers' reminders",
          "accepted, ledger org/branch01/pc002", verdict + ", " + who_got(t));
  }

  // ---- the branch-1 communications operator
  forbidden("ops1 alerts branch 2", *ops, topics::delivery(Kind::alert, kOps, id(), to("org/branch02")));
  forbidden("ops1 alerts org", *ops, topics::delivery(Kind::alert, kOps, id(), to("org")));
  forbidden("ops1 alerts a person", *ops, topics::delivery(Kind::alert, kOps, id(), herald::Target::person("anowak")));
  forbidden("ops1 asks branch 2's status", *ops, topics::request(kOps, id(), "status", "org/branch02"));
  forbidden("ops1 asks org's pending list", *ops, topics::request(kOps, id(), "pending", "org"));
  forbidden("ops1 starts a campaign", *ops, topics::campaign(kOps, id(), "org/branch01"));
  forbidden("ops1 schedules an alert for org", *ops, topics::schedule(kOps, id(), Kind::alert, "org"));
  forbidden("ops1 schedules an alert for branch 2", *ops, topics::schedule(kOps, id(), Kind::alert, "org/branch02"));
  forbidden("ops1 schedules an alert for people", *ops, topics::schedule(kOps, id(), Kind::alert, "user"));
  forbidden("ops1 schedules as another account", *ops, topics::schedule("admin", id(), Kind::message, "org"));
  forbidden("ops1 asks branch 2's course progress", *ops,
            topics::request(kOps, id(), topics::kOpProgress, "org/branch02"));
  forbidden("ops1 manages accounts (import)", *ops, topics::request(kOps, id(), "import", "org"));
  forbidden("ops1 sends as another account", *ops, topics::delivery(Kind::message, "admin", id(), to("org")));
  forbidden("ops1 forges a receipt", *ops, topics::ack(id(), "org/branch01/pc001"));
  {
    auto t = topics::delivery(Kind::alert, kOps, id(), to("org"));
    auto verdict = ops_v311->publish(t);
    m.add("ops1 (MQTT 3.1.1) alerts org: silently dropped", "accepted, nobody", verdict + ", " + who_got(t));
  }
  {
    auto t = topics::ack(id(), "org/branch01/pc001");
    computers["org/branch01/pc001"]->publish(t);
    m.add("ops1 reads receipts (herald/ack/#)", "ledger mon1", who_got(t));
  }

  // ---- the monitor account publishes anything
  forbidden("mon1 publishes a message", *mon, topics::delivery(Kind::message, kMonitor, id(), to("org")));
  forbidden("mon1 publishes an alert", *mon, topics::delivery(Kind::alert, kMonitor, id(), to("org")));
  forbidden("mon1 publishes a receipt", *mon, topics::ack(id(), "org/branch01/pc001"));
  forbidden("mon1 publishes presence", *mon, topics::presence("org/branch01/pc001"));
  forbidden("mon1 publishes a confirmation of receipts", *mon, topics::receipted("org/branch01/pc001"));
  forbidden("admin publishes a confirmation of receipts", *admin, topics::receipted("org/branch01/pc001"));
  forbidden("ops1 publishes a confirmation of receipts", *ops, topics::receipted("org/branch01/pc001"));
  forbidden("mon1 publishes a request", *mon, topics::request(kMonitor, id(), "status", "org"));
  forbidden("helpdesk1 sends a message", *helpdesk, topics::delivery(Kind::message, kHelpdesk, id(), to("org")));
  forbidden("trainer1 alerts org", *trainer, topics::delivery(Kind::alert, kTrainer, id(), to("org")));
  forbidden("helpdesk1 starts a campaign", *helpdesk, topics::campaign(kHelpdesk, id(), "org"));
  forbidden("helpdesk1 schedules a message", *helpdesk, topics::schedule(kHelpdesk, id(), Kind::message, "org"));
  forbidden("trainer1 schedules a message", *trainer, topics::schedule(kTrainer, id(), Kind::message, "org"));
  forbidden("mon1 asks course progress", *mon, topics::request(kMonitor, id(), topics::kOpProgress, "org"));
  // The branch-1 trainer: campaigns and progress under branch 1 only.
  forbidden("trainer2 (branch 1) starts a campaign for org", *branch_trainer,
            topics::campaign(kBranchTrainer, id(), "org"));
  forbidden("trainer2 (branch 1) starts a campaign for branch 2", *branch_trainer,
            topics::campaign(kBranchTrainer, id(), "org/branch02"));
  forbidden("trainer2 (branch 1) starts a campaign for people", *branch_trainer,
            topics::campaign(kBranchTrainer, id(), "user"));
  forbidden("trainer2 (branch 1) starts a campaign as trainer1", *branch_trainer,
            topics::campaign(kTrainer, id(), "org/branch01"));
  forbidden("trainer2 (branch 1) asks branch 2's progress", *branch_trainer,
            topics::request(kBranchTrainer, id(), topics::kOpProgress, "org/branch02"));
  forbidden("trainer2 (branch 1) asks org's progress", *branch_trainer,
            topics::request(kBranchTrainer, id(), topics::kOpProgress, "org"));

  // ---- allowed actions of each built-in role (no over-blocking)
  const std::string all_computers = "ledger org/branch01/pc001 org/branch01/pc002 org/branch02/pc001 org/hq/pc001 evil";
  allowed("admin (full-admin) alerts org", *admin, topics::delivery(Kind::alert, "admin", id(), to("org")),
          all_computers);
  allowed("admin imports the directory", *admin, topics::request("admin", id(), "import", "org"), "ledger");
  allowed("ops1 sends an inbox message to org", *ops, topics::delivery(Kind::message, kOps, id(), to("org")),
          all_computers);
  allowed("ops1 sends an inbox message to a person", *ops,
          topics::delivery(Kind::message, kOps, id(), herald::Target::person("anowak")), "ledger");
  allowed("ops1 alerts branch 1", *ops, topics::delivery(Kind::alert, kOps, id(), to("org/branch01")),
          "ledger org/branch01/pc001 org/branch01/pc002 evil");
  allowed("ops1 alerts one computer of branch 1", *ops,
          topics::delivery(Kind::alert, kOps, id(), to("org/branch01/pc002")), "ledger org/branch01/pc002");
  allowed("ops1 recalls on branch 1", *ops, topics::recall(kOps, id(), to("org/branch01")),
          "ledger org/branch01/pc001 org/branch01/pc002 evil");
  allowed("ops1 asks branch 1's status", *ops, topics::request(kOps, id(), "status", "org/branch01"), "ledger");
  allowed("helpdesk1 asks org's status", *helpdesk, topics::request(kHelpdesk, id(), "status", "org"), "ledger");
  allowed("trainer1 starts a campaign", *trainer, topics::campaign(kTrainer, id(), "org"), "ledger");
  allowed("trainer1 asks org's course progress", *trainer, topics::request(kTrainer, id(), topics::kOpProgress, "org"),
          "ledger");
  allowed("trainer2 (branch 1) starts a campaign for branch 1", *branch_trainer,
          topics::campaign(kBranchTrainer, id(), "org/branch01"), "ledger");
  allowed("trainer2 (branch 1) starts a campaign for one computer of branch 1", *branch_trainer,
          topics::campaign(kBranchTrainer, id(), "org/branch01/pc002"), "ledger");
  allowed("trainer2 (branch 1) asks branch 1's progress", *branch_trainer,
          topics::request(kBranchTrainer, id(), topics::kOpProgress, "org/branch01"), "ledger");
  allowed("trainer2 (branch 1) lists courses of branch 1", *branch_trainer,
          topics::request(kBranchTrainer, id(), topics::kOpCourses, "org/branch01"), "ledger");
  allowed("ops1 schedules a message for org", *ops, topics::schedule(kOps, id(), Kind::message, "org"), "ledger");
  allowed("ops1 schedules a message for several people", *ops, topics::schedule(kOps, id(), Kind::message, "user"),
          "ledger");
  allowed("ops1 schedules a message for one person", *ops, topics::schedule(kOps, id(), Kind::message, "user/anowak"),
          "ledger");
  allowed("ops1 schedules an alert for branch 1", *ops, topics::schedule(kOps, id(), Kind::alert, "org/branch01"),
          "ledger");
  allowed("ops1 lists branch 1's schedules", *ops, topics::request(kOps, id(), topics::kOpSchedules, "org/branch01"),
          "ledger");
  allowed("admin starts a campaign for several people", *admin, topics::campaign("admin", id(), "user"), "ledger");
  allowed("admin schedules an alert for one person", *admin,
          topics::schedule("admin", id(), Kind::alert, "user/jkowalski"), "ledger");
  allowed("helpdesk1 lists org's campaigns", *helpdesk, topics::request(kHelpdesk, id(), topics::kOpCampaigns, "org"),
          "ledger");
  allowed("agent publishes its own receipt", *computers["org/branch01/pc001"], topics::ack(id(), "org/branch01/pc001"),
          "ledger mon1");
  {
    auto t = topics::reply(kHelpdesk, id());
    tap->publish(t);
    m.add("heraldd replies to helpdesk1: only helpdesk1 (and the tap) get it", "true, ledger",
          std::string(helpdesk->got(t) || eventually([&] { return helpdesk->got(t); }, 2s) ? "true" : "false") + ", " +
              who_got(t));
  }

  // After every refused publish on this topic above (got() remembers topics).
  {
    auto t = topics::receipted("org/branch01/pc001");
    auto verdict = tap->publish(t);
    m.add("heraldd confirms receipts; evil and mon1 subscribed to other computers' confirmations",
          "accepted, ledger org/branch01/pc001", verdict + ", " + who_got(t));
  }

  // ---- chat (issue 11): helpdesk posts, heraldd's chatlog and chatdown, agents' chatup
  {
    const std::string pc1 = "org/branch01/pc001";
    auto branch_helpdesk = account(kBranchHelpdesk);
    // Everyone but heraldd tries to read every chat topic; only the ACL decides what
    // reaches whom. (The computers already subscribe to their own chatdown, as
    // herald-agent does; pc001 also asks for everyone's, its own conversation's
    // helpdesk view included.)
    const std::vector<std::string> all_chat = {"herald/chat/#", "herald/chatup/#", "herald/chatdown/#",
                                               "herald/chatlog/#"};
    for (Probe* p : {helpdesk.get(), branch_helpdesk.get(), trainer.get(), ops.get(), mon.get(), admin.get(),
                     computers[pc1].get(), evil.get()})
      p->subscribe(all_chat);
    evil->subscribe({topics::chat_down(pc1), topics::chat_log(to(pc1)), topics::chat_log(to("org/branch01/pc003"))});
    // who_got plus the chat watchers.
    auto chat_got = [&](const std::string& topic) {
      auto out = who_got(topic);
      for (auto [name, p] : {std::pair<const char*, Probe*>{"admin", admin.get()},
                             {"helpdesk1", helpdesk.get()},
                             {"helpdesk2", branch_helpdesk.get()},
                             {"trainer1", trainer.get()}})
        if (p->got(topic)) out = (out == "nobody" ? std::string() : out + " ") + name;
      return out;
    };
    auto chat_forbidden = [&](const std::string& attempt, Probe& by, const std::string& topic,
                              const std::string& payload = "{\"v\":1}") {
      auto verdict = by.publish(topic, payload);
      auto got = chat_got(topic);
      m.add(attempt, "refused, nobody got it", verdict + ", " + (got == "nobody" ? "nobody got it" : got + " got it"));
    };
    auto chat_allowed = [&](const std::string& attempt, Probe& by, const std::string& topic,
                            const std::string& receivers) {
      auto verdict = by.publish(topic);
      m.add(attempt, "accepted, got by " + receivers, verdict + ", got by " + chat_got(topic));
    };
    auto person = [](const std::string& login) { return herald::Target::person(login); };
    const auto chats = topics::kOpChats;

    // First every refused write on the topics without an id (got() remembers topics,
    // so these come before heraldd's and the agent's accepted writes on them below).
    chat_forbidden("agent writes another computer's chatup", *computers[pc1], topics::chat_up("org/branch01/pc002"));
    chat_forbidden("agent writes a chatup of another branch", *computers[pc1], topics::chat_up("org/branch02/pc001"));
    chat_forbidden("agent writes its own chatup over 256 KiB", *computers[pc1], topics::chat_up(pc1),
                   std::string(herald::payloads::kMaxPayloadBytes + 1, 'x'));
    chat_forbidden("agent writes its own chatdown", *computers[pc1], topics::chat_down(pc1));
    chat_forbidden("agent writes another computer's chatdown", *computers[pc1],
                   topics::chat_down("org/branch01/pc002"));
    chat_forbidden("agent writes the chatlog of its own conversation", *computers[pc1], topics::chat_log(to(pc1)));
    chat_forbidden("agent writes a person's chatlog", *computers[pc1], topics::chat_log(person("anowak")));
    chat_forbidden("agent posts as the helpdesk", *computers[pc1], topics::chat(kHelpdesk, id(), to(pc1)));
    chat_forbidden("agent asks its chat history", *computers[pc1], topics::request(kHelpdesk, id(), chats, pc1));
    chat_forbidden("helpdesk1 writes an employee's line (chatup)", *helpdesk, topics::chat_up(pc1));
    chat_forbidden("helpdesk1 writes heraldd's chatdown", *helpdesk, topics::chat_down(pc1));
    chat_forbidden("helpdesk1 writes heraldd's chatlog", *helpdesk, topics::chat_log(to(pc1)));
    chat_forbidden("admin (full-admin) writes heraldd's chatlog", *admin, topics::chat_log(to(pc1)));
    chat_forbidden("admin (full-admin) writes an employee's line (chatup)", *admin, topics::chat_up(pc1));

    // The helpdesk (chat over org): posts, asks, and watches what heraldd writes.
    chat_allowed("helpdesk1 posts chat to a computer of branch 1", *helpdesk, topics::chat(kHelpdesk, id(), to(pc1)),
                 "ledger");
    chat_allowed("helpdesk1 posts chat to a computer of branch 2", *helpdesk,
                 topics::chat(kHelpdesk, id(), to("org/branch02/pc001")), "ledger");
    chat_allowed("helpdesk1 asks org's chats", *helpdesk, topics::request(kHelpdesk, id(), chats, "org"), "ledger");
    chat_allowed("helpdesk1 asks one computer's chat history", *helpdesk, topics::request(kHelpdesk, id(), chats, pc1),
                 "ledger");
    chat_forbidden("helpdesk1 posts chat as another account", *helpdesk, topics::chat("admin", id(), to(pc1)));
    chat_forbidden("helpdesk1 (chat over org) posts chat to a person", *helpdesk,
                   topics::chat(kHelpdesk, id(), person("anowak")));
    chat_forbidden("helpdesk1 (chat over org) asks a person's chat", *helpdesk,
                   topics::request(kHelpdesk, id(), chats, "user/anowak"));
    chat_forbidden("helpdesk1 (chat over org) asks every person's chats", *helpdesk,
                   topics::request(kHelpdesk, id(), chats, "user"));
    chat_forbidden("helpdesk1 asks branch 1's chats as admin", *helpdesk,
                   topics::request("admin", id(), chats, "org/branch01"));

    // The branch-1 helpdesk (chat over org/branch01 only).
    chat_allowed("helpdesk2 (branch 1) posts chat to a computer of branch 1", *branch_helpdesk,
                 topics::chat(kBranchHelpdesk, id(), to(pc1)), "ledger");
    chat_allowed("helpdesk2 (branch 1) asks branch 1's chats", *branch_helpdesk,
                 topics::request(kBranchHelpdesk, id(), chats, "org/branch01"), "ledger");
    chat_forbidden("helpdesk2 (branch 1) posts chat to a computer of branch 2", *branch_helpdesk,
                   topics::chat(kBranchHelpdesk, id(), to("org/branch02/pc001")));
    chat_forbidden("helpdesk2 (branch 1) posts chat to org", *branch_helpdesk,
                   topics::chat(kBranchHelpdesk, id(), to("org")));
    chat_forbidden("helpdesk2 (branch 1) posts chat to a person", *branch_helpdesk,
                   topics::chat(kBranchHelpdesk, id(), person("anowak")));
    chat_forbidden("helpdesk2 (branch 1) asks org's chats", *branch_helpdesk,
                   topics::request(kBranchHelpdesk, id(), chats, "org"));
    chat_forbidden("helpdesk2 (branch 1) asks a branch-2 computer's chat history", *branch_helpdesk,
                   topics::request(kBranchHelpdesk, id(), chats, "org/branch02/pc001"));
    chat_forbidden("helpdesk2 (branch 1) asks a person's chat", *branch_helpdesk,
                   topics::request(kBranchHelpdesk, id(), chats, "user/anowak"));
    chat_forbidden("helpdesk2 (chat only) asks branch 1's status", *branch_helpdesk,
                   topics::request(kBranchHelpdesk, id(), topics::kOpStatus, "org/branch01"));

    // full-admin chats with people too (chat over user).
    chat_allowed("admin posts chat to a person", *admin, topics::chat("admin", id(), person("anowak")), "ledger");
    chat_allowed("admin asks a person's chat", *admin, topics::request("admin", id(), chats, "user/anowak"), "ledger");
    chat_allowed("admin asks every person's chats", *admin, topics::request("admin", id(), chats, "user"), "ledger");

    // Accounts without chat.
    chat_forbidden("ops1 posts chat to branch 1", *ops, topics::chat(kOps, id(), to("org/branch01")));
    chat_forbidden("ops1 asks branch 1's chats", *ops, topics::request(kOps, id(), chats, "org/branch01"));
    chat_forbidden("trainer1 posts chat to org", *trainer, topics::chat(kTrainer, id(), to("org")));
    chat_forbidden("trainer1 asks org's chats", *trainer, topics::request(kTrainer, id(), chats, "org"));
    chat_forbidden("mon1 posts chat", *mon, topics::chat(kMonitor, id(), to(pc1)));
    chat_forbidden("mon1 asks org's chats", *mon, topics::request(kMonitor, id(), chats, "org"));

    // What heraldd and the agents write, and who reads it (everyone subscribed to all
    // chat topics above: ops1, trainer1, mon1, pc001 and evil read none of the chatlog).
    chat_allowed("heraldd's chatlog of a branch-1 computer", *tap, topics::chat_log(to(pc1)),
                 "ledger admin helpdesk1 helpdesk2");
    chat_allowed("heraldd's chatlog of a branch-2 computer", *tap, topics::chat_log(to("org/branch02/pc001")),
                 "ledger admin helpdesk1");
    chat_allowed("heraldd's chatlog of a person (only chat over user reads it)", *tap,
                 topics::chat_log(person("anowak")), "ledger admin");
    chat_allowed("agent writes its own chatup (everyone subscribed to herald/chatup/#)", *computers[pc1],
                 topics::chat_up(pc1), "ledger");
    chat_allowed("heraldd's chatdown to pc001 (everyone subscribed to herald/chatdown/#)", *tap, topics::chat_down(pc1),
                 "ledger org/branch01/pc001");
    chat_allowed("heraldd's chatdown to evil's own computer", *tap, topics::chat_down("org/branch01/pc003"),
                 "ledger evil");
  }

  // ---- payload limits (issue 9): the broker refuses what Herald would drop
  {
    namespace payloads = herald::payloads;
    auto t = topics::delivery(Kind::alert, "admin", id(), to("org"));
    auto verdict = admin->publish(t, std::string(payloads::kMaxPayloadBytes + 1, 'x'));
    m.add("admin alerts org with a payload over 256 KiB", "refused, nobody got it",
          verdict + ", " + (who_got(t) == "nobody" ? "nobody got it" : who_got(t) + " got it"));
    t = topics::request("admin", id(), "import", "org");
    verdict = admin->publish(t, std::string(payloads::kMaxRequestBytes + 1, ' '));
    m.add("admin imports a directory request over 8 MiB", "refused, nobody got it",
          verdict + ", " + (who_got(t) == "nobody" ? "nobody got it" : who_got(t) + " got it"));
    t = topics::ack(id(), "org/branch02/pc001");
    verdict = computers["org/branch02/pc001"]->publish(t, std::string(payloads::kMaxPayloadBytes + 1, 'x'));
    m.add("agent publishes its own receipt over 256 KiB", "refused, nobody got it",
          verdict + ", " + (who_got(t) == "nobody" ? "nobody got it" : who_got(t) + " got it"));
  }

  // ---- authentication
  auto try_connect = [&](const std::string& uri, herald::mqtt_edge::BrokerSettings s, bool tls = true) {
    Probe p(uri, std::move(s), "auth");
    auto c = p.connect(tls);
    return c.rfind("refused", 0) == 0 ? std::string("refused") : c;
  };
  m.add("anonymous connect", "refused", try_connect(people, account_settings(broker, "", "")));
  m.add("wrong password", "refused", try_connect(people, account_settings(broker, kOps, "not-the-password")));
  m.add("disabled account", "refused", try_connect(people, account_settings(broker, kDisabled, "gone1-pw")));
  m.add("plaintext connection to the people port", "refused",
        try_connect("tcp://127.0.0.1:" + std::to_string(broker.people_port()),
                    account_settings(broker, kOps, "ops1-pw"), false));
  m.add("plaintext connection to the agent port", "refused",
        try_connect("tcp://127.0.0.1:" + std::to_string(broker.agent_port()), account_settings(broker, kOps, "ops1-pw"),
                    false));
  m.add("agent port without a client certificate", "refused",
        try_connect(agents, account_settings(broker, kOps, "ops1-pw")));
  {
    // Session takeover (issue 9): a password client's id must be its account name or
    // "NAME:...". The probe's own ids are "NAME:acl-..."; these name someone else's.
    auto with_id = [&](const std::string& name, const std::string& password, const std::string& client_id) {
      mqtt::async_client c(people, client_id, mqtt::create_options(MQTTVERSION_5), nullptr);
      auto s = account_settings(broker, name, password);
      s.uri = people;
      try {
        herald::mqtt_edge::connect_or_throw(c, herald::mqtt_edge::connect_options(s).clean_start(true).finalize(), s);
        c.disconnect()->wait_for(2s);
        return std::string("connected");
      } catch (const herald::Error&) {
        return std::string("refused");
      } catch (const mqtt::exception&) {
        return std::string("refused");
      }
    };
    m.add("mon1 connects with heraldd's client id", "refused", with_id(kMonitor, "mon1-pw", "heraldd"));
    m.add("helpdesk1 connects with a computer's client id", "refused",
          with_id(kHelpdesk, "helpdesk1-pw", "org/branch01/pc002"));
    m.add("ops1 connects with another account's command's id", "refused",
          with_id(kOps, "ops1-pw", "admin:cli-0123456789abcdef"));
  }
  {
    auto other = tmp.path() / "other-ca";
    auto pki = (source_dir() / "broker-config" / "herald-pki").string();
    REQUIRE(run({pki, "init", other.string()}).exit_code == 0);
    REQUIRE(run({pki, "agent", other.string(), "org/branch01/pc001"}).exit_code == 0);
    m.add("agent certificate from another CA", "refused",
          try_connect(agents, agent_settings(broker, "", other / "agents" / "org+branch01+pc001.crt",
                                             other / "agents" / "org+branch01+pc001.key")));
  }

  // ---- disabling an account logs it out at once
  {
    auto temp = account(kTemp);
    broker.reapply_policy(matrix_accounts(true));  // herald-acl apply + SIGHUP
    bool dropped = eventually([&] { return !temp->connected(); }, 5s);
    m.add("temp1 disabled while connected (apply + SIGHUP)", "disconnected",
          dropped ? "disconnected" : "still connected");
    m.add("temp1 logs in after being disabled", "refused",
          try_connect(people, account_settings(broker, kTemp, "temp1-pw")));
    m.add("other clients survive the reload", "connected",
          computers["org/hq/pc001"]->connected() && ops->connected() ? "connected" : "dropped");
  }

  // ---- revoking one agent: CRL for new connections, ACL deny for the open one
  {
    const std::string victim_path = "org/branch02/pc002";
    auto [crt, key] = broker.agent_cert(victim_path);
    auto crt_copy = tmp.path() / "revoked.crt";
    auto key_copy = tmp.path() / "revoked.key";
    fs::copy_file(crt, crt_copy);
    fs::copy_file(key, key_copy);
    // Control: the same certificate works until it is revoked (before the victim
    // connects: a second session of one certificate replaces the first).
    m.add("agent certificate connects before its revocation", "connected",
          try_connect(agents, agent_settings(broker, "", crt_copy, key_copy)));
    auto victim = agent(victim_path, "victim");
    victim->subscribe(topics::agent_filters(victim_path));
    auto acl = bin("herald-acl").string();
    REQUIRE(run({acl, "revoke-agent", victim_path, "--policy", broker.policy_file().string()}).exit_code == 0);
    auto applied = run({acl, "apply", broker.policy_file().string(), "--directory", broker.directory_file().string(),
                        "--out", broker.dir().string()});
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    broker.revoke_agent(victim_path);  // herald-pki revoke + SIGHUP
    revoked.insert(victim_path);
    m.add("revoked agent certificate connects", "refused",
          try_connect(agents, agent_settings(broker, "", crt_copy, key_copy)));
    if (victim->connected()) {
      auto t = topics::delivery(Kind::alert, "admin", id(), to(victim_path));
      admin->publish(t);
      sync();
      m.add("revoked agent's open connection receives", "nothing", victim->got(t) ? "received" : "nothing");
      m.add("revoked agent's open connection publishes its receipt", "refused",
            victim->publish(topics::ack(id(), victim_path)));
    } else {
      m.add("revoked agent's open connection receives", "nothing", "nothing (disconnected)");
      m.add("revoked agent's open connection publishes its receipt", "refused", "refused (disconnected)");
    }
  }

  m.print_and_check();
}
