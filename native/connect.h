// virConnectPtr wrapper: open/close, host queries, lookups and lists, events.
#pragma once
#include <libvirt/libvirt.h>
#include <memory>
#include <unordered_map>
#include <vector>
#include "virt_calls.h"

namespace vk {

struct ConnShared;
struct AuthWait;

// Everything one connection holds in libvirt; Close() releases it (RPCs: pool threads only).
struct Channels {
  virConnectPtr control = nullptr;
  std::vector<virConnectPtr> data;
  std::vector<int> domainCallbacks, poolCallbacks, networkCallbacks, deviceCallbacks, secretCallbacks;
  // The close callback's opaque, ours to delete after unregistering: drivers without close
  // callbacks (test://) accept the registration and drop it, never calling a free function.
  std::shared_ptr<ConnShared>* closeRef = nullptr;
  int Close();
};

class Connect : public Napi::ObjectWrap<Connect> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Connect(const Napi::CallbackInfo& info);
  ~Connect() override;
  // Main thread: hands an event to the JS handler, if there is one.
  void Emit(Napi::Env env, Napi::Object ev);
  // A call channel's reference for a call of its own (round-robin); throws when closed.
  ConnRef Channel(const Napi::CallbackInfo& info) { return Ptr(info); }
  // References to the control connection and every call channel (virConnectSetIdentity).
  std::vector<ConnRef> AllChannels(const Napi::CallbackInfo& info);
  static ConnRef ShareFrom(const Napi::CallbackInfo& info, Napi::Object o) { return Unwrap(o)->Channel(info); }
  // Every generated method: the table entry is the method's data (virt_gen.h).
  Napi::Value GenCall(const Napi::CallbackInfo& info) {
    auto* m = static_cast<const GenMethod*>(info.Data());
    return m->invoke(info, *m);
  }

 private:
  ConnRef Ptr(const Napi::CallbackInfo& info);

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Abort(const Napi::CallbackInfo& info);
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
  Napi::Value AuthReply(const Napi::CallbackInfo& info);

 public:
  // Main thread: an auth request reached JS (connect.cc, "auth"); answered by authReply().
  bool AuthAsked(Napi::Env env, std::shared_ptr<AuthWait> w, Napi::Array creds);

 private:

  std::shared_ptr<Hub> hub_;
  uint64_t target_ = 0;  // this wrapper's id in the hub, for events
  std::shared_ptr<ConnShared> shared_;
  // conn_ carries events, keepalive and the close callback; calls go round-robin over data_,
  // connections whose socket the event loop never polls (see event_loop.h). The wrapper holds
  // one reference to each; every call takes its own.
  virConnectPtr conn_ = nullptr;
  std::vector<virConnectPtr> data_;
  unsigned rr_ = 0;
  Channels callbacks_;               // the callback ids (control/data unset)
  std::vector<int> controlWatches_;  // the control connection's sockets, for abort()
  // Auth requests handed to JS and not answered yet, by id (main thread).
  std::unordered_map<uint64_t, std::shared_ptr<AuthWait>> authWaits_;
  uint64_t nextAuth_ = 1;

};

}  // namespace vk
