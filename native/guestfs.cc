#include "guestfs.h"
#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unordered_map>
#include <vector>
#include "worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>

namespace vk {

ThreadNice::ThreadNice(int add) {
  if (add <= 0) return;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  errno = 0;
  prev = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  changed = setpriority(PRIO_PROCESS, tid, std::min(19, prev + add)) == 0;
}
ThreadNice::~ThreadNice() {
  // Going back down needs CAP_SYS_NICE when we are not root; the thread then stays nicer.
  if (changed) setpriority(PRIO_PROCESS, (pid_t)syscall(SYS_gettid), prev);
}

// ---- events: copied on the thread running the call, delivered through the env's hub ----

struct GfsEventMsg final : Msg {
  uint64_t target = 0;
  uint64_t event = 0;
  std::string buf;
  std::vector<uint64_t> array;
  void Deliver(Napi::Env env) override {
    auto* w = static_cast<Guestfs*>(Data(env)->hub->Target(target));
    if (!w) return;
    Napi::Object o = Napi::Object::New(env);
    o.Set("event", Napi::Number::New(env, (double)event));
    if (event == GUESTFS_EVENT_PROGRESS && array.size() >= 4) {
      o.Set("procNr", U64(env, array[0]));
      o.Set("serial", U64(env, array[1]));
      o.Set("position", U64(env, array[2]));
      o.Set("total", U64(env, array[3]));
    } else {
      o.Set("buf", Napi::String::New(env, buf));
    }
    try {
      w->Emit(env, o);
    } catch (const Napi::Error&) {
      // A throwing listener must not take the process down from a native callback.
    }
  }
};

static void OnEvent(guestfs_h*, void* opaque, uint64_t event, int, int, const char* buf, size_t len,
                    const uint64_t* array, size_t alen) {
  auto* st = static_cast<GfsState*>(opaque);
  auto* m = new GfsEventMsg();
  m->target = st->target;
  m->event = event;
  if (buf) m->buf.assign(buf, len);
  if (array) m->array.assign(array, array + alen);
  st->hub->Post(m);  // dropped once the env is gone
}

void Guestfs::Emit(Napi::Env env, Napi::Object ev) {
  Napi::Value fn = Value().Get("_onevent");
  if (fn.IsFunction()) fn.As<Napi::Function>().Call(Value(), {ev});
}

// ---- env teardown (process exit, worker thread end) with the handle still open ----

static void EnvCleanup(void* arg) {
  auto* st = static_cast<GfsState*>(arg);
  st->hookRegistered = false;
  // Close now unless a call is running (then libguestfs' own atexit handler closes it).
  if (st->mu.try_lock()) {
    if (st->g) {
      if (st->eventHandle >= 0) guestfs_delete_event_callback(st->g, st->eventHandle);
      guestfs_set_error_handler(st->g, nullptr, nullptr);
      guestfs_close(st->g);
    }
    st->g = nullptr;
    st->mu.unlock();
  }
}

void Guestfs::AddHook(Napi::Env env) {
  if (napi_add_env_cleanup_hook(env, EnvCleanup, st_.get()) == napi_ok) st_->hookRegistered = true;
}
void Guestfs::RemoveHook(Napi::Env env) {
  if (st_->hookRegistered) napi_remove_env_cleanup_hook(env, EnvCleanup, st_.get());
  st_->hookRegistered = false;
}

// ---- class ----

static const std::unordered_map<std::string, const GfsCall*>& CallMap() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string, const GfsCall*>();
    for (const GfsCall* c = kGfsCalls; c->name; c++) (*m)[c->name] = c;
    return m;
  }();
  return *map;
}

void Guestfs::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Guestfs", {
      InstanceMethod("call", &Guestfs::Call),
      InstanceMethod("has", &Guestfs::Has),
      InstanceMethod("close", &Guestfs::Close),
      InstanceMethod("isClosed", &Guestfs::IsClosed),
      InstanceMethod("setEventHandler", &Guestfs::SetEventHandler),
      InstanceMethod("setEvents", &Guestfs::SetEvents),
      InstanceMethod("killAppliance", &Guestfs::KillAppliance),
      InstanceMethod("marker", &Guestfs::Marker),
      InstanceMethod("setLaunchNice", &Guestfs::SetLaunchNice),
  });
  Data(env)->guestfs = Napi::Persistent(f);
  exports.Set("Guestfs", f);
  std::vector<std::string> names;
  for (const GfsCall* c = kGfsCalls; c->name; c++) names.push_back(c->name);
  exports.Set("guestfsCalls", ToArray(env, names));
}

Guestfs::Guestfs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Guestfs>(info) {
  // Environment parsing stays on (LIBGUESTFS_BACKEND, LIBGUESTFS_DEBUG...); TS sets what it needs.
  guestfs_h* g = guestfs_create_flags(0);
  if (!g) ThrowUsage(info.Env(), "cannot create a libguestfs handle");
  // Errors become rejections; nothing is printed on stderr.
  guestfs_set_error_handler(g, nullptr, nullptr);
  st_ = std::make_shared<GfsState>();
  st_->g = g;
  st_->hub = Data(info.Env())->hub;
  st_->target = st_->hub->AddTarget(this);
  // A unique kernel argument identifies this handle's qemu in /proc (see KillAppliance).
  static std::atomic<unsigned> counter{0};
  st_->marker = "virtkit.gfs=" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  guestfs_set_append(g, st_->marker.c_str());
  AddHook(info.Env());
}

