// virConnectPtr wrapper: open/close, host queries, lookups and lists, event registration.
#pragma once
#include <libvirt/libvirt.h>
#include <memory>
#include <vector>
#include "virt_calls.h"

namespace vk {

struct EventSink;

class Connect : public Napi::ObjectWrap<Connect> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Connect(const Napi::CallbackInfo& info);
  ~Connect() override;

 private:
  virConnectPtr Ptr(const Napi::CallbackInfo& info);
  void Unregister();

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsOpen(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value GetURI(const Napi::CallbackInfo& info);
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetType(const Napi::CallbackInfo& info);
  Napi::Value GetVersion(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetDomainCapabilities(const Napi::CallbackInfo& info);
  Napi::Value NodeGetInfo(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value DomainLookupByName(const Napi::CallbackInfo& info);
  Napi::Value DomainLookupByUUIDString(const Napi::CallbackInfo& info);
  Napi::Value DomainLookupByID(const Napi::CallbackInfo& info);
  Napi::Value DomainDefineXML(const Napi::CallbackInfo& info);
  Napi::Value DomainCreateXML(const Napi::CallbackInfo& info);
  Napi::Value ListAllStoragePools(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolLookupByName(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolLookupByUUIDString(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolDefineXML(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolCreateXML(const Napi::CallbackInfo& info);
  Napi::Value StorageVolLookupByPath(const Napi::CallbackInfo& info);
  Napi::Value StorageVolLookupByKey(const Napi::CallbackInfo& info);
  Napi::Value SetEventHandler(const Napi::CallbackInfo& info);

  // conn_ carries events, keepalive and the close callback; calls go round-robin over data_,
  // connections whose socket the event loop never polls (see event_loop.h).
  virConnectPtr conn_ = nullptr;
  std::vector<virConnectPtr> data_;
  unsigned rr_ = 0;
  std::shared_ptr<EventSink> sink_;
  std::vector<int> domainCallbacks_, poolCallbacks_;
  bool closeCallback_ = false;
};

}  // namespace vk
