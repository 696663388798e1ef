#pragma once
// What the desktop tests share: a real notification daemon (dunst) whose every
// notification is written down by dunst itself, screenshots of the X display, and a
// wait that keeps the in-process windows alive.
#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <QApplication>
#include <QTest>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "herald/testing/fixture.hpp"

namespace herald::testing {

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

inline std::string herald_ok(System& sys, std::vector<std::string> args) {
  auto r = sys.herald(args);
  INFO("herald " << args.at(0) << " stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return trim(r.out);
}

// A recipient's receipt state in `herald status ID --json`.
inline std::string state_of(System& sys, const std::string& id, const std::string& who) {
  auto r = sys.herald({"status", id, "--json"});
  if (r.exit_code != 0) return "error";
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return "error";
  for (const auto& x : j.at("recipients"))
    if (x.at("recipient") == who) return x.at("state").get<std::string>();
  return "absent";
}

// The login the tests run as: the agent is configured with it, so the desktop program
// (this process, or a child) is the logged-in employee the socket serves.
inline std::string my_login() {
  auto* pw = getpwuid(getuid());
  REQUIRE(pw != nullptr);
  return pw->pw_name;
}

// Polls `pred` while Qt handles events, so the in-process program keeps working.
inline bool qt_eventually(const std::function<bool()>& pred,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    QApplication::processEvents();
    if (pred()) return true;
    QTest::qWait(50);
  }
  return pred();
}

struct Notification {
  double at = 0;        // when dunst ran its script for it (seconds since the epoch)
  std::string urgency;  // LOW | NORMAL | CRITICAL, as dunst says
  std::string app, summary, body;
};

// dunst on this test's session bus and display. A rule matching every notification runs
// a script that appends dunst's own view of it (urgency, summary, body) with the time.
class Dunst {
 public:
  explicit Dunst(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir_);
    {
      std::ofstream script(dir_ / "record.sh");
      // dunst passes: appname summary body icon urgency.
      script << "#!/bin/sh\nprintf '%s\\t%s\\t%s\\t%s\\t%s\\n' \"$(date +%s.%N)\" \"$5\" \"$1\" \"$2\" \"$3\" >> "
             << (dir_ / "notifications.tsv").string() << "\n";
    }
    fs::permissions(dir_ / "record.sh", fs::perms::owner_all);
    std::ofstream conf(dir_ / "dunstrc");
    conf << "[global]\n    font = DejaVu Sans 10\n    width = 400\n    origin = top-right\n"
         << "[record_all]\n    appname = \"*\"\n    script = " << (dir_ / "record.sh").string() << "\n";
    conf.close();
    process_ = std::make_unique<Process>(std::vector<std::string>{"dunst", "-config", (dir_ / "dunstrc").string()},
                                         dir_ / "dunst.log");
    // Ready once it owns org.freedesktop.Notifications on the session bus.
    bool up = eventually(
        [] {
          auto r =
              run({"dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"});
          return r.out.find("boolean true") != std::string::npos;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(100));
    if (!up) FAIL("dunst did not start: " << process_->log());
  }
  ~Dunst() { process_->stop(); }

  std::vector<Notification> notifications() const {
    std::vector<Notification> out;
    std::ifstream in(dir_ / "notifications.tsv");
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      std::string part;
      while (std::getline(ss, part, '\t')) f.push_back(part);
      if (f.size() < 5) continue;
      out.push_back({std::stod(f[0]), f[1], f[2], f[3], f[4]});
    }
    return out;
  }
  std::optional<Notification> find(const std::string& summary) const {
    for (auto& n : notifications())
      if (n.summary == summary) return n;
    return std::nullopt;
  }

 private:
  fs::path dir_;
  std::unique_ptr<Process> process_;
};

inline fs::path shots_dir() {
  fs::path dir = HERALD_DESKTOP_SHOTS;
  fs::create_directories(dir);
  return dir;
}

// The whole X screen as a PNG (ImageMagick's import), as a person would see it.
inline fs::path screenshot(const std::string& name) {
  auto file = shots_dir() / (name + ".png");
  auto r = run({"import", "-window", "root", file.string()});
  INFO("import: " << r.err);
  REQUIRE(r.exit_code == 0);
  return file;
}

// The colour of one pixel of a PNG as "r,g,b".
inline std::string pixel(const fs::path& png, int x, int y) {
  auto r = run({"convert", png.string(), "-format",
                "%[fx:round(255*p{" + std::to_string(x) + "," + std::to_string(y) + "}.r)],%[fx:round(255*p{" +
                    std::to_string(x) + "," + std::to_string(y) + "}.g)],%[fx:round(255*p{" + std::to_string(x) + "," +
                    std::to_string(y) + "}.b)]",
                "info:"});
  return trim(r.out);
}

}  // namespace herald::testing
