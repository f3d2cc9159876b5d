// The one way back to JavaScript: one Hub per env. Pool threads and the event-loop thread post
// messages (finished calls, events); the main thread takes them in batches, one wake-up for all
// that are waiting, inside one callback scope (so promise reactions run right after). A batch is
// at most kBatch messages: the rest wait for the next turn of Node's loop, so that a thousand
// calls finishing together do not stall timers and I/O for the time all their callbacks take.
//
// The wake-up is a libuv async handle of our own, not a thread-safe function: Node dispatches a
// TSFN's queue up to 1000 times in one go, so capped batches would still run back to back while
// timers wait. An async handle signalled again from its own callback runs on the next turn.
//
// Teardown: an async cleanup hook marks the hub dead and closes the handle (Node waits for the
// close before it closes the loop); anything posted after that is deleted without touching
// N-API. Messages therefore keep raw napi handles and never free them in their destructors.
#pragma once
#include <napi.h>
#include <uv.h>
#include <memory>
#include <mutex>
#include <deque>
#include <unordered_map>
#include <vector>

namespace vk {

struct Msg {
  virtual ~Msg() = default;
  // Main thread, env alive, inside a handle scope and a callback scope.
  virtual void Deliver(Napi::Env env) = 0;
};

constexpr size_t kBatch = 32;

class Hub {
 public:
  // Creates the env's hub (addon init).
  static std::shared_ptr<Hub> Create(Napi::Env env);
  ~Hub();

  // Any thread. Takes ownership of m.
  void Post(Msg* m);
  // Main thread: a call is in flight / has settled. Keeps Node's loop alive while any is.
  void Hold();
  void Unhold();
  bool alive();

  // Main thread: event targets (wrappers that receive events) by id.
  uint64_t AddTarget(void* target);
  void RemoveTarget(uint64_t id);
  void* Target(uint64_t id);

  napi_env env() const { return env_; }

 private:
  Hub() = default;
  static void OnAsync(uv_async_t* a);
  static void Cleanup(napi_async_cleanup_hook_handle handle, void* arg);
  void Drain();

  napi_env env_ = nullptr;
  napi_async_context async_ctx_ = nullptr;
  uv_async_t* async_ = nullptr;  // main thread, except uv_async_send (with mu_, while alive_)
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  std::mutex mu_;
  std::deque<Msg*> queue_;    // with mu_
  bool alive_ = true;         // with mu_
  bool signalled_ = false;    // with mu_: a wake-up is on its way
  int holds_ = 0;             // main thread
  uint64_t nextTarget_ = 1;   // main thread
  std::unordered_map<uint64_t, void*> targets_;  // main thread
  std::shared_ptr<Hub>* self_ = nullptr;         // the reference the handle's close drops
};

}  // namespace vk
