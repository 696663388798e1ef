#pragma once
// One worker thread with a task queue and timers. Paho callbacks only post() here;
// every LMDB write, display and publish runs on this thread, in posting order.
// Sessions may share one Executor (the swarm runs ~250 agents on a few threads); the
// tasks of all its sessions then run serially, so a session needs no locks of its own.
// Idle costs nothing: the thread sleeps in condition_variable::wait_until on the
// earliest timer, or indefinitely.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace herald::agent {

class Executor {
 public:
  using Clock = std::chrono::system_clock;  // timers are wall-clock expiries
  using TimerId = std::uint64_t;
  using Task = std::function<void()>;

  Executor();
  ~Executor();  // stops the thread; tasks not yet run are dropped
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Thread-safe, never blocks for long: safe inside Paho callbacks.
  void post(Task task);
  // Runs `task` on the worker at or after `when`. Thread-safe.
  TimerId schedule_at(Clock::time_point when, Task task);
  void cancel(TimerId id);
  // Waits until every task posted before this call has run. Must not be called from
  // the worker thread itself.
  void drain();
  bool in_worker() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  std::multimap<Clock::time_point, std::pair<TimerId, Task>> timers_;
  TimerId next_timer_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace herald::agent
