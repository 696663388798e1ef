#include "herald/agent/desktop_server.hpp"

#include <poll.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "herald/agent/system.hpp"
#include "herald/common/desktop_protocol.hpp"
#include "herald/common/error.hpp"
#include "herald/common/log.hpp"
#include "herald/common/orgpath.hpp"
#include "herald/common/results.hpp"

namespace herald::agent {
namespace proto = desktop_protocol;
using json = nlohmann::json;

namespace {

// Requests wait while a client's unread replies exceed one reply's limit (process_lines);
// events still go out, and a client that lets them pile up past this is cut off.
constexpr std::size_t kMaxPendingOutput = 3 * proto::kMaxReplyBytes;
// Deeper JSON than any request needs is refused before it is parsed.
constexpr int kMaxRequestDepth = 16;

// The login of a uid, or "" if it has none.
std::string login_of(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->pw_name;
}

int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      --depth;
  }
  return deepest;
}

// An error a request gets as {"ok":false,"error":{code,message}}.
struct Refusal {
  ErrorKind kind;
  std::string message;
};

const std::string& string_field(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end() || !it->is_string())
    throw Refusal{ErrorKind::usage, std::string("'") + name + "' must be a string"};
  return it->get_ref<const std::string&>();
}

bool bool_field(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) return false;
  if (!it->is_boolean()) throw Refusal{ErrorKind::usage, std::string("'") + name + "' must be true or false"};
  return it->get<bool>();
}

bool visible_to(const StoredMessage& m, const std::string& login) {
  return m.delivery.for_user.empty() || m.delivery.for_user == login;
}

json event_line(std::string_view name) { return json{{"v", proto::kVersion}, {"event", name}}; }

}  // namespace

std::vector<StoredMessage> visible_messages(const Inbox& inbox, const std::string& login, TimePoint now) {
  auto all = inbox.messages(now);
  std::vector<StoredMessage> out;
  for (auto& m : all)
    if (visible_to(m, login)) out.push_back(std::move(m));
  std::sort(out.begin(), out.end(), [](const StoredMessage& a, const StoredMessage& b) {
    if (a.delivery.sent_at != b.delivery.sent_at) return a.delivery.sent_at > b.delivery.sent_at;
    return a.id > b.id;
  });
  return out;
}

json courses_json(const std::vector<StoredMessage>& messages) {
  struct Course {
    std::string course, campaign;
    std::size_t of = 0, read = 0, confirmed = 0;
    std::map<std::size_t, json> lessons;  // by number
  };
  std::map<std::pair<std::string, std::string>, Course> courses;
  for (const auto& m : messages) {
    if (!m.delivery.lesson) continue;
    const auto& l = *m.delivery.lesson;
    auto& c = courses[{l.course, l.campaign}];
    c.course = l.course;
    c.campaign = l.campaign;
    c.of = std::max(c.of, l.of);
    auto state = m.state();
    if (m.read_at) ++c.read;
    if (state == "confirmed") ++c.confirmed;
    auto lesson = json{{"number", l.number}, {"id", m.id}, {"title", m.delivery.title}, {"state", state}};
    if (m.delivery.require_confirm) lesson["require_confirm"] = true;
    c.lessons[l.number] = std::move(lesson);
  }
  auto out = json::array();
  for (auto& [key, c] : courses) {
    auto lessons = json::array();
    for (auto& [number, lesson] : c.lessons) lessons.push_back(std::move(lesson));
    out.push_back(json{{"course", c.course},
                       {"campaign", c.campaign},
                       {"of", c.of},
                       {"read", c.read},
                       {"confirmed", c.confirmed},
                       {"lessons", std::move(lessons)}});
  }
  return out;
}

