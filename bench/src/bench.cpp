#include "herald/bench/bench.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "herald/bench/certs.hpp"
#include "herald/bench/process.hpp"
#include "herald/common/error.hpp"
#include "herald/common/ids.hpp"
#include "herald/common/mqtt.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/payloads.hpp"
#include "herald/common/results.hpp"
#include "herald/common/time.hpp"
#include "herald/common/topics.hpp"
#include "herald/dispatcher/session.hpp"

namespace herald::bench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::internal, "herald-bench: " + what); }

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) fail("cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  auto start = s.find_first_not_of(" \t\r\n");
  return start == std::string::npos ? "" : s.substr(start);
}

fs::path make_temp_dir(const std::string& root) {
  std::string templ = root + "/herald-bench-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) fail("cannot create a directory under " + root);
  // Mosquitto started as root drops to user mosquitto: it must traverse into it.
  chmod(buf.data(), 0711);
  return buf.data();
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool accepting(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds every = 100ms) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

// Mosquitto needs a descriptor per connection, the swarms one per member: raise the
// soft limit to the hard one, and (as root) the hard one too. Children inherit it.
rlim_t raise_open_files(std::size_t want) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < want && geteuid() == 0) {
    rlimit raised{static_cast<rlim_t>(want), static_cast<rlim_t>(want)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};
Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = v.back();
  return p;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string login_of(std::size_t i) {
  char login[32];
  std::snprintf(login, sizeof login, "u%05zu", i);
  return login;
}

double round1(double x) { return std::round(x * 10) / 10; }
double round2(double x) { return std::round(x * 100) / 100; }

// One swarm process and its line protocol.
struct Swarm {
  Child child;
  LineReader reader;
  std::size_t members = 0;
};

class Bench {
 public:
  Bench(const BenchOptions& options, std::ostream& out) : o_(options), out_(out) {}
  ~Bench() { cleanup(); }

  int run();

 private:
  std::string bin(const std::string& name) const { return (fs::path(o_.bin_dir) / name).string(); }
  void note(const std::string& text) {
    out_ << "[" << std::fixed << std::setprecision(1) << seconds_since(started_) << " s] " << text << std::endl;
  }
  void prepare();
  void start_broker();
  void start_heraldd();
  void start_real_agent();
  void start_swarms(bool raw);
  void stop_swarms();
  std::vector<std::string> ask_all(const std::string& command, std::chrono::milliseconds timeout = 30s);
  std::size_t sum_field(const std::vector<std::string>& answers, std::size_t field);
  std::vector<double> latencies(const std::string& id, std::int64_t t0);
  std::size_t count_displayed(const std::string& id);
  struct FanOut {
    std::string id;
    std::vector<double> latencies;
    std::size_t delivered = 0;
    double send_ms = 0;
  };
  FanOut herald_alert(const std::string& title);
  FanOut raw_publish(const std::string& title, std::size_t expected);
  FanOut collect(const std::string& id, std::int64_t t0, double send_ms, std::size_t expected);
  std::string herald_cli(std::vector<std::string> args, bool retry = false);
  json list_newest();
  // Until heraldd has the receipts of every agent for the newest message `id` (the
  // agents spread an org-wide message's receipts over seconds): the next measurement
  // starts on a quiet broker.
  void wait_receipts_recorded(const std::string& id);
  double query_rtt(std::string_view op, const payloads::Request& req);
  void phase_pending();
  void phase_fanout();
  void phase_receipts();
  void phase_lessons();
  void phase_campaigns_idle();
  void phase_footprint();
  void phase_progress();
  void phase_chat();
  // Arrival at the agents (their inboxes' received_at) of message `id` minus `t0_us`, in ms.
  std::vector<double> arrivals(const std::string& id, std::int64_t t0_us);
  std::vector<double> wait_arrivals(const std::string& id, std::int64_t t0_us);
  json campaign_detail(const std::string& id);
  void restart_heraldd(const std::string& clock);
  void phase_reconnect();
  void phase_raw();
  void report();
  // CPU seconds used so far by the broker, heraldd and all swarm processes together.
  struct Cpu {
    double broker = 0, heraldd = 0, swarms = 0;
  };
  Cpu cpu();
  void record_cpu(const std::string& prefix, const Cpu& before);
  void cleanup();

  BenchOptions o_;
  std::ostream& out_;
  Clock::time_point started_ = Clock::now();
  fs::path tmp_, swarm_tmp_, broker_dir_;
  int agent_port_ = 0, people_port_ = 0;
  pid_t mosquitto_ = -1, heraldd_ = -1, real_agent_ = -1;
  std::vector<std::string> paths_;
  std::vector<IssuedCert> certs_;
  std::vector<fs::path> lists_;
  std::vector<Swarm> swarms_;
  fs::path admin_conf_;
  mqtt_edge::BrokerSettings admin_;
  std::unique_ptr<dispatcher::Session> query_;
  std::string receipt_id_;
  std::string lesson_campaign_;  // the 8-lesson campaign of phase_lessons
  json r_ = json::object();
  bool cleaned_ = false;
};

Bench::Cpu Bench::cpu() {
  Cpu c;
  c.broker = cpu_seconds(mosquitto_);
  c.heraldd = cpu_seconds(heraldd_);
  for (const auto& s : swarms_) c.swarms += std::max(0.0, cpu_seconds(s.child.pid));
  return c;
}

void Bench::record_cpu(const std::string& prefix, const Cpu& before) {
  auto now = cpu();
  r_[prefix + "_broker_cpu_s"] = round2(now.broker - before.broker);
  r_[prefix + "_heraldd_cpu_s"] = round2(now.heraldd - before.heraldd);
  r_[prefix + "_swarm_cpu_s"] = round2(now.swarms - before.swarms);
}

void Bench::prepare() {
  std::size_t n = o_.agents;
  auto limit = raise_open_files(2 * n + 4096);
  r_["agents"] = n;
  note("open-file limit " + std::to_string(limit));
  if (limit < n + 1024)
    fail("the open-file limit (" + std::to_string(limit) + ") is too low for " + std::to_string(n) +
         " agents: raise it (ulimit -n) or run as root");
  tmp_ = make_temp_dir(o_.work_root);
  swarm_tmp_ = make_temp_dir(o_.swarm_root);
  broker_dir_ = tmp_ / "broker";
  note("working in " + tmp_.string() + " (swarm inboxes in " + swarm_tmp_.string() + ")");

  agent_port_ = free_port();
  people_port_ = free_port();
  auto setup = bench::run({"env", "HERALD_BROKER_PLUGIN=" + bin("herald_broker_plugin.so"),
                           (fs::path(o_.source_dir) / "broker-config" / "setup-broker").string(), broker_dir_.string(),
                           std::to_string(agent_port_), std::to_string(people_port_)});
  if (setup.exit_code != 0) fail("setup-broker failed: " + setup.err);

  // The org: ~250 computers per branch, like the swarm processes.
  std::size_t per_branch = 250;
  std::size_t branches = (n + per_branch - 1) / per_branch;
  std::ostringstream csv;
  csv << "path,kind,name,login,person\norg,central,Bench,,\n";
  for (std::size_t b = 0; b < branches; ++b) {
    char branch[32];
    std::snprintf(branch, sizeof branch, "org/b%03zu", b);
    csv << branch << ",branch,Branch " << b << ",,\n";
    if (b == 0) csv << "org/b000/real-agent,computer,Real agent,,\n";
    for (std::size_t i = b * per_branch; i < std::min(n, (b + 1) * per_branch); ++i) {
      char path[48];
      std::snprintf(path, sizeof path, "%s/pc%05zu", branch, i);
      paths_.push_back(path);
      // Each computer has its person (login uNNNNN), as `herald progress` needs.
      csv << path << ",computer,PC " << i << "," << login_of(i) << ",Person " << i << "\n";
    }
  }
  write_file(broker_dir_ / "org.csv", csv.str());

  // Accounts: admin (full-admin) and heraldd (server), hashed by mosquitto_passwd.
  json policy = {{"description", "herald-bench"}, {"roles", json::object()}, {"accounts", json::object()}};
  for (auto [name, role] : {std::pair{"admin", "full-admin"}, std::pair{"heraldd", "server"}}) {
    std::string password = std::string(name) + "-" + new_id();
    auto file = tmp_ / ("pw-" + std::string(name));
    auto hashed = bench::run({"mosquitto_passwd", "-b", "-c", file.string(), name, password});
    if (hashed.exit_code != 0) fail("mosquitto_passwd failed: " + hashed.err);
    auto line = read_file(file);
    fs::remove(file);
    auto colon = line.find(':');
    policy["accounts"][name] = {{"roles", {role}}, {"password_hash", trim(line.substr(colon + 1))}};
    write_file(tmp_ / (std::string(name) + ".password"), password + "\n");
    chmod((tmp_ / (std::string(name) + ".password")).c_str(), 0600);
  }
  write_file(broker_dir_ / "policy.json", policy.dump(2));
  auto acl = bench::run({bin("herald-acl"), "apply", (broker_dir_ / "policy.json").string(), "--directory",
                         (broker_dir_ / "org.csv").string(), "--out", broker_dir_.string()},
                        120s);
  if (acl.exit_code != 0) fail("herald-acl apply failed: " + acl.err);

  admin_.uri = "ssl://127.0.0.1:" + std::to_string(people_port_);
  admin_.ca_file = (broker_dir_ / "pki" / "ca.crt").string();
  admin_.username = "admin";
  admin_.password = trim(read_file(tmp_ / "admin.password"));
  admin_.connect_timeout = 10s;
  admin_conf_ = tmp_ / "herald-admin.conf";
  write_file(admin_conf_, "broker = " + admin_.uri + "\nca_file = " + admin_.ca_file + "\nusername = admin\n" +
                              "password_file = " + (tmp_ / "admin.password").string() +
                              "\nscope = org\nrequest_timeout = 60\n");

  auto t = Clock::now();
  auto with_real = paths_;
  with_real.push_back("org/b000/real-agent");
  certs_ = issue_agent_certs((broker_dir_ / "pki").string(), (tmp_ / "certs").string(), with_real);
  note("issued " + std::to_string(certs_.size()) + " agent certificates in " + std::to_string(seconds_since(t)) + " s");

  // One member list per swarm process.
  std::size_t per = std::max<std::size_t>(1, o_.per_process);
  for (std::size_t start = 0, p = 0; start < n; start += per, ++p) {
    std::ostringstream list;
    for (std::size_t i = start; i < std::min(n, start + per); ++i)
      list << certs_[i].org_path << ' ' << certs_[i].cert_file << ' ' << certs_[i].key_file << ' ' << login_of(i)
           << '\n';
    lists_.push_back(tmp_ / ("swarm-" + std::to_string(p) + ".list"));
    write_file(lists_.back(), list.str());
  }
}

void Bench::start_broker() {
  mosquitto_ =
      spawn({"mosquitto", "-c", (broker_dir_ / "mosquitto.conf").string()}, {(broker_dir_ / "mosquitto.log").string()})
          .pid;
  if (!wait_until([&] { return accepting(agent_port_) && accepting(people_port_); }, 20s, 20ms))
    fail("mosquitto did not start; see " + (broker_dir_ / "mosquitto.log").string());
}

void Bench::start_heraldd() { restart_heraldd(""); }

// (Re)starts heraldd on its ledger; `clock` non-empty: its config's `clock` line.
void Bench::restart_heraldd(const std::string& clock) {
  auto dir = tmp_ / "heraldd";
  fs::create_directories(dir);
  if (heraldd_ > 0) stop(heraldd_, 30s);
  write_file(dir / "heraldd.conf", "broker = " + admin_.uri + "\nca_file = " + admin_.ca_file +
                                       "\nusername = heraldd\npassword_file = " + (tmp_ / "heraldd.password").string() +
                                       "\ndata_dir = " + (dir / "data").string() +
                                       "\ndirectory_csv = " + (broker_dir_ / "org.csv").string() + "\n" +
                                       (clock.empty() ? "" : "clock = " + clock + "\n"));
  auto log = dir / "heraldd.log";
  auto logged_before = read_file(log).size();
  heraldd_ = spawn({bin("heraldd"), "--config", (dir / "heraldd.conf").string()}, {log.string()}).pid;
  if (!wait_until([&] { return read_file(log).find("subscribed", logged_before) != std::string::npos; }, 60s))
    fail("heraldd did not connect; see " + log.string());
}

void Bench::start_real_agent() {
  const auto& cert = certs_.back();
  auto dir = tmp_ / "real-agent";
  fs::create_directories(dir);
  write_file(dir / "agent.conf", "broker = ssl://127.0.0.1:" + std::to_string(agent_port_) +
                                     "\nca_file = " + admin_.ca_file + "\ncert_file = " + cert.cert_file +
                                     "\nkey_file = " + cert.key_file + "\ndata_dir = " + (dir / "data").string() +
                                     "\ndisplay = log\nuser = bench\n");
  real_agent_ =
      spawn({bin("herald-agent"), "run", "--config", (dir / "agent.conf").string()}, {(dir / "agent.log").string()})
          .pid;
  if (!wait_until([&] { return read_file(dir / "agent.log").find("subscribed") != std::string::npos; }, 30s))
    fail("the real agent did not connect; see " + (dir / "agent.log").string());
}

void Bench::start_swarms(bool raw) {
  auto t = Clock::now();
  auto cpu_before = cpu();
  Child perf;
  if (!raw && !o_.perf_file.empty() && o_.perf_phase == "connect")
    perf =
        spawn({"perf", "record", "-a", "-g", "-o", o_.perf_file, "--", "sleep", "20"}, {(tmp_ / "perf.log").string()});
  auto per_swarm_in_flight = std::max<std::size_t>(1, o_.connects_in_flight / std::max<std::size_t>(1, lists_.size()));
  for (std::size_t p = 0; p < lists_.size(); ++p) {
    auto data = swarm_tmp_ / ((raw ? "raw-" : "agents-") + std::to_string(p));
    std::vector<std::string> argv = {bin("herald-bench-swarm"),
                                     raw ? "raw" : "agents",
                                     "--uri",
                                     "ssl://127.0.0.1:" + std::to_string(agent_port_),
                                     "--ca",
                                     admin_.ca_file,
                                     "--list",
                                     lists_[p].string(),
                                     "--data-dir",
                                     data.string(),
                                     "--executors",
                                     std::to_string(o_.executors),
                                     "--connects-in-flight",
                                     std::to_string(per_swarm_in_flight)};
    SpawnOptions so;
    so.log_file = (tmp_ / ((raw ? "raw-" : "swarm-") + std::to_string(p) + ".log")).string();
    so.nice = 19;  // the broker gets the CPU first, as on a real network of many computers
    so.pipes = true;
    Swarm s;
    s.child = spawn(argv, so);
    s.reader = LineReader(s.child.from_child);
    s.members = std::min(o_.per_process, o_.agents - p * o_.per_process);
    swarms_.push_back(std::move(s));
  }
  auto timeout = std::chrono::seconds(120 + o_.agents / 50);
  std::size_t last = 0;
  auto last_print = Clock::now();
  bool ok = wait_until(
      [&] {
        auto answers = ask_all("connected");
        last = sum_field(answers, 1);
        if (Clock::now() - last_print > 5s) {
          note(std::to_string(last) + " of " + std::to_string(o_.agents) + (raw ? " subscribers" : " agents") +
               " connected");
          last_print = Clock::now();
        }
        return last >= o_.agents;
      },
      timeout, 500ms);
  if (!ok) fail("only " + std::to_string(last) + " of " + std::to_string(o_.agents) + " connected in time");
  double s = seconds_since(t);
  note(std::string("all ") + std::to_string(o_.agents) + (raw ? " raw subscribers" : " agents") + " connected in " +
       std::to_string(s) + " s");
  r_[raw ? "raw_connect_s" : "connect_s"] = round1(s);
  record_cpu(raw ? "raw_connect" : "connect", cpu_before);
  if (perf.pid > 0) wait_until([&] { return !alive(perf.pid); }, 30s);
}

void Bench::stop_swarms() {
  for (auto& s : swarms_) write_line(s.child.to_child, "quit");
  for (auto& s : swarms_) {
    stop(s.child.pid, 5s);
    close(s.child.to_child);
    close(s.child.from_child);
  }
  swarms_.clear();
}

std::vector<std::string> Bench::ask_all(const std::string& command, std::chrono::milliseconds timeout) {
  for (auto& s : swarms_)
    if (!write_line(s.child.to_child, command)) fail("a swarm process died; see " + tmp_.string() + "/*.log");
  std::vector<std::string> answers;
  auto deadline = Clock::now() + timeout;
  for (auto& s : swarms_) {
    auto line = s.reader.read_line(deadline);
    if (!line) fail("a swarm process did not answer '" + command + "'; see " + tmp_.string() + "/*.log");
    answers.push_back(*line);
  }
  return answers;
}

std::size_t Bench::sum_field(const std::vector<std::string>& answers, std::size_t field) {
  std::size_t sum = 0;
  for (const auto& a : answers) {
    std::istringstream words(a);
    std::string w;
    for (std::size_t i = 0; i <= field && words >> w; ++i)
      if (i == field) sum += std::stoul(w);
  }
  return sum;
}

std::size_t Bench::count_displayed(const std::string& id) { return sum_field(ask_all("times " + id), 2); }

std::vector<double> Bench::latencies(const std::string& id, std::int64_t t0) {
  std::vector<double> v;
  for (const auto& a : ask_all("times " + id)) {
    std::istringstream words(a);
    std::string w, got_id;
    std::size_t count = 0;
    words >> w >> got_id >> count;
    std::int64_t t;
    while (words >> t) v.push_back(static_cast<double>(t - t0) / 1000.0);
  }
  return v;
}

std::string Bench::herald_cli(std::vector<std::string> args, bool retry) {
  std::vector<std::string> argv = {bin("herald"), "--config", admin_conf_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto deadline = Clock::now() + 90s;
  while (true) {
    auto r = bench::run(argv, 90s);
    if (r.exit_code == 0) return r.out;
    if (!retry || Clock::now() > deadline)
      fail("herald " + args[0] + " failed (exit " + std::to_string(r.exit_code) + "): " + trim(r.err));
    std::this_thread::sleep_for(200ms);
  }
}

Bench::FanOut Bench::collect(const std::string& id, std::int64_t t0, double send_ms, std::size_t expected) {
  // Everything arrives within seconds or not at all: wait at most 30 s for the rest.
  std::size_t seen = 0;
  wait_until([&] { return (seen = count_displayed(id)) >= expected; }, 30s, 250ms);
  FanOut f;
  f.id = id;
  f.latencies = latencies(id, t0);
  f.delivered = f.latencies.size();
  f.send_ms = send_ms;
  return f;
}

Bench::FanOut Bench::herald_alert(const std::string& title) {
  auto t0 = now_us();
  auto t = Clock::now();
  auto id = trim(herald_cli({"alert", "--to", "org", "--title", title, "--severity", "critical", "--body",
                             "Benchmark alert: please ignore. Do not open the attachment of today's invoice mail."}));
  return collect(id, t0, seconds_since(t) * 1000, o_.agents);
}

Bench::FanOut Bench::raw_publish(const std::string& title, std::size_t expected) {
  auto id = new_id();
  payloads::Delivery d;
  d.title = title;
  d.body = "Benchmark alert: please ignore. Do not open the attachment of today's invoice mail.";
  d.severity = "critical";
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  auto payload_file = tmp_ / ("raw-" + id + ".json");
  write_file(payload_file, payloads::encode(d));
  auto topic = topics::delivery(topics::Kind::alert, "admin", id, Target::path("org"));
  auto t0 = now_us();
  auto r = bench::run({bin("herald-bench-swarm"), "publish", "--uri", admin_.uri, "--ca", admin_.ca_file, "--username",
                       "admin", "--password-file", (tmp_ / "admin.password").string(), "--topic", topic,
                       "--payload-file", payload_file.string()},
                      30s);
  if (r.exit_code != 0) fail("raw publish failed: " + trim(r.err));
  return collect(id, t0, r.wall_ms, expected);
}

void Bench::wait_receipts_recorded(const std::string& id) {
  bool all = wait_until(
      [&] {
        auto m = list_newest();
        return m.value("id", "") == id &&
               m.value("delivered", 0) + m.value("displayed", 0) + m.value("read", 0) >= static_cast<int>(o_.agents);
      },
      60s, 200ms);
  if (!all) note("warning: heraldd did not record every receipt of " + id + " within 60 s");
  std::this_thread::sleep_for(1s);
}

json Bench::list_newest() {
  payloads::Request req;
  req.limit = 1;
  auto result = query_->ask(topics::kOpList, "org", req, 30s);
  if (!result.contains("messages") || result["messages"].empty()) return json::object();
  return result["messages"][0];
}

// The same query over the orchestrator's open connection: heraldd's share of the
// command's wall time, without the CLI's process start, TLS handshake and Paho's exit.
double Bench::query_rtt(std::string_view op, const payloads::Request& req) {
  std::vector<double> runs;
  for (int i = 0; i < o_.query_runs; ++i) {
    auto t = Clock::now();
    query_->ask(op, "org", req, 60s);
    runs.push_back(seconds_since(t) * 1000);
  }
  return median(runs);
}

void Bench::phase_pending() {
  // 1,000 inbox messages, one per computer (cycling if there are fewer): outstanding
  // until read. Sent over one admin connection, as a script would.
  note("pending: sending " + std::to_string(o_.pending_messages) + " messages");
  std::vector<dispatcher::Publication> pubs;
  std::string last_id;
  for (std::size_t i = 0; i < o_.pending_messages; ++i) {
    payloads::Delivery d;
    d.title = "Pending " + std::to_string(i);
    d.body = "Benchmark message " + std::to_string(i);
    d.sent_at = herald::now();
    d.expires_at = d.sent_at + std::chrono::hours(24);
    last_id = new_id();
    pubs.push_back({topics::delivery(topics::Kind::message, "admin", last_id, Target::path(paths_[i % paths_.size()])),
                    payloads::encode(d), true});
  }
  // In chunks: the broker grants at most max_inflight_messages (100) unacknowledged
  // publishes per client, and Paho refuses more than that at once.
  for (std::size_t i = 0; i < pubs.size(); i += 50) {
    std::vector<dispatcher::Publication> chunk(pubs.begin() + static_cast<long>(i),
                                               pubs.begin() + static_cast<long>(std::min(pubs.size(), i + 50)));
    query_->publish_all(chunk, 60s);
  }
  payloads::Request req;
  req.id = last_id;
  bool recorded = wait_until(
      [&] {
        try {
          query_->ask(topics::kOpStatus, "org", req, 10s);
          return true;
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::not_found) throw;
          return false;
        }
      },
      120s, 200ms);
  if (!recorded) fail("heraldd did not record the pending messages");
  std::this_thread::sleep_for(2s);  // let the agents' delivered receipts settle
  std::vector<double> runs;
  for (int i = 0; i < o_.query_runs; ++i) {
    auto t = Clock::now();
    herald_cli({"pending"});
    runs.push_back(seconds_since(t) * 1000);
  }
  auto pending_json = json::parse(herald_cli({"pending", "--json"}));
  r_["pending_rtt_ms"] = round1(query_rtt(topics::kOpPending, {}));
  r_["pending_ms"] = round1(median(runs));
  r_["pending_unread"] = pending_json.value("total_unread", 0);
  note("herald pending (" + std::to_string(r_["pending_unread"].get<int>()) + " unread): median " +
       std::to_string(median(runs)) + " ms");
}

void Bench::phase_fanout() {
  // A warm-up alert proves every subscription is in place (and warms the caches);
  // the second one is measured.
  auto warm = herald_alert("Warm-up");
  note("warm-up alert: " + std::to_string(warm.delivered) + " of " + std::to_string(o_.agents) + " displayed");
  wait_receipts_recorded(warm.id);
  Child perf;
  if (!o_.perf_file.empty() && o_.perf_phase == "alert") {
    // System-wide profile of the measured fan-out (broker, swarms, heraldd).
    perf =
        spawn({"perf", "record", "-a", "-g", "-o", o_.perf_file, "--", "sleep", "8"}, {(tmp_ / "perf.log").string()});
    std::this_thread::sleep_for(500ms);
  }
  auto cpu_before = cpu();
  auto f = herald_alert("Benchmark");
  record_cpu("alert", cpu_before);
  if (perf.pid > 0) wait_until([&] { return !alive(perf.pid); }, 30s);
  auto p = percentiles(f.latencies);
  r_["alert_p50_ms"] = round1(p.p50);
  r_["alert_p99_ms"] = round1(p.p99);
  r_["alert_max_ms"] = round1(p.max);
  r_["alert_min_ms"] = f.latencies.empty() ? 0.0 : round1(*std::min_element(f.latencies.begin(), f.latencies.end()));
  r_["alert_send_ms"] = round1(f.send_ms);
  r_["delivered"] = f.delivered;
  r_["expected"] = o_.agents;
  note("alert fan-out: " + std::to_string(f.delivered) + " of " + std::to_string(o_.agents) + " displayed, p50 " +
       std::to_string(p.p50) + " ms, p99 " + std::to_string(p.p99) + " ms, max " + std::to_string(p.max) + " ms");

  // Diagnosis: the same alert published by the raw publisher (no herald CLI) to the
  // agents: what the agent side costs on its own.
  wait_receipts_recorded(f.id);
  cpu_before = cpu();
  auto direct = raw_publish("Direct", o_.agents);
  record_cpu("alert_direct", cpu_before);
  auto d = percentiles(direct.latencies);
  r_["alert_direct_p50_ms"] = round1(d.p50);
  r_["alert_direct_p99_ms"] = round1(d.p99);
  r_["alert_direct_delivered"] = direct.delivered;
  note("same alert from the raw publisher to the agents: " + std::to_string(direct.delivered) + " displayed, p50 " +
       std::to_string(d.p50) + " ms, p99 " + std::to_string(d.p99) + " ms");
}

void Bench::phase_receipts() {
  receipt_id_ =
      trim(herald_cli({"send", "--to", "org", "--title", "Read me", "--body", "Benchmark message: mark read"}));
  if (!wait_until([&] { return sum_field(ask_all("has " + receipt_id_), 2) >= o_.agents; }, 60s, 250ms))
    fail("not every agent received the message to read");
  // Wait for heraldd to record the delivered receipts first, so only reads are timed.
  wait_until(
      [&] {
        auto m = list_newest();
        return m.value("id", "") == receipt_id_ &&
               m.value("delivered", 0) + m.value("displayed", 0) + m.value("read", 0) >= static_cast<int>(o_.agents);
      },
      60s, 200ms);
  std::this_thread::sleep_for(1s);
  Child perf;
  if (!o_.perf_file.empty() && o_.perf_phase == "receipts") {
    perf =
        spawn({"perf", "record", "-a", "-g", "-o", o_.perf_file, "--", "sleep", "4"}, {(tmp_ / "perf.log").string()});
    std::this_thread::sleep_for(500ms);
  }
  auto t = Clock::now();
  auto cpu_before = cpu();
  ask_all("read " + receipt_id_);
  // Each poll is a query heraldd answers between receipt batches, so polling costs the
  // ingestion it measures: every 100 ms until 90 % are in, then every 10 ms (the figure
  // is then at most ~10 ms late instead of 20 ms, with a fifth of the queries).
  int read = 0;
  bool all = false;
  auto deadline = Clock::now() + 120s;
  while (Clock::now() < deadline) {
    read = list_newest().value("read", 0);
    if (read >= static_cast<int>(o_.agents)) {
      all = true;
      break;
    }
    std::this_thread::sleep_for(read * 10 >= static_cast<int>(o_.agents) * 9 ? 10ms : 100ms);
  }
  double s = seconds_since(t);
  record_cpu("receipts", cpu_before);
  if (perf.pid > 0) wait_until([&] { return !alive(perf.pid); }, 30s);
  r_["receipts_read"] = read;
  r_["receipts_s"] = round2(s);
  r_["receipts_per_s"] = all ? std::round(static_cast<double>(o_.agents) / s) : 0.0;
  note("receipts: " + std::to_string(read) + " read receipts recorded by heraldd in " + std::to_string(s) + " s");

  std::vector<double> runs;
  for (int i = 0; i < o_.query_runs; ++i) {
    auto t1 = Clock::now();
    herald_cli({"status", receipt_id_});
    runs.push_back(seconds_since(t1) * 1000);
  }
  r_["status_ms"] = round1(median(runs));
  payloads::Request req;
  req.id = receipt_id_;
  r_["status_rtt_ms"] = round1(query_rtt(topics::kOpStatus, req));
  note("herald status (" + std::to_string(o_.agents) + " recipients): median " + std::to_string(median(runs)) + " ms");
}

std::vector<double> Bench::arrivals(const std::string& id, std::int64_t t0_us) {
  std::vector<double> v;
  for (const auto& a : ask_all("received " + id)) {
    std::istringstream words(a);
    std::string w, got_id;
    std::size_t count = 0;
    words >> w >> got_id >> count;
    std::int64_t t;
    while (words >> t) v.push_back(static_cast<double>(t - t0_us) / 1000.0);
  }
  return v;
}

std::vector<double> Bench::wait_arrivals(const std::string& id, std::int64_t t0_us) {
  std::vector<double> v;
  wait_until([&] { return (v = arrivals(id, t0_us)).size() >= o_.agents; }, 30s, 250ms);
  return v;
}

json Bench::campaign_detail(const std::string& id) {
  payloads::Request req;
  req.id = id;
  return query_->ask(topics::kOpCampaigns, "org", req, 30s);
}

void Bench::phase_lessons() {
  // An 8-lesson course, one lesson a day at a whole minute of the real clock (UTC); the
  // first is due at least 15 s from now. heraldd sends it from its due-time wake-up:
  // timed is its arrival in every agent's inbox against the due time.
  std::ostringstream course;
  course << "# Bench course\n\nWritten by herald-bench.\n";
  for (int i = 1; i <= 8; ++i)
    course << "\n## Lesson " << i << "\n\nBenchmark lesson " << i << ": please ignore. https://intranet.example/bench/"
           << i << "\n";
  write_file(tmp_ / "bench-101.md", course.str());
  herald_cli({"course", "create", (tmp_ / "bench-101.md").string()});
  auto due = std::chrono::ceil<std::chrono::minutes>(herald::now() + 15s);
  auto due_text = to_rfc3339(due);  // 2026-11-27T10:36:00.000Z
  auto started = json::parse(
      herald_cli({"campaign", "start", "bench-101", "--to", "org", "--schedule", "FREQ=DAILY;COUNT=8", "--at",
                  due_text.substr(11, 5), "--tz", "UTC", "--start", due_text.substr(0, 10), "--json"}));
  lesson_campaign_ = started.at("id").get<std::string>();
  auto detail = campaign_detail(lesson_campaign_);
  auto due_at = from_rfc3339(detail.at("occurrences").at(0).at("due_at").get<std::string>());
  auto t0 = to_unix_ms(due_at) * 1000;
  note("lessons: campaign " + lesson_campaign_ + " of 8 lessons to org, lesson 1 due at " + to_rfc3339(due_at));
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(due_at) + 1s);
  std::string id;
  wait_until(
      [&] {
        auto detail_now = campaign_detail(lesson_campaign_);  // named: .at() refers into it
        const auto& first = detail_now.at("occurrences").at(0);
        if (first.contains("message") && first["message"].is_string()) id = first["message"].get<std::string>();
        return !id.empty();
      },
      60s, 200ms);
  if (id.empty()) fail("heraldd did not send lesson 1 of " + lesson_campaign_ + " within 60 s of its due time");
  auto v = wait_arrivals(id, t0);
  auto p = percentiles(v);
  r_["lesson_p50_ms"] = round1(p.p50);
  r_["lesson_p99_ms"] = round1(p.p99);
  r_["lesson_max_ms"] = round1(p.max);
  r_["lesson_received"] = v.size();
  note("lesson 1: in " + std::to_string(v.size()) + " of " + std::to_string(o_.agents) + " inboxes, p50 " +
       std::to_string(p.p50) + " ms, p99 " + std::to_string(p.p99) + " ms, max " + std::to_string(p.max) +
       " ms after its due time");
  wait_receipts_recorded(id);

  // For comparison: the same kind of message (retained, QoS 1, to org) published at a
  // whole second by the raw publisher, a process started at that second (as cron would
  // start mosquitto_pub): its start and TLS connect count, as heraldd's wake-up does.
  auto at = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now() + 2s);
  auto raw_id = new_id();
  payloads::Delivery d;
  d.title = "Lesson (raw)";
  d.body = "Benchmark lesson: please ignore.";
  d.sent_at = herald::now();
  d.expires_at = d.sent_at + std::chrono::hours(1);
  auto payload_file = tmp_ / ("raw-" + raw_id + ".json");
  write_file(payload_file, payloads::encode(d));
  std::this_thread::sleep_until(at);
  auto r = bench::run({bin("herald-bench-swarm"), "publish", "--uri", admin_.uri, "--ca", admin_.ca_file, "--username",
                       "admin", "--password-file", (tmp_ / "admin.password").string(), "--topic",
                       topics::delivery(topics::Kind::message, "admin", raw_id, Target::path("org")), "--payload-file",
                       payload_file.string(), "--retained"},
                      30s);
  if (r.exit_code != 0) fail("raw publish failed: " + trim(r.err));
  auto rv = wait_arrivals(raw_id, std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count());
  auto rp = percentiles(rv);
  r_["lesson_direct_p99_ms"] = round1(rp.p99);
  r_["lesson_direct_received"] = rv.size();
  note("the same from the raw publisher started at a whole second: " + std::to_string(rv.size()) + " received, p99 " +
       std::to_string(rp.p99) + " ms");
  wait_receipts_recorded(raw_id);
}

