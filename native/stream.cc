#include "stream.h"
#include "domain.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>  // Node's own OpenSSL (its headers and exported symbols): no extra library
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <chrono>
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

struct ProgressMsg final : Msg {
  uint64_t target = 0;
  double bytes = 0, position = 0;
  void Deliver(Napi::Env env) override {
    auto* vs = static_cast<VolStream*>(Data(env)->hub->Target(target));
    if (vs) vs->Progress(env, bytes, position);
  }
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

// ---- whole-file transfers ----

namespace {

constexpr size_t kZeroLen = 1 << 20;
const char* Zeros() {
  static const std::vector<char>* z = new std::vector<char>(kZeroLen, 0);
  return z->data();
}

struct FileCtx {
  int fd = -1;
  StreamState* s = nullptr;
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  EVP_MD_CTX* sha = nullptr;
  unsigned long long bytes = 0, position = 0;
  unsigned long long limit = 0;  // upload: read at most this many bytes of the file (0: all)
  std::chrono::steady_clock::time_point last{};
  bool holeSeen = false;  // see InData
  int ioErr = 0;
  const char* ioWhat = nullptr;
  bool cancelled = false;

  bool Stop() {
    if (s->cancel.load()) cancelled = true;
    return cancelled;
  }
  void Io(const char* what) {
    ioErr = errno;
    ioWhat = what;
  }
  void Data(const char* d, size_t n) {
    if (sha) EVP_DigestUpdate(sha, d, n);
    bytes += n;
    position += n;
    Report();
  }
  void Hole(long long n) {
    if (sha)
      for (long long left = n; left > 0;) {
        size_t k = left > (long long)kZeroLen ? kZeroLen : (size_t)left;
        EVP_DigestUpdate(sha, Zeros(), k);
        left -= k;
      }
    position += n;
    Report();
  }
  void Report() {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    auto* m = new ProgressMsg();
    m->target = target;
    m->bytes = (double)bytes;
    m->position = (double)position;
    hub->Post(m);
  }
};

int Source(virStreamPtr, char* data, size_t n, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (c->limit) {
    if (c->position >= c->limit) return 0;
    if (n > c->limit - c->position) n = (size_t)(c->limit - c->position);
  }
  ssize_t r;
  do r = read(c->fd, data, n); while (r < 0 && errno == EINTR);
  if (r < 0) { c->Io("read"); return -1; }
  c->Data(data, (size_t)r);
  return (int)r;
}

// Where the file's current section ends (SEEK_DATA/SEEK_HOLE), as virsh does it.
int InData(virStreamPtr, int* inData, long long* length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  off_t cur = lseek(c->fd, 0, SEEK_CUR);
  if (cur < 0) { c->Io("lseek"); return -1; }
  off_t data = lseek(c->fd, cur, SEEK_DATA);
  if (data < 0) {
    if (errno != ENXIO) { c->Io("lseek"); return -1; }
    // A hole up to the end, or the end itself.
    off_t end = lseek(c->fd, 0, SEEK_END);
    if (end < 0) { c->Io("lseek"); return -1; }
    *inData = 0;
    *length = end > cur ? end - cur : 0;
  } else if (data > cur) {
    *inData = 0;
    *length = data - cur;
  } else {
    off_t hole = lseek(c->fd, cur, SEEK_HOLE);
    if (hole < 0) { c->Io("lseek"); return -1; }
    *inData = 1;
    *length = hole - cur;
  }
  if (lseek(c->fd, cur, SEEK_SET) < 0) { c->Io("lseek"); return -1; }
  if (c->limit) {
    unsigned long long left = (unsigned long long)cur >= c->limit ? 0 : c->limit - (unsigned long long)cur;
    if ((unsigned long long)*length > left) *length = (long long)left;
    if (left == 0) *inData = 0;
  }
  // libvirtd (seen on 9.0, also with virsh vol-upload --sparse) writes the first hole of a sparse
  // upload out as zeroes: make that first hole one byte, so the real one stays a hole.
  if (!*inData && *length > 1 && !c->holeSeen) *length = 1;
  if (!*inData && *length > 0) c->holeSeen = true;
  return 0;
}

int Skip(virStreamPtr, long long length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (lseek(c->fd, length, SEEK_CUR) < 0) { c->Io("lseek"); return -1; }
  c->Hole(length);
  return 0;
}

int Sink(virStreamPtr, const char* data, size_t n, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(c->fd, data + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { c->Io("write"); return -1; }
    done += (size_t)r;
  }
  c->Data(data, n);
  return (int)n;
}

int SinkHole(virStreamPtr, long long length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (lseek(c->fd, length, SEEK_CUR) < 0) { c->Io("lseek"); return -1; }
  c->Hole(length);
  return 0;
}

struct FileResult {
  unsigned long long bytes = 0, position = 0;
  std::string sha256;
  int ioErr = 0;
  std::string ioWhat;
  bool cancelled = false;
};

std::string Hex(const unsigned char* d, size_t n) {
  static const char* x = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) { s += x[d[i] >> 4]; s += x[d[i] & 15]; }
  return s;
}

}  // namespace

