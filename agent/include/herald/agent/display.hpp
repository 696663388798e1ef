#pragma once
// How an alert reaches the employee's screen. The session calls Display::show() on its
// worker thread; implementations must return quickly (child programs are started with
// herald::process::spawn_detached: no shell, stdin from /dev/null, their own session,
// handed to init, never waited for; a program that cannot be started is an Error naming it).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::agent {

struct ShownAlert {
  std::string id;
  std::string severity;  // info | warning | critical
  std::string title;
  std::string body;
  std::string sender;
  std::vector<std::string> links;
  std::string user;  // who is logged in ("" if unknown)
};

class Display {
 public:
  virtual ~Display() = default;
  // Throws Error if the alert could not be shown; the caller logs it.
  virtual void show(const ShownAlert& alert) = 0;
};

// One log line on stderr: "ALERT id=<id> severity=<s> title=<t>". Always part of the
// daemon's display, so the journal records every alert.
class LogDisplay final : public Display {
 public:
  void show(const ShownAlert& alert) override;
};

// A desktop notification through `notify-send -u <low|normal|critical> -a Herald --
// TITLE BODY` (no shell).
class NotifyDisplay final : public Display {
 public:
  explicit NotifyDisplay(std::string program = "notify-send") : program_(std::move(program)) {}
  void show(const ShownAlert& alert) override;
  // A session bus is reachable (DBUS_SESSION_BUS_ADDRESS is set).
  static bool available();

 private:
  std::string program_;
};

// Writes a banner to every terminal of the logged-in user (utmp); terminal control
// characters in the text are neutralised.
class TerminalDisplay final : public Display {
 public:
  void show(const ShownAlert& alert) override;
};

// Runs a configured program with the arguments: severity title body id (no shell).
class CommandDisplay final : public Display {
 public:
  // `command` is split on whitespace into the program and its leading arguments.
  explicit CommandDisplay(const std::string& command);
  void show(const ShownAlert& alert) override;

 private:
  std::vector<std::string> argv_;
};

// display = auto: a notification when a session bus is there, else the terminals.
class AutoDisplay final : public Display {
 public:
  void show(const ShownAlert& alert) override;

 private:
  NotifyDisplay notify_;
  TerminalDisplay terminal_;
};

// Shows through each of its parts; one part failing does not stop the others.
class MultiDisplay final : public Display {
 public:
  void add(std::unique_ptr<Display> part) { parts_.push_back(std::move(part)); }
  void show(const ShownAlert& alert) override;

 private:
  std::vector<std::unique_ptr<Display>> parts_;
};

// The display for a config's `display` (auto|notify|terminal|log|command) and
// `display_command`: the chosen backend plus LogDisplay. Throws Error(config).
std::unique_ptr<Display> make_display(std::string_view mode, const std::string& command);
bool is_valid_display_mode(std::string_view mode);

}  // namespace herald::agent
