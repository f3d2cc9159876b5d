// guestfs_h* wrapper. libguestfs handles are not thread-safe: every use of `g` happens with
// GfsState::mu held (on a worker), so calls on one handle are serialized while different handles
// run in parallel. TypeScript also queues calls per handle, so workers rarely wait on the mutex.
#pragma once
#include <guestfs.h>
#include <napi.h>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <cstring>
#include <string>
#include "worker.h"

namespace vk {

// Raises the calling thread's niceness by `add` for its lifetime (Linux nice is per thread).
struct ThreadNice {
  explicit ThreadNice(int add);
  ~ThreadNice();
  int prev = 0;
  bool changed = false;
};

struct GfsState {
  std::mutex mu;
  guestfs_h* g = nullptr;             // null once closed; read/written with mu held
  std::atomic<bool> closing{false};   // set on the main thread by close(): new calls refuse
  std::shared_ptr<Hub> hub;           // event delivery (any thread posts)
  uint64_t target = 0;                // the wrapper's id in the hub
  bool hasHandler = false;            // main thread only
  int eventHandle = -1;               // with mu held
  std::string marker;                 // on the appliance kernel command line, to find its qemu
  bool hookRegistered = false;        // main thread only
  std::atomic<int> launchNice{0};     // niceness the appliance starts with (added to ours)
};
using GfsStatePtr = std::shared_ptr<GfsState>;

// Runs `work(g, out)` on a worker with the handle locked. `work` returns false on failure, and the
// libguestfs error is captured before the lock is released (so it is this call's error).
template <typename T>
Napi::Value QueueGfs(Napi::Env env, Napi::Object owner, GfsStatePtr st, const char* what,
                     std::function<bool(guestfs_h*, T&)> work, typename CallJob<T>::Done done) {
  return Queue<T>(env, owner,
      [st, work, what](T& out, NativeError& e) {
        std::lock_guard<std::mutex> lock(st->mu);
        if (!st->g) { e.Usage("guestfs handle is closed"); return; }
        // The error handler is thread-local in libguestfs >= 1.38: silence it on this thread too.
        guestfs_set_error_handler(st->g, nullptr, nullptr);
        // qemu is forked by the thread that launches and inherits its niceness: lower this
        // thread's priority for the launch only, so appliances yield the CPU to the application.
        ThreadNice nice(std::strcmp(what, "launch") == 0 ? st->launchNice.load() : 0);
        if (!work(st->g, out)) {
          bool hasMessage = guestfs_last_error(st->g) != nullptr;
          e.CaptureGuestfs(st->g);
          // Some failures (e.g. a bad backend setting value) set no message: name the call.
          if (!hasMessage) e.message = std::string(what) + ": failed without an error message";
        }
      },
      std::move(done));
}

// One entry of the call table (guestfs_calls.cc + the generated native/generated/guestfs_table.h).
// `invoke` reads the JS arguments by `kinds` on the main thread (throwing on a wrong type) and
// returns the promise of the call; `thunk` makes the C call on a call thread, handle locked.
struct GfsCall;
struct GfsArgs;
struct GfsRet;
struct GfsOptDesc;
using GfsInvoker = Napi::Value (*)(Napi::Env env, Napi::Object owner, const GfsStatePtr& st,
                                   const Napi::Array& args, const GfsCall& call);
using GfsThunk = bool (*)(guestfs_h* g, GfsArgs& args, GfsRet& result);
struct GfsCall {
  const char* name;
  GfsInvoker invoke;
  GfsThunk thunk;
  const char* kinds;      // one letter per JS argument (see guestfs_calls.cc)
  const GfsOptDesc* opt;  // the optargs struct of a call with kind 'o'
};
// The table, sorted by name, terminated by an entry whose name is null.
extern const GfsCall kGfsCalls[];

class Guestfs : public Napi::ObjectWrap<Guestfs> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Guestfs(const Napi::CallbackInfo& info);
  ~Guestfs() override;
  // Main thread: hands an event to the JS handler, if there is one.
  void Emit(Napi::Env env, Napi::Object ev);

 private:
  GfsStatePtr Live(const Napi::CallbackInfo& info);
  void AddHook(Napi::Env env);
  void RemoveHook(Napi::Env env);
  Napi::Value Call(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value SetEventHandler(const Napi::CallbackInfo& info);
  Napi::Value SetEvents(const Napi::CallbackInfo& info);
  Napi::Value KillAppliance(const Napi::CallbackInfo& info);
  Napi::Value Marker(const Napi::CallbackInfo& info);
  Napi::Value SetLaunchNice(const Napi::CallbackInfo& info);

  GfsStatePtr st_;
};

}  // namespace vk