void Bench::phase_campaigns_idle() {
  // 100 campaigns whose one lesson is due years from now, one computer each: heraldd
  // must sleep until then (no polling loop). phase_footprint measures its idle CPU.
  write_file(tmp_ / "bench-idle.md", "# Idle course\n\n## The only lesson\n\nDue in five years.\n");
  herald_cli({"course", "create", (tmp_ / "bench-idle.md").string()});
  auto year = std::stoi(to_rfc3339(herald::now()).substr(0, 4)) + 5;
  auto t = Clock::now();
  for (std::size_t i = 0; i < 100; ++i)
    herald_cli({"campaign", "start", "bench-idle", "--to", paths_[i % paths_.size()], "--schedule",
                "FREQ=YEARLY;COUNT=1", "--at", "09:00", "--tz", "UTC", "--start", std::to_string(year) + "-01-01"});
  note("started 100 idle campaigns in " + std::to_string(seconds_since(t)) + " s");
}

void Bench::phase_progress() {
  // Lessons 2-8 are due on the next 7 days: heraldd restarts on a simulated clock
  // running 86,400 times as fast from now (a day a second), sends them, and the
  // agents read lessons 1-4 (half the course read, half unread).
  auto now = herald::now();
  restart_heraldd("simulated " + to_rfc3339(now) + " 86400 " + to_rfc3339(now));
  std::vector<std::string> ids;
  bool all_sent = wait_until(
      [&] {
        ids.clear();
        auto detail = campaign_detail(lesson_campaign_);  // named: a range-for over a temporary's member dangles
        for (const auto& o : detail.at("occurrences"))
          if (o.contains("message") && o["message"].is_string()) ids.push_back(o["message"].get<std::string>());
        return ids.size() >= 8;
      },
      120s, 500ms);
  if (!all_sent) fail("heraldd sent " + std::to_string(ids.size()) + " of 8 lessons on its simulated clock");
  if (!wait_until([&] { return sum_field(ask_all("has " + ids.back()), 2) >= o_.agents; }, 60s, 250ms))
    note("warning: not every agent has lesson 8");
  for (std::size_t i = 0; i < 4; ++i) ask_all("read " + ids[i]);
  payloads::Request req;
  req.id = "bench-101";
  std::size_t read = 0;
  wait_until(
      [&] {
        read = 0;
        auto progress = query_->ask(topics::kOpProgress, "org", req, 60s);
        for (const auto& l : progress.at("lessons")) read += l.value("read", std::size_t{0});
        return read >= 4 * o_.agents;
      },
      120s, 1000ms);
  std::this_thread::sleep_for(1s);
  std::vector<double> runs;
  std::size_t people = 0;
  for (int i = 0; i < o_.query_runs; ++i) {
    auto t = Clock::now();
    auto out = herald_cli({"progress", "bench-101", "--json"});
    runs.push_back(seconds_since(t) * 1000);
    people = json::parse(out).at("people").size();
  }
  r_["progress_ms"] = round1(median(runs));
  r_["progress_rtt_ms"] = round1(query_rtt(topics::kOpProgress, req));
  r_["progress_people"] = people;
  r_["progress_reads"] = read;
  note("herald progress (" + std::to_string(people) + " people x 8 lessons, " + std::to_string(read) +
       " lessons read): median " + std::to_string(median(runs)) + " ms");
}