class DesktopServer::Impl {
 public:
  Impl(DesktopServerSettings settings, Inbox& inbox, ChatStore* chat)
      : settings_(std::move(settings)), inbox_(inbox), chat_(chat) {}
  ~Impl() {
    stop();
    // Only now: the session's worker may poke until it has stopped.
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  void start();
  void stop();
  void refresh_user() {
    poke([](Pending& p) { p.refresh_user = true; });
  }
  bool takes_alerts() const { return owners_.load() > 0; }
  void alert_arrived(const std::string& id, bool handed) {
    poke([&](Pending& p) { p.alerts.emplace_back(id, handed); });
  }
  void inbox_changed() {
    poke([](Pending& p) { p.inbox = true; });
  }
  void chat_changed() {
    poke([](Pending& p) { p.chat = true; });
  }
  std::size_t connections() const { return served_.load(); }

 private:
  struct Connection {
    int fd = -1;
    std::string login;
    std::string client;  // from hello, for the log
    std::string in;
    std::string out;
    std::size_t out_done = 0;  // bytes of `out` already written
    bool subscribed = false;
    bool alerts = false;               // owns alert display (subscribe alerts:true)
    std::set<std::string> unanswered;  // alerts handed to it, not yet `displayed`
    bool closing = false;              // close once `out` is written (refused)
  };
  // What other threads asked for since the loop last looked.
  struct Pending {
    bool stop = false;
    bool refresh_user = false;
    bool inbox = false;
    bool chat = false;
    std::vector<std::pair<std::string, bool>> alerts;
  };

  template <typename F>
  void poke(F&& change) {
    {
      std::lock_guard lock(mutex_);
      change(pending_);
    }
    std::uint64_t one = 1;
    if (event_fd_ >= 0 && write(event_fd_, &one, sizeof one) < 0 && errno != EAGAIN)
      log::warn(std::string("desktop socket: cannot wake the server thread: ") + std::strerror(errno));
  }

  void run();
  void accept_all();
  void on_readable(Connection& c);
  void process_lines(Connection& c);  // handles the complete lines received
  static bool backlogged(const Connection& c) { return c.out.size() - c.out_done >= proto::kMaxReplyBytes; }
  void on_writable(Connection& c);
  void handle_line(Connection& c, std::string_view line);
  json handle_request(Connection& c, const json& request, std::vector<std::function<void()>>& after);
  void apply_pending();
  void send(Connection& c, const json& line);
  // Closes it now; alerts it held go to another owner or back to the session (release).
  void close(Connection& c, const std::string& why);
  void release(Connection& c);
  void refuse(Connection& c, const std::string& reason);
  void broadcast(std::string_view event);
  void send_alert(const std::string& id, bool handed);
  void catch_up(Connection& c);
  void count_owners();
  std::string current_user() const { return settings_.current_user ? settings_.current_user() : std::string(); }
  void wake() const {
    if (settings_.wake) settings_.wake();
  }
  std::string conversation(const Connection& c, const json& request) const;
  std::optional<StoredMessage> find_visible(const Connection& c, const std::string& id) const;

  DesktopServerSettings settings_;
  Inbox& inbox_;
  ChatStore* chat_;
  int listen_fd_ = -1;
  int event_fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  Pending pending_;
  std::atomic<int> owners_{0};
  std::atomic<std::size_t> served_{0};
  std::list<Connection> connections_;  // the server thread's own
};

void DesktopServer::Impl::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    pending_.stop = false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto& path = settings_.socket_path;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(ErrorKind::config, "desktop socket path " + path + " is too long (data_dir must be shorter than " +
                                       std::to_string(sizeof addr.sun_path - proto::kSocketName.size() - 2) +
                                       " characters)");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw Error(ErrorKind::internal, std::string("eventfd: ") + std::strerror(errno));
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error(ErrorKind::storage, "cannot create socket " + path + ": " + std::strerror(errno));
  unlink(path.c_str());  // a previous daemon's socket; only one daemon runs per data_dir
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw Error(ErrorKind::storage, "cannot bind socket " + path + ": " + std::strerror(errno));
  // Every local user may connect; who is served is decided per connection (SO_PEERCRED).
  if (chmod(path.c_str(), 0666) != 0)
    throw Error(ErrorKind::storage, "cannot make socket " + path + " connectable: " + std::strerror(errno));
  if (listen(listen_fd_, 16) != 0)
    throw Error(ErrorKind::storage, "cannot listen on socket " + path + ": " + std::strerror(errno));
  thread_ = std::thread([this] { run(); });
  log::info("desktop socket listening on " + path);
}

void DesktopServer::Impl::stop() {
  if (thread_.joinable()) {
    poke([](Pending& p) { p.stop = true; });
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    unlink(settings_.socket_path.c_str());
  }
}

