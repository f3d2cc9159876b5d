// "Run this libvirt call on a worker, resolve with this conversion": the few shapes every
// libvirt wrapper method takes. Failures are captured on the worker thread (virCopyLastError).
#pragma once
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "handle.h"

namespace vk {

// libvirt calls hold their own references to the C objects (handle.h), so the wrapper may be
// collected while they run: no owner reference (it would cost a napi_ref per call).
inline Napi::Object Owner(const Napi::CallbackInfo&) { return Napi::Object(); }
// For the few calls whose completion touches the wrapper itself.
inline Napi::Object Self(const Napi::CallbackInfo& info) { return info.This().As<Napi::Object>(); }

// int-returning call; negative means failure. Resolves with the int.
inline Napi::Value QueueInt(const Napi::CallbackInfo& info, std::function<int()> call) {
  return Queue<int>(info.Env(), Owner(info),
      [call](int& r, NativeError& e) { r = call(); if (r < 0) e.CaptureVirt(); },
      [](Napi::Env env, int& r) { return Napi::Number::New(env, r); });
}

// Same, resolving with nothing.
inline Napi::Value QueueVoid(const Napi::CallbackInfo& info, std::function<int()> call) {
  return Queue<int>(info.Env(), Owner(info),
      [call](int& r, NativeError& e) { r = call(); if (r < 0) e.CaptureVirt(); },
      [](Napi::Env env, int&) { return env.Undefined(); });
}

// virIs*-style call: 1 true, 0 false, negative failure. Resolves with a boolean.
inline Napi::Value QueueBool(const Napi::CallbackInfo& info, std::function<int()> call) {
  return Queue<int>(info.Env(), Owner(info),
      [call](int& r, NativeError& e) { r = call(); if (r < 0) e.CaptureVirt(); },
      [](Napi::Env env, int& r) { return Napi::Boolean::New(env, r == 1); });
}

// char*-returning call owned by the caller; NULL means failure.
inline Napi::Value QueueString(const Napi::CallbackInfo& info, std::function<char*()> call) {
  return Queue<std::string>(info.Env(), Owner(info),
      [call](std::string& r, NativeError& e) {
        char* s = call();
        if (!s) e.CaptureVirt(); else r = TakeString(s);
      },
      [](Napi::Env env, std::string& r) { return Napi::String::New(env, r); });
}

// const char* owned by libvirt (names, types); NULL means failure.
inline Napi::Value QueueConstString(const Napi::CallbackInfo& info, std::function<const char*()> call) {
  return Queue<std::string>(info.Env(), Owner(info),
      [call](std::string& r, NativeError& e) {
        const char* s = call();
        if (!s) e.CaptureVirt(); else r = s;
      },
      [](Napi::Env env, std::string& r) { return Napi::String::New(env, r); });
}

// Frees a handle that never reached JS.
template <typename P> void FreeHandle(P p);
template <> inline void FreeHandle(virDomainPtr p) { virDomainFree(p); }
template <> inline void FreeHandle(virStoragePoolPtr p) { virStoragePoolFree(p); }
template <> inline void FreeHandle(virStorageVolPtr p) { virStorageVolFree(p); }

// Returns a new handle of type P, wrapped as the class whose constructor is `ctor`.
template <typename P>
Napi::Value QueueHandle(const Napi::CallbackInfo& info, std::function<P()> call,
                        Napi::FunctionReference AddonData::*ctor) {
  return Queue<P>(info.Env(), Owner(info),
      [call](P& r, NativeError& e) { r = call(); if (!r) e.CaptureVirt(); },
      [ctor](Napi::Env env, P& r) -> Napi::Value {
        P p = r;
        r = nullptr;  // the wrapper owns it now
        return Wrap(env, ctor, p);
      },
      [](P& r) { if (r) FreeHandle(r); });
}

// virConnectListAll*-style: fills an array of new handles, returns the count.
template <typename P>
Napi::Value QueueList(const Napi::CallbackInfo& info, std::function<int(P**)> call,
                      Napi::FunctionReference AddonData::*ctor) {
  struct Out { P* items = nullptr; int n = 0; int taken = 0; };
  return Queue<Out>(info.Env(), Owner(info),
      [call](Out& r, NativeError& e) { r.n = call(&r.items); if (r.n < 0) e.CaptureVirt(); },
      [ctor](Napi::Env env, Out& r) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, r.n);
        for (; r.taken < r.n; r.taken++) a.Set(r.taken, Wrap(env, ctor, r.items[r.taken]));
        free(r.items);
        r.items = nullptr;
        return a;
      },
      [](Out& r) {
        for (int i = r.taken; i < r.n; i++) FreeHandle(r.items[i]);
        free(r.items);
      });
}

}  // namespace vk
