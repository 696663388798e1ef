#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <vector>

#include "herald/agent/executor.hpp"

using namespace herald::agent;
using namespace std::chrono_literals;

TEST_CASE("tasks run in posting order on one thread; timers fire in time order; cancel works") {
  Executor ex;
  std::vector<int> order;
  std::mutex m;
  auto add = [&](int n) {
    std::lock_guard lock(m);
    order.push_back(n);
  };
  auto now = Executor::Clock::now();
  ex.schedule_at(now + 120ms, [&] { add(12); });
  ex.schedule_at(now + 60ms, [&] { add(11); });
  auto cancelled = ex.schedule_at(now + 80ms, [&] { add(99); });
  ex.cancel(cancelled);
  for (int i = 0; i < 5; ++i) ex.post([&, i] { add(i); });
  ex.post([] { throw std::runtime_error("a failing task does not stop the worker"); });
  ex.drain();
  {
    std::lock_guard lock(m);
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  }
  std::this_thread::sleep_for(200ms);
  ex.drain();
  std::lock_guard lock(m);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 11, 12});
}

TEST_CASE("a timer in the past runs at once; in_worker is true only on the worker") {
  Executor ex;
  std::promise<bool> on_worker;
  ex.schedule_at(Executor::Clock::now() - 1h, [&] { on_worker.set_value(ex.in_worker()); });
  auto f = on_worker.get_future();
  REQUIRE(f.wait_for(2s) == std::future_status::ready);
  CHECK(f.get());
  CHECK_FALSE(ex.in_worker());
}
