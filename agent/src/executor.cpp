#include "herald/agent/executor.hpp"

#include <future>

#include "herald/common/log.hpp"

namespace herald::agent {

Executor::Executor() : thread_([this] { run(); }) {}

Executor::~Executor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Executor::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

Executor::TimerId Executor::schedule_at(Clock::time_point when, Task task) {
  TimerId id;
  {
    std::lock_guard lock(mutex_);
    id = next_timer_++;
    timers_.emplace(when, std::make_pair(id, std::move(task)));
  }
  wake_.notify_one();
  return id;
}

void Executor::cancel(TimerId id) {
  std::lock_guard lock(mutex_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

void Executor::drain() {
  std::promise<void> done;
  auto finished = done.get_future();
  post([&done] { done.set_value(); });
  finished.wait();
}

void Executor::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    Task task;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    } else if (!timers_.empty() && timers_.begin()->first <= Clock::now()) {
      task = std::move(timers_.begin()->second.second);
      timers_.erase(timers_.begin());
    } else if (!timers_.empty()) {
      // A copy: wait_until reads the deadline again after waking, and cancel() may
      // have erased that timer (and freed its key) while the lock was released.
      auto deadline = timers_.begin()->first;
      wake_.wait_until(lock, deadline);
      continue;
    } else {
      wake_.wait(lock);
      continue;
    }
    lock.unlock();
    // A failing task is one failed event (logged), never the end of the worker.
    try {
      task();
    } catch (const std::exception& e) {
      log::error(std::string("agent worker: ") + e.what());
    }
    task = nullptr;  // release captures outside the lock
    lock.lock();
  }
}

}  // namespace herald::agent
