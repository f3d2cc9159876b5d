// virStorageVolPtr wrapper.
#pragma once
#include "virt_calls.h"

namespace vk {

class StorageVol : public Handle<StorageVol, virStorageVolPtr, virStorageVolRef, virStorageVolFree> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  using Handle::Handle;
  

 private:
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetKey(const Napi::CallbackInfo& info);
  Napi::Value GetPath(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Wipe(const Napi::CallbackInfo& info);
  Napi::Value Resize(const Napi::CallbackInfo& info);
  Napi::Value LookupPool(const Napi::CallbackInfo& info);
  // upload/download(stream, offset, length, flags): opens a VolStream (stream.h).
  Napi::Value Upload(const Napi::CallbackInfo& info);
  Napi::Value Download(const Napi::CallbackInfo& info);
};

}  // namespace vk