Guestfs::~Guestfs() {
  // Fallback for a handle never closed. No call can be running: workers keep this object alive.
  RemoveHook(Env());
  {
    std::lock_guard<std::mutex> lock(st_->mu);
    if (st_->g) guestfs_close(st_->g);
    st_->g = nullptr;
  }
  st_->hub->RemoveTarget(st_->target);
}

GfsStatePtr Guestfs::Live(const Napi::CallbackInfo& info) {
  if (st_->closing) ThrowUsage(info.Env(), "guestfs handle is closed");
  return st_;
}

Napi::Value Guestfs::Call(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0);
  auto it = CallMap().find(name);
  if (it == CallMap().end()) ThrowUsage(info.Env(), "unknown libguestfs call: " + name);
  Napi::Array args = Napi::Array::New(info.Env());
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsArray()) ThrowUsage(info.Env(), "argument 1 must be an array");
    args = info[1].As<Napi::Array>();
  }
  GfsStatePtr st = Live(info);
  return it->second->invoke(info.Env(), info.This().As<Napi::Object>(), st, args, *it->second);
}

Napi::Value Guestfs::Has(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), CallMap().count(ArgString(info, 0)) > 0);
}

Napi::Value Guestfs::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), st_->closing.load());
}

Napi::Value Guestfs::Close(const Napi::CallbackInfo& info) {
  GfsStatePtr st = st_;
  bool already = st->closing.exchange(true);
  // guestfs_close waits for qemu to exit: a worker, after any call already queued on the lock.
  return Queue<int>(info.Env(), info.This().As<Napi::Object>(),
      [st, already](int&, NativeError&) {
        if (already) return;
        std::lock_guard<std::mutex> lock(st->mu);
        if (st->g) {
          guestfs_set_error_handler(st->g, nullptr, nullptr);
          guestfs_close(st->g);
        }
        st->g = nullptr;
      },
      [this](Napi::Env env, int&) -> Napi::Value {
        RemoveHook(env);
        return env.Undefined();
      });
}

Napi::Value Guestfs::SetEventHandler(const Napi::CallbackInfo& info) {
  Live(info);
  if (st_->hasHandler) ThrowUsage(info.Env(), "event handler is already set");
  if (info.Length() < 1 || !info[0].IsFunction()) BadArg(info, 0, "must be a function");
  // A property, not a persistent reference: an unreferenced handle can still be collected.
  Value().Set("_onevent", info[0]);
  st_->hasHandler = true;
  return info.Env().Undefined();
}

// setEvents(mask): which GUESTFS_EVENT_* reach the handler (0: none). Touches g, so a worker.
Napi::Value Guestfs::SetEvents(const Napi::CallbackInfo& info) {
  GfsStatePtr st = Live(info);
  uint64_t mask = (uint64_t)ArgInt64(info, 0) & GUESTFS_EVENT_ALL;
  if (mask && !st->hasHandler) ThrowUsage(info.Env(), "setEventHandler must be called first");
  return QueueGfs<int>(info.Env(), info.This().As<Napi::Object>(), st, "set_event_callback",
      [st, mask](guestfs_h* g, int&) {
        if (st->eventHandle >= 0) guestfs_delete_event_callback(g, st->eventHandle);
        st->eventHandle = -1;
        if (!mask) return true;
        st->eventHandle = guestfs_set_event_callback(g, OnEvent, mask, 0, st.get());
        return st->eventHandle >= 0;
      },
      nullptr);
}

// Kills this handle's qemu (found by the marker on its command line), without the handle lock:
// the way to stop a launch that hangs, or to abort a long call. Returns how many were signalled.
Napi::Value Guestfs::KillAppliance(const Napi::CallbackInfo& info) {
  int killed = 0;
  DIR* d = opendir("/proc");
  if (d) {
    while (dirent* ent = readdir(d)) {
      char* end;
      long pid = strtol(ent->d_name, &end, 10);
      if (*end || pid <= 0 || pid == getpid()) continue;
      std::ifstream f(std::string("/proc/") + ent->d_name + "/cmdline", std::ios::binary);
      std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      // Match the whole argument word, so "-1" does not match "-12".
      std::string m = st_->marker;
      for (size_t pos = cmd.find(m); pos != std::string::npos; pos = cmd.find(m, pos + 1)) {
        size_t after = pos + m.size();
        if (after == cmd.size() || cmd[after] == ' ' || cmd[after] == '\0') {
          if (kill((pid_t)pid, SIGKILL) == 0) killed++;
          break;
        }
      }
    }
    closedir(d);
  }
  return Napi::Number::New(info.Env(), killed);
}

// setLaunchNice(n): the appliance's qemu starts n steps nicer than this process (0-19).
Napi::Value Guestfs::SetLaunchNice(const Napi::CallbackInfo& info) {
  st_->launchNice = (int)IntegerNumber(info, 0, 0, 19);
  return info.Env().Undefined();
}

Napi::Value Guestfs::Marker(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), st_->marker);
}

}  // namespace vk
