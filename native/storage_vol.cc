#include "storage_vol.h"
#include "objects.h"
#include "generated/tables.h"
#include "stream.h"

namespace vk {

void StorageVol::Init(Napi::Env env, Napi::Object exports) {
  std::vector<PropertyDescriptor> props = {
      InstanceMethod("free", &StorageVol::Free),
      InstanceMethod("getName", &StorageVol::GetName),
      InstanceMethod("getKey", &StorageVol::GetKey),
      InstanceMethod("getPath", &StorageVol::GetPath),
      InstanceMethod("getInfo", &StorageVol::GetInfo),
      InstanceMethod("getXMLDesc", &StorageVol::GetXMLDesc),
      InstanceMethod("delete", &StorageVol::Delete),
      InstanceMethod("wipe", &StorageVol::Wipe),
      InstanceMethod("resize", &StorageVol::Resize),
      InstanceMethod("lookupPool", &StorageVol::LookupPool),
      InstanceMethod("upload", &StorageVol::Upload),
      InstanceMethod("download", &StorageVol::Download),
  };
  AddGenerated<StorageVol>(props, kStorageVolGen, kStorageVolGenCount);
  Napi::Function f = DefineClass(env, "StorageVol", props);
  Data(env)->storageVol = Napi::Persistent(f);
  exports.Set("StorageVol", f);
}

Napi::Value StorageVol::Free(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}
// Name and key are cached in the handle: no RPC.
Napi::Value StorageVol::GetName(const Napi::CallbackInfo& info) {
  const char* n = virStorageVolGetName(Borrow(info));
  return Napi::String::New(info.Env(), n ? n : "");
}
Napi::Value StorageVol::GetKey(const Napi::CallbackInfo& info) {
  const char* k = virStorageVolGetKey(Borrow(info));
  return Napi::String::New(info.Env(), k ? k : "");
}
Napi::Value StorageVol::GetPath(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  return QueueString(info, [v] { return virStorageVolGetPath(v); });
}
Napi::Value StorageVol::GetInfo(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  return Queue<virStorageVolInfo>(info.Env(), Owner(info),
      [v](virStorageVolInfo& r, NativeError& e) { if (virStorageVolGetInfo(v, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, virStorageVolInfo& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("type", r.type);
        o.Set("capacity", U64(env, r.capacity));
        o.Set("allocation", U64(env, r.allocation));
        return o;
      });
}
Napi::Value StorageVol::GetXMLDesc(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueString(info, [v, flags] { return virStorageVolGetXMLDesc(v, flags); });
}
Napi::Value StorageVol::Delete(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueVoid(info, [v, flags] { return virStorageVolDelete(v, flags); });
}
Napi::Value StorageVol::Wipe(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueVoid(info, [v, flags] { return virStorageVolWipe(v, flags); });
}
Napi::Value StorageVol::Resize(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  unsigned long long cap = ArgUint64(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueVoid(info, [v, cap, flags] { return virStorageVolResize(v, cap, flags); });
}
Napi::Value StorageVol::LookupPool(const Napi::CallbackInfo& info) {
  auto v = Ptr(info);
  return QueueHandle<virStoragePoolPtr>(info, [v] { return virStoragePoolLookupByVolume(v); }, &AddonData::storagePool);
}

Napi::Value StorageVol::Upload(const Napi::CallbackInfo& info) { return OpenVolStream(info, Ptr(info), true); }
Napi::Value StorageVol::Download(const Napi::CallbackInfo& info) { return OpenVolStream(info, Ptr(info), false); }

}  // namespace vk
