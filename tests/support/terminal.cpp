#include "herald/testing/terminal.hpp"

#include <fstream>
#include <stdexcept>

namespace herald::testing {
namespace {
constexpr std::string_view kExitedMarker = "[program exited with status ";
}  // namespace

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

Terminal::Terminal(const fs::path& dir, const std::string& name, std::vector<std::string> argv,
                   const std::map<std::string, std::string>& env)
    : socket_(dir / ("tmux-" + name + ".sock")), name_(name) {
  auto conf = dir / ("tmux-" + name + ".conf");
  {
    // remain-on-exit keeps the pane (its screen, its exit status) after the program ends.
    std::ofstream out(conf);
    out << "set -g remain-on-exit on\nset -g history-limit 10000\n";
  }
  std::vector<std::string> args = {"-f", conf.string(), "new-session", "-d", "-s", name_, "-x", "200", "-y", "50"};
  for (const auto& [k, v] : env) {
    args.push_back("-e");
    args.push_back(k + "=" + v);
  }
  // A shell waits for the program and prints its exit status: tmux marks a pane dead
  // when its terminal closes, but may reap the program itself much later.
  args.insert(args.end(), {"--", "sh", "-c", "\"$@\"; echo \"" + std::string(kExitedMarker) + "$?]\"", "sh"});
  for (auto& a : argv) args.push_back(std::move(a));
  auto r = tmux(args);
  if (r.exit_code != 0) throw std::runtime_error("tmux new-session failed: " + r.err);
}

Terminal::~Terminal() { tmux({"kill-server"}); }

RunResult Terminal::tmux(std::vector<std::string> args) const {
  std::vector<std::string> argv = {"tmux", "-u", "-S", socket_.string()};
  for (auto& a : args) argv.push_back(std::move(a));
  // A UTF-8 locale, so tmux draws the Polish letters of a line instead of '_'.
  return run(argv, {{"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"}}, "", std::chrono::seconds(10));
}

void Terminal::type_line(const std::string& text) {
  tmux({"send-keys", "-t", name_, "-l", text});
  press_enter();
}

void Terminal::press_enter() { tmux({"send-keys", "-t", name_, "Enter"}); }
void Terminal::press_ctrl_d() { tmux({"send-keys", "-t", name_, "C-d"}); }

std::string Terminal::screen() const {
  return tmux({"capture-pane", "-p", "-J", "-t", name_, "-S", "-", "-E", "-"}).out;
}

bool Terminal::wait_for(const std::string& text, std::chrono::milliseconds timeout, std::size_t times) const {
  return eventually([&] { return count_of(screen(), text) >= times; }, timeout, std::chrono::milliseconds(50));
}

std::optional<int> Terminal::exit_status() const {
  // The wrapping shell's last line (see the constructor).
  auto text = screen();
  auto at = text.rfind(kExitedMarker);
  if (at == std::string::npos) return std::nullopt;
  auto end = text.find(']', at);
  if (end == std::string::npos) return std::nullopt;
  return std::stoi(text.substr(at + kExitedMarker.size(), end - at - kExitedMarker.size()));
}

bool Terminal::wait_exit(std::chrono::milliseconds timeout) const {
  return eventually([&] { return exit_status().has_value(); }, timeout, std::chrono::milliseconds(50));
}

}  // namespace herald::testing
