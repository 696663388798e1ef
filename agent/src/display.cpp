#include "herald/agent/display.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "herald/agent/system.hpp"
#include "herald/common/error.hpp"
#include "herald/common/i18n.hpp"
#include "herald/common/log.hpp"
#include "herald/common/process.hpp"

namespace herald::agent {
namespace {

std::string_view urgency(std::string_view severity) {
  if (severity == "critical") return "critical";
  if (severity == "warning") return "normal";
  return "low";
}

// Display programs get no input, and their output goes where the agent's goes (the
// journal); they are left to run, never waited for.
void show_with(const std::vector<std::string>& argv) {
  process::Options options;
  options.in = process::Stream::null();
  options.out = process::Stream::inherit();
  options.err = process::Stream::inherit();
  process::spawn_detached(argv, options);
}

}  // namespace

void LogDisplay::show(const ShownAlert& alert) {
  log::info("ALERT id=" + alert.id + " severity=" + alert.severity + " title=" + printable(alert.title));
}

bool NotifyDisplay::available() {
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  return bus && *bus;
}

void NotifyDisplay::show(const ShownAlert& alert) {
  // "--" ends the options: a title or body starting with '-' stays text.
  show_with({program_, "-u", std::string(urgency(alert.severity)), "-a", "Herald", "--",
             alert.title.empty() ? std::string("Herald") : alert.title, alert.body});
}

void TerminalDisplay::show(const ShownAlert& alert) {
  auto terminals = user_terminals(alert.user);
  if (terminals.empty())
    throw Error(ErrorKind::not_found, alert.user.empty()
                                          ? trf("no terminal of any user to show alert {1}", {alert.id})
                                          : trf("no terminal of {1} to show alert {2}", {alert.user, alert.id}));
  std::ostringstream text;
  auto severity = printable(alert.severity, 16);
  text << "\r\n\a"
       << (alert.sender.empty()
               ? trf("*** Herald {1} alert ***", {tr_word(severity)})
               : trf("*** Herald {1} alert from {2} ***", {tr_word(severity), printable(alert.sender, 64)}))
       << "\r\n";
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
  text << "(herald-agent show " << alert.id << ")\r\n";  // a command: never translated
  auto banner = text.str();
  int written = 0;
  for (const auto& tty : terminals) {
    // Non-blocking: a stuck terminal must not stall the worker.
    int fd = open(tty.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (write(fd, banner.data(), banner.size()) > 0) ++written;
    process::close_fd(fd);
  }
  if (written == 0) throw Error(ErrorKind::storage, trf("could not write alert {1} to any terminal", {alert.id}));
}

CommandDisplay::CommandDisplay(const std::string& command) {
  std::istringstream in(command);
  std::string word;
  while (in >> word) argv_.push_back(word);
  if (argv_.empty()) throw Error(ErrorKind::config, tr("display = command needs 'display_command = PROGRAM'"));
}

void CommandDisplay::show(const ShownAlert& alert) {
  auto argv = argv_;
  argv.insert(argv.end(), {alert.severity, alert.title, alert.body, alert.id});
  show_with(argv);
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
    throw Error(ErrorKind::config, trf("display must be auto, notify, terminal, log or command, not '{1}'", {mode}));
  return display;
}

}  // namespace herald::agent