// sendFile(path, sparse, sha256[, limit]) / recvFile(path, sparse, sha256): the whole transfer, then
// finish; abort on any failure. Resolves { bytes, position, sha256? }; an I/O error on the file
// rejects with native 'io' (errno, syscall); cancel() rejects with native 'cancelled'.
static Napi::Value FileTransfer(const Napi::CallbackInfo& info, std::shared_ptr<StreamState> s,
                                std::shared_ptr<Hub> hub, uint64_t target, bool upload) {
  std::string path = ArgString(info, 0);
  bool sparse = ArgBool(info, 1);
  bool wantSha = ArgBool(info, 2);
  unsigned long long limit = upload && info.Length() > 3 && !info[3].IsUndefined() ? ArgUint64(info, 3) : 0;
  return Queue<FileResult>(info.Env(), Self(info),
      [s, hub, target, path, sparse, wantSha, upload, limit](FileResult& r, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        if (!s->open) { e.Usage("the stream is not open"); return; }
        FileCtx c;
        c.s = s.get();
        c.hub = hub;
        c.target = target;
        c.limit = limit;
        c.last = std::chrono::steady_clock::now();
        c.fd = upload ? open(path.c_str(), O_RDONLY | O_CLOEXEC) : open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (c.fd < 0) {
          c.Io("open");
        } else {
          if (wantSha) {
            c.sha = EVP_MD_CTX_new();
            if (c.sha && EVP_DigestInit_ex(c.sha, EVP_sha256(), nullptr) != 1) {
              EVP_MD_CTX_free(c.sha);
              c.sha = nullptr;
            }
          }
          int rc;
          if (upload)
            rc = sparse ? virStreamSparseSendAll(s->st, Source, InData, Skip, &c) : virStreamSendAll(s->st, Source, &c);
          else
            rc = sparse ? virStreamSparseRecvAll(s->st, Sink, SinkHole, &c) : virStreamRecvAll(s->st, Sink, &c);
          if (rc == 0 && !upload) {
            // A trailing hole only moved the offset: give the file its full length.
            struct stat sb;
            if (fstat(c.fd, &sb) == 0 && S_ISREG(sb.st_mode) && (off_t)c.position > sb.st_size &&
                ftruncate(c.fd, (off_t)c.position) < 0) {
              c.Io("ftruncate");
              rc = -1;
            }
          }
          if (rc == 0) {
            rc = virStreamFinish(s->st);
            if (rc < 0) e.CaptureVirt();
            s->Close(rc < 0);
          } else {
            if (!c.ioErr && !c.cancelled) e.CaptureVirt();
            s->Close(true);
          }
          if (close(c.fd) < 0 && !upload && !e.failed() && !c.ioErr) c.Io("close");
        }
        if (c.sha) {
          unsigned char out[EVP_MAX_MD_SIZE];
          unsigned int len = 0;
          if (EVP_DigestFinal_ex(c.sha, out, &len) == 1) r.sha256 = Hex(out, len);
          EVP_MD_CTX_free(c.sha);
        }
        if (c.fd < 0 || c.ioErr) s->Close(true);
        r.bytes = c.bytes;
        r.position = c.position;
        r.ioErr = c.ioErr;
        r.ioWhat = c.ioWhat ? c.ioWhat : "";
        r.cancelled = c.cancelled;
      },
      [path](Napi::Env env, FileResult& r) -> Napi::Value {
        if (r.cancelled || r.ioErr) {
          Napi::Error err = Napi::Error::New(env, r.cancelled ? std::string("the transfer was cancelled")
                                                              : r.ioWhat + " " + path + ": " + strerror(r.ioErr));
          err.Value().Set("native", r.cancelled ? "cancelled" : "io");
          if (r.ioErr) {
            err.Value().Set("errno", r.ioErr);
            err.Value().Set("syscall", r.ioWhat);
            err.Value().Set("path", path);
          }
          throw err;
        }
        Napi::Object o = Napi::Object::New(env);
        o.Set("bytes", U64(env, r.bytes));
        o.Set("position", U64(env, r.position));
        if (!r.sha256.empty()) o.Set("sha256", r.sha256);
        return o;
      });
}

