#include "call_pool.h"
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace vk {

namespace {

// Up to kEager threads start at once when calls are queued and none is free. Past that a
// monitor adds one thread at a time, only while the oldest queued call has waited kStarved:
// a burst of a thousand calls (which libvirtd serves a few at a time per connection anyway)
// does not start a thousand threads, and calls stuck on a hung daemon do not starve the rest.
constexpr size_t kEager = 8;
constexpr size_t kFloor = 4;      // threads kept even when idle
constexpr size_t kCeiling = 256;  // hard cap; past it calls wait in the queue
constexpr auto kIdleExit = std::chrono::seconds(20);
constexpr auto kStarved = std::chrono::milliseconds(20);

using Clock = std::chrono::steady_clock;

// Never destroyed: pool threads may still run while the process exits.
struct Pool {
  std::mutex mu;
  std::condition_variable cv, monitorCv;
  std::deque<std::pair<Task*, Clock::time_point>> queue;
  size_t threads = 0, idle = 0, running = 0;
  bool monitor = false;
};
Pool& P() {
  static Pool* p = new Pool();
  return *p;
}

void Loop() {
  Pool& p = P();
  std::unique_lock<std::mutex> l(p.mu);
  for (;;) {
    while (p.queue.empty()) {
      p.idle++;
      bool woke = p.cv.wait_for(l, kIdleExit, [&] { return !p.queue.empty(); });
      p.idle--;
      if (!woke && p.threads > kFloor) {
        p.threads--;
        return;
      }
    }
    Task* t = p.queue.front().first;
    p.queue.pop_front();
    p.running++;
    l.unlock();
    t->Run();
    l.lock();
    p.running--;
  }
}

bool Spawn(Pool& p) {  // with p.mu held
  try {
    std::thread(Loop).detach();
    p.threads++;
    return true;
  } catch (...) {
    return false;  // the existing threads still drain the queue
  }
}

// Wakes while calls wait with every thread inside a call; adds threads for the starved.
void Monitor() {
  Pool& p = P();
  std::unique_lock<std::mutex> l(p.mu);
  for (;;) {
    // Asleep until Submit finds every thread inside a call; then a look every kStarved.
    if (p.queue.empty() || p.threads - p.running > 0) {
      p.monitorCv.wait(l);
      continue;
    }
    p.monitorCv.wait_for(l, kStarved);
    if (p.queue.empty()) continue;
    bool starved = Clock::now() - p.queue.front().second >= kStarved;
    if (starved && p.threads - p.running == 0 && p.threads < kCeiling) Spawn(p);
  }
}

}  // namespace

void Submit(Task* t) {
  Pool& p = P();
  bool wake;
  {
    std::lock_guard<std::mutex> l(p.mu);
    p.queue.push_back({t, Clock::now()});
    // A thread not inside a call (idle, or on its way back to the queue) will take it.
    if (p.queue.size() > p.threads - p.running) {
      if (p.threads < kEager) {
        Spawn(p);
      } else if (p.monitor) {
        p.monitorCv.notify_one();
      } else {
        p.monitor = true;
        try {
          std::thread(Monitor).detach();
        } catch (...) {
          p.monitor = false;
        }
      }
    }
    wake = p.idle > 0;  // busy threads come back to the queue by themselves: no futex call
  }
  if (wake) p.cv.notify_one();
}

namespace {
struct Frees {
  std::mutex mu;
  std::vector<std::pair<void (*)(void*), void*>> items;
};
Frees& F() {
  static Frees* f = new Frees();
  return *f;
}
struct FreeBatch final : Task {
  void Run() override {
    for (;;) {
      std::vector<std::pair<void (*)(void*), void*>> batch;
      {
        std::lock_guard<std::mutex> l(F().mu);
        if (F().items.empty()) break;
        batch.swap(F().items);
      }
      for (auto& it : batch) it.first(it.second);
    }
    delete this;
  }
};
}  // namespace

void DeferFree(void (*fn)(void*), void* p) {
  bool first;
  {
    std::lock_guard<std::mutex> l(F().mu);
    first = F().items.empty();
    F().items.push_back({fn, p});
  }
  if (first) Submit(new FreeBatch());
}

PoolStats GetPoolStats() {
  Pool& p = P();
  std::lock_guard<std::mutex> l(p.mu);
  return {p.threads, p.idle, p.queue.size()};
}

}  // namespace vk
