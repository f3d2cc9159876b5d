// virStreamPtr wrappers: volume upload/download (virStorageVolUpload/Download, VolStream:
// vol_stream.cc, whole-file jobs in vol_stream_file.cc), a domain's console (virDomainOpenConsole,
// ConsoleStream, below: console_stream.cc) and screenshots (screenshot.cc).
//
// A VolStream is made empty by JS (`new VolStream()`, no RPC), then opened by
// StorageVol.upload/download(stream, offset, length, flags). Every operation is a queued job on a
// virtkit call thread using libvirt's blocking stream calls, one at a time per stream (a mutex in
// the shared state). Two ways to move the bytes:
//   - sendFile/recvFile(path, sparse, sha256): the whole transfer in one job, reading/writing the
//     fd (virStream[Sparse]SendAll/RecvAll; holes found with SEEK_DATA/SEEK_HOLE), progress
//     posted through the hub, cancel() honoured between chunks, finish or abort at the end;
//   - send/sendHole/recv/finish/abort: one chunk per job, for Node streams.
// A stream left open (not finished, not aborted) when its wrapper is collected is aborted and
// freed on a pool thread: no RPC on the main thread, no stream left open in the daemon.
#pragma once
#include <atomic>
#include <mutex>
#include "virt_calls.h"

namespace vk {

struct StreamState {
  std::mutex mu;                  // one operation at a time (jobs run on any call thread)
  virStreamPtr st = nullptr;      // with mu; owned
  VolRef vol;                     // with mu; the volume for the stream's lifetime
  bool open = false;              // with mu: Upload/Download started, not finished or aborted
  bool used = false;              // with mu: opened once already
  std::atomic<bool> cancel{false};
  // Aborts an open stream and frees it. With mu held. Pool threads only (RPC).
  void Close(bool abort);
  ~StreamState();
};

class VolStream : public Napi::ObjectWrap<VolStream> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit VolStream(const Napi::CallbackInfo& info);
  ~VolStream() override;
  std::shared_ptr<StreamState> state() const { return state_; }
  uint64_t target() const { return target_; }
  static VolStream* From(const Napi::CallbackInfo& info, size_t i);
  // Main thread: a progress report for the JS handler, if there is one.
  void Progress(Napi::Env env, double bytes, double position);

 private:
  Napi::Value SendFile(const Napi::CallbackInfo& info);
  Napi::Value RecvFile(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendHole(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Abort(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);

  std::shared_ptr<StreamState> state_;
  std::shared_ptr<Hub> hub_;
  uint64_t target_ = 0;
};

// StorageVol.upload/download(stream, offset, length, flags), defined in vol_stream.cc.
Napi::Value OpenVolStream(const Napi::CallbackInfo& info, VolRef vol, bool upload);

// ---- a domain's console (virDomainOpenConsole) ----
//
// A non-blocking virStream (VIR_STREAM_NONBLOCK) whose READABLE events run on virtkit's event loop
// thread: the callback takes what libvirt has queued (virStreamRecv never waits there) and posts
// it to the hub; EOF and errors end it the same way. Writes, open and close are queued jobs (the
// remote driver sends stream packets synchronously). Backpressure: JS pauses, the next event turns
// READABLE off (virStreamEventUpdateCallback), a resume turns it back on. The call channels are
// DetachedIO connections (event_loop.h): while a console is open a 250 ms libvirt timer keeps the
// loop re-reading their watch masks, and every console job nudges it at once when it ends, so data
// arriving after an RPC is not left waiting for the loop's 1 s rebuild.
struct ConsoleState {
  std::mutex mu;                   // open/send/close, one at a time (may block: call threads only)
  virStreamPtr st = nullptr;       // with mu; read by the event callback, which libvirt keeps valid
  DomainRef dom;                   // with mu
  bool used = false;               // with mu
  int tick = -1;                   // with mu: the periodic loop timer
  std::mutex ev;                   // never held across a blocking call
  bool watching = false;           // with ev: the event callback is registered
  bool parked = false;             // with ev: READABLE is off (backpressure)
  bool want = true;                // with ev: JS wants data
  std::atomic<bool> done{false};   // EOF or an error was posted
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  // Unregisters the callback, finishes (graceful) or aborts the stream, frees it. With mu held.
  void Close(bool graceful);
};

class ConsoleStream : public Napi::ObjectWrap<ConsoleStream> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit ConsoleStream(const Napi::CallbackInfo& info);
  ~ConsoleStream() override;
  // Main thread: data (a Buffer), 'end' or an error for the JS handler.
  void Emit(Napi::Env env, const char* kind, Napi::Value v);
  void Release();  // drops the hold on Node's loop, once

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SetWant(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  std::shared_ptr<ConsoleState> state_;
  std::shared_ptr<Hub> hub_;
  uint64_t target_ = 0;
  bool held_ = false;
};

// domainScreenshot(domain, screen, flags): { mime, data } (virDomainScreenshot and its stream).
Napi::Value DomainScreenshot(const Napi::CallbackInfo& info);

// The wrapped Domain of argument i, as a reference of the caller's own (console and screenshot).
DomainRef DomainArg(const Napi::CallbackInfo& info, size_t i);

}  // namespace vk