void DesktopServer::Impl::run() {
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  while (true) {
    fds.clear();
    polled.clear();
    fds.push_back({event_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& c : connections_) {
      short events = c.closing || backlogged(c) ? 0 : POLLIN;
      if (c.out_done < c.out.size()) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
      polled.push_back(&c);
    }
    int n = poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error(std::string("desktop socket: poll failed: ") + std::strerror(errno) + "; the socket is closed");
      break;
    }
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      while (read(event_fd_, &count, sizeof count) > 0) {
      }
      {
        std::lock_guard lock(mutex_);
        if (pending_.stop) break;
      }
      apply_pending();
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      auto& c = *polled[i];
      auto revents = fds[i + 2].revents;
      if (c.fd < 0 || revents == 0) continue;
      if (revents & POLLOUT) {
        on_writable(c);
        // Requests held back while its replies piled up (process_lines).
        if (c.fd >= 0 && !backlogged(c)) process_lines(c);
      }
      if (c.fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) on_readable(c);
    }
    connections_.remove_if([](const Connection& c) { return c.fd < 0; });
    served_ = static_cast<std::size_t>(
        std::count_if(connections_.begin(), connections_.end(), [](const Connection& c) { return !c.closing; }));
    if (fds[1].revents & POLLIN) accept_all();
  }
  for (auto& c : connections_)
    if (c.fd >= 0) close(c, "the agent is stopping");
  connections_.clear();
  served_ = 0;
}

void DesktopServer::Impl::accept_all() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
        log::warn(std::string("desktop socket: accept failed: ") + std::strerror(errno));
      return;
    }
    ucred peer{};
    socklen_t size = sizeof peer;
    auto& c = connections_.emplace_back();
    c.fd = fd;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
      refuse(c, "cannot tell who connected");
      log::warn(std::string("desktop socket: SO_PEERCRED failed: ") + std::strerror(errno));
      continue;
    }
    c.login = login_of(peer.uid);
    auto user = current_user();
    if (user.empty() || c.login != user) {
      // Nothing about the inbox, not even who is logged in, goes to anyone else.
      log::warn("desktop socket: refused uid " + std::to_string(peer.uid) + " (" +
                (c.login.empty() ? "no login" : c.login) + ", pid " + std::to_string(peer.pid) +
                "): not the logged-in employee");
      refuse(c, "only the employee logged in at this computer may use this socket");
      continue;
    }
    if (served_.load() >= settings_.max_connections) {
      log::warn("desktop socket: refused a connection of " + c.login + ": " +
                std::to_string(settings_.max_connections) + " connections are open");
      refuse(c, "too many connections");
      continue;
    }
    ++served_;
    log::info("desktop socket: " + c.login + " connected (pid " + std::to_string(peer.pid) + ")");
  }
}

void DesktopServer::Impl::refuse(Connection& c, const std::string& reason) {
  c.closing = true;
  c.login.clear();
  send(c, json{{"v", proto::kVersion}, {"event", proto::event::refused}, {"reason", reason}});
  if (c.fd >= 0 && c.out_done >= c.out.size()) {
    shutdown(c.fd, SHUT_RDWR);
    ::close(c.fd);
    c.fd = -1;
  }
}

void DesktopServer::Impl::close(Connection& c, const std::string& why) {
  if (c.fd < 0) return;
  if (!c.closing) log::info("desktop socket: connection of " + c.login + " closed (" + why + ")");
  ::close(c.fd);
  c.fd = -1;
  release(c);
}

void DesktopServer::Impl::release(Connection& c) {
  bool owned = c.alerts;
  c.alerts = false;
  c.subscribed = false;
  if (owned) count_owners();
  std::vector<std::string> orphans;
  for (const auto& id : c.unanswered) {
    bool held = std::any_of(connections_.begin(), connections_.end(),
                            [&](const Connection& o) { return o.fd >= 0 && o.alerts && o.unanswered.count(id); });
    if (!held) orphans.push_back(id);
  }
  c.unanswered.clear();
  if (orphans.empty()) return;
  if (owners_.load() > 0) {
    for (const auto& id : orphans) send_alert(id, true);  // another program takes them
    return;
  }
  log::info("desktop socket: " + std::to_string(orphans.size()) +
            " alert(s) the desktop program did not answer go to the agent's display");
  if (settings_.show_elsewhere) settings_.show_elsewhere(std::move(orphans));
}

void DesktopServer::Impl::count_owners() {
  owners_ = static_cast<int>(std::count_if(connections_.begin(), connections_.end(),
                                           [](const Connection& c) { return c.fd >= 0 && c.alerts; }));
}