Napi::Value VolStream::SendFile(const Napi::CallbackInfo& info) { return FileTransfer(info, state_, hub_, target_, true); }
Napi::Value VolStream::RecvFile(const Napi::CallbackInfo& info) { return FileTransfer(info, state_, hub_, target_, false); }

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

// ---- console ----

namespace {

const napi_type_tag kConsoleTag = {0x76697274636f6e73ULL, 0x6f6c650000000001ULL};
constexpr size_t kConsoleRead = 64 << 10;       // one virStreamRecv
constexpr size_t kConsolePerEvent = 256 << 10;  // then let the loop serve others (libvirt re-fires)
constexpr int kTickMs = 250;

// The wrapped Domain of argument i, as a reference of the caller's own.
DomainRef DomainArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject() || !info[i].As<Napi::Object>().InstanceOf(Data(info.Env())->domain.Value()))
    BadArg(info, i, "must be a Domain");
  return Domain::Unwrap(info[i].As<Napi::Object>())->Share(info);
}

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

// ---- screenshot ----

// domainScreenshot(domain, screen, flags): one job: virDomainScreenshot, the stream read to its
// end (blocking, on the call thread), finish. Resolves { mime, data }.
Napi::Value DomainScreenshot(const Napi::CallbackInfo& info) {
  DomainRef d = DomainArg(info, 0);
  unsigned int screen = ArgFlags(info, 1);
  unsigned int flags = ArgFlags(info, 2);
  struct Out {
    std::string mime;
    std::string data;
  };
  constexpr size_t kMax = 256u << 20;  // a screen is a few MiB; refuse a runaway stream
  return Queue<Out>(info.Env(), Owner(info),
      [d, screen, flags](Out& r, NativeError& e) {
        virStreamPtr st = virStreamNew(virDomainGetConnect(d), 0);
        if (!st) { e.CaptureVirt(); return; }
        char* mime = virDomainScreenshot(d, st, screen, flags);
        if (!mime) {
          e.CaptureVirt();
          virStreamFree(st);
          return;
        }
        r.mime = TakeString(mime);
        std::vector<char> buf(256 << 10);
        for (;;) {
          int n = virStreamRecv(st, buf.data(), buf.size());
          if (n < 0) {
            e.CaptureVirt();
            if (virStreamAbort(st) < 0) virResetLastError();
            break;
          }
          if (n == 0) {
            if (virStreamFinish(st) < 0) e.CaptureVirt();
            break;
          }
          r.data.append(buf.data(), (size_t)n);
          if (r.data.size() > kMax) {
            e.Usage("the screenshot stream is larger than 256 MiB");
            if (virStreamAbort(st) < 0) virResetLastError();
            break;
          }
        }
        virStreamFree(st);
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("mime", r.mime);
        o.Set("data", Napi::Buffer<char>::Copy(env, r.data.data(), r.data.size()));
        return o;
      });
}

}  // namespace vk
