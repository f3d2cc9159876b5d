#include "call_pool.h"
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <algorithm>
#include <vector>

namespace vk {

namespace {

// Up to kEager threads start at once when calls are queued and none is free. Past that a
// monitor adds up to 4 threads at a time, only while the oldest queued call has waited kStarved:
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
  size_t waking = 0;  // idle threads already signalled: one wake-up per thread, not per call
  bool monitor = false;
  bool monitorParked = false;  // asleep until told: Submit wakes it once, not per call
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
      // No predicate: every return (signal, spurious, timeout) consumes one pending wake-up, so
      // `waking` never counts a thread that went back to sleep.
      bool timedOut = p.cv.wait_for(l, kIdleExit) == std::cv_status::timeout;
      p.idle--;
      if (p.waking > 0) p.waking--;
      if (timedOut && p.queue.empty() && p.threads > kFloor) {
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
    // Asleep while nothing waits; a look every kStarved while calls wait.
    if (p.queue.empty()) {
      p.monitorParked = true;
      p.monitorCv.wait(l);
      p.monitorParked = false;
      continue;
    }
    p.monitorCv.wait_for(l, kStarved);
    if (p.queue.empty() || p.threads - p.running > 0) continue;
    if (Clock::now() - p.queue.front().second < kStarved) continue;
    // Starved: up to 4 more at a time (40 calls stuck on a hung daemon need 40 threads).
    for (size_t i = 0, n = std::min<size_t>(4, p.queue.size()); i < n && p.threads < kCeiling; i++) Spawn(p);
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
        if (p.monitorParked) {
          p.monitorParked = false;
          p.monitorCv.notify_one();
        }
      } else {
        p.monitor = true;
        try {
          std::thread(Monitor).detach();
        } catch (...) {
          p.monitor = false;
        }
      }
    }
    // Busy threads come back to the queue by themselves, and a signalled thread takes every call
    // it finds: wake another only while idle threads outnumber those already woken.
    wake = p.idle > p.waking;
    if (wake) p.waking++;
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
