// virDomainPtr wrapper: one method per libvirt call, flags passed through.
#pragma once
#include "virt_calls.h"

namespace vk {

class Domain : public Handle<Domain, virDomainPtr, virDomainRef, virDomainFree> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  using Handle::Handle;

 private:
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value Dup(const Napi::CallbackInfo& info);
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetUUIDString(const Napi::CallbackInfo& info);
  Napi::Value GetID(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value HasManagedSaveImage(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Reboot(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value Rename(const Napi::CallbackInfo& info);
  Napi::Value GetAutostart(const Napi::CallbackInfo& info);
  Napi::Value SetAutostart(const Napi::CallbackInfo& info);
  Napi::Value GetMetadata(const Napi::CallbackInfo& info);
  Napi::Value SetMetadata(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCreateXML(const Napi::CallbackInfo& info);
  Napi::Value ListAllSnapshots(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCurrent(const Napi::CallbackInfo& info);
  Napi::Value SnapshotGetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value RevertToSnapshot(const Napi::CallbackInfo& info);
  Napi::Value SnapshotDelete(const Napi::CallbackInfo& info);
};

}  // namespace vk
