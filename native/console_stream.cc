// ConsoleStream (stream.h): a domain's console on a non-blocking stream read on the event loop
// thread; open, send and close are jobs.
#include "stream.h"
#include "domain.h"
#include <vector>

namespace vk {

// The wrapped Domain of argument i, as a reference of the caller's own.
DomainRef DomainArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject() || !info[i].As<Napi::Object>().InstanceOf(Data(info.Env())->domain.Value()))
    BadArg(info, i, "must be a Domain");
  return Domain::Unwrap(info[i].As<Napi::Object>())->Share(info);
}

namespace {

const napi_type_tag kConsoleTag = {0x76697274636f6e73ULL, 0x6f6c650000000001ULL};
constexpr size_t kConsoleRead = 64 << 10;       // one virStreamRecv
constexpr size_t kConsolePerEvent = 256 << 10;  // then let the loop serve others (libvirt re-fires)
constexpr int kTickMs = 250;

// A one-shot timer: the loop thread wakes now and re-reads every watch mask.
void Nudge() {
  virEventAddTimeout(0, [](int timer, void*) { virEventRemoveTimeout(timer); }, nullptr, nullptr);
}

struct ConsoleMsg final : Msg {
  enum Kind { kData, kEnd, kError } kind = kData;
  uint64_t target = 0;
  std::string data;
  NativeError err;
  void Deliver(Napi::Env env) override {
    auto* cs = static_cast<ConsoleStream*>(Data(env)->hub->Target(target));
    if (!cs) return;
    if (kind == kData) {
      cs->Emit(env, "data", Napi::Buffer<char>::Copy(env, data.data(), data.size()));
      return;
    }
    cs->Release();
    cs->Emit(env, kind == kEnd ? "end" : "error", kind == kEnd ? env.Undefined() : err.ToJS(env));
  }
};

void PostEnd(ConsoleState* s, ConsoleMsg* m) {
  s->done = true;
  s->hub->Post(m);
}

// Event loop thread, libvirt's stream lock not held.
void ConsoleEvent(virStreamPtr st, int events, void* opaque) {
  std::shared_ptr<ConsoleState> s = *static_cast<std::shared_ptr<ConsoleState>*>(opaque);
  if (s->done) return;
  {
    std::lock_guard<std::mutex> l(s->ev);
    if (!s->watching) return;
    if (!s->want) {
      // Backpressure: stop READABLE until JS resumes (libvirt keeps what arrives meanwhile).
      if (!s->parked && virStreamEventUpdateCallback(st, VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP) == 0) s->parked = true;
      else virResetLastError();
      return;
    }
  }
  static thread_local std::vector<char> buf(kConsoleRead);
  size_t total = 0;
  while (total < kConsolePerEvent) {
    int n = virStreamRecv(st, buf.data(), buf.size());
    if (n == -2) return;  // nothing more queued
    if (n > 0) {
      auto* m = new ConsoleMsg();
      m->target = s->target;
      m->data.assign(buf.data(), (size_t)n);
      s->hub->Post(m);
      total += (size_t)n;
      continue;
    }
    // EOF (the domain stopped, or another session took the console) or an error.
    auto* m = new ConsoleMsg();
    m->target = s->target;
    m->kind = n == 0 ? ConsoleMsg::kEnd : ConsoleMsg::kError;
    if (n < 0) m->err.CaptureVirt();
    {
      std::lock_guard<std::mutex> l(s->ev);
      if (s->watching && virStreamEventRemoveCallback(st) < 0) virResetLastError();
      s->watching = false;
    }
    PostEnd(s.get(), m);
    return;
  }
}

void FreeConsoleOpaque(void* opaque) { delete static_cast<std::shared_ptr<ConsoleState>*>(opaque); }

struct DropConsole final : Task {
  explicit DropConsole(std::shared_ptr<ConsoleState> s) : s_(std::move(s)) {}
  void Run() override {
    {
      std::lock_guard<std::mutex> l(s_->mu);
      s_->Close(false);
    }
    delete this;
  }
  std::shared_ptr<ConsoleState> s_;
};

}  // namespace

void ConsoleState::Close(bool graceful) {
  {
    std::lock_guard<std::mutex> l(ev);
    if (watching && st && virStreamEventRemoveCallback(st) < 0) virResetLastError();
    watching = false;
  }
  if (st) {
    // After EOF the daemon waits for the client's finish; anything else is an abort.
    if (graceful ? virStreamFinish(st) < 0 : virStreamAbort(st) < 0) {
      virResetLastError();
      if (graceful && virStreamAbort(st) < 0) virResetLastError();
    }
    virStreamFree(st);
    st = nullptr;
  }
  if (tick >= 0) {
    virEventRemoveTimeout(tick);
    tick = -1;
  }
  dom = DomainRef();
}

void ConsoleStream::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "ConsoleStream", {
      InstanceMethod("open", &ConsoleStream::Open),
      InstanceMethod("send", &ConsoleStream::Send),
      InstanceMethod("setWant", &ConsoleStream::SetWant),
      InstanceMethod("close", &ConsoleStream::Close),
      InstanceMethod("ref", &ConsoleStream::Ref),
      InstanceMethod("unref", &ConsoleStream::Unref),
  });
  exports.Set("ConsoleStream", f);
}

