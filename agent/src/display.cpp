#include "herald/agent/display.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"
#include "herald/common/log.hpp"

namespace herald::agent {
namespace {

std::string_view urgency(std::string_view severity) {
  if (severity == "critical") return "critical";
  if (severity == "warning") return "normal";
  return "low";
}

void close_fd(int fd) {
  while (close(fd) != 0 && errno == EINTR) {
  }
}

}  // namespace

void spawn_detached(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) throw Error(ErrorKind::internal, "no program to run");
  // Everything the children need is prepared before fork(): after fork() in a
  // multi-threaded process only async-signal-safe calls are allowed.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    throw Error(ErrorKind::internal, "cannot start " + argv[0] + ": pipe: " + std::strerror(errno));
  pid_t middle = fork();
  if (middle < 0) {
    int err = errno;
    close_fd(report[0]);
    close_fd(report[1]);
    throw Error(ErrorKind::internal, "cannot start " + argv[0] + ": fork: " + std::strerror(err));
  }
  if (middle == 0) {
    close(report[0]);
    pid_t grandchild = fork();
    if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
    setsid();
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      if (null_fd > 2) close(null_fd);
    }
    execvp(args[0], args.data());
    int err = errno;
    ssize_t ignored = write(report[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  close_fd(report[1]);
  int status = 0;
  while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  // EOF (the write end closed by exec) means the program runs; an int is its errno.
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  close_fd(report[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno))
    throw Error(ErrorKind::internal, "cannot run " + argv[0] + ": " + std::strerror(child_errno));
}

void LogDisplay::show(const ShownAlert& alert) {
  log::info("ALERT id=" + alert.id + " severity=" + alert.severity + " title=" + printable(alert.title));
}

bool NotifyDisplay::available() {
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  return bus && *bus;
}

void NotifyDisplay::show(const ShownAlert& alert) {
  // "--" ends the options: a title or body starting with '-' stays text.
  spawn_detached({program_, "-u", std::string(urgency(alert.severity)), "-a", "Herald", "--",
                  alert.title.empty() ? std::string("Herald") : alert.title, alert.body});
}

void TerminalDisplay::show(const ShownAlert& alert) {
  auto terminals = user_terminals(alert.user);
  if (terminals.empty())
    throw Error(ErrorKind::not_found, "no terminal of " + (alert.user.empty() ? std::string("any user") : alert.user) +
                                          " to show alert " + alert.id);
  std::ostringstream text;
  text << "\r\n\a*** Herald " << printable(alert.severity, 16) << " alert";
  if (!alert.sender.empty()) text << " from " << printable(alert.sender, 64);
  text << " ***\r\n";
  if (!alert.title.empty()) text << printable(alert.title, 200) << "\r\n";
  auto body = printable(alert.body, 4096, true);
  for (char c : body) {
    if (c == '\n')
      text << "\r\n";
    else
      text << c;
  }
  text << "\r\n";
  for (const auto& link : alert.links) text << printable(link, 2048) << "\r\n";
  text << "(herald-agent show " << alert.id << ")\r\n";
  auto banner = text.str();
  int written = 0;
  for (const auto& tty : terminals) {
    // Non-blocking: a stuck terminal must not stall the worker.
    int fd = open(tty.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (write(fd, banner.data(), banner.size()) > 0) ++written;
    close_fd(fd);
  }
  if (written == 0) throw Error(ErrorKind::storage, "could not write alert " + alert.id + " to any terminal");
}

CommandDisplay::CommandDisplay(const std::string& command) {
  std::istringstream in(command);
  std::string word;
  while (in >> word) argv_.push_back(word);
  if (argv_.empty()) throw Error(ErrorKind::config, "display = command needs 'display_command = PROGRAM'");
}

void CommandDisplay::show(const ShownAlert& alert) {
  auto argv = argv_;
  argv.insert(argv.end(), {alert.severity, alert.title, alert.body, alert.id});
  spawn_detached(argv);
}

void AutoDisplay::show(const ShownAlert& alert) {
  if (NotifyDisplay::available()) {
    try {
      notify_.show(alert);
      return;
    } catch (const Error& e) {
      log::warn(std::string("notification failed, writing to terminals: ") + e.what());
    }
  }
  try {
    terminal_.show(alert);
  } catch (const Error& e) {
    // Nobody at a terminal (a headless computer): the log line is the record.
    if (e.kind() != ErrorKind::not_found) throw;
    log::debug(e.what());
  }
}

void MultiDisplay::show(const ShownAlert& alert) {
  std::string failures;
  for (auto& part : parts_) {
    try {
      part->show(alert);
    } catch (const std::exception& e) {
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  if (!failures.empty()) log::warn("display of " + alert.id + ": " + failures);
}

bool is_valid_display_mode(std::string_view mode) {
  return mode == "auto" || mode == "notify" || mode == "terminal" || mode == "log" || mode == "command";
}

std::unique_ptr<Display> make_display(std::string_view mode, const std::string& command) {
  auto display = std::make_unique<MultiDisplay>();
  display->add(std::make_unique<LogDisplay>());
  if (mode == "auto")
    display->add(std::make_unique<AutoDisplay>());
  else if (mode == "notify")
    display->add(std::make_unique<NotifyDisplay>());
  else if (mode == "terminal")
    display->add(std::make_unique<TerminalDisplay>());
  else if (mode == "command")
    display->add(std::make_unique<CommandDisplay>(command));
  else if (mode != "log")
    throw Error(ErrorKind::config,
                "display must be auto, notify, terminal, log or command, not '" + std::string(mode) + "'");
  return display;
}

}  // namespace herald::agent
