// The libvirt objects whose native methods are all generated (native/generated/*_methods.inc):
// networks and their ports, host interfaces, secrets, node devices, nwfilters and their bindings,
// domain snapshots and checkpoints. Same lifetime rules as every handle (handle.h).
#pragma once
#include "virt_calls.h"

namespace vk {

template <typename P, int (*RefFn)(P), int (*FreeFn)(P)>
class Obj : public Handle<Obj<P, RefFn, FreeFn>, P, RefFn, FreeFn> {
 public:
  using Handle<Obj<P, RefFn, FreeFn>, P, RefFn, FreeFn>::Handle;
  // Defines the class `name` with free(), dup() and the generated table; stores its constructor.
  static void Init(Napi::Env env, Napi::Object exports, const char* name, Napi::FunctionReference AddonData::*ctor,
                   const GenMethod* table, size_t n);
};

using Network = Obj<virNetworkPtr, virNetworkRef, virNetworkFree>;
using NetworkPort = Obj<virNetworkPortPtr, virNetworkPortRef, virNetworkPortFree>;
using Interface = Obj<virInterfacePtr, virInterfaceRef, virInterfaceFree>;
using Secret = Obj<virSecretPtr, virSecretRef, virSecretFree>;
using NodeDevice = Obj<virNodeDevicePtr, virNodeDeviceRef, virNodeDeviceFree>;
using NWFilter = Obj<virNWFilterPtr, virNWFilterRef, virNWFilterFree>;
using NWFilterBinding = Obj<virNWFilterBindingPtr, virNWFilterBindingRef, virNWFilterBindingFree>;
using DomainSnapshot = Obj<virDomainSnapshotPtr, virDomainSnapshotRef, virDomainSnapshotFree>;
using DomainCheckpoint = Obj<virDomainCheckpointPtr, virDomainCheckpointRef, virDomainCheckpointFree>;

// Registers every generated class (libvirt_gen.cc).
void InitObjects(Napi::Env env, Napi::Object exports);

// Appends a generated table to a class's property list.
template <typename T>
void AddGenerated(std::vector<Napi::ClassPropertyDescriptor<T>>& props, const GenMethod* table, size_t n) {
  using M = Napi::Value (T::*)(const Napi::CallbackInfo&);
  for (size_t i = 0; i < n; i++)
    props.push_back(T::InstanceMethod(table[i].name, static_cast<M>(&T::GenCall), napi_default,
                                      const_cast<GenMethod*>(&table[i])));
}

}  // namespace vk
