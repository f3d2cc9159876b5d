// The Connect wrapper: open (channels, auth, events), calls, close. Events: connect_events.cc;
// credentials: connect_auth.cc.
#include "connect.h"
#include "event_loop.h"
#include "objects.h"
#include "generated/tables.h"
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include "connect_shared.h"

namespace vk {

struct CloseTask final : Task {
  Channels ch;
  void Run() override {
    ch.Close();
    delete this;
  }
};



// ---- class ----

void Connect::Init(Napi::Env env, Napi::Object exports) {
  std::vector<PropertyDescriptor> props = {
      InstanceMethod("open", &Connect::Open),
      InstanceMethod("close", &Connect::Close),
      InstanceMethod("abort", &Connect::Abort),
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
      InstanceMethod("authReply", &Connect::AuthReply),
  };
  AddGenerated<Connect>(props, kConnectGen, kConnectGenCount);
  Napi::Function f = DefineClass(env, "Connect", props);
  Data(env)->connect = Napi::Persistent(f);
  exports.Set("Connect", f);
}

Connect::Connect(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connect>(info) {
  hub_ = Data(info.Env())->hub;
  target_ = hub_->AddTarget(this);
  shared_ = std::make_shared<ConnShared>();
  shared_->hub = hub_;
  shared_->target = target_;
}

Connect::~Connect() {
  // A connection the program dropped without closing (GC, env teardown): released on a pool
  // thread, since closing is an RPC. No N-API here.
  hub_->RemoveTarget(target_);
  for (auto& [id, w] : authWaits_) w->Finish(false);
  authWaits_.clear();
  if (conn_) {
    auto* t = new CloseTask();
    t->ch = callbacks_;
    t->ch.control = conn_;
    t->ch.data = data_;
    conn_ = nullptr;
    data_.clear();
    Submit(t);
  }
}

ConnRef Connect::Ptr(const Napi::CallbackInfo& info) {
  if (!conn_) ThrowUsage(info.Env(), "connection is closed");
  return ConnRef::Share(data_.empty() ? conn_ : data_[rr_++ % data_.size()]);
}

std::vector<ConnRef> Connect::AllChannels(const Napi::CallbackInfo& info) {
  if (!conn_) ThrowUsage(info.Env(), "connection is closed");
  std::vector<ConnRef> all{ConnRef::Share(conn_)};
  for (virConnectPtr d : data_) all.push_back(ConnRef::Share(d));
  return all;
}

void Connect::Emit(Napi::Env env, Napi::Object ev) {
  Napi::Value fn = Value().Get("_onevent");
  if (fn.IsFunction()) fn.As<Napi::Function>().Call(Value(), {ev});
}

// open(uri|null, flags, channels[, onauth, credTypes, authTimeoutMs]): one control connection plus
// `channels` data connections. With `onauth` (kept as the wrapper's `_onauth`), each credential
// request of every channel's open goes to it (AuthMsg) and waits up to authTimeoutMs for authReply;
// without, no callback: a daemon asking for credentials refuses (libvirt's default one would read
// the terminal on a call thread).
Napi::Value Connect::Open(const Napi::CallbackInfo& info) {
  if (conn_) ThrowUsage(info.Env(), "connection is already open");
  std::string uri;
  bool hasUri = ArgOptString(info, 0, &uri);
  unsigned int flags = ArgFlags(info, 1);
  unsigned int channels = ArgFlags(info, 2);
  if (channels > 64) BadArg(info, 2, "is out of range");
  std::vector<int> credTypes;
  AuthCtx actx{hub_, target_, 0};
  bool withAuth = info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull();
  if (withAuth) {
    if (!info[3].IsFunction()) BadArg(info, 3, "must be a function");
    if (info.Length() < 5 || !info[4].IsArray()) BadArg(info, 4, "must be an array");
    Napi::Array t = info[4].As<Napi::Array>();
    if (t.Length() == 0 || t.Length() > 32) BadArg(info, 4, "must list 1 to 32 credential types");
    for (uint32_t i = 0; i < t.Length(); i++) {
      Napi::Value v = t.Get(i);
      if (!v.IsNumber()) BadArg(info, 4, "must hold numbers");
      credTypes.push_back(v.As<Napi::Number>().Int32Value());
    }
    actx.timeoutMs = ArgFlags(info, 5);
    Value().Set("_onauth", info[3]);
  }
  EnsureEventLoop();
  struct Opened {
    Channels ch;
    std::vector<int> controlWatches, dataWatches;
  };
  SharedRef sh = shared_;
  return Queue<Opened>(info.Env(), Self(info),
      [uri, hasUri, flags, channels, sh, credTypes, actx, withAuth](Opened& r, NativeError& e) mutable {
        const char* u = hasUri ? uri.c_str() : nullptr;
        virConnectAuth auth{credTypes.data(), (unsigned)credTypes.size(), AuthCallback, &actx};
        virConnectAuthPtr ap = withAuth ? &auth : nullptr;
        {
          CollectWatches collect(&r.controlWatches);
          r.ch.control = virConnectOpenAuth(u, ap, flags);
        }
        if (!r.ch.control) { e.CaptureVirt(); return; }
        // Keepalive lets a dead or hung daemon be noticed; drivers without it (test://) say no.
        if (virConnectSetKeepAlive(r.ch.control, 5, 3) < 0) virResetLastError();
        // Open the data connections at the URI the control one resolved (a NULL URI may
        // resolve differently between two opens otherwise).
        char* resolved = virConnectGetURI(r.ch.control);
        {
          DetachedIO detached;
          CollectWatches collect(&r.dataWatches);
          for (unsigned i = 0; i < channels; i++) {
            virConnectPtr d = virConnectOpenAuth(resolved ? resolved : u, ap, flags);
            if (!d) {
              e.CaptureVirt();
              r.ch.Close();
              break;
            }
            r.ch.data.push_back(d);
          }
        }
        free(resolved);
        if (e.failed()) return;
        {
          std::lock_guard<std::mutex> l(sh->mu);
          sh->dataWatches = r.dataWatches;
        }
        RegisterEvents(r.ch, sh);
      },
      [this](Napi::Env env, Opened& r) -> Napi::Value {
        conn_ = r.ch.control;
        data_ = r.ch.data;
        callbacks_ = r.ch;  // ids, to deregister at close
        callbacks_.control = nullptr;
        callbacks_.data.clear();
        controlWatches_ = r.controlWatches;
        size_t events = r.ch.domainCallbacks.size();
        r.ch = Channels();
        return Napi::Number::New(env, (double)events);
      },
      [](Opened& r) { r.ch.Close(); });
}

Napi::Value Connect::Close(const Napi::CallbackInfo& info) {
  // Idempotent: closing a closed connection resolves at once.
  if (!conn_) return Queue<int>(info.Env(), Owner(info), [](int&, NativeError&) {}, nullptr);
  Channels ch = callbacks_;
  ch.control = conn_;
  ch.data = data_;
  conn_ = nullptr;
  data_.clear();
  callbacks_ = Channels();
  controlWatches_.clear();
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    shared_->dataWatches.clear();
  }
  return Queue<int>(info.Env(), Owner(info),
      [ch](int& r, NativeError& e) mutable {
        r = ch.Close();
        if (r < 0) e.CaptureVirt();
      },
      [](Napi::Env env, int& r) { return Napi::Number::New(env, r); });
}

// abort(): shuts the sockets of every channel, so that calls blocked on a hung daemon fail now.
// No RPC, main thread. The connection stays to be closed.
Napi::Value Connect::Abort(const Napi::CallbackInfo& info) {
  if (conn_) {
    std::vector<int> ids;
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      ids = shared_->dataWatches;
    }
    ShutdownWatches(ids);
    ShutdownWatches(controlWatches_);
  }
  return info.Env().Undefined();
}

