#include "connect.h"
#include "event_loop.h"

namespace vk {

// ---- events: copied on libvirt's event-loop thread, delivered through one unref'd TSFN ----

struct EventMsg {
  std::string kind, name, uuid, s1, s2;
  int event = 0, detail = 0;
};

struct EventSink {
  Napi::ThreadSafeFunction tsfn;
  ~EventSink() { tsfn.Release(); }
  void Post(EventMsg* m) {
    auto cb = [](Napi::Env env, Napi::Function fn, EventMsg* m) {
      if (env != nullptr && fn != nullptr) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("kind", m->kind);
        if (!m->name.empty()) o.Set("name", m->name);
        if (!m->uuid.empty()) o.Set("uuid", m->uuid);
        o.Set("event", m->event);
        o.Set("detail", m->detail);
        if (!m->s1.empty()) o.Set("s1", m->s1);
        if (!m->s2.empty()) o.Set("s2", m->s2);
        fn.Call({o});
      }
      delete m;
    };
    if (tsfn.NonBlockingCall(m, cb) != napi_ok) delete m;
  }
};

using SinkRef = std::shared_ptr<EventSink>;
static void FreeSinkRef(void* p) { delete static_cast<SinkRef*>(p); }
static EventSink* SinkOf(void* opaque) { return static_cast<SinkRef*>(opaque)->get(); }

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
  SinkOf(opaque)->Post(m);
  return 0;
}
static int OnReboot(virConnectPtr, virDomainPtr dom, void* opaque) {
  SinkOf(opaque)->Post(DomMsg("domain-reboot", dom));
  return 0;
}
static int OnIOError(virConnectPtr, virDomainPtr dom, const char* src, const char* alias, int action,
                     const char* reason, void* opaque) {
  EventMsg* m = DomMsg("domain-io-error", dom);
  m->s1 = src ? src : "";
  m->s2 = alias ? alias : "";
  m->event = action;
  if (reason) m->s2 += std::string("\n") + reason;
  SinkOf(opaque)->Post(m);
  return 0;
}
static int OnBlockJob(virConnectPtr, virDomainPtr dom, const char* disk, int type, int status, void* opaque) {
  EventMsg* m = DomMsg("domain-block-job", dom);
  m->s1 = disk ? disk : "";
  m->event = type;
  m->detail = status;
  SinkOf(opaque)->Post(m);
  return 0;
}
static void OnPoolLifecycle(virConnectPtr, virStoragePoolPtr pool, int event, int detail, void* opaque) {
  auto* m = new EventMsg();
  m->kind = "pool-lifecycle";
  const char* n = virStoragePoolGetName(pool);
  if (n) m->name = n;
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virStoragePoolGetUUIDString(pool, uuid) == 0) m->uuid = uuid;
  m->event = event;
  m->detail = detail;
  SinkOf(opaque)->Post(m);
}
static void OnClose(virConnectPtr, int reason, void* opaque) {
  auto* m = new EventMsg();
  m->kind = "close";
  m->event = reason;
  SinkOf(opaque)->Post(m);
}

// ---- class ----

