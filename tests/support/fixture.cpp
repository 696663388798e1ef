#include "herald/testing/fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "herald/common/process.hpp"

namespace herald::testing {
namespace {

Paths& paths() {
  static Paths p{HERALD_BIN_DIR, HERALD_SOURCE_DIR, "/tmp"};
  return p;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("fixture: cannot write " + p.string());
}

void require_ok(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0)
    throw std::runtime_error("fixture: " + what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.err +
                             r.out);
}

std::string hash_password(const fs::path& tmpdir, const std::string& user, const std::string& password) {
  auto file = tmpdir / ("pw-" + user);
  require_ok(run({"mosquitto_passwd", "-b", "-c", file.string(), user, password}), "mosquitto_passwd");
  auto line = read_file(file);
  fs::remove(file);
  auto colon = line.find(':');
  auto end = line.find_first_of("\r\n");
  return line.substr(colon + 1, end - colon - 1);
}

}  // namespace

TempDir::TempDir(const std::string& tag) {
  std::string templ = (paths().temp_root / ("herald-" + tag + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("fixture: mkdtemp failed");
  path_ = buf.data();
  // Mosquitto drops root privileges to user mosquitto: it must be able to traverse.
  fs::permissions(path_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
}

TempDir::~TempDir() {
  if (!std::getenv("HERALD_KEEP_TEST_DIRS")) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

namespace {
// The tests read the programs' English (log lines such as "subscribed", table headings)
// whatever the locale of whoever runs them; a test of another language says so in `env`.
std::map<std::string, std::string> in_english(std::map<std::string, std::string> env) {
  env.try_emplace("LANGUAGE", "en");
  return env;
}
}  // namespace

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::string& input, std::chrono::seconds timeout) {
  process::RunOptions options;
  options.env = in_english(env);
  options.input = input;
  options.timeout = timeout;
  auto r = process::run(argv, options);
  return RunResult{r.exit_code, std::move(r.out), std::move(r.err)};
}

Process::Process(std::vector<std::string> argv, fs::path log_file, std::map<std::string, std::string> env)
    : argv_(std::move(argv)), log_file_(std::move(log_file)), env_(in_english(std::move(env))) {
  start();
}

Process::~Process() { stop(); }

void Process::start() {
  if (pid_ > 0 && running()) return;
  std::error_code ec;
  log_offset_ = fs::exists(log_file_, ec) ? fs::file_size(log_file_, ec) : 0;
  process::Options options;
  options.env = env_;
  options.out = process::Stream::file(log_file_.string());
  options.err = process::Stream::file(log_file_.string());
  options.new_group = true;
  pid_ = process::spawn(argv_, options).pid;
}

bool Process::running() {
  if (pid_ <= 0) return false;
  if (process::try_wait(pid_)) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (pid_ > 0) process::signal(pid_, sig);
}

void Process::stop() {
  if (!running()) return;
  process::terminate(pid_, std::chrono::seconds(5));
  pid_ = -1;
}

void Process::kill9() {
  if (pid_ <= 0) return;
  process::kill_now(pid_);
  pid_ = -1;
}

std::string Process::log() const { return read_file(log_file_); }
std::string Process::log_of_this_run() const {
  auto text = log();
  return text.size() > log_offset_ ? text.substr(static_cast<std::size_t>(log_offset_)) : std::string();
}

fs::path bin(const std::string& name) { return paths().bin_dir / name; }
fs::path source_dir() { return paths().source_dir; }
void set_paths(const Paths& p) {
  if (!p.bin_dir.empty()) paths().bin_dir = p.bin_dir;
  if (!p.source_dir.empty()) paths().source_dir = p.source_dir;
  if (!p.temp_root.empty()) paths().temp_root = p.temp_root;
}
fs::path library_org_csv() { return source_dir() / "deploy" / "demo-org.csv"; }

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout, std::chrono::milliseconds every) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

std::string default_directory_csv() {
  return "path,kind,name,login,person\n"
         "org,central,Centrala,,\n"
         "org/hq,unit,IT,,\n"
         "org/hq/pc001,computer,Stanowisko 1,admin1,Admin One\n"
         "org/branch01,branch,Filia 1,,\n"
         "org/branch01/pc001,computer,Stanowisko 1,jkowalski,Jan Kowalski\n"
         "org/branch01/pc002,computer,Stanowisko 2,anowak,Anna Nowak\n"
         "org/branch02,branch,Filia 2,,\n"
         "org/branch02/pc001,computer,Stanowisko 1,pwisniewski,Piotr Wiśniewski\n";
}

// ---------------------------------------------------------------- Broker

Broker::Broker(const fs::path& dir, const std::string& directory_csv, std::vector<Account> accounts) : dir_(dir) {
  fs::create_directories(dir_);
  agent_port_ = free_port();
  people_port_ = free_port();
  require_ok(run({(source_dir() / "broker-config" / "setup-broker").string(), dir_.string(),
                  std::to_string(agent_port_), std::to_string(people_port_)},
                 {{"HERALD_BROKER_PLUGIN", bin("herald_broker_plugin.so").string()}}),
             "setup-broker");
  write_file(directory_file(), directory_csv);
  write_policy(accounts);
  start();
}

Broker::~Broker() { stop(); }

std::string Broker::agent_uri() const { return "ssl://127.0.0.1:" + std::to_string(agent_port_); }
std::string Broker::people_uri() const { return "ssl://127.0.0.1:" + std::to_string(people_port_); }
fs::path Broker::ca_file() const { return dir_ / "pki" / "ca.crt"; }

std::string Broker::password(const std::string& account) const {
  auto it = passwords_.find(account);
  if (it == passwords_.end()) throw std::runtime_error("fixture: no account " + account);
  return it->second;
}

void Broker::write_policy(const std::vector<Account>& extra) {
  std::vector<Account> accounts = {{"admin", "admin-secret", {"full-admin"}, {}, false},
                                   {"heraldd", "heraldd-secret", {"server"}, {}, false}};
  for (const auto& a : extra) accounts.push_back(a);
  nlohmann::json policy = {{"roles", nlohmann::json::object()}, {"accounts", nlohmann::json::object()}};
  for (const auto& a : accounts) {
    passwords_[a.name] = a.password;
    nlohmann::json acc = {{"roles", a.roles}, {"password_hash", hash_password(dir_, a.name, a.password)}};
    if (!a.scopes.empty()) acc["scopes"] = a.scopes;
    if (a.disabled) acc["disabled"] = true;
    policy["accounts"][a.name] = acc;
  }
  write_file(policy_file(), policy.dump(2));
  std::vector<std::string> argv = {bin("herald-acl").string(), "apply", policy_file().string(), "--directory",
                                   directory_file().string(),  "--out", dir_.string()};
  if (process_ && process_->running()) {
    argv.push_back("--reload-pid");
    argv.push_back(std::to_string(process_->pid()));
  }
  require_ok(run(argv), "herald-acl apply");
}

void Broker::reapply_policy(const std::vector<Account>& accounts) { write_policy(accounts); }

std::pair<fs::path, fs::path> Broker::agent_cert(const std::string& org_path) {
  std::string base = org_path;
  for (auto& c : base)
    if (c == '/') c = '+';
  auto crt = pki_dir() / "agents" / (base + ".crt");
  auto key = pki_dir() / "agents" / (base + ".key");
  if (!fs::exists(crt))
    require_ok(run({(source_dir() / "broker-config" / "herald-pki").string(), "agent", pki_dir().string(), org_path}),
               "herald-pki agent " + org_path);
  return {crt, key};
}

void Broker::revoke_agent(const std::string& org_path) {
  require_ok(run({(source_dir() / "broker-config" / "herald-pki").string(), "revoke", pki_dir().string(), org_path}),
             "herald-pki revoke");
  reload();
}

void Broker::enroll_computer(const std::string& org_path, const std::string& login) {
  {
    std::ofstream out(directory_file(), std::ios::app);
    out << org_path << ",computer,Enrolled later," << login << ",\n";
  }
  require_ok(run({bin("herald-acl").string(), "apply", policy_file().string(), "--directory", directory_file().string(),
                  "--out", dir_.string(), "--reload-pid", std::to_string(process_->pid())}),
             "herald-acl apply (enrol " + org_path + ")");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

void Broker::reload() {
  if (process_) process_->signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

void Broker::start() {
  if (process_ && process_->running()) return;
  process_ = std::make_unique<Process>(std::vector<std::string>{"mosquitto", "-c", (dir_ / "mosquitto.conf").string()},
                                       dir_ / "mosquitto.log");
  wait_ready();
}

void Broker::wait_ready() {
  auto accepting = [](int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
  };
  if (!eventually([&] { return accepting(agent_port_) && accepting(people_port_); }, std::chrono::seconds(10)))
    throw std::runtime_error("fixture: mosquitto did not start:\n" + log());
}

void Broker::stop() {
  if (process_) process_->stop();
}
void Broker::kill9() {
  if (process_) process_->kill9();
}

void Broker::wipe_persistence() {
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) fs::remove_all(entry.path());
}

std::string Broker::log() const { return read_file(dir_ / "mosquitto.log"); }

// ---------------------------------------------------------------- Agent

Agent::Agent(Broker& broker, const fs::path& root, const std::string& org_path, const std::string& user)
    : path_(org_path) {
  std::string name = org_path;
  for (auto& c : name)
    if (c == '/') c = '+';
  dir_ = root / "agents" / name;
  fs::create_directories(dir_);
  auto [crt, key] = broker.agent_cert(org_path);
  std::ostringstream conf;
  conf << "broker = " << broker.agent_uri() << "\n"
       << "ca_file = " << broker.ca_file().string() << "\n"
       << "cert_file = " << crt.string() << "\n"
       << "key_file = " << key.string() << "\n"
       << "data_dir = " << (dir_ / "data").string() << "\n"
       << "display = log\n";
  if (!user.empty()) conf << "user = " << user << "\n";
  write_file(config(), conf.str());
  process_ = std::make_unique<Process>(
      std::vector<std::string>{bin("herald-agent").string(), "run", "--config", config().string()}, dir_ / "agent.log");
}

RunResult Agent::cli(std::vector<std::string> args) {
  std::vector<std::string> argv = {bin("herald-agent").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config().string());
  return run(argv);
}

bool Agent::wait_connected(std::chrono::milliseconds timeout) {
  return eventually([&] { return process_->log_of_this_run().find(HERALD_AGENT_READY_TEXT) != std::string::npos; },
                    timeout);
}

// ---------------------------------------------------------------- System

System::System(const std::string& tag, std::vector<Account> accounts, std::string directory_csv, bool import_directory,
               const std::string& heraldd_extra_config)
    : tmp_(tag) {
  broker_ = std::make_unique<Broker>(tmp_.path() / "broker", directory_csv, std::move(accounts));
  auto dir = tmp_.path() / "heraldd";
  fs::create_directories(dir);
  std::ostringstream conf;
  conf << "broker = " << broker_->people_uri() << "\n"
       << "ca_file = " << broker_->ca_file().string() << "\n"
       << "username = heraldd\n"
       << "password = " << broker_->password("heraldd") << "\n"
       << "data_dir = " << (dir / "data").string() << "\n";
  if (import_directory) conf << "directory_csv = " << broker_->directory_file().string() << "\n";
  conf << heraldd_extra_config;
  write_file(dir / "heraldd.conf", conf.str());
  heraldd_ = std::make_unique<Process>(
      std::vector<std::string>{bin("heraldd").string(), "--config", (dir / "heraldd.conf").string()},
      dir / "heraldd.log");
  if (!wait_heraldd_connected()) throw std::runtime_error("fixture: heraldd did not connect:\n" + heraldd_->log());
}

System::~System() {
  agents_.clear();
  heraldd_.reset();
  broker_.reset();
}

std::size_t System::heraldd_connections() const {
  auto log = heraldd_->log_of_this_run();
  std::size_t n = 0;
  for (auto at = log.find(HERALD_HERALDD_READY_TEXT); at != std::string::npos;
       at = log.find(HERALD_HERALDD_READY_TEXT, at + 1))
    ++n;
  return n;
}

bool System::wait_heraldd_connected(std::chrono::milliseconds timeout) {
  return eventually([&] { return heraldd_->log_of_this_run().find(HERALD_HERALDD_READY_TEXT) != std::string::npos; },
                    timeout);
}

Agent& System::agent(const std::string& org_path, const std::string& user) {
  auto it = agents_.find(org_path);
  if (it != agents_.end()) return *it->second;
  auto agent = std::make_unique<Agent>(*broker_, tmp_.path(), org_path, user);
  auto& ref = *agent;
  agents_[org_path] = std::move(agent);
  return ref;
}

fs::path System::cli_config(const std::string& account, const std::string& scope) {
  auto file = tmp_.path() / ("herald-" + account + "-" + std::to_string(std::hash<std::string>{}(scope)) + ".conf");
  if (!fs::exists(file)) {
    std::ostringstream conf;
    conf << "broker = " << broker_->people_uri() << "\n"
         << "ca_file = " << broker_->ca_file().string() << "\n"
         << "username = " << account << "\n"
         << "password = " << broker_->password(account) << "\n"
         << "scope = " << scope << "\n";
    write_file(file, conf.str());
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  }
  return file;
}

RunResult System::herald(std::vector<std::string> args, const std::string& account, const std::string& input) {
  std::vector<std::string> argv = {bin("herald").string(), "--config", cli_config(account).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {}, input);
}

}  // namespace herald::testing
