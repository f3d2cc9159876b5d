// Connect's libvirt event callbacks (on the event-loop thread: the event copied, delivered
// through the env's hub), their registration on the control connection, and Channels::Close.
#include "connect_shared.h"
#include "event_loop.h"
#include "objects.h"
#include "generated/tables.h"
#include <cstring>

namespace vk {

// ---- events: copied on the event-loop thread, delivered through the env's hub ----

struct EventMsg final : Msg {
  uint64_t target = 0;
  std::string kind, name, uuid;
  int event = 0, detail = 0;
  // The kind's own fields, each under its name (no packing): decoded in src/events.ts.
  std::vector<std::pair<const char*, std::string>> strs;
  std::vector<std::pair<const char*, int>> nums;
  void Str(const char* key, const char* v) {
    if (v) strs.emplace_back(key, v);
  }
  void Deliver(Napi::Env env) override {
    auto* c = static_cast<Connect*>(Data(env)->hub->Target(target));
    if (!c) return;  // the wrapper is gone
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", kind);
    if (!name.empty()) o.Set("name", name);
    if (!uuid.empty()) o.Set("uuid", uuid);
    o.Set("event", event);
    o.Set("detail", detail);
    for (auto& [k, v] : strs) o.Set(k, v);
    for (auto& [k, v] : nums) o.Set(k, v);
    c->Emit(env, o);
  }
};

static void Post(void* opaque, EventMsg* m) {
  ConnShared* sh = SharedOf(opaque);
  m->target = sh->target;
  sh->hub->Post(m);
}

static EventMsg* DomMsg(const char* kind, virDomainPtr dom) {
  auto* m = new EventMsg();
  m->kind = kind;
  const char* n = virDomainGetName(dom);
  if (n) m->name = n;
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(dom, uuid) == 0) m->uuid = uuid;
  return m;
}

static int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  EventMsg* m = DomMsg("domain-lifecycle", dom);
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
  return 0;
}
static int OnReboot(virConnectPtr, virDomainPtr dom, void* opaque) {
  Post(opaque, DomMsg("domain-reboot", dom));
  return 0;
}
static int OnIOError(virConnectPtr, virDomainPtr dom, const char* src, const char* alias, int action,
                     const char* reason, void* opaque) {
  EventMsg* m = DomMsg("domain-io-error", dom);
  m->Str("path", src);
  m->Str("device", alias);
  m->Str("reason", reason);
  m->event = action;
  Post(opaque, m);
  return 0;
}
static int OnBlockJob(virConnectPtr, virDomainPtr dom, const char* disk, int type, int status, void* opaque) {
  EventMsg* m = DomMsg("domain-block-job", dom);
  m->Str("disk", disk);
  m->event = type;
  m->detail = status;
  Post(opaque, m);
  return 0;
}
// The guest agent connected or went (event: state, detail: reason): an address waiter asks again.
static int OnAgentLifecycle(virConnectPtr, virDomainPtr dom, int state, int reason, void* opaque) {
  EventMsg* m = DomMsg("domain-agent-lifecycle", dom);
  m->event = state;
  m->detail = reason;
  Post(opaque, m);
  return 0;
}
// Pools, networks, node devices and secrets: name and UUID (node devices have only a name;
// secrets a UUID and their usage), all read locally from the object libvirt passes (no RPC).
static EventMsg* PoolMsg(const char* kind, virStoragePoolPtr pool) {
  auto* m = new EventMsg();
  m->kind = kind;
  const char* n = virStoragePoolGetName(pool);
  if (n) m->name = n;
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virStoragePoolGetUUIDString(pool, uuid) == 0) m->uuid = uuid;
  return m;
}
static void OnPoolLifecycle(virConnectPtr, virStoragePoolPtr pool, int event, int detail, void* opaque) {
  EventMsg* m = PoolMsg("pool-lifecycle", pool);
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
}
static void OnPoolRefresh(virConnectPtr, virStoragePoolPtr pool, void* opaque) {
  Post(opaque, PoolMsg("pool-refresh", pool));
}
static void OnNetworkLifecycle(virConnectPtr, virNetworkPtr net, int event, int detail, void* opaque) {
  auto* m = new EventMsg();
  m->kind = "network-lifecycle";
  const char* n = virNetworkGetName(net);
  if (n) m->name = n;
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virNetworkGetUUIDString(net, uuid) == 0) m->uuid = uuid;
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
}
static EventMsg* DeviceMsg(const char* kind, virNodeDevicePtr dev) {
  auto* m = new EventMsg();
  m->kind = kind;
  const char* n = virNodeDeviceGetName(dev);
  if (n) m->name = n;
  return m;
}
static void OnDeviceLifecycle(virConnectPtr, virNodeDevicePtr dev, int event, int detail, void* opaque) {
  EventMsg* m = DeviceMsg("node-device-lifecycle", dev);
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
}
static void OnDeviceUpdate(virConnectPtr, virNodeDevicePtr dev, void* opaque) {
  Post(opaque, DeviceMsg("node-device-update", dev));
}
static EventMsg* SecretMsg(const char* kind, virSecretPtr sec) {
  auto* m = new EventMsg();
  m->kind = kind;
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virSecretGetUUIDString(sec, uuid) == 0) m->uuid = uuid;
  int usage = virSecretGetUsageType(sec);
  if (usage >= 0) m->nums.emplace_back("usageType", usage);
  m->Str("usageId", virSecretGetUsageID(sec));
  virResetLastError();
  return m;
}
static void OnSecretLifecycle(virConnectPtr, virSecretPtr sec, int event, int detail, void* opaque) {
  EventMsg* m = SecretMsg("secret-lifecycle", sec);
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
}
static void OnSecretValueChanged(virConnectPtr, virSecretPtr sec, void* opaque) {
  Post(opaque, SecretMsg("secret-value-changed", sec));
}
// The control connection died (keepalive, EOF, error): calls blocked on the call channels would
// wait for a daemon that may never answer; shutting their sockets makes them fail now.
static void OnClose(virConnectPtr, int reason, void* opaque) {
  ConnShared* sh = SharedOf(opaque);
  {
    std::lock_guard<std::mutex> l(sh->mu);
    ShutdownWatches(sh->dataWatches);
  }
  auto* m = new EventMsg();
  m->kind = "close";
  m->event = reason;
  Post(opaque, m);
}