void Bench::phase_chat() {
  // 1,000 conversations: the helpdesk (admin) writes one line to each of 1,000
  // computers, 100 a second (a busy helpdesk, not a flood). Timed per line: from the
  // publish of the ChatPost to the moment the helpdesk's live view (herald/chatlog, as
  // `herald chat TARGET` watches it) shows it `delivered`, i.e. stored in that agent's
  // LMDB and acknowledged back: the way to the employee's screen plus the way back.
  // Then 200 employees each write one line; timed from its hand-over to the agent's
  // session to its arrival in the helpdesk's live view.
  dispatcher::Session view(admin_);
  view.subscribe(topics::acl::chat_log_read_scope("org"), "the broker refused the chat log");
  std::mutex mutex;
  std::unordered_map<std::string, std::int64_t> delivered_us, said_us;  // by target
  std::atomic<bool> stop_view{false};
  std::thread watcher([&] {
    while (!stop_view) {
      std::optional<dispatcher::Session::Received> m;
      try {
        m = view.next_message(100ms);
      } catch (const Error&) {
        return;
      }
      if (!m) continue;
      auto at = now_us();
      try {
        auto u = payloads::decode<payloads::ChatUpdate>(m->payload);
        std::lock_guard lock(mutex);
        for (const auto& line : u.history.lines) {
          auto& seen = results::from_employee(line) ? said_us : delivered_us;
          if (results::from_employee(line) || line.delivered_at) seen.emplace(u.history.conversation.target, at);
        }
      } catch (const Error&) {
        // Not a chat update: nothing to time.
      }
    }
  });

  std::size_t conversations = std::min<std::size_t>(1000, paths_.size());
  std::size_t step = std::max<std::size_t>(1, paths_.size() / conversations);
  std::unordered_map<std::string, std::int64_t> posted_us;
  auto started = Clock::now();
  for (std::size_t i = 0; i < conversations; ++i) {
    const auto& target = paths_[(i * step) % paths_.size()];
    payloads::ChatPost post;
    post.text = "Benchmark answer " + std::to_string(i) + ": please ignore.";
    post.at = herald::now();
    auto t0 = now_us();
    auto outcome =
        view.publish_all({{topics::chat("admin", new_id(), Target::path(target)), payloads::encode(post), false}}, 10s);
    if (outcome.empty() || !outcome[0].accepted) fail("the broker refused a chat line to " + target);
    posted_us[target] = t0;
    std::this_thread::sleep_until(started + (i + 1) * 10ms);
  }
  wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return delivered_us.size() >= posted_us.size();
      },
      60s, 200ms);
  std::vector<double> down, up;
  {
    std::lock_guard lock(mutex);
    for (const auto& [target, t0] : posted_us)
      if (auto it = delivered_us.find(target); it != delivered_us.end())
        down.push_back(static_cast<double>(it->second - t0) / 1000.0);
  }

  // Employees: 5 agents of each swarm process, one process every 25 ms.
  std::unordered_map<std::string, std::int64_t> wrote_us;
  for (auto& swarm : swarms_) {
    if (!write_line(swarm.child.to_child, "chatsay 5")) fail("a swarm process died; see " + tmp_.string());
    auto answer = swarm.reader.read_line(Clock::now() + 30s);
    if (!answer) fail("a swarm process did not answer 'chatsay'");
    std::istringstream words(*answer);
    std::string word, path;
    std::size_t n = 0;
    std::int64_t at = 0;
    words >> word >> n;
    while (words >> path >> at) wrote_us[path] = at;
    std::this_thread::sleep_for(25ms);
  }
  wait_until(
      [&] {
        std::lock_guard lock(mutex);
        std::size_t got = 0;
        for (const auto& [path, at] : wrote_us) got += said_us.count(path);
        return got >= wrote_us.size();
      },
      60s, 200ms);
  {
    std::lock_guard lock(mutex);
    for (const auto& [path, t0] : wrote_us)
      if (auto it = said_us.find(path); it != said_us.end())
        up.push_back(static_cast<double>(it->second - t0) / 1000.0);
  }
  stop_view = true;
  watcher.join();

  auto pd = percentiles(down), pu = percentiles(up);
  std::vector<double> all = down;
  all.insert(all.end(), up.begin(), up.end());
  r_["chat_p99_ms"] = round1(percentiles(all).p99);
  r_["chat_down_p50_ms"] = round1(pd.p50);
  r_["chat_down_p99_ms"] = round1(pd.p99);
  r_["chat_up_p50_ms"] = round1(pu.p50);
  r_["chat_up_p99_ms"] = round1(pu.p99);
  r_["chat_lines_down"] = down.size();
  r_["chat_lines_up"] = up.size();
  note("chat: " + std::to_string(down.size()) + " of " + std::to_string(posted_us.size()) +
       " helpdesk lines delivered, p99 " + std::to_string(pd.p99) + " ms; " + std::to_string(up.size()) + " of " +
       std::to_string(wrote_us.size()) + " employee lines at the helpdesk, p99 " + std::to_string(pu.p99) + " ms");

  // `herald chat` over the conversations just made (and the employees' own).
  std::vector<double> runs;
  std::size_t listed = 0;
  for (int i = 0; i < o_.query_runs; ++i) {
    auto t = Clock::now();
    auto out = herald_cli({"chat", "--under", "org", "--json"});
    runs.push_back(seconds_since(t) * 1000);
    listed = json::parse(out).at("conversations").size();
  }
  r_["chat_list_ms"] = round1(median(runs));
  r_["chat_list_rtt_ms"] = round1(query_rtt(topics::kOpChats, payloads::Request{}));
  r_["chat_list_conversations"] = listed;
  note("herald chat (" + std::to_string(listed) + " conversations): median " + std::to_string(median(runs)) + " ms");
}

