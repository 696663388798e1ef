#include "herald/agent/commands.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "herald/agent/desktop_server.hpp"
#include "herald/agent/display.hpp"
#include "herald/agent/session.hpp"
#include "herald/agent/system.hpp"
#include "herald/agent/wake.hpp"
#include "herald/common/desktop_protocol.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/text.hpp"

namespace herald::agent {
namespace {

std::string time_or_dash(const std::optional<TimePoint>& t) { return t ? to_rfc3339(*t) : "-"; }

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

lmdb::Env::Options agent_env_options() {
  lmdb::Env::Options o;
  o.map_size = std::size_t{64} << 20;
  o.max_dbs = 12;  // inbox 5, chat 3, room to grow
  o.max_readers = 16;
  o.durable = true;
  return o;
}

int run_daemon(const AgentConfig& config) {
  // Signals arrive through a signalfd in the main thread's poll(); block them before
  // any thread exists so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a vanished TLS peer is an error code, not death
  Fd signal_fd{signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK)};
  if (signal_fd.fd < 0) throw Error(ErrorKind::internal, std::string("signalfd: ") + std::strerror(errno));

  lmdb::Env env(config.data_dir, agent_env_options());
  Inbox inbox(env);
  ChatStore chat(env);
  auto display = make_display(config.display, config.display_command);
  WakeSocket wake(wake_socket_path(config.data_dir));

  SessionSettings settings;
  settings.broker = config.broker;
  settings.path = config.path;
  settings.user = config.user;
  settings.receipt_timeout = config.receipt_timeout;
  settings.chat = &chat;
  if (config.user.empty()) settings.user_source = [] { return logged_in_user(); };

  // Logins and logouts rewrite utmp: re-read the user then, so presence stays true.
  Fd utmp_watch;
  if (config.user.empty() && std::filesystem::exists(utmp_file())) {
    utmp_watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (utmp_watch.fd >= 0 && inotify_add_watch(utmp_watch.fd, utmp_file().c_str(), IN_CLOSE_WRITE | IN_MODIFY) < 0) {
      close(utmp_watch.fd);
      utmp_watch.fd = -1;
    }
  }

  Executor executor;
  // Once the handshake and the retained backlog are done, the agent idles for hours:
  // give back what only startup needed, so an idle agent stays a few MiB.
  settings.on_connected = [&executor] {
    executor.schedule_at(Executor::Clock::now() + std::chrono::seconds(3), [] {
      auto released = release_idle_memory();
      log::debug("released " + std::to_string(released) + " kB of startup memory; resident " +
                 std::to_string(resident_kb()) + " kB");
    });
  };
  // The desktop socket outlives the session (declared first): the session's worker
  // calls it until session.stop() returns.
  AgentSession* running = nullptr;
  DesktopServerSettings desktop;
  desktop.socket_path = desktop_protocol::socket_path(config.data_dir);
  desktop.agent_path = config.path;
  desktop.current_user = [&config] { return chat_user(config); };
  desktop.wake = [&running] {
    if (running) running->wake();
  };
  desktop.show_elsewhere = [&running](std::vector<std::string> ids) {
    if (running) running->show_alerts(std::move(ids));
  };
  DesktopServer desktop_server(desktop, inbox, &chat);
  settings.front_end = &desktop_server;
  AgentSession session(settings, inbox, *display, &executor);
  running = &session;
  // However this function ends, the socket's thread (which may give alerts back to the
  // session) is joined before the session goes.
  struct StopDesktopFirst {
    DesktopServer& server;
    ~StopDesktopFirst() { server.stop(); }
  } stop_desktop_first{desktop_server};
  log::info(trf("starting agent {1} (data {2}, display {3})", {config.path, config.data_dir, config.display}));
  try {
    desktop_server.start();
  } catch (const Error& e) {
    // Alerts and receipts do not need it: the display backends show alerts as before.
    log::error(trf("no desktop socket: {1}; the desktop program cannot connect", {e.what()}));
  }
  session.start();

