// What connect.cc, connect_events.cc (libvirt's event callbacks) and connect_auth.cc (the
// credentials callback of virConnectOpenAuth) share. Internal to the Connect wrapper.
#pragma once
#include "connect.h"
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vk {

// What libvirt's callbacks (on the event-loop thread) share with the wrapper: where to post, and
// which sockets to shut when the control connection dies. Held by every callback's opaque, so it
// outlives the wrapper and the env if libvirt calls late.
struct ConnShared {
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  std::mutex mu;
  std::vector<int> dataWatches;  // with mu: sockets of the call channels
};
using SharedRef = std::shared_ptr<ConnShared>;
inline void FreeSharedRef(void* p) { delete static_cast<SharedRef*>(p); }
inline ConnShared* SharedOf(void* opaque) { return static_cast<SharedRef*>(opaque)->get(); }

// Registers every event family on the control connection (RPCs: on the pool thread); Channels::Close
// (connect_events.cc) deregisters them.
void RegisterEvents(Channels& ch, const SharedRef& sh);

// A credentials request waiting for JS (authReply), the wait's deadline, or its end.
struct AuthWait {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, ok = false;  // with mu
  std::vector<std::string> answers;  // with mu
  void Finish(bool good, std::vector<std::string>* a = nullptr) {
    std::lock_guard<std::mutex> l(mu);
    if (done) return;
    done = true;
    ok = good;
    if (a) answers.swap(*a);
    cv.notify_all();
  }
};

// virConnectAuth's cbdata: where a request goes and how long it may wait.
struct AuthCtx {
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  unsigned timeoutMs = 0;  // 0: until answered (the wrapper, the env or JS ends the wait)
};

int AuthCallback(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata);

}  // namespace vk