void Bench::phase_footprint() {
  std::this_thread::sleep_for(2s);
  pid_t pids[3] = {real_agent_, heraldd_, mosquitto_};
  double before[3], after[3];
  for (int i = 0; i < 3; ++i) before[i] = cpu_seconds(pids[i]);
  auto t = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o_.idle_seconds));
  double s = seconds_since(t);
  for (int i = 0; i < 3; ++i) after[i] = cpu_seconds(pids[i]);
  const char* names[3] = {"agent", "heraldd", "broker"};
  for (int i = 0; i < 3; ++i) {
    r_[std::string(names[i]) + "_rss_kib"] = rss_kib(pids[i]);
    r_[std::string(names[i]) + "_cpu_pct"] = round2((after[i] - before[i]) / s * 100);
  }
  note("footprint over " + std::to_string(o_.idle_seconds) + " s idle: agent " + r_["agent_rss_kib"].dump() +
       " KiB, heraldd " + r_["heraldd_rss_kib"].dump() + " KiB, broker " + r_["broker_rss_kib"].dump() + " KiB");
  // phase_campaigns_idle started 100 campaigns before this window.
  r_["idle_cpu_pct_100_campaigns"] = r_["heraldd_cpu_pct"];
}

void Bench::phase_reconnect() {
  note("reconnect: restarting the broker with " + std::to_string(o_.agents) + " agents connected");
  query_.reset();
  auto t_down = Clock::now();
  stop(mosquitto_, 60s);  // SIGTERM: Mosquitto saves its persistence file
  double stop_s = seconds_since(t_down);
  auto t = Clock::now();
  start_broker();
  Child perf;
  if (!o_.perf_file.empty() && o_.perf_phase == "reconnect")
    perf =
        spawn({"perf", "record", "-a", "-g", "-o", o_.perf_file, "--", "sleep", "20"}, {(tmp_ / "perf.log").string()});
  // Sent as soon as the broker is back, while the agents are still away.
  auto id =
      trim(herald_cli({"send", "--to", "org", "--title", "While away", "--body", "Sent during the restart"}, true));
  double send_s = seconds_since(t);
  std::size_t have = 0;
  // When half, 90 % and 99 % of the agents were back with the message.
  double at[3] = {-1, -1, -1};
  const double share[3] = {0.5, 0.9, 0.99};
  bool all = wait_until(
      [&] {
        have = sum_field(ask_all("has " + id), 2);
        for (int i = 0; i < 3; ++i)
          if (at[i] < 0 && static_cast<double>(have) >= share[i] * static_cast<double>(o_.agents))
            at[i] = seconds_since(t);
        return have >= o_.agents;
      },
      240s, 250ms);
  double s = seconds_since(t);
  r_["reconnect_p50_s"] = round1(at[0]);
  r_["reconnect_p90_s"] = round1(at[1]);
  r_["reconnect_p99_s"] = round1(at[2]);
  r_["reconnect_broker_cpu_s"] = round2(cpu_seconds(mosquitto_));
  if (perf.pid > 0) wait_until([&] { return !alive(perf.pid); }, 30s);
  r_["reconnect_s"] = all ? round1(s) : -1.0;
  r_["reconnect_have"] = have;
  r_["reconnect_broker_stop_s"] = round1(stop_s);
  r_["reconnect_send_s"] = round1(send_s);
  note("reconnect: " + std::to_string(have) + " of " + std::to_string(o_.agents) +
       " agents back with the message after " + std::to_string(s) + " s (herald send succeeded after " +
       std::to_string(send_s) + " s)");
  query_ = std::make_unique<dispatcher::Session>(admin_);
  query_->subscribe_replies();
}