int Channels::Close() {
  if (!control) return 0;
  for (int id : domainCallbacks) virConnectDomainEventDeregisterAny(control, id);
  for (int id : poolCallbacks) virConnectStoragePoolEventDeregisterAny(control, id);
  for (int id : networkCallbacks) virConnectNetworkEventDeregisterAny(control, id);
  for (int id : deviceCallbacks) virConnectNodeDeviceEventDeregisterAny(control, id);
  for (int id : secretCallbacks) virConnectSecretEventDeregisterAny(control, id);
  if (closeRef) {
    virConnectUnregisterCloseCallback(control, OnClose);  // waits for a call under way
    delete closeRef;
    closeRef = nullptr;
  }
  virResetLastError();
  for (virConnectPtr d : data) virConnectClose(d);
  int r = virConnectClose(control);
  control = nullptr;
  data.clear();
  domainCallbacks.clear();
  poolCallbacks.clear();
  networkCallbacks.clear();
  deviceCallbacks.clear();
  secretCallbacks.clear();
  return r;
}

// Registers every event family on the control connection (RPCs: on the pool thread).
void RegisterEvents(Channels& ch, const SharedRef& sh) {
  virConnectPtr c = ch.control;
  auto reg = [&](int id, virConnectDomainEventGenericCallback cb) {
    auto* ref = new SharedRef(sh);
    int r = virConnectDomainEventRegisterAny(c, nullptr, id, cb, ref, FreeSharedRef);
    if (r >= 0) ch.domainCallbacks.push_back(r); else { delete ref; virResetLastError(); }
  };
  reg(VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle));
  reg(VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(OnReboot));
  reg(VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_CALLBACK(OnIOError));
  reg(VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, VIR_DOMAIN_EVENT_CALLBACK(OnBlockJob));
  reg(VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnAgentLifecycle));
  // Every other family the same way: one registration per event id, for all objects (NULL);
  // a driver without the family (test:// has no secrets) refuses, and that family stays silent.
  auto other = [&](std::vector<int>& ids, auto registerAny) {
    auto* ref = new SharedRef(sh);
    int r = registerAny(ref);
    if (r >= 0) ids.push_back(r); else { delete ref; virResetLastError(); }
  };
  other(ch.poolCallbacks, [&](SharedRef* ref) {
    return virConnectStoragePoolEventRegisterAny(c, nullptr, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                                 VIR_STORAGE_POOL_EVENT_CALLBACK(OnPoolLifecycle), ref, FreeSharedRef);
  });
  other(ch.poolCallbacks, [&](SharedRef* ref) {
    return virConnectStoragePoolEventRegisterAny(c, nullptr, VIR_STORAGE_POOL_EVENT_ID_REFRESH,
                                                 VIR_STORAGE_POOL_EVENT_CALLBACK(OnPoolRefresh), ref, FreeSharedRef);
  });
  other(ch.networkCallbacks, [&](SharedRef* ref) {
    return virConnectNetworkEventRegisterAny(c, nullptr, VIR_NETWORK_EVENT_ID_LIFECYCLE,
                                             VIR_NETWORK_EVENT_CALLBACK(OnNetworkLifecycle), ref, FreeSharedRef);
  });
  other(ch.deviceCallbacks, [&](SharedRef* ref) {
    return virConnectNodeDeviceEventRegisterAny(c, nullptr, VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
                                                VIR_NODE_DEVICE_EVENT_CALLBACK(OnDeviceLifecycle), ref, FreeSharedRef);
  });
  other(ch.deviceCallbacks, [&](SharedRef* ref) {
    return virConnectNodeDeviceEventRegisterAny(c, nullptr, VIR_NODE_DEVICE_EVENT_ID_UPDATE,
                                                VIR_NODE_DEVICE_EVENT_CALLBACK(OnDeviceUpdate), ref, FreeSharedRef);
  });
  other(ch.secretCallbacks, [&](SharedRef* ref) {
    return virConnectSecretEventRegisterAny(c, nullptr, VIR_SECRET_EVENT_ID_LIFECYCLE,
                                            VIR_SECRET_EVENT_CALLBACK(OnSecretLifecycle), ref, FreeSharedRef);
  });
  other(ch.secretCallbacks, [&](SharedRef* ref) {
    return virConnectSecretEventRegisterAny(c, nullptr, VIR_SECRET_EVENT_ID_VALUE_CHANGED,
                                            VIR_SECRET_EVENT_CALLBACK(OnSecretValueChanged), ref, FreeSharedRef);
  });
  auto* cref = new SharedRef(sh);
  if (virConnectRegisterCloseCallback(c, OnClose, cref, nullptr) == 0) ch.closeRef = cref;
  else { delete cref; virResetLastError(); }
}

}  // namespace vk
