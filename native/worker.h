// The one async pattern of the addon: copy inputs on the main thread, run the blocking C call
// on a libuv worker (no N-API there), convert the result back on the main thread.
#pragma once
#include <napi.h>
#include <functional>
#include <string>
#include <vector>
#include "errors.h"

namespace vk {

template <typename T>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void(T&, NativeError&)>;
  using Done = std::function<Napi::Value(Napi::Env, T&)>;

  PromiseWorker(Napi::Env env, Napi::Object owner, Work work, Done done)
      : Napi::AsyncWorker(env, "virtkit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)) {
    // Keeps the wrapped handle alive (not collected, not finalized) while the call runs.
    if (!owner.IsEmpty()) owner_ = Napi::Persistent(owner);
  }

  void Execute() override {
    work_(result_, err_);
    if (err_.failed()) SetError(err_.message);
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(done_ ? done_(Env(), result_) : Env().Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(err_.ToJS(Env()));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  Work work_;
  Done done_;
  T result_{};
  NativeError err_;
};

// Queue(env, owner, work, done): the promise for `work` run off the main thread.
template <typename T>
Napi::Value Queue(Napi::Env env, Napi::Object owner, typename PromiseWorker<T>::Work work,
                  typename PromiseWorker<T>::Done done) {
  auto* w = new PromiseWorker<T>(env, owner, std::move(work), std::move(done));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// ---- argument checks: types only; validation is TypeScript's job ----
inline std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString())
    ThrowUsage(info.Env(), "argument " + std::to_string(i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}
// A string or null/undefined (libvirt's optional const char*).
inline bool ArgOptString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = ArgString(info, i);
  return true;
}
inline unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 0;
  if (!info[i].IsNumber()) ThrowUsage(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}
inline int64_t ArgInt64(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !(info[i].IsNumber() || info[i].IsBigInt()))
    ThrowUsage(info.Env(), "argument " + std::to_string(i) + " must be a number");
  if (info[i].IsBigInt()) {
    bool lossless;
    return info[i].As<Napi::BigInt>().Int64Value(&lossless);
  }
  return info[i].As<Napi::Number>().Int64Value();
}
inline bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsBoolean())
    ThrowUsage(info.Env(), "argument " + std::to_string(i) + " must be a boolean");
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

// Numbers past 2^53 (capacities, allocations) stay exact as BigInt? No: byte counts fit in a double
// exactly up to 8 PiB, which is enough for disk sizes; we return plain numbers.
inline Napi::Value U64(Napi::Env env, unsigned long long v) { return Napi::Number::New(env, (double)v); }

}  // namespace vk