  pollfd fds[3] = {{signal_fd.fd, POLLIN, 0}, {wake.fd(), POLLIN, 0}, {utmp_watch.fd, POLLIN, 0}};
  nfds_t count = utmp_watch.fd >= 0 ? 3 : 2;
  while (true) {
    int n = poll(fds, count, -1);  // sleeps until a signal, a wake-up or a login
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::internal, std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      ssize_t got = read(signal_fd.fd, &info, sizeof info);
      if (got == static_cast<ssize_t>(sizeof info) && info.ssi_signo == SIGHUP) continue;
      log::info(trf("stopping (signal {1})", {std::to_string(got > 0 ? info.ssi_signo : 0)}));
      break;
    }
    if (fds[1].revents & POLLIN) {
      wake.drain();
      session.wake();
      // `herald-agent show` or `chat` changed the store: the desktop program asks again.
      desktop_server.inbox_changed();
      desktop_server.chat_changed();
    }
    if (count > 2 && (fds[2].revents & POLLIN)) {
      char buf[4096];
      while (read(utmp_watch.fd, buf, sizeof buf) > 0) {
      }
      session.refresh_user();
      desktop_server.refresh_user();
    }
  }
  // First the desktop socket: alerts its programs still held go to the session's display.
  desktop_server.stop();
  session.stop();
  return 0;
}

std::string format_inbox_table(const std::vector<StoredMessage>& messages) {
  if (messages.empty()) return std::string(tr("inbox is empty")) + "\n";
  // Fixed minimum widths, one space apart: the layout herald-agent has always printed.
  text::Table table({tr("ID"), tr("KIND"), tr("SEVERITY"), tr("STATE"), tr("SENDER"), tr("TARGET"), tr("RECEIVED"),
                     tr("READ"), tr("TITLE")},
                    text::Table::Layout{1, {28, 7, 8, 9, 12, 20, 24, 24}});
  for (const auto& m : messages)
    table.add({m.id, std::string(tr_word(topics::kind_name(m.kind))), std::string(tr_word(m.delivery.severity)),
               std::string(tr_word(m.state())), m.sender, m.target, to_rfc3339(m.received_at), time_or_dash(m.read_at),
               text::printable(m.delivery.title, 60)});
  std::ostringstream out;
  table.print(out);
  return out.str();
}

std::string format_message(const StoredMessage& m) {
  std::ostringstream out;
  const auto& d = m.delivery;
  // The labels, translated, padded to the widest one plus two spaces (11 columns in English).
  const char* labels[] = {tr("Id:"),      tr("Kind:"),     tr("Severity:"), tr("From:"),  tr("To:"),   tr("Sent:"),
                          tr("Expires:"), tr("Received:"), tr("Read:"),     tr("Title:"), tr("Link:"), tr("Image:")};
  std::size_t width = 0;
  for (const char* label : labels) width = std::max(width, text::display_width(label));
  // At least one space after a longer label ("Confirmed: ", which English has printed so).
  auto pad = [&](const char* label) {
    std::string text = label;
    text.append(std::max(width + 2, text::display_width(text) + 1) - text::display_width(text), ' ');
    return text;
  };
  auto label = [&](int i) { return pad(labels[i]); };
  auto to = d.for_user.empty() ? m.target : trf("{1} (for {2})", {m.target, d.for_user});
  out << label(0) << m.id << '\n'
      << label(1) << tr_word(topics::kind_name(m.kind)) << '\n'
      << label(2) << tr_word(d.severity) << '\n'
      << label(3) << m.sender << '\n'
      << label(4) << to << '\n'
      << label(5) << to_rfc3339(d.sent_at) << '\n'
      << label(6) << time_or_dash(d.expires_at) << '\n'
      << label(7) << to_rfc3339(m.received_at) << '\n'
      << label(8) << time_or_dash(m.read_at) << '\n';
  // Only for a message that asks for it: every other message prints as it always did.
  if (d.require_confirm) out << pad(tr("Confirmed:")) << time_or_dash(m.confirmed_at) << '\n';
  if (d.lesson)
    out << trf("Lesson {1} of {2} (course {3})",
               {std::to_string(d.lesson->number), std::to_string(d.lesson->of), d.lesson->course})
        << '\n';
  if (!d.title.empty()) out << label(9) << printable(d.title, 200) << '\n';
  for (const auto& link : d.links) out << label(10) << printable(link, 2048) << '\n';
  for (const auto& image : d.images)
    out << label(11)
        << trf("{1} ({2}, {3})", {printable(image.name, 64), image.type,
                                  trn("{1} byte", "{1} bytes", static_cast<unsigned long>(image.data.size()))})
        << '\n';
  out << '\n' << printable(d.body, payloads::kMaxBodyBytes, true) << '\n';
  if (m.awaits_confirmation())
    out << '\n'
        << trf("The sender asks you to confirm that you have read and understood this message: run "
               "herald-agent confirm {1}",
               {m.id})
        << '\n';
  return out.str();
}