Napi::Value Connect::IsOpen(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), conn_ != nullptr); }

Napi::Value Connect::IsAlive(const Napi::CallbackInfo& info) {
  // Local check, no RPC: safe on the main thread.
  return Napi::Boolean::New(info.Env(), conn_ && virConnectIsAlive(conn_) == 1);
}

Napi::Value Connect::GetURI(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetURI(c); });
}
Napi::Value Connect::GetHostname(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetHostname(c); });
}
Napi::Value Connect::GetType(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  return QueueConstString(info, [c] { return virConnectGetType(c); });
}
Napi::Value Connect::GetCapabilities(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  return QueueString(info, [c] { return virConnectGetCapabilities(c); });
}
Napi::Value Connect::GetDomainCapabilities(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
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
  auto c = Ptr(info);
  return QueueULong(info, [c](unsigned long* v) { return virConnectGetVersion(c, v); });
}
Napi::Value Connect::GetLibVersion(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  return QueueULong(info, [c](unsigned long* v) { return virConnectGetLibVersion(c, v); });
}

Napi::Value Connect::NodeGetInfo(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
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
  auto c = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueList<virDomainPtr>(info, [c, flags](virDomainPtr** out) { return virConnectListAllDomains(c, out, flags); },
                                 &AddonData::domain);
}
Napi::Value Connect::DomainLookupByName(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string name = ArgString(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, name] { return virDomainLookupByName(c, name.c_str()); }, &AddonData::domain);
}
Napi::Value Connect::DomainLookupByUUIDString(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string uuid = ArgString(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, uuid] { return virDomainLookupByUUIDString(c, uuid.c_str()); }, &AddonData::domain);
}
Napi::Value Connect::DomainLookupByID(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  int id = ArgInt32(info, 0);
  return QueueHandle<virDomainPtr>(info, [c, id] { return virDomainLookupByID(c, id); }, &AddonData::domain);
}
Napi::Value Connect::DomainDefineXML(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virDomainPtr>(info, [c, xml, flags] { return virDomainDefineXMLFlags(c, xml.c_str(), flags); }, &AddonData::domain);
}
Napi::Value Connect::DomainCreateXML(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virDomainPtr>(info, [c, xml, flags] { return virDomainCreateXML(c, xml.c_str(), flags); }, &AddonData::domain);
}
Napi::Value Connect::ListAllStoragePools(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueList<virStoragePoolPtr>(info, [c, flags](virStoragePoolPtr** out) { return virConnectListAllStoragePools(c, out, flags); },
                                      &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolLookupByName(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string name = ArgString(info, 0);
  return QueueHandle<virStoragePoolPtr>(info, [c, name] { return virStoragePoolLookupByName(c, name.c_str()); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolLookupByUUIDString(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string uuid = ArgString(info, 0);
  return QueueHandle<virStoragePoolPtr>(info, [c, uuid] { return virStoragePoolLookupByUUIDString(c, uuid.c_str()); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolDefineXML(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virStoragePoolPtr>(info, [c, xml, flags] { return virStoragePoolDefineXML(c, xml.c_str(), flags); }, &AddonData::storagePool);
}
Napi::Value Connect::StoragePoolCreateXML(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueHandle<virStoragePoolPtr>(info, [c, xml, flags] { return virStoragePoolCreateXML(c, xml.c_str(), flags); }, &AddonData::storagePool);
}
Napi::Value Connect::StorageVolLookupByPath(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string path = ArgString(info, 0);
  return QueueHandle<virStorageVolPtr>(info, [c, path] { return virStorageVolLookupByPath(c, path.c_str()); }, &AddonData::storageVol);
}
Napi::Value Connect::StorageVolLookupByKey(const Napi::CallbackInfo& info) {
  auto c = Ptr(info);
  std::string key = ArgString(info, 0);
  return QueueHandle<virStorageVolPtr>(info, [c, key] { return virStorageVolLookupByKey(c, key.c_str()); }, &AddonData::storageVol);
}

// setEventHandler(fn): where events go. Kept as a property of this object (not a persistent
// reference), so that an unreferenced connection can still be collected.
Napi::Value Connect::SetEventHandler(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) BadArg(info, 0, "must be a function");
  Value().Set("_onevent", info[0]);
  return info.Env().Undefined();
}

}  // namespace vk
