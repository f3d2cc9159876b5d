// Hand-written: libvirt's info structs as JS objects (the XML names the fields but not which
// ones are counts of which arrays, nor the units). Field names follow the C names in camelCase.
// Used by the generated OutStruct/OutStructList holders (virt_gen.h) and by the overrides.
#pragma once
#include <napi.h>
#include <libvirt/libvirt.h>

namespace vk {

Napi::Value StructToJS(Napi::Env env, const virDomainBlockInfo& v);
Napi::Value StructToJS(Napi::Env env, const virDomainBlockJobInfo& v);
Napi::Value StructToJS(Napi::Env env, const virDomainBlockStatsStruct& v);
Napi::Value StructToJS(Napi::Env env, const virDomainInterfaceStatsStruct& v);
Napi::Value StructToJS(Napi::Env env, const virDomainControlInfo& v);
Napi::Value StructToJS(Napi::Env env, const virDomainJobInfo& v);
Napi::Value StructToJS(Napi::Env env, const virSecurityLabel& v);
Napi::Value StructToJS(Napi::Env env, const virSecurityModel& v);
Napi::Value StructToJS(Napi::Env env, const virDomainFSInfo& v);
Napi::Value StructToJS(Napi::Env env, const virDomainInterface& v);
Napi::Value StructToJS(Napi::Env env, const virDomainIOThreadInfo& v);
Napi::Value StructToJS(Napi::Env env, const virNetworkDHCPLease& v);
Napi::Value StructToJS(Napi::Env env, const virStorageVolInfo& v);

// Structs filled in place own nothing; lists of allocated structs are freed one by one.
template <typename T>
inline void StructClear(T&) {}
inline void StructFree(virDomainFSInfoPtr p) { virDomainFSInfoFree(p); }
inline void StructFree(virDomainInterfacePtr p) { virDomainInterfaceFree(p); }
inline void StructFree(virDomainIOThreadInfoPtr p) { virDomainIOThreadInfoFree(p); }
inline void StructFree(virNetworkDHCPLeasePtr p) { virNetworkDHCPLeaseFree(p); }

}  // namespace vk