void Bench::phase_raw() {
  note("raw baseline: " + std::to_string(o_.agents) + " plain Paho subscribers");
  // Let the broker finish the agents' goodbyes (last wills, presence to heraldd).
  double last = cpu_seconds(mosquitto_);
  wait_until(
      [&] {
        double now = cpu_seconds(mosquitto_);
        bool quiet = now - last < 0.05;  // < 5 % of a core over the last second
        last = now;
        return quiet;
      },
      60s, 1000ms);
  start_swarms(true);
  auto warm = raw_publish("Warm-up", o_.agents);
  note("raw warm-up: " + std::to_string(warm.delivered) + " received");
  std::this_thread::sleep_for(2s);
  auto cpu_before = cpu();
  auto f = raw_publish("Benchmark", o_.agents);
  record_cpu("raw", cpu_before);
  auto p = percentiles(f.latencies);
  r_["raw_p50_ms"] = round1(p.p50);
  r_["raw_p99_ms"] = round1(p.p99);
  r_["raw_max_ms"] = round1(p.max);
  r_["raw_delivered"] = f.delivered;
  r_["raw_send_ms"] = round1(f.send_ms);
  double alert_p99 = r_.value("alert_p99_ms", 0.0);
  r_["overhead_ratio"] = p.p99 > 0 ? round2(alert_p99 / p.p99) : 0.0;
  note("raw fan-out: " + std::to_string(f.delivered) + " received, p50 " + std::to_string(p.p50) + " ms, p99 " +
       std::to_string(p.p99) + " ms");

  // Diagnosis: the raw subscribers also send Herald's two receipts per message: what
  // the receipt traffic alone costs the fan-out.
  ask_all("receipts on");
  std::this_thread::sleep_for(2s);
  cpu_before = cpu();
  auto with_receipts = raw_publish("Receipts", o_.agents);
  record_cpu("raw_receipts", cpu_before);
  auto q = percentiles(with_receipts.latencies);
  r_["raw_receipts_p50_ms"] = round1(q.p50);
  r_["raw_receipts_p99_ms"] = round1(q.p99);
  note("raw fan-out with receipts: " + std::to_string(with_receipts.delivered) + " received, p50 " +
       std::to_string(q.p50) + " ms, p99 " + std::to_string(q.p99) + " ms");
  stop_swarms();
}