void DesktopServer::Impl::send(Connection& c, const json& line) {
  if (c.fd < 0) return;
  auto text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() + 1 > proto::kMaxReplyBytes) {
    text = json{{"v", proto::kVersion},
                {"re", line.value("re", json())},
                {"ok", false},
                {"error", {{"code", static_cast<int>(ErrorKind::internal)}, {"message", "reply too large"}}}}
               .dump();
  }
  if (c.out.size() - c.out_done + text.size() > kMaxPendingOutput) {
    close(c, "it does not read its replies");
    return;
  }
  if (c.out_done > 0 && c.out_done == c.out.size()) {
    c.out.clear();
    c.out_done = 0;
  }
  c.out += text;
  c.out += '\n';
  on_writable(c);
}

void DesktopServer::Impl::on_writable(Connection& c) {
  while (c.fd >= 0 && c.out_done < c.out.size()) {
    auto n = ::send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close(c, std::string("write: ") + std::strerror(errno));
      return;
    }
    c.out_done += static_cast<std::size_t>(n);
  }
  if (c.fd >= 0 && c.out_done == c.out.size()) {
    c.out.clear();
    c.out_done = 0;
    if (c.closing) {
      shutdown(c.fd, SHUT_RDWR);
      ::close(c.fd);
      c.fd = -1;
    }
  }
}

void DesktopServer::Impl::on_readable(Connection& c) {
  char buf[65536];
  while (c.fd >= 0 && !backlogged(c)) {
    auto n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close(c, std::string("read: ") + std::strerror(errno));
      return;
    }
    if (n == 0) {
      if (c.closing) {
        ::close(c.fd);
        c.fd = -1;
      } else {
        close(c, "the program closed it");
      }
      return;
    }
    if (c.closing) continue;  // a refused peer's words are not read
    c.in.append(buf, static_cast<std::size_t>(n));
    process_lines(c);
  }
}

void DesktopServer::Impl::process_lines(Connection& c) {
  auto too_long = [&] {
    log::warn("desktop socket: a line of " + c.login + " exceeds " + std::to_string(proto::kMaxRequestBytes) +
              " bytes; closing the connection");
    close(c, "over-long line");
  };
  std::size_t start = 0;
  // Replies waiting to be read hold back the next requests: a program that asks for
  // many large messages at once is served as fast as it reads, not cut off.
  while (c.fd >= 0 && !c.closing && !backlogged(c)) {
    auto nl = c.in.find('\n', start);
    if (nl == std::string::npos) break;
    if (nl - start > proto::kMaxRequestBytes) return too_long();
    handle_line(c, std::string_view(c.in).substr(start, nl - start));
    start = nl + 1;
  }
  if (c.fd < 0 || c.closing) return;
  c.in.erase(0, start);
  auto last = c.in.rfind('\n');
  if ((last == std::string::npos ? c.in.size() : c.in.size() - last - 1) > proto::kMaxRequestBytes) too_long();
}

void DesktopServer::Impl::handle_line(Connection& c, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  json reply{{"v", proto::kVersion}, {"re", nullptr}};
  std::vector<std::function<void()>> after;  // events and catch-up, sent after the reply
  try {
    if (json_depth(line) > kMaxRequestDepth) throw Refusal{ErrorKind::usage, "the request is nested too deeply"};
    auto request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object())
      throw Refusal{ErrorKind::usage, "a request is one JSON object per line"};
    if (auto re = request.find("re"); re != request.end() && (re->is_number() || re->is_string())) reply["re"] = *re;
    auto result = handle_request(c, request, after);
    reply["ok"] = true;
    for (auto& [key, value] : result.items()) reply[key] = std::move(value);
  } catch (const Refusal& r) {
    reply["ok"] = false;
    reply["error"] = {{"code", static_cast<int>(r.kind)}, {"message", r.message}};
    after.clear();
  } catch (const Error& e) {
    // Unknown ids and refused texts are the program's mistakes; storage trouble is ours.
    if (e.kind() != ErrorKind::not_found && e.kind() != ErrorKind::usage)
      log::warn("desktop socket: a request of " + c.login + " failed: " + e.what());
    reply["ok"] = false;
    reply["error"] = {{"code", e.exit_code()}, {"message", e.what()}};
    after.clear();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    log::warn("desktop socket: a request of " + c.login + " failed: " + e.what());
    reply["ok"] = false;
    reply["error"] = {{"code", static_cast<int>(ErrorKind::internal)}, {"message", e.what()}};
    after.clear();
  }
  send(c, reply);
  for (auto& f : after) f();
}

std::optional<StoredMessage> DesktopServer::Impl::find_visible(const Connection& c, const std::string& id) const {
  if (!is_valid_token(id)) return std::nullopt;
  auto m = inbox_.find(id);
  if (!m || !visible_to(*m, c.login) || m->expired(herald::now())) return std::nullopt;
  return m;
}

