// VolStream (stream.h): the shared state, the wrapper, open (virStorageVolUpload/Download) and
// the chunked operations, one job per call for Node streams. Whole-file transfers: vol_stream_file.cc.
#include "stream.h"
#include <functional>
#include <vector>

namespace vk {

static const napi_type_tag kVolStreamTag = {0x7669727473747265ULL, 0x616d766f6c000001ULL};

void StreamState::Close(bool abort) {
  if (st) {
    if (open && abort && virStreamAbort(st) < 0) virResetLastError();
    virStreamFree(st);
    st = nullptr;
  }
  open = false;
  vol = VolRef();
}
StreamState::~StreamState() { Close(true); }

// Drops a reference to the state on a pool thread: the last one aborts an open stream (an RPC).
struct DropState final : Task {
  explicit DropState(std::shared_ptr<StreamState> s) : s_(std::move(s)) {}
  void Run() override {
    {
      std::lock_guard<std::mutex> l(s_->mu);
      s_->Close(true);  // the wrapper is gone: nobody can finish this stream any more
    }
    delete this;
  }
  std::shared_ptr<StreamState> s_;
};

void VolStream::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "VolStream", {
      InstanceMethod("sendFile", &VolStream::SendFile),
      InstanceMethod("recvFile", &VolStream::RecvFile),
      InstanceMethod("send", &VolStream::Send),
      InstanceMethod("sendHole", &VolStream::SendHole),
      InstanceMethod("recv", &VolStream::Recv),
      InstanceMethod("finish", &VolStream::Finish),
      InstanceMethod("abort", &VolStream::Abort),
      InstanceMethod("cancel", &VolStream::Cancel),
  });
  exports.Set("VolStream", f);
  // Registered here so that addon.cc (registration only) needs no change for them.
  ConsoleStream::Init(env, exports);
  exports.Set("domainScreenshot", Napi::Function::New(env, DomainScreenshot, "domainScreenshot"));
}

VolStream::VolStream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VolStream>(info) {
  state_ = std::make_shared<StreamState>();
  hub_ = Data(info.Env())->hub;
  target_ = hub_->AddTarget(this);
  napi_type_tag_object(info.Env(), info.This(), &kVolStreamTag);
}

// Collected, or its env is torn down (a Worker terminated): a transfer still running stops at its
// next chunk and the stream is aborted (by that job, or by DropState once the job lets go).
VolStream::~VolStream() {
  state_->cancel = true;
  hub_->RemoveTarget(target_);
  Submit(new DropState(std::move(state_)));
}

VolStream* VolStream::From(const Napi::CallbackInfo& info, size_t i) {
  bool ok = false;
  if (i < info.Length() && info[i].IsObject())
    napi_check_object_type_tag(info.Env(), info[i], &kVolStreamTag, &ok);
  if (!ok) BadArg(info, i, "must be a VolStream");
  return Napi::ObjectWrap<VolStream>::Unwrap(info[i].As<Napi::Object>());
}

void VolStream::Progress(Napi::Env env, double bytes, double position) {
  Napi::Value fn = Value().Get("_onprogress");
  if (fn.IsFunction()) fn.As<Napi::Function>().Call(Value(), {Napi::Number::New(env, bytes), Napi::Number::New(env, position)});
}

// A job on the stream, with its lock held; `fn` reports failures through `e`.
static Napi::Value StreamOp(const Napi::CallbackInfo& info, std::shared_ptr<StreamState> s,
                            std::function<void(StreamState*, NativeError&)> fn) {
  return Queue<int>(info.Env(), Owner(info),
      [s, fn](int&, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        fn(s.get(), e);
      },
      [](Napi::Env env, int&) { return env.Undefined(); });
}

// ---- open: virStorageVolUpload / virStorageVolDownload ----

