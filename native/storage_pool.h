// virStoragePoolPtr wrapper.
#pragma once
#include "virt_calls.h"

namespace vk {

class StoragePool : public Handle<StoragePool, virStoragePoolPtr, virStoragePoolRef, virStoragePoolFree> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  using Handle::Handle;

 private:
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetUUIDString(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value Build(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value Refresh(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value GetAutostart(const Napi::CallbackInfo& info);
  Napi::Value SetAutostart(const Napi::CallbackInfo& info);
  Napi::Value ListAllVolumes(const Napi::CallbackInfo& info);
  Napi::Value StorageVolLookupByName(const Napi::CallbackInfo& info);
  Napi::Value StorageVolCreateXML(const Napi::CallbackInfo& info);
  Napi::Value StorageVolCreateXMLFrom(const Napi::CallbackInfo& info);
};

}  // namespace vk