void list_inbox(const AgentConfig& config, bool json, std::ostream& out) {
  lmdb::Env env(config.data_dir, agent_env_options());
  Inbox inbox(env);
  auto messages = inbox.messages(herald::now());
  if (json) {
    auto array = nlohmann::json::array();
    for (const auto& m : messages) array.push_back(to_json(m));
    out << array.dump(2) << '\n';
  } else {
    out << format_inbox_table(messages);
  }
}

std::vector<std::filesystem::path> save_images(const std::vector<payloads::Image>& images,
                                               const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  // Everything is checked before the first file is written: a refusal leaves DIR as it was.
  for (const auto& image : images) {
    if (!payloads::is_safe_file_name(image.name))
      throw Error(ErrorKind::usage, trf("image name '{1}' is not a safe file name", {printable(image.name, 80)}));
    std::error_code ec;
    if (fs::symlink_status(dir / image.name, ec).type() != fs::file_type::not_found)
      throw Error(ErrorKind::usage,
                  trf("{1} exists: not overwritten (save into another folder)", {(dir / image.name).string()}));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::storage, trf("cannot create {1}: {2}", {dir.string(), ec.message()}));
  std::vector<fs::path> written;
  for (const auto& image : images) {
    auto path = dir / image.name;
    // O_EXCL: a file (or a link to anywhere) that appeared since the check is refused,
    // never followed or overwritten.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      int err = errno;
      if (err == EEXIST)
        throw Error(ErrorKind::usage, trf("{1} exists: not overwritten (save into another folder)", {path.string()}));
      throw Error(ErrorKind::storage, trf("cannot write {1}: {2}", {path.string(), std::strerror(err)}));
    }
    Fd file{fd};
    std::size_t done = 0;
    while (done < image.data.size()) {
      auto n = ::write(file.fd, image.data.data() + done, image.data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(ErrorKind::storage, trf("cannot write {1}: {2}", {path.string(), std::strerror(errno)}));
      done += static_cast<std::size_t>(n);
    }
    if (::close(file.fd) != 0) {
      file.fd = -1;
      throw Error(ErrorKind::storage, trf("cannot write {1}: {2}", {path.string(), std::strerror(errno)}));
    }
    file.fd = -1;
    written.push_back(path);
  }
  return written;
}

void show_message(const AgentConfig& config, const std::string& id, bool json, std::ostream& out,
                  const std::filesystem::path& save_images_dir) {
  if (!is_valid_token(id)) throw Error(ErrorKind::not_found, trf("unknown message id '{1}'", {printable(id, 80)}));
  StoredMessage m;
  {
    lmdb::Env env(config.data_dir, agent_env_options());
    Inbox inbox(env);
    auto user = config.user.empty() ? logged_in_user() : config.user;
    m = inbox.mark_read(id, herald::now(), config.path, user);
  }
  // Committed: the daemon (if running) sends the receipt now; otherwise it waits.
  send_wake(wake_socket_path(config.data_dir));
  if (json)
    out << to_json(m).dump(2) << '\n';
  else
    out << format_message(m);
  if (save_images_dir.empty()) return;
  if (m.delivery.images.empty()) {
    if (!json) out << tr("no images to save") << '\n';
    return;
  }
  auto written = save_images(m.delivery.images, save_images_dir);
  if (!json)
    for (const auto& path : written) out << trf("saved {1}", {path.string()}) << '\n';
}