Napi::Value OpenVolStream(const Napi::CallbackInfo& info, VolRef vol, bool upload) {
  VolStream* vs = VolStream::From(info, 0);
  unsigned long long offset = ArgUint64(info, 1);
  unsigned long long length = ArgUint64(info, 2);
  unsigned int flags = ArgFlags(info, 3);
  std::shared_ptr<StreamState> s = vs->state();
  return StreamOp(info, s, [vol, upload, offset, length, flags](StreamState* s, NativeError& e) {
    if (s->used) { e.Usage("a VolStream is opened once"); return; }
    virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
    if (!st) { e.CaptureVirt(); return; }
    int r = upload ? virStorageVolUpload(vol, st, offset, length, flags)
                   : virStorageVolDownload(vol, st, offset, length, flags);
    if (r < 0) {
      e.CaptureVirt();
      virStreamFree(st);
      return;
    }
    s->st = st;
    s->vol = vol;
    s->open = true;
    s->used = true;
  });
}

// ---- chunked: one job per call; a failure aborts the stream ----

static Napi::Value Chunk(const Napi::CallbackInfo& info, std::shared_ptr<StreamState> s, std::function<int(virStreamPtr)> op) {
  return StreamOp(info, s, [op](StreamState* s, NativeError& e) {
    if (!s->open) { e.Usage("the stream is not open"); return; }
    if (op(s->st) < 0) {
      e.CaptureVirt();
      s->Close(true);
    }
  });
}

Napi::Value VolStream::Send(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBuffer()) BadArg(info, 0, "must be a Buffer");
  auto b = info[0].As<Napi::Buffer<char>>();
  auto data = std::make_shared<std::string>(b.Data(), b.Length());
  return Chunk(info, state_, [data](virStreamPtr st) -> int {
    size_t off = 0;
    while (off < data->size()) {
      size_t want = data->size() - off;
      if (want > (1 << 20)) want = 1 << 20;
      int n = virStreamSend(st, data->data() + off, want);
      if (n < 0) return -1;
      off += (size_t)n;
    }
    return 0;
  });
}

Napi::Value VolStream::SendHole(const Napi::CallbackInfo& info) {
  long long len = (long long)ArgUint64(info, 0);
  return Chunk(info, state_, [len](virStreamPtr st) { return virStreamSendHole(st, len, 0); });
}

Napi::Value VolStream::Finish(const Napi::CallbackInfo& info) {
  return StreamOp(info, state_, [](StreamState* s, NativeError& e) {
    if (!s->open) { e.Usage("the stream is not open"); return; }
    int r = virStreamFinish(s->st);
    if (r < 0) e.CaptureVirt();
    s->Close(r < 0);
  });
}

// Idempotent; resolves once the daemon has been told (or nothing was open).
Napi::Value VolStream::Abort(const Napi::CallbackInfo& info) {
  state_->cancel = true;
  return StreamOp(info, state_, [](StreamState* s, NativeError&) { s->Close(true); });
}

// No RPC: a whole-file transfer stops at its next chunk and aborts the stream.
Napi::Value VolStream::Cancel(const Napi::CallbackInfo& info) {
  state_->cancel = true;
  return info.Env().Undefined();
}

// recv(max, stopAtHole): a Buffer of data, a number (a hole of that many bytes), or null at EOF.
Napi::Value VolStream::Recv(const Napi::CallbackInfo& info) {
  unsigned int max = ArgFlags(info, 0);
  if (max == 0 || max > (16u << 20)) BadArg(info, 0, "is out of range");
  bool stopAtHole = ArgBool(info, 1);
  std::shared_ptr<StreamState> s = state_;
  struct Out { std::vector<char> data; long long hole = -1; bool eof = false; };
  return Queue<Out>(info.Env(), Owner(info),
      [s, max, stopAtHole](Out& r, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        if (!s->open) { e.Usage("the stream is not open"); return; }
        r.data.resize(max);
        int n = stopAtHole ? virStreamRecvFlags(s->st, r.data.data(), max, VIR_STREAM_RECV_STOP_AT_HOLE)
                           : virStreamRecv(s->st, r.data.data(), max);
        if (n == -3) {
          long long len = 0;
          if (virStreamRecvHole(s->st, &len, 0) < 0) n = -1;
          else { r.hole = len; r.data.clear(); return; }
        }
        if (n < 0) {
          e.CaptureVirt();
          s->Close(true);
          return;
        }
        r.data.resize((size_t)n);
        r.eof = n == 0;
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        if (r.hole >= 0) return Napi::Number::New(env, (double)r.hole);
        if (r.eof) return env.Null();
        return Napi::Buffer<char>::Copy(env, r.data.data(), r.data.size());
      });
}

}  // namespace vk