void Bench::report() {
  auto num = [&](const char* key) { return r_.contains(key) ? r_[key].dump() : std::string("-"); };
  struct Row {
    const char* what;
    const char* key;
    const char* unit;
    const char* target;
  };
  const Row rows[] = {
      {"agents", "agents", "", ""},
      {"alert delivered", "delivered", "", "== expected"},
      {"alert expected", "expected", "", ""},
      {"alert p50", "alert_p50_ms", "ms", ""},
      {"alert p99", "alert_p99_ms", "ms", "<= 1000"},
      {"alert max", "alert_max_ms", "ms", ""},
      {"  agents, raw sender p99", "alert_direct_p99_ms", "ms", "(no herald CLI)"},
      {"raw broker p50", "raw_p50_ms", "ms", ""},
      {"raw broker p99", "raw_p99_ms", "ms", ""},
      {"  raw + 2 receipts p99", "raw_receipts_p99_ms", "ms", "(receipt traffic alone)"},
      {"overhead ratio (p99)", "overhead_ratio", "", "<= 1.3"},
      {"read receipts", "receipts_per_s", "/s", ">= 10000"},
      {"herald status", "status_ms", "ms", "<= 100"},
      {"herald pending", "pending_ms", "ms", "<= 200"},
      {"  status round trip", "status_rtt_ms", "ms", "(heraldd's share)"},
      {"  pending round trip", "pending_rtt_ms", "ms", "(heraldd's share)"},
      {"lesson p99 (due->inbox)", "lesson_p99_ms", "ms", "<= 1000"},
      {"lesson max", "lesson_max_ms", "ms", ""},
      {"lesson received", "lesson_received", "", "== agents"},
      {"  raw at due time p99", "lesson_direct_p99_ms", "ms", "(no heraldd)"},
      {"herald progress", "progress_ms", "ms", "<= 200"},
      {"  progress round trip", "progress_rtt_ms", "ms", "(heraldd's share)"},
      {"heraldd CPU, 100 camp.", "idle_cpu_pct_100_campaigns", "%", "~0"},
      {"chat p99 (both ways)", "chat_p99_ms", "ms", "<= 100"},
      {"  helpdesk->agent p99", "chat_down_p99_ms", "ms", "(stored + ack back)"},
      {"  employee->helpdesk p99", "chat_up_p99_ms", "ms", ""},
      {"herald chat (list)", "chat_list_ms", "ms", "<= 100"},
      {"  chat list round trip", "chat_list_rtt_ms", "ms", "(heraldd's share)"},
      {"idle agent RSS", "agent_rss_kib", "KiB", "<= 10240"},
      {"idle agent CPU", "agent_cpu_pct", "%", "~0"},
      {"heraldd RSS", "heraldd_rss_kib", "KiB", ""},
      {"heraldd CPU (idle)", "heraldd_cpu_pct", "%", ""},
      {"broker RSS", "broker_rss_kib", "KiB", ""},
      {"broker CPU (idle)", "broker_cpu_pct", "%", ""},
      {"reconnect storm", "reconnect_s", "s", "<= 30"},
  };
  out_ << "\n"
       << std::left << std::setw(24) << "figure" << std::setw(14) << "value" << std::setw(6) << "unit"
       << "target\n";
  for (const auto& row : rows)
    out_ << std::left << std::setw(24) << row.what << std::setw(14) << num(row.key) << std::setw(6) << row.unit
         << row.target << "\n";
  out_ << r_.dump() << std::endl;
}

