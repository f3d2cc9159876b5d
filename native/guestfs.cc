#include "guestfs.h"
#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unordered_map>
#include <vector>
#include "handle.h"

namespace vk {

// ---- events: copied on the thread running the call, delivered by an unref'd TSFN ----

struct GfsEventMsg {
  uint64_t event = 0;
  std::string buf;
  std::vector<uint64_t> array;
};

static void DeliverEvent(Napi::Env env, Napi::Function fn, GfsEventMsg* m) {
  if (env != nullptr && fn != nullptr) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("event", Napi::Number::New(env, (double)m->event));
    if (m->event == GUESTFS_EVENT_PROGRESS && m->array.size() >= 4) {
      o.Set("procNr", U64(env, m->array[0]));
      o.Set("serial", U64(env, m->array[1]));
      o.Set("position", U64(env, m->array[2]));
      o.Set("total", U64(env, m->array[3]));
    } else {
      o.Set("buf", Napi::String::New(env, m->buf));
    }
    try {
      fn.Call({o});
    } catch (const Napi::Error&) {
      // A throwing listener must not take the process down from a native callback.
    }
  }
  delete m;
}

static void OnEvent(guestfs_h*, void* opaque, uint64_t event, int, int, const char* buf, size_t len,
                    const uint64_t* array, size_t alen) {
  auto* st = static_cast<GfsState*>(opaque);
  if (st->envGone) return;
  auto* m = new GfsEventMsg();
  m->event = event;
  if (buf) m->buf.assign(buf, len);
  if (array) m->array.assign(array, array + alen);
  if (st->tsfn.NonBlockingCall(m, DeliverEvent) != napi_ok) delete m;
}

// ---- env teardown (process exit, worker thread end) with the handle still open ----

static void EnvCleanup(void* arg) {
  auto* st = static_cast<GfsState*>(arg);
  st->hookRegistered = false;
  st->envGone = true;
  st->hasTsfn = false;  // Node disposes of the TSFN itself now
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
  if (st_->hasTsfn) st_->tsfn.Release();
  st_->hasTsfn = false;
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
      [this, st](Napi::Env env, int&) -> Napi::Value {
        RemoveHook(env);
        // No event can fire once the handle is gone.
        std::lock_guard<std::mutex> lock(st->mu);
        if (!st->g && st->hasTsfn) {
          st->tsfn.Release();
          st->hasTsfn = false;
        }
        return env.Undefined();
      });
}

Napi::Value Guestfs::SetEventHandler(const Napi::CallbackInfo& info) {
  Live(info);
  if (st_->hasTsfn) ThrowUsage(info.Env(), "event handler is already set");
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowUsage(info.Env(), "argument 0 must be a function");
  st_->tsfn = Napi::ThreadSafeFunction::New(info.Env(), info[0].As<Napi::Function>(), "virtkit-guestfs-events", 0, 1);
  st_->tsfn.Unref(info.Env());  // never keeps Node alive
  st_->hasTsfn = true;
  // Re-register so our hook runs before the TSFN's own teardown (hooks run in reverse order).
  RemoveHook(info.Env());
  AddHook(info.Env());
  return info.Env().Undefined();
}

// setEvents(mask): which GUESTFS_EVENT_* reach the handler (0: none). Touches g, so a worker.
Napi::Value Guestfs::SetEvents(const Napi::CallbackInfo& info) {
  GfsStatePtr st = Live(info);
  uint64_t mask = (uint64_t)ArgInt64(info, 0) & GUESTFS_EVENT_ALL;
  if (mask && !st->hasTsfn) ThrowUsage(info.Env(), "setEventHandler must be called first");
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

Napi::Value Guestfs::Marker(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), st_->marker);
}

}  // namespace vk