void Connect::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function f = DefineClass(env, "Connect", {
      InstanceMethod("open", &Connect::Open),
      InstanceMethod("close", &Connect::Close),
      InstanceMethod("isOpen", &Connect::IsOpen),
      InstanceMethod("isAlive", &Connect::IsAlive),
      InstanceMethod("getURI", &Connect::GetURI),
      InstanceMethod("getHostname", &Connect::GetHostname),
      InstanceMethod("getType", &Connect::GetType),
      InstanceMethod("getVersion", &Connect::GetVersion),
      InstanceMethod("getLibVersion", &Connect::GetLibVersion),
      InstanceMethod("getCapabilities", &Connect::GetCapabilities),
      InstanceMethod("getDomainCapabilities", &Connect::GetDomainCapabilities),
      InstanceMethod("nodeGetInfo", &Connect::NodeGetInfo),
      InstanceMethod("listAllDomains", &Connect::ListAllDomains),
      InstanceMethod("domainLookupByName", &Connect::DomainLookupByName),
      InstanceMethod("domainLookupByUUIDString", &Connect::DomainLookupByUUIDString),
      InstanceMethod("domainLookupByID", &Connect::DomainLookupByID),
      InstanceMethod("domainDefineXML", &Connect::DomainDefineXML),
      InstanceMethod("domainCreateXML", &Connect::DomainCreateXML),
      InstanceMethod("listAllStoragePools", &Connect::ListAllStoragePools),
      InstanceMethod("storagePoolLookupByName", &Connect::StoragePoolLookupByName),
      InstanceMethod("storagePoolLookupByUUIDString", &Connect::StoragePoolLookupByUUIDString),
      InstanceMethod("storagePoolDefineXML", &Connect::StoragePoolDefineXML),
      InstanceMethod("storagePoolCreateXML", &Connect::StoragePoolCreateXML),
      InstanceMethod("storageVolLookupByPath", &Connect::StorageVolLookupByPath),
      InstanceMethod("storageVolLookupByKey", &Connect::StorageVolLookupByKey),
      InstanceMethod("setEventHandler", &Connect::SetEventHandler),
  });
  Data(env)->connect = Napi::Persistent(f);
  exports.Set("Connect", f);
}

Connect::Connect(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connect>(info) {}

Connect::~Connect() {
  // Fallback for a connection the program forgot to close.
  if (conn_) {
    Unregister();
    virConnectClose(conn_);
    for (virConnectPtr d : data_) virConnectClose(d);
  }
}

virConnectPtr Connect::Ptr(const Napi::CallbackInfo& info) {
  if (!conn_) ThrowUsage(info.Env(), "connection is closed");
  return data_.empty() ? conn_ : data_[rr_++ % data_.size()];
}

void Connect::Unregister() {
  for (int id : domainCallbacks_) virConnectDomainEventDeregisterAny(conn_, id);
  for (int id : poolCallbacks_) virConnectStoragePoolEventDeregisterAny(conn_, id);
  if (closeCallback_) virConnectUnregisterCloseCallback(conn_, OnClose);
  domainCallbacks_.clear();
  poolCallbacks_.clear();
  closeCallback_ = false;
  sink_.reset();
}

// open(uri|null, flags, channels): one control connection plus `channels` data connections.
Napi::Value Connect::Open(const Napi::CallbackInfo& info) {
  if (conn_) ThrowUsage(info.Env(), "connection is already open");
  std::string uri;
  bool hasUri = ArgOptString(info, 0, &uri);
  unsigned int flags = ArgFlags(info, 1);
  unsigned int channels = ArgFlags(info, 2);
  EnsureEventLoop();
  struct Opened { virConnectPtr control = nullptr; std::vector<virConnectPtr> data; };
  return Queue<Opened>(info.Env(), Owner(info),
      [uri, hasUri, flags, channels](Opened& r, NativeError& e) {
        const char* u = hasUri ? uri.c_str() : nullptr;
        r.control = virConnectOpenAuth(u, nullptr, flags);
        if (!r.control) { e.CaptureVirt(); return; }
        // Keepalive lets a dead daemon be noticed; drivers without it (test://) just say no.
        if (virConnectSetKeepAlive(r.control, 5, 3) < 0) virResetLastError();
        // Open the data connections at the URI the control one resolved (a NULL URI may
        // resolve differently between two opens otherwise).
        char* resolved = virConnectGetURI(r.control);
        DetachedIO detached;
        for (unsigned i = 0; i < channels; i++) {
          virConnectPtr d = virConnectOpenAuth(resolved ? resolved : u, nullptr, flags);
          if (!d) {
            e.CaptureVirt();
            for (virConnectPtr x : r.data) virConnectClose(x);
            virConnectClose(r.control);
            r.data.clear();
            break;
          }
          r.data.push_back(d);
        }
        free(resolved);
      },
      [this](Napi::Env env, Opened& r) -> Napi::Value {
        conn_ = r.control;
        data_ = r.data;
        return env.Undefined();
      });
}

Napi::Value Connect::Close(const Napi::CallbackInfo& info) {
  // Idempotent: closing a closed connection resolves at once.
  if (!conn_) return Queue<int>(info.Env(), Owner(info), [](int&, NativeError&) {}, nullptr);
  virConnectPtr c = conn_;
  std::vector<virConnectPtr> data = data_;
  Unregister();
  conn_ = nullptr;
  data_.clear();
  return Queue<int>(info.Env(), Owner(info),
      [c, data](int& r, NativeError& e) {
        for (virConnectPtr d : data) virConnectClose(d);
        r = virConnectClose(c);
        if (r < 0) e.CaptureVirt();
      },
      [](Napi::Env env, int& r) { return Napi::Number::New(env, r); });
}

Napi::Value Connect::IsOpen(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), conn_ != nullptr); }

