#pragma once
// A program in a real pseudo-terminal, driven as a person drives it: a detached tmux
// session whose keys the test types (send-keys) and whose screen it reads back
// (capture-pane). Used for the interactive chats of `herald-agent chat` and `herald chat`.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/testing/fixture.hpp"

namespace herald::testing {

class Terminal {
 public:
  // Starts `argv` (no shell) in a new 200x50 tmux session with its own server socket
  // under `dir`. The session stays after the program exits, so its last screen and exit
  // status can still be read.
  Terminal(const fs::path& dir, const std::string& name, std::vector<std::string> argv,
           const std::map<std::string, std::string>& env = {});
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Types `text` literally, then Enter.
  void type_line(const std::string& text);
  void press_enter();
  void press_ctrl_d();
  // The whole screen and scroll-back, wrapped lines joined.
  std::string screen() const;
  // Waits until the screen shows `text` `times` times or more.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::size_t times = 1) const;
  // The program's exit status once it has exited (128 + N after signal N, as a shell
  // says); nullopt while it runs.
  std::optional<int> exit_status() const;
  bool wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  RunResult tmux(std::vector<std::string> args) const;
  fs::path socket_;
  std::string name_;
};

std::size_t count_of(const std::string& text, const std::string& needle);

}  // namespace herald::testing
