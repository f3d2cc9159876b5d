// Common shape of every wrapped libvirt handle: a pointer that JS owns, freed once, created
// from C++ via NewInstance (the JS constructor is not for users).
#pragma once
#include <napi.h>
#include "worker.h"

namespace vk {

// Per-environment constructors, so that workers can wrap new handles in OnOK.
struct AddonData {
  Napi::FunctionReference connect, domain, storagePool, storageVol, guestfs;
};
inline AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

// Self: the wrapper class; P: the C pointer type; FreeFn frees one reference.
template <typename Self, typename P, int (*FreeFn)(P)>
class Handle : public Napi::ObjectWrap<Self> {
 public:
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      ThrowUsage(info.Env(), "this native object is created by virtkit, not by `new`");
    ptr_ = info[0].As<Napi::External<std::remove_pointer_t<P>>>().Data();
  }
  ~Handle() override { Release(); }

  // Takes ownership of one reference to p.
  static Napi::Object NewInstance(Napi::Env env, Napi::FunctionReference& ctor, P p) {
    return ctor.New({Napi::External<std::remove_pointer_t<P>>::New(env, p)});
  }

 protected:
  P Ptr(const Napi::CallbackInfo& info) {
    if (!ptr_) ThrowUsage(info.Env(), "native handle has been freed");
    return ptr_;
  }
  void Release() {
    if (ptr_) FreeFn(ptr_);
    ptr_ = nullptr;
  }
  Napi::Object Self_(const Napi::CallbackInfo& info) { return info.This().As<Napi::Object>(); }
  P ptr_ = nullptr;
};

}  // namespace vk