StoredMessage confirm_message(const AgentConfig& config, const std::string& id, bool json, std::ostream& out) {
  if (!is_valid_token(id)) throw Error(ErrorKind::not_found, trf("unknown message id '{1}'", {printable(id, 80)}));
  auto at = herald::now();
  StoredMessage m;
  {
    lmdb::Env env(config.data_dir, agent_env_options());
    Inbox inbox(env);
    auto user = config.user.empty() ? logged_in_user() : config.user;
    m = inbox.mark_confirmed(id, at, config.path, user);
  }
  bool confirmed_now = m.confirmed_at == at;
  // Committed: the daemon (if running) sends the receipts now; otherwise they wait.
  if (confirmed_now) send_wake(wake_socket_path(config.data_dir));
  if (json)
    out << to_json(m).dump(2) << '\n';
  else if (confirmed_now)
    out << trf("Confirmed: you have read and understood message {1} ({2}).", {m.id, to_rfc3339(*m.confirmed_at)})
        << '\n';
  else
    out << trf("Message {1} was already confirmed ({2}).", {m.id, to_rfc3339(*m.confirmed_at)}) << '\n';
  return m;
}

// ---- chat ---------------------------------------------------------------------------

AgentChatBackend::AgentChatBackend(ChatStore& store, std::string conversation, std::optional<std::string> about,
                                   std::string wake_path)
    : store_(store),
      conversation_(std::move(conversation)),
      about_(std::move(about)),
      wake_path_(std::move(wake_path)) {}

results::ChatHistory AgentChatBackend::snapshot() {
  // The generation first: a change after it is seen by the next wait_for_change. The
  // view asks every 50 ms; the lines are read again only when something changed.
  auto generation = store_.generation();
  if (!cached_ || generation != generation_) cached_ = store_.history(conversation_);
  generation_ = generation;
  return *cached_;
}

void AgentChatBackend::wait_for_change(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (store_.generation() != generation_) return;
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(10)));
  }
}

void AgentChatBackend::send(const std::string& text) {
  last_post_ = store_.enqueue(conversation_, text, about_, herald::now());
  about_.reset();  // the conversation is about it from its first line on
  daemon_ = send_wake(wake_path_);
}

void AgentChatBackend::mark_read(std::uint64_t seq) {
  store_.mark_read(conversation_, seq);
  daemon_ = send_wake(wake_path_);
}

std::vector<std::string> AgentChatBackend::unsent() {
  std::vector<std::string> out;
  for (auto& line : store_.outbox(conversation_)) out.push_back(std::move(line.text));
  return out;
}

