// The one async pattern of the addon: copy inputs on the main thread, run the blocking C call on
// one of virtkit's own threads (call_pool.h; no N-API there), convert the result back on the main
// thread (hub.h). A job owns everything it touches: the lambdas hold their own references to the
// C objects (handle.h's Ref), the owner wrapper is kept from collection by a napi_ref.
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>
#include "call_pool.h"
#include "errors.h"
#include "hub.h"

namespace vk {

// Per-environment state: constructors (so that jobs can wrap new handles) and the hub.
struct AddonData {
  Napi::FunctionReference connect, domain, storagePool, storageVol, guestfs;
  // The classes whose methods are all generated (objects.h).
  Napi::FunctionReference network, networkPort, iface, secret, nodeDevice, nwfilter, nwfilterBinding,
      domainSnapshot, domainCheckpoint;
  std::shared_ptr<Hub> hub;
};
inline AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

template <typename T>
class CallJob final : public Task, public Msg {
 public:
  using Work = std::function<void(T&, NativeError&)>;
  using Done = std::function<Napi::Value(Napi::Env, T&)>;
  using Discard = std::function<void(T&)>;

  CallJob(std::shared_ptr<Hub> hub, Work work, Done done, Discard discard)
      : hub_(std::move(hub)), work_(std::move(work)), done_(std::move(done)), discard_(std::move(discard)) {}
  // Runs on a pool thread or wherever the last owner drops it: no N-API here. The deferred and
  // the owner reference are left to the env when it is gone (deleting them would touch N-API).
  ~CallJob() override {
    if (!delivered_ && discard_) discard_(result_);
  }

  napi_value Start(Napi::Env env, napi_value owner) {
    napi_value promise;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred_, &promise), Napi::Value());
    if (owner) napi_create_reference(env, owner, 1, &owner_);
    hub_->Hold();
    Submit(this);
    return promise;
  }

  void Run() override {
    work_(result_, err_);
    // Free the inputs (and their C references) here, off the main thread.
    work_ = nullptr;
    std::shared_ptr<Hub> hub = hub_;
    hub->Post(this);  // deletes this when the env is gone
  }

  void Deliver(Napi::Env env) override {
    hub_->Unhold();
    if (owner_) napi_delete_reference(env, owner_);
    owner_ = nullptr;
    if (err_.failed()) {
      napi_reject_deferred(env, deferred_, err_.ToJS(env));
      return;
    }
    delivered_ = true;
    try {
      napi_value v = done_ ? napi_value(done_(env, result_)) : napi_value(env.Undefined());
      napi_resolve_deferred(env, deferred_, v);
    } catch (const Napi::Error& e) {
      napi_reject_deferred(env, deferred_, e.Value());
    }
  }

 private:
  std::shared_ptr<Hub> hub_;
  Work work_;
  Done done_;
  Discard discard_;
  napi_deferred deferred_ = nullptr;
  napi_ref owner_ = nullptr;
  T result_{};
  NativeError err_;
  bool delivered_ = false;
};

// Queue(env, owner, work, done[, discard]): the promise for `work` run off the main thread.
// `discard` frees a result that never reached JS (env torn down first).
template <typename T>
Napi::Value Queue(Napi::Env env, Napi::Object owner, typename CallJob<T>::Work work,
                  typename CallJob<T>::Done done, typename CallJob<T>::Discard discard = nullptr) {
  auto* job = new CallJob<T>(Data(env)->hub, std::move(work), std::move(done), std::move(discard));
  return Napi::Value(env, job->Start(env, owner.IsEmpty() ? nullptr : napi_value(owner)));
}

// ---- argument checks: types and C ranges only; validation is TypeScript's job ----

[[noreturn]] inline void BadArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  ThrowInvalid(info.Env(), "argument " + std::to_string(i) + " " + what);
}

// A JS string as UTF-8; a NUL inside would silently cut the C string, so it is refused.
inline std::string StrictUtf8(Napi::Env env, Napi::Value v, const std::string& name) {
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowInvalid(env, name + " contains a NUL character");
  return s;
}
inline std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString()) BadArg(info, i, "must be a string");
  return StrictUtf8(info.Env(), info[i], "argument " + std::to_string(i));
}
// A string or null/undefined (libvirt's optional const char*).
inline bool ArgOptString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = ArgString(info, i);
  return true;
}

// A number that is an integer within [lo, hi] (doubles represent every int64 bound used here
// only approximately, so 64-bit ranges are checked on the safe-integer range or as BigInt).
inline double IntegerNumber(const Napi::CallbackInfo& info, size_t i, double lo, double hi) {
  if (i >= info.Length() || !info[i].IsNumber()) BadArg(info, i, "must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) BadArg(info, i, "must be an integer");
  if (d < lo || d > hi) BadArg(info, i, "is out of range");
  return d;
}
// Flags: unsigned int; absent means 0.
inline unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 0;
  return (unsigned int)IntegerNumber(info, i, 0, 4294967295.0);
}
inline int ArgInt32(const Napi::CallbackInfo& info, size_t i) {
  return (int)IntegerNumber(info, i, -2147483648.0, 2147483647.0);
}
inline int64_t ArgInt64(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length() && info[i].IsBigInt()) {
    bool lossless = false;
    int64_t v = info[i].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) BadArg(info, i, "is out of range");
    return v;
  }
  return (int64_t)IntegerNumber(info, i, -9007199254740991.0, 9007199254740991.0);
}
inline uint64_t ArgUint64(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length() && info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) BadArg(info, i, "is out of range");
    return v;
  }
  return (uint64_t)IntegerNumber(info, i, 0, 9007199254740991.0);
}
inline bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsBoolean()) BadArg(info, i, "must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

// C strings owned by libvirt/libguestfs: copy then free.
inline std::string TakeString(char* s) {
  std::string r = s ? s : "";
  free(s);
  return r;
}

inline Napi::Array ToArray(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) a.Set(i, v[i]);
  return a;
}

// Byte counts (capacities, allocations) as numbers: exact up to 8 PiB, which disks stay under.
inline Napi::Value U64(Napi::Env env, unsigned long long v) { return Napi::Number::New(env, (double)v); }
// Counters that pass 2^53 (CPU time in ns after ~104 days of one vCPU) as BigInt.
inline Napi::Value Big(Napi::Env env, unsigned long long v) { return Napi::BigInt::New(env, (uint64_t)v); }

}  // namespace vk