void Bench::cleanup() {
  if (cleaned_) return;
  cleaned_ = true;
  query_.reset();
  for (auto& s : swarms_) {
    stop(s.child.pid, 2s);
    close(s.child.to_child);
    close(s.child.from_child);
  }
  swarms_.clear();
  if (real_agent_ > 0) stop(real_agent_, 5s);
  if (heraldd_ > 0) stop(heraldd_, 10s);
  if (mosquitto_ > 0) stop(mosquitto_, 30s);
  kill_all_children();
  std::error_code ec;
  if (!o_.keep) {
    if (!tmp_.empty()) fs::remove_all(tmp_, ec);
    if (!swarm_tmp_.empty()) fs::remove_all(swarm_tmp_, ec);
  } else if (!tmp_.empty()) {
    out_ << "kept " << tmp_.string() << " and " << swarm_tmp_.string() << "\n";
  }
}

int Bench::run() {
  prepare();
  start_broker();
  start_heraldd();
  start_real_agent();
  query_ = std::make_unique<dispatcher::Session>(admin_);
  query_->subscribe_replies();
  start_swarms(false);
  phase_pending();
  phase_fanout();
  phase_receipts();
  phase_lessons();
  phase_campaigns_idle();
  phase_footprint();
  phase_progress();
  phase_chat();
  if (!o_.skip_reconnect) phase_reconnect();
  stop_swarms();
  if (!o_.skip_raw) phase_raw();
  r_["total_s"] = round1(seconds_since(started_));
  cleanup();
  report();
  return 0;
}

}  // namespace

int run_bench(const BenchOptions& options, std::ostream& out) {
  install_child_reaper();
  Bench bench(options, out);
  try {
    return bench.run();
  } catch (...) {
    kill_all_children();
    throw;
  }
}

}  // namespace herald::bench
