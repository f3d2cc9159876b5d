#include "storage_pool.h"
#include "objects.h"
#include "generated/tables.h"
#include "storage_vol.h"

namespace vk {

void StoragePool::Init(Napi::Env env, Napi::Object exports) {
  std::vector<PropertyDescriptor> props = {
      InstanceMethod("free", &StoragePool::Free),
      InstanceMethod("getName", &StoragePool::GetName),
      InstanceMethod("getUUIDString", &StoragePool::GetUUIDString),
      InstanceMethod("isActive", &StoragePool::IsActive),
      InstanceMethod("isPersistent", &StoragePool::IsPersistent),
      InstanceMethod("getInfo", &StoragePool::GetInfo),
      InstanceMethod("getXMLDesc", &StoragePool::GetXMLDesc),
      InstanceMethod("build", &StoragePool::Build),
      InstanceMethod("create", &StoragePool::Create),
      InstanceMethod("destroy", &StoragePool::Destroy),
      InstanceMethod("undefine", &StoragePool::Undefine),
      InstanceMethod("refresh", &StoragePool::Refresh),
      InstanceMethod("delete", &StoragePool::Delete),
      InstanceMethod("getAutostart", &StoragePool::GetAutostart),
      InstanceMethod("setAutostart", &StoragePool::SetAutostart),
      InstanceMethod("listAllVolumes", &StoragePool::ListAllVolumes),
      InstanceMethod("storageVolLookupByName", &StoragePool::StorageVolLookupByName),
      InstanceMethod("storageVolCreateXML", &StoragePool::StorageVolCreateXML),
      InstanceMethod("storageVolCreateXMLFrom", &StoragePool::StorageVolCreateXMLFrom),
  };
  AddGenerated<StoragePool>(props, kStoragePoolGen, kStoragePoolGenCount);
  Napi::Function f = DefineClass(env, "StoragePool", props);
  Data(env)->storagePool = Napi::Persistent(f);
  exports.Set("StoragePool", f);
}

Napi::Value StoragePool::Free(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}
Napi::Value StoragePool::GetName(const Napi::CallbackInfo& info) {
  const char* n = virStoragePoolGetName(Borrow(info));
  return Napi::String::New(info.Env(), n ? n : "");
}
Napi::Value StoragePool::GetUUIDString(const Napi::CallbackInfo& info) {
  char buf[VIR_UUID_STRING_BUFLEN];
  if (virStoragePoolGetUUIDString(Borrow(info), buf) < 0) buf[0] = 0;
  return Napi::String::New(info.Env(), buf);
}

Napi::Value StoragePool::IsActive(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return QueueBool(info, [p] { return virStoragePoolIsActive(p); });
}
Napi::Value StoragePool::IsPersistent(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return QueueBool(info, [p] { return virStoragePoolIsPersistent(p); });
}
Napi::Value StoragePool::GetAutostart(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return Queue<int>(info.Env(), Owner(info),
      [p](int& r, NativeError& e) { if (virStoragePoolGetAutostart(p, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, int& r) { return Napi::Boolean::New(env, r != 0); });
}
Napi::Value StoragePool::SetAutostart(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  int on = ArgBool(info, 0) ? 1 : 0;
  return QueueVoid(info, [p, on] { return virStoragePoolSetAutostart(p, on); });
}

Napi::Value StoragePool::GetInfo(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return Queue<virStoragePoolInfo>(info.Env(), Owner(info),
      [p](virStoragePoolInfo& r, NativeError& e) { if (virStoragePoolGetInfo(p, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, virStoragePoolInfo& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("state", r.state);
        o.Set("capacity", U64(env, r.capacity));
        o.Set("allocation", U64(env, r.allocation));
        o.Set("available", U64(env, r.available));
        return o;
      });
}
Napi::Value StoragePool::GetXMLDesc(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueString(info, [p, flags] { return virStoragePoolGetXMLDesc(p, flags); });
}

#define VK_POOL_FLAGS_CALL(Method, fn)                           \
  Napi::Value StoragePool::Method(const Napi::CallbackInfo& info) { \
    auto p = Ptr(info);                             \
    unsigned int flags = ArgFlags(info, 0);                      \
    return QueueVoid(info, [p, flags] { return fn(p, flags); }); \
  }
VK_POOL_FLAGS_CALL(Build, virStoragePoolBuild)
VK_POOL_FLAGS_CALL(Create, virStoragePoolCreate)
VK_POOL_FLAGS_CALL(Refresh, virStoragePoolRefresh)
VK_POOL_FLAGS_CALL(Delete, virStoragePoolDelete)
#undef VK_POOL_FLAGS_CALL

Napi::Value StoragePool::Destroy(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return QueueVoid(info, [p] { return virStoragePoolDestroy(p); });
}
Napi::Value StoragePool::Undefine(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  return QueueVoid(info, [p] { return virStoragePoolUndefine(p); });
}

Napi::Value StoragePool::ListAllVolumes(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueList<virStorageVolPtr>(info, [p, flags](virStorageVolPtr** out) { return virStoragePoolListAllVolumes(p, out, flags); },
                                     &AddonData::storageVol);
}
Napi::Value StoragePool::StorageVolLookupByName(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  std::string name = ArgString(info, 0);
  return QueueHandle<virStorageVolPtr>(info, [p, name] { return virStorageVolLookupByName(p, name.c_str()); }, &AddonData::storageVol);
}
Napi::Value StoragePool::StorageVolCreateXML(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virStorageVolPtr>(info, [p, xml, flags] { return virStorageVolCreateXML(p, xml.c_str(), flags); }, &AddonData::storageVol);
}
// storageVolCreateXMLFrom(xml, sourceVolume, flags): the full copy; may run for minutes.
Napi::Value StoragePool::StorageVolCreateXMLFrom(const Napi::CallbackInfo& info) {
  auto p = Ptr(info);
  std::string xml = ArgString(info, 0);
  if (info.Length() < 2 || !info[1].IsObject() || !info[1].As<Napi::Object>().InstanceOf(Data(info.Env())->storageVol.Value()))
    ThrowUsage(info.Env(), "argument 1 must be a native StorageVol");
  VolRef src = StorageVol::Unwrap(info[1].As<Napi::Object>())->Share(info);
  unsigned int flags = ArgFlags(info, 2);
  // The job holds its own references to this pool and the source volume for the whole copy.
  return QueueHandle<virStorageVolPtr>(info, [p, xml, src, flags] { return virStorageVolCreateXMLFrom(p, xml.c_str(), src, flags); },
                                       &AddonData::storageVol);
}

}  // namespace vk