Napi::Value Connect::IsAlive(const Napi::CallbackInfo& info) {
  // Local check, no RPC: safe on the main thread.
  return Napi::Boolean::New(info.Env(), conn_ && virConnectIsAlive(conn_) == 1);
}

Napi::Value Connect::GetURI(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetURI(c); });
}
Napi::Value Connect::GetHostname(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetHostname(c); });
}
Napi::Value Connect::GetType(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueConstString(info, [c] { return virConnectGetType(c); });
}
Napi::Value Connect::GetCapabilities(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetCapabilities(c); });
}
Napi::Value Connect::GetDomainCapabilities(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string emu, arch, machine, virt;
  bool hE = ArgOptString(info, 0, &emu), hA = ArgOptString(info, 1, &arch), hM = ArgOptString(info, 2, &machine),
       hV = ArgOptString(info, 3, &virt);
  unsigned int flags = ArgFlags(info, 4);
  return QueueString(info, [=] {
    return virConnectGetDomainCapabilities(c, hE ? emu.c_str() : nullptr, hA ? arch.c_str() : nullptr,
                                           hM ? machine.c_str() : nullptr, hV ? virt.c_str() : nullptr, flags);
  });
}

static Napi::Value QueueULong(const Napi::CallbackInfo& info, std::function<int(unsigned long*)> call) {
  return Queue<unsigned long>(info.Env(), Owner(info),
      [call](unsigned long& r, NativeError& e) { if (call(&r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, unsigned long& r) { return U64(env, r); });
}
Napi::Value Connect::GetVersion(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueULong(info, [c](unsigned long* v) { return virConnectGetVersion(c, v); });
}
Napi::Value Connect::GetLibVersion(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return QueueULong(info, [c](unsigned long* v) { return virConnectGetLibVersion(c, v); });
}

Napi::Value Connect::NodeGetInfo(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  return Queue<virNodeInfo>(info.Env(), Owner(info),
      [c](virNodeInfo& r, NativeError& e) { if (virNodeGetInfo(c, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, virNodeInfo& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("model", std::string(r.model));
        o.Set("memoryKiB", U64(env, r.memory));
        o.Set("cpus", r.cpus);
        o.Set("mhz", r.mhz);
        o.Set("nodes", r.nodes);
        o.Set("sockets", r.sockets);
        o.Set("cores", r.cores);
        o.Set("threads", r.threads);
        return o;
      });
}

Napi::Value Connect::ListAllDomains(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueList<virDomainPtr>(info, [c, flags](virDomainPtr** out) { return virConnectListAllDomains(c, out, flags); },
                                 &AddonData::domain);
}
Napi::Value Connect::DomainLookupByName(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string name = ArgString(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, name] { return virDomainLookupByName(c, name.c_str()); }, &AddonData::domain);
}
Napi::Value Connect::DomainLookupByUUIDString(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string uuid = ArgString(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, uuid] { return virDomainLookupByUUIDString(c, uuid.c_str()); }, &AddonData::domain);
}
Napi::Value Connect::DomainLookupByID(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  int id = (int)ArgInt64(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, id] { return virDomainLookupByID(c, id); }, &AddonData::domain);
}
Napi::Value Connect::DomainDefineXML(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virDomainPtr>(info, [c, xml, flags] { return virDomainDefineXMLFlags(c, xml.c_str(), flags); }, &AddonData::domain);
}
Napi::Value Connect::DomainCreateXML(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virDomainPtr>(info, [c, xml, flags] { return virDomainCreateXML(c, xml.c_str(), flags); }, &AddonData::domain);
}
Napi::Value Connect::ListAllStoragePools(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueList<virStoragePoolPtr>(info, [c, flags](virStoragePoolPtr** out) { return virConnectListAllStoragePools(c, out, flags); },
                                      &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolLookupByName(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string name = ArgString(info, 0);
  return QueueHandle<virStoragePoolPtr>(info, [c, name] { return virStoragePoolLookupByName(c, name.c_str()); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolLookupByUUIDString(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string uuid = ArgString(info, 0);
  return QueueHandle<virStoragePoolPtr>(info, [c, uuid] { return virStoragePoolLookupByUUIDString(c, uuid.c_str()); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolDefineXML(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virStoragePoolPtr>(info, [c, xml, flags] { return virStoragePoolDefineXML(c, xml.c_str(), flags); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolCreateXML(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virStoragePoolPtr>(info, [c, xml, flags] { return virStoragePoolCreateXML(c, xml.c_str(), flags); }, &AddonData::storagePool);
}
Napi::Value Connect::StorageVolLookupByPath(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string path = ArgString(info, 0);
  return QueueHandle<virStorageVolPtr>(info, [c, path] { return virStorageVolLookupByPath(c, path.c_str()); }, &AddonData::storageVol);
}
Napi::Value Connect::StorageVolLookupByKey(const Napi::CallbackInfo& info) {
  virConnectPtr c = Ptr(info);
  std::string key = ArgString(info, 0);
  return QueueHandle<virStorageVolPtr>(info, [c, key] { return virStorageVolLookupByKey(c, key.c_str()); }, &AddonData::storageVol);
}

// setEventHandler(fn): registers every event family once; the handler receives plain objects.
// Registration is a local call into the client library (no blocking wait on the daemon worth a
// worker), but a remote driver does an RPC; it is done once per connection, so we accept it.
Napi::Value Connect::SetEventHandler(const Napi::CallbackInfo& info) {
  Ptr(info);
  virConnectPtr c = conn_;
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowUsage(info.Env(), "argument 0 must be a function");
  if (sink_) ThrowUsage(info.Env(), "event handler already set");
  sink_ = std::make_shared<EventSink>();
  sink_->tsfn = Napi::ThreadSafeFunction::New(info.Env(), info[0].As<Napi::Function>(), "virtkit-events", 0, 1);
  sink_->tsfn.Unref(info.Env());
  auto reg = [&](int id, virConnectDomainEventGenericCallback cb) {
    auto* ref = new SinkRef(sink_);
    int r = virConnectDomainEventRegisterAny(c, nullptr, id, cb, ref, FreeSinkRef);
    if (r >= 0) domainCallbacks_.push_back(r); else { delete ref; virResetLastError(); }
  };
  reg(VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle));
  reg(VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(OnReboot));
  reg(VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_CALLBACK(OnIOError));
  reg(VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, VIR_DOMAIN_EVENT_CALLBACK(OnBlockJob));
  auto* pref = new SinkRef(sink_);
  int p = virConnectStoragePoolEventRegisterAny(c, nullptr, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                                VIR_STORAGE_POOL_EVENT_CALLBACK(OnPoolLifecycle), pref, FreeSinkRef);
  if (p >= 0) poolCallbacks_.push_back(p); else { delete pref; virResetLastError(); }
  auto* cref = new SinkRef(sink_);
  if (virConnectRegisterCloseCallback(c, OnClose, cref, FreeSinkRef) == 0) closeCallback_ = true;
  else { delete cref; virResetLastError(); }
  return Napi::Number::New(info.Env(), (double)(domainCallbacks_.size() + poolCallbacks_.size()));
}

}  // namespace vk