void AgentChatBackend::finish(std::chrono::milliseconds timeout) {
  if (!daemon_) return;  // nobody to send them now: they wait in the outbox
  auto until = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(2));
  while (!store_.outbox(conversation_).empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string chat_user(const AgentConfig& config) { return config.user.empty() ? logged_in_user() : config.user; }

void check_about(lmdb::Env& env, const std::string& id) {
  Inbox inbox(env);
  if (!is_valid_token(id) || !inbox.find(id))
    throw Error(ErrorKind::not_found,
                trf("unknown message id '{1}' (not in this computer's inbox)", {printable(id, 80)}));
}

std::string chat_heading(const std::string& conversation) {
  auto target = Target::parse(conversation);
  if (target.is_person()) return trf("Chat with the helpdesk (as {1})", {target.login()});
  return trf("Chat with the helpdesk (computer {1})", {target.org_path()});
}

namespace {

struct ChatSetup {
  std::string conversation;
  std::optional<std::string> about;
};

ChatSetup prepare_chat(const AgentConfig& config, lmdb::Env& env, ChatStore& store, const ChatOptions& options) {
  ChatSetup setup;
  if (!options.about.empty()) {
    check_about(env, options.about);
    setup.about = options.about;
  }
  setup.conversation = choose_conversation(store, config.path, chat_user(config), options.computer);
  return setup;
}

}  // namespace

int chat_interactive(const AgentConfig& config, const ChatOptions& options, std::istream& in, std::ostream& out) {
  lmdb::Env env(config.data_dir, agent_env_options());
  ChatStore store(env);
  auto setup = prepare_chat(config, env, store, options);
  AgentChatBackend backend(store, setup.conversation, setup.about, wake_socket_path(config.data_dir));
  chat::TerminalOptions terminal;
  terminal.viewer = chat::Side::employee;
  terminal.heading = chat_heading(setup.conversation);
  return chat::run_terminal(backend, in, out, terminal);
}

void chat_send(const AgentConfig& config, const std::string& text, const ChatOptions& options, std::ostream& out,
               std::chrono::milliseconds wait) {
  payloads::validate_chat_text(text);  // before anything is opened: a refusal changes nothing
  lmdb::Env env(config.data_dir, agent_env_options());
  ChatStore store(env);
  auto setup = prepare_chat(config, env, store, options);
  auto post = store.enqueue(setup.conversation, text, setup.about, herald::now());
  // Committed: the daemon (if running) sends it now; otherwise it waits in the outbox.
  bool woken = send_wake(wake_socket_path(config.data_dir));
  auto until = std::chrono::steady_clock::now() + wait;
  while (woken) {
    auto waiting = store.outbox(setup.conversation);
    bool echoed = std::none_of(waiting.begin(), waiting.end(), [&](const auto& l) { return l.post == post; });
    if (echoed) {
      for (const auto& line : store.history(setup.conversation).lines)
        if (line.post == post && line.from == config.path) {
          out << trf("sent (line {1})", {std::to_string(line.seq)}) << '\n';
          return;
        }
      break;  // removed without an echo: the broker refused it (logged by the daemon)
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  out << tr("queued: will be sent when the helpdesk server is reachable") << '\n';
}

std::string format_chat_history(const results::ChatHistory& history, const std::vector<ChatOutboxLine>& unsent,
                                const std::string& agent_path) {
  std::string out;
  for (const auto& line : history.lines) out += chat::format_line(line, chat::Side::employee) + "\n";
  for (const auto& waiting : unsent) {
    results::ChatLine line;
    line.from = agent_path;
    line.text = waiting.text;
    line.at = waiting.at;
    auto text = chat::format_line(line, chat::Side::employee);
    // format_line marks it "(sent)", in the reader's language: it is not sent yet.
    const std::string sent = " (" + std::string(tr_word("sent")) + ")";
    if (text.size() >= sent.size() && text.compare(text.size() - sent.size(), sent.size(), sent) == 0)
      text.resize(text.size() - sent.size());
    out += text + " " + tr("(waiting to be sent)") + "\n";
  }
  if (out.empty()) out = std::string(tr("no chat lines yet")) + "\n";
  return out;
}

void chat_history(const AgentConfig& config, bool json, bool computer, bool mark_read, std::ostream& out) {
  lmdb::Env env(config.data_dir, agent_env_options());
  ChatStore store(env);
  auto conversation = choose_conversation(store, config.path, chat_user(config), computer);
  auto history = store.history(conversation);
  if (json)
    out << results::encode(history) << '\n';
  else
    out << format_chat_history(history, store.outbox(conversation), config.path);
  if (!mark_read) return;
  std::uint64_t seen = 0;
  for (const auto& line : history.lines)
    if (!results::from_employee(line)) seen = std::max(seen, line.seq);
  if (seen == 0) return;
  store.mark_read(conversation, seen);
  send_wake(wake_socket_path(config.data_dir));
}

}  // namespace herald::agent
