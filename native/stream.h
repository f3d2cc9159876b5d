// virStreamPtr wrapper for volume upload/download (virStorageVolUpload/Download).
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

// StorageVol.upload/download(stream, offset, length, flags), defined in stream.cc.
Napi::Value OpenVolStream(const Napi::CallbackInfo& info, VolRef vol, bool upload);

}  // namespace vk
