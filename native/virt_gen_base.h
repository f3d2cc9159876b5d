// What every holder of the generated calls builds on (virt_gen.h): which class wraps each
// libvirt pointer, the read and call contexts, strict number checks, the holder bases.
#pragma once
#include <libvirt/libvirt-qemu.h>
#include <cstring>
#include <tuple>
#include <utility>
#include <type_traits>
#include <vector>
#include "connect.h"
#include "domain.h"
#include "objects.h"
#include "overrides/structs.h"
#include "storage_pool.h"
#include "storage_vol.h"

namespace vk {
namespace gen {

// ---- object types: which class wraps each libvirt pointer ----

template <typename P> struct ObjT;
#define VK_OBJ(P, Cls, member)                                                                  \
  template <> struct ObjT<P> {                                                                   \
    static constexpr Napi::FunctionReference AddonData::*ctor = &AddonData::member;              \
    static auto Share(const Napi::CallbackInfo& info, Napi::Object o) { return Cls::ShareFrom(info, o); } \
  };
VK_OBJ(virDomainPtr, Domain, domain)
VK_OBJ(virStoragePoolPtr, StoragePool, storagePool)
VK_OBJ(virStorageVolPtr, StorageVol, storageVol)
VK_OBJ(virNetworkPtr, Network, network)
VK_OBJ(virNetworkPortPtr, NetworkPort, networkPort)
VK_OBJ(virInterfacePtr, Interface, iface)
VK_OBJ(virSecretPtr, Secret, secret)
VK_OBJ(virNodeDevicePtr, NodeDevice, nodeDevice)
VK_OBJ(virNWFilterPtr, NWFilter, nwfilter)
VK_OBJ(virNWFilterBindingPtr, NWFilterBinding, nwfilterBinding)
VK_OBJ(virDomainSnapshotPtr, DomainSnapshot, domainSnapshot)
VK_OBJ(virDomainCheckpointPtr, DomainCheckpoint, domainCheckpoint)
VK_OBJ(virConnectPtr, Connect, connect)
#undef VK_OBJ

template <typename P> int RefObj(P p);
template <> inline int RefObj(virDomainPtr p) { return virDomainRef(p); }
template <> inline int RefObj(virNetworkPtr p) { return virNetworkRef(p); }

template <typename P> void FreeObj(P p);
template <> inline void FreeObj(virDomainPtr p) { virDomainFree(p); }
template <> inline void FreeObj(virStoragePoolPtr p) { virStoragePoolFree(p); }
template <> inline void FreeObj(virStorageVolPtr p) { virStorageVolFree(p); }
template <> inline void FreeObj(virNetworkPtr p) { virNetworkFree(p); }
template <> inline void FreeObj(virNetworkPortPtr p) { virNetworkPortFree(p); }
template <> inline void FreeObj(virInterfacePtr p) { virInterfaceFree(p); }
template <> inline void FreeObj(virSecretPtr p) { virSecretFree(p); }
template <> inline void FreeObj(virNodeDevicePtr p) { virNodeDeviceFree(p); }
template <> inline void FreeObj(virNWFilterPtr p) { virNWFilterFree(p); }
template <> inline void FreeObj(virNWFilterBindingPtr p) { virNWFilterBindingFree(p); }
template <> inline void FreeObj(virDomainSnapshotPtr p) { virDomainSnapshotFree(p); }
template <> inline void FreeObj(virDomainCheckpointPtr p) { virDomainCheckpointFree(p); }

// ---- contexts ----

struct ReadCtx {
  const Napi::CallbackInfo& info;
  const GenMethod& m;
  uint32_t js = 0;    // next JS argument
  size_t count = 0;   // element count of the last array read, for the count parameter after it
  std::string Name(uint32_t i) const { return "argument " + std::to_string(i); }
  Napi::Value Next(uint32_t* i) {
    *i = js++;
    return *i < info.Length() ? info[*i] : info.Env().Undefined();
  }
  [[noreturn]] void Bad(uint32_t i, const std::string& what) const { ThrowInvalid(info.Env(), Name(i) + " " + what); }
};

// What holders share during the call (typed parameters filled by libvirt, output sizes).
struct CallCtx {
  virTypedParameterPtr tp = nullptr;
  int tpn = 0;
  unsigned int tpnu = 0;
  size_t size = 0;
  ~CallCtx() {
    if (tp) virTypedParamsFree(tp, tpn ? tpn : (int)tpnu);
  }
};

double CheckedNumber(ReadCtx& c, uint32_t i, Napi::Value v, double lo, double hi);
int64_t CheckedInt64(ReadCtx& c, uint32_t i, Napi::Value v);
uint64_t CheckedUint64(ReadCtx& c, uint32_t i, Napi::Value v);

// A holder: C (the parameter's C type), Read (main thread), Get (call thread), Release (drops
// references on the call thread), and for outs: Out (main thread) and Discard (never delivered).
struct Base {
  static constexpr bool kOut = false;
  static constexpr bool kTwoPhase = false;
  void Release() {}
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return env.Undefined(); }
  void Discard(CallCtx&, long long) {}
};
struct OutBase : Base {
  static constexpr bool kOut = true;
};

}  // namespace gen
}  // namespace vk