std::string DesktopServer::Impl::conversation(const Connection& c, const json& request) const {
  return choose_conversation(*chat_, settings_.agent_path, c.login, bool_field(request, "computer"));
}

json DesktopServer::Impl::handle_request(Connection& c, const json& request,
                                         std::vector<std::function<void()>>& after) {
  auto op_it = request.find("op");
  if (op_it == request.end() || !op_it->is_string()) throw Refusal{ErrorKind::usage, "'op' must be a string"};
  const auto& op = op_it->get_ref<const std::string&>();
  auto unknown_id = [](const std::string& id) {
    return Refusal{ErrorKind::not_found, "unknown message id '" + printable(id, 80) + "'"};
  };

  if (op == proto::op::hello) {
    if (auto it = request.find("client"); it != request.end() && it->is_string()) {
      c.client = printable(it->get<std::string>(), 80);
      log::info("desktop socket: " + c.login + " uses " + c.client);
    }
    return json{{"user", c.login}, {"computer", settings_.agent_path}, {"version", proto::kVersion}};
  }
  if (op == proto::op::inbox) {
    auto rows = json::array();
    for (const auto& m : visible_messages(inbox_, c.login, herald::now())) rows.push_back(to_json(m));
    return json{{"messages", std::move(rows)}};
  }
  if (op == proto::op::show) {
    const auto& id = string_field(request, "id");
    auto found = find_visible(c, id);
    if (!found) throw unknown_id(id);
    bool was_read = found->read_at.has_value();
    auto m = inbox_.mark_read(id, herald::now(), settings_.agent_path, c.login);
    if (!was_read) {
      wake();  // the `read` receipt is committed: send it now
      after.push_back([this] { broadcast(proto::event::inbox); });
    }
    return json{{"message", to_json(m, true)}};
  }
  if (op == proto::op::displayed) {
    const auto& id = string_field(request, "id");
    auto found = find_visible(c, id);
    if (!found) throw unknown_id(id);
    for (auto& o : connections_) o.unanswered.erase(id);
    if (inbox_.mark_displayed(id, herald::now(), settings_.agent_path, c.login)) {
      log::info("desktop socket: " + c.login + "'s desktop program displayed " + id);
      wake();
      after.push_back([this] { broadcast(proto::event::inbox); });
    }
    return json::object();
  }
  if (op == proto::op::confirm) {
    const auto& id = string_field(request, "id");
    auto found = find_visible(c, id);
    if (!found) throw unknown_id(id);
    bool was_confirmed = found->confirmed_at.has_value();
    // Error(usage) "does not ask for confirmation" when it does not: code 2.
    auto m = inbox_.mark_confirmed(id, herald::now(), settings_.agent_path, c.login);
    if (!was_confirmed) {
      log::info("desktop socket: " + c.login + " confirmed " + id);
      wake();  // the `read` (if new) and `confirmed` receipts are committed
      after.push_back([this] { broadcast(proto::event::inbox); });
    }
    return json{{"message", to_json(m)}};
  }
  if (op == proto::op::courses) {
    return json{{"courses", courses_json(visible_messages(inbox_, c.login, herald::now()))}};
  }
  if (op == proto::op::chat_history || op == proto::op::chat_send || op == proto::op::chat_read) {
    if (!chat_) throw Refusal{ErrorKind::usage, "this agent keeps no chat"};
    if (op == proto::op::chat_history) {
      auto conv = conversation(c, request);
      auto unsent = json::array();
      for (auto& line : chat_->outbox(conv)) unsent.push_back(std::move(line.text));
      return json{{"conversation", conv}, {"history", chat_->history(conv)}, {"unsent", std::move(unsent)}};
    }
    if (op == proto::op::chat_send) {
      const auto& text = string_field(request, "text");
      payloads::validate_chat_text(text);  // Error(usage)
      std::optional<std::string> about;
      if (auto it = request.find("about"); it != request.end() && !it->is_null()) {
        if (!it->is_string()) throw Refusal{ErrorKind::usage, "'about' must be a message id"};
        if (!find_visible(c, it->get<std::string>())) throw unknown_id(it->get<std::string>());
        about = it->get<std::string>();
      }
      auto conv = conversation(c, request);
      chat_->enqueue(conv, text, about, herald::now());
      wake();
      return json{{"queued", true}, {"conversation", conv}};
    }
    auto it = request.find("seq");
    if (it == request.end() || !it->is_number_unsigned())
      throw Refusal{ErrorKind::usage, "'seq' must be a line number"};
    chat_->mark_read(conversation(c, request), it->get<std::uint64_t>());
    wake();
    return json::object();
  }
  if (op == proto::op::subscribe) {
    bool alerts = bool_field(request, "alerts");
    c.subscribed = true;
    if (alerts != c.alerts) {
      c.alerts = alerts;
      count_owners();
      log::info("desktop socket: " + c.login + "'s desktop program " +
                (alerts ? "shows alerts now" : "no longer shows alerts"));
    }
    Connection* self = &c;
    after.push_back([this, self] { catch_up(*self); });
    return json::object();
  }
  throw Refusal{ErrorKind::usage, "unknown op '" + printable(op, 40) + "'"};
}