ConsoleStream::ConsoleStream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ConsoleStream>(info) {
  state_ = std::make_shared<ConsoleState>();
  hub_ = Data(info.Env())->hub;
  target_ = hub_->AddTarget(this);
  state_->hub = hub_;
  state_->target = target_;
  napi_type_tag_object(info.Env(), info.This(), &kConsoleTag);
}

// Collected, or the env is torn down: the console is aborted on a pool thread.
ConsoleStream::~ConsoleStream() {
  state_->done = true;
  hub_->RemoveTarget(target_);
  Release();
  Submit(new DropConsole(std::move(state_)));
}

void ConsoleStream::Release() {
  if (held_) hub_->Unhold();
  held_ = false;
}

void ConsoleStream::Emit(Napi::Env env, const char* kind, Napi::Value v) {
  Napi::Value fn = Value().Get("_onconsole");
  if (fn.IsFunction()) fn.As<Napi::Function>().Call(Value(), {Napi::String::New(env, kind), v});
}

// open(domain, devname | null, flags): virDomainOpenConsole on a new non-blocking stream.
Napi::Value ConsoleStream::Open(const Napi::CallbackInfo& info) {
  DomainRef d = DomainArg(info, 0);
  std::string dev;
  bool hasDev = ArgOptString(info, 1, &dev);
  unsigned int flags = ArgFlags(info, 2);
  std::shared_ptr<ConsoleState> s = state_;
  return Queue<int>(info.Env(), Self(info),
      [s, d, dev, hasDev, flags](int&, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        if (s->used) { e.Usage("a ConsoleStream is opened once"); return; }
        s->used = true;
        if (s->done) { e.Usage("the console was closed before it opened"); return; }
        virStreamPtr st = virStreamNew(virDomainGetConnect(d), VIR_STREAM_NONBLOCK);
        if (!st) { e.CaptureVirt(); return; }
        if (virDomainOpenConsole(d, hasDev ? dev.c_str() : nullptr, st, flags) < 0) {
          e.CaptureVirt();
          virStreamFree(st);
          return;
        }
        s->st = st;
        s->dom = d;
        auto* opaque = new std::shared_ptr<ConsoleState>(s);
        {
          std::lock_guard<std::mutex> g(s->ev);
          if (virStreamEventAddCallback(st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP,
                                        ConsoleEvent, opaque, FreeConsoleOpaque) < 0) {
            e.CaptureVirt();
            delete opaque;
          } else {
            s->watching = true;
          }
        }
        if (e.failed()) {
          s->Close(false);
          return;
        }
        s->tick = virEventAddTimeout(kTickMs, [](int, void*) {}, nullptr, nullptr);
        Nudge();
      },
      [](Napi::Env env, int&) { return env.Undefined(); });
}

// send(Buffer): the remote driver writes stream packets synchronously, so this is a job.
Napi::Value ConsoleStream::Send(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBuffer()) BadArg(info, 0, "must be a Buffer");
  auto b = info[0].As<Napi::Buffer<char>>();
  auto data = std::make_shared<std::string>(b.Data(), b.Length());
  std::shared_ptr<ConsoleState> s = state_;
  return Queue<int>(info.Env(), Owner(info),
      [s, data](int&, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        if (!s->st) { e.Usage("the console is not open"); return; }
        size_t off = 0;
        int idle = 0;
        while (off < data->size()) {
          size_t want = std::min(data->size() - off, kConsoleRead);
          int n = virStreamSend(s->st, data->data() + off, want);
          if (n == -2) {  // a driver that would block: wait a little (bounded)
            if (++idle > 500) { e.Usage("the console does not accept data"); return; }
            usleep(10000);
            continue;
          }
          if (n < 0) { e.CaptureVirt(); return; }
          off += (size_t)n;
        }
        Nudge();
      },
      [](Napi::Env env, int&) { return env.Undefined(); });
}

// setWant(bool): backpressure, no RPC. Turning data back on re-enables READABLE if it was parked.
Napi::Value ConsoleStream::SetWant(const Napi::CallbackInfo& info) {
  bool want = ArgBool(info, 0);
  std::lock_guard<std::mutex> l(state_->ev);
  state_->want = want;
  if (want && state_->parked && state_->watching && state_->st) {
    if (virStreamEventUpdateCallback(state_->st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP) < 0)
      virResetLastError();
    state_->parked = false;
  }
  return info.Env().Undefined();
}

// close(graceful): finish (after EOF) or abort, free. Idempotent.
Napi::Value ConsoleStream::Close(const Napi::CallbackInfo& info) {
  bool graceful = info.Length() > 0 && !info[0].IsUndefined() ? ArgBool(info, 0) : false;
  state_->done = true;
  Release();
  std::shared_ptr<ConsoleState> s = state_;
  return Queue<int>(info.Env(), Owner(info),
      [s, graceful](int&, NativeError&) {
        std::lock_guard<std::mutex> l(s->mu);
        s->Close(graceful);
      },
      [](Napi::Env env, int&) { return env.Undefined(); });
}

// ref()/unref(): whether the open console keeps Node's loop alive (like a socket).
Napi::Value ConsoleStream::Ref(const Napi::CallbackInfo& info) {
  if (!held_ && !state_->done) {
    hub_->Hold();
    held_ = true;
  }
  return info.Env().Undefined();
}
Napi::Value ConsoleStream::Unref(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace vk
