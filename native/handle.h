// Common shape of every wrapped libvirt handle, and Ref: a counted reference to a libvirt object.
//
// Lifetime rule: the wrapper holds one reference; every queued call takes its own (Ptr() returns
// a Ref that the call's lambda captures by value) and drops it when the call ends, on the thread
// that ran it. free() drops only the wrapper's reference, so calls in flight stay valid.
#pragma once
#include <napi.h>
#include <libvirt/libvirt.h>
#include <type_traits>
#include "worker.h"

namespace vk {

// One entry of a generated method table (native/generated/*.inc, virt_gen.h): the JS name, the C
// function, the converter instantiated for its signature, the names of its out values and, for
// typed-parameter inputs, the field types of its family. Registered with the entry as the
// method's data, so one member (GenCall) serves every generated method of a class.
struct GenMethod;
using GenInvoke = Napi::Value (*)(const Napi::CallbackInfo&, const GenMethod&);
struct TpField {
  const char* name;
  int type;  // virTypedParameterType
};
struct GenMethod {
  const char* name;
  void (*fn)();
  GenInvoke invoke;
  const char* outs;     // comma-separated names of the out values
  const TpField* tp;    // typed-parameter field types (name == nullptr ends), or nullptr
};

template <typename P, int (*RefFn)(P), int (*FreeFn)(P)>
class Ref {
 public:
  Ref() = default;
  // Takes a new reference to p.
  static Ref Share(P p) {
    Ref r;
    if (p && RefFn(p) == 0) r.p_ = p;
    return r;
  }
  Ref(const Ref& o) : p_(o.p_) {
    if (p_) RefFn(p_);
  }
  Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Ref& operator=(Ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref() {
    if (p_) FreeFn(p_);
  }
  operator P() const { return p_; }
  P get() const { return p_; }

 private:
  P p_ = nullptr;
};

using ConnRef = Ref<virConnectPtr, virConnectRef, virConnectClose>;
using DomainRef = Ref<virDomainPtr, virDomainRef, virDomainFree>;
using PoolRef = Ref<virStoragePoolPtr, virStoragePoolRef, virStoragePoolFree>;
using VolRef = Ref<virStorageVolPtr, virStorageVolRef, virStorageVolFree>;
using NetworkRef = Ref<virNetworkPtr, virNetworkRef, virNetworkFree>;
using NetworkPortRef = Ref<virNetworkPortPtr, virNetworkPortRef, virNetworkPortFree>;
using InterfaceRef = Ref<virInterfacePtr, virInterfaceRef, virInterfaceFree>;
using SecretRef = Ref<virSecretPtr, virSecretRef, virSecretFree>;
using NodeDeviceRef = Ref<virNodeDevicePtr, virNodeDeviceRef, virNodeDeviceFree>;
using NWFilterRef = Ref<virNWFilterPtr, virNWFilterRef, virNWFilterFree>;
using NWFilterBindingRef = Ref<virNWFilterBindingPtr, virNWFilterBindingRef, virNWFilterBindingFree>;
using SnapshotRef = Ref<virDomainSnapshotPtr, virDomainSnapshotRef, virDomainSnapshotFree>;
using CheckpointRef = Ref<virDomainCheckpointPtr, virDomainCheckpointRef, virDomainCheckpointFree>;

// Drops one reference on a pool thread: the last reference to an object may be the last one to
// its connection, and disposing of a remote connection is an RPC (never on the main thread, and
// never in a GC finalizer). A collection frees thousands at once: they go to one batch, drained
// by one task, so frees never take more than one thread (DeferFree, call_pool.h).

template <typename P, int (*FreeFn)(P)>
void FreeThunk(void* p) {
  FreeFn(static_cast<P>(p));
}

// Self: the wrapper class; P: the C pointer type; RefFn/FreeFn take and drop one reference.
template <typename Self, typename P, int (*RefFn)(P), int (*FreeFn)(P)>
class Handle : public Napi::ObjectWrap<Self> {
 public:
  using R = Ref<P, RefFn, FreeFn>;
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      ThrowUsage(info.Env(), "this native object is created by virtkit, not by `new`");
    ptr_ = info[0].As<Napi::External<std::remove_pointer_t<P>>>().Data();
  }
  ~Handle() override { Release(); }

  // A reference of the caller's own (e.g. a source volume passed to another object's call).
  R Share(const Napi::CallbackInfo& info) { return Ptr(info); }

  // A reference of the call's own to the object wrapped by `o` (an instance of Self).
  static R ShareFrom(const Napi::CallbackInfo& info, Napi::Object o) { return Self::Unwrap(o)->Ptr(info); }

  // Every generated method: the table entry is the method's data (virt_gen.h).
  Napi::Value GenCall(const Napi::CallbackInfo& info) {
    auto* m = static_cast<const GenMethod*>(info.Data());
    return m->invoke(info, *m);
  }
  // free(): drops the wrapper's reference (calls in flight keep theirs).
  Napi::Value FreeMethod(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }
  // dup(): another wrapper of the same object with a reference of its own (no RPC).
  Napi::Value DupMethod(const Napi::CallbackInfo& info) {
    P p = Borrow(info);
    RefFn(p);  // the new wrapper's own reference
    return this->Value().template As<Napi::Object>().Get("constructor").template As<Napi::Function>().New(
        {Napi::External<std::remove_pointer_t<P>>::New(info.Env(), p)});
  }

 protected:
  // A reference of the call's own, valid for as long as it is held.
  R Ptr(const Napi::CallbackInfo& info) {
    if (!ptr_) ThrowUsage(info.Env(), "native handle has been freed");
    return R::Share(ptr_);
  }
  // For calls that make no RPC and finish on the main thread (cached names, UUIDs).
  P Borrow(const Napi::CallbackInfo& info) {
    if (!ptr_) ThrowUsage(info.Env(), "native handle has been freed");
    return ptr_;
  }
  // The wrapper's own reference, dropped once.
  void Release() {
    if (!ptr_) return;
    DeferFree(&FreeThunk<P, FreeFn>, ptr_);
    ptr_ = nullptr;
  }
  P ptr_ = nullptr;
};

// Wraps a new reference (owned by the wrapper from now on) as the class of `ctor`.
template <typename P>
Napi::Value Wrap(Napi::Env env, Napi::FunctionReference AddonData::*ctor, P p) {
  return (Data(env)->*ctor).New({Napi::External<std::remove_pointer_t<P>>::New(env, p)});
}

}  // namespace vk