void DesktopServer::Impl::catch_up(Connection& c) {
  if (c.fd < 0) return;
  auto now = herald::now();
  for (const auto& m : visible_messages(inbox_, c.login, now)) {
    if (m.kind != topics::Kind::alert || m.displayed_at || m.read_at) continue;
    if (c.alerts) c.unanswered.insert(m.id);
    send(c, json{{"v", proto::kVersion}, {"event", proto::event::alert}, {"message", to_json(m)}});
  }
}

void DesktopServer::Impl::send_alert(const std::string& id, bool handed) {
  std::optional<StoredMessage> m;
  try {
    m = inbox_.find(id);
  } catch (const Error& e) {
    log::warn("desktop socket: cannot read alert " + id + ": " + e.what());
  }
  if (!m) {
    if (handed && settings_.show_elsewhere) settings_.show_elsewhere({id});
    return;
  }
  auto line = json{{"v", proto::kVersion}, {"event", proto::event::alert}, {"message", to_json(*m)}};
  bool taken = false;
  for (auto& c : connections_) {
    if (c.fd < 0 || c.closing || !c.subscribed || !visible_to(*m, c.login)) continue;
    // An alert the session showed itself is news for the others, not one to show again.
    if (c.alerts && !handed) continue;
    if (c.alerts) {
      c.unanswered.insert(id);
      taken = true;
    }
    send(c, line);
  }
  if (handed && !taken) {
    // The program that took it went away in between: nothing is lost.
    log::info("desktop socket: no desktop program for alert " + id + "; the agent's display shows it");
    if (settings_.show_elsewhere) settings_.show_elsewhere({id});
  }
}

void DesktopServer::Impl::broadcast(std::string_view event) {
  auto line = event_line(event);
  for (auto& c : connections_)
    if (c.fd >= 0 && !c.closing && c.subscribed) send(c, line);
}

void DesktopServer::Impl::apply_pending() {
  Pending p;
  {
    std::lock_guard lock(mutex_);
    std::swap(p, pending_);
  }
  if (p.refresh_user) {
    auto user = current_user();
    for (auto& c : connections_) {
      if (c.fd < 0 || c.closing || (!user.empty() && c.login == user)) continue;
      log::info("desktop socket: " + c.login + " is no longer the logged-in employee; closing their connection");
      // The alerts that program held go to the new employee's program or the display
      // (the session skips the ones meant for the person who left).
      release(c);
      refuse(c, "only the employee logged in at this computer may use this socket");
    }
  }
  for (const auto& [id, handed] : p.alerts) send_alert(id, handed);
  if (p.inbox) broadcast(proto::event::inbox);
  if (p.chat) broadcast(proto::event::chat);
}

DesktopServer::DesktopServer(DesktopServerSettings settings, Inbox& inbox, ChatStore* chat)
    : impl_(std::make_unique<Impl>(std::move(settings), inbox, chat)) {}
DesktopServer::~DesktopServer() = default;
void DesktopServer::start() { impl_->start(); }
void DesktopServer::stop() { impl_->stop(); }
void DesktopServer::refresh_user() { impl_->refresh_user(); }
bool DesktopServer::takes_alerts() const { return impl_->takes_alerts(); }
void DesktopServer::alert_arrived(const std::string& id, bool handed) { impl_->alert_arrived(id, handed); }
void DesktopServer::inbox_changed() { impl_->inbox_changed(); }
void DesktopServer::chat_changed() { impl_->chat_changed(); }
std::size_t DesktopServer::connections() const { return impl_->connections(); }

}  // namespace herald::agent
