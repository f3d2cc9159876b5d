// virtkit's own call threads. Every blocking libvirt/libguestfs call runs here, never on libuv's
// pool, so a hung daemon or a 15 s appliance launch cannot stall the application's fs, dns or
// crypto, whatever UV_THREADPOOL_SIZE says.
//
// The pool is process-wide and outlives every env (the addon is linked -z nodelete, so its code
// stays mapped after a Worker unloads it). It grows when every thread is busy (a call blocked on
// a hung daemon must not starve the others) and idle threads above the floor exit after a while.
#pragma once
#include <cstddef>

namespace vk {

struct Task {
  virtual ~Task() = default;
  // Runs on a pool thread; owns itself from then on (deletes itself or hands itself on).
  virtual void Run() = 0;
};

// Queues `t` (thread-safe). Never blocks.
void Submit(Task* t);

// Calls fn(p) on a pool thread; many at once share one task (see handle.h).
void DeferFree(void (*fn)(void*), void* p);

struct PoolStats {
  size_t threads, idle, queued;
};
PoolStats GetPoolStats();

}  // namespace vk
