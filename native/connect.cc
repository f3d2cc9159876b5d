#include "connect.h"
#include "event_loop.h"
#include "objects.h"
#include "generated/tables.h"
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

namespace vk {

// What libvirt's callbacks (on the event-loop thread) share with the wrapper: where to post, and
// which sockets to shut when the control connection dies. Held by every callback's opaque, so it
// outlives the wrapper and the env if libvirt calls late.
struct ConnShared {
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  std::mutex mu;
  std::vector<int> dataWatches;  // with mu: sockets of the call channels
};
using SharedRef = std::shared_ptr<ConnShared>;
static void FreeSharedRef(void* p) { delete static_cast<SharedRef*>(p); }
static ConnShared* SharedOf(void* opaque) { return static_cast<SharedRef*>(opaque)->get(); }

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

// ---- auth: libvirt asks for credentials on the call thread running virConnectOpenAuth ----
//
// The callback posts the request to the env's hub and blocks that call thread until JS answers
// (authReply), the wait's deadline passes, or the request can no longer be answered (wrapper or
// env gone). The answers are copied into malloc'd results (libvirt frees them) and wiped here.

struct AuthWait {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, ok = false;  // with mu
  std::vector<std::string> answers;  // with mu
  void Finish(bool good, std::vector<std::string>* a = nullptr) {
    std::lock_guard<std::mutex> l(mu);
    if (done) return;
    done = true;
    ok = good;
    if (a) answers.swap(*a);
    cv.notify_all();
  }
};

static void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(&s[0], s.size());
  s.clear();
}

struct AuthMsg final : Msg {
  uint64_t target = 0;
  std::shared_ptr<AuthWait> wait;
  std::vector<int> types;
  std::vector<std::string> prompts, challenges, defaults;
  std::vector<bool> hasChallenge, hasDefault;
  bool handed = false;
  // Not delivered (env torn down) or not handed on: nobody will answer.
  ~AuthMsg() override {
    if (!handed) wait->Finish(false);
  }
  void Deliver(Napi::Env env) override {
    auto* c = static_cast<Connect*>(Data(env)->hub->Target(target));
    if (!c) return;  // the wrapper is gone: the destructor fails the wait
    Napi::Array a = Napi::Array::New(env, types.size());
    for (size_t i = 0; i < types.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", types[i]);
      o.Set("prompt", prompts[i]);
      if (hasChallenge[i]) o.Set("challenge", challenges[i]);
      if (hasDefault[i]) o.Set("defresult", defaults[i]);
      a.Set(i, o);
    }
    handed = c->AuthAsked(env, wait, a);
  }
};

struct AuthCtx {
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  unsigned timeoutMs = 0;  // 0: until answered (the wrapper, the env or JS ends the wait)
};

static int AuthCallback(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata) {
  auto* ctx = static_cast<AuthCtx*>(cbdata);
  if (ncred == 0) return 0;
  auto w = std::make_shared<AuthWait>();
  auto* m = new AuthMsg();
  m->target = ctx->target;
  m->wait = w;
  for (unsigned i = 0; i < ncred; i++) {
    m->types.push_back(cred[i].type);
    m->prompts.push_back(cred[i].prompt ? cred[i].prompt : "");
    m->hasChallenge.push_back(cred[i].challenge != nullptr);
    m->challenges.push_back(cred[i].challenge ? cred[i].challenge : "");
    m->hasDefault.push_back(cred[i].defresult != nullptr);
    m->defaults.push_back(cred[i].defresult ? cred[i].defresult : "");
  }
  ctx->hub->Post(m);
  std::unique_lock<std::mutex> l(w->mu);
  if (ctx->timeoutMs > 0)
    w->cv.wait_for(l, std::chrono::milliseconds(ctx->timeoutMs), [&] { return w->done; });
  else
    w->cv.wait(l, [&] { return w->done; });
  bool good = w->done && w->ok && w->answers.size() == ncred;
  w->done = true;  // a late answer finds the wait closed
  if (good) {
    for (unsigned i = 0; i < ncred; i++) {
      const std::string& s = w->answers[i];
      cred[i].result = static_cast<char*>(malloc(s.size() + 1));
      if (!cred[i].result) { good = false; break; }
      memcpy(cred[i].result, s.c_str(), s.size() + 1);
      cred[i].resultlen = s.size();
    }
  }
  for (auto& s : w->answers) Wipe(s);
  if (!good)
    for (unsigned i = 0; i < ncred; i++) {
      if (cred[i].result) explicit_bzero(cred[i].result, cred[i].resultlen);
      free(cred[i].result);
      cred[i].result = nullptr;
      cred[i].resultlen = 0;
    }
  return good ? 0 : -1;
}

bool Connect::AuthAsked(Napi::Env env, std::shared_ptr<AuthWait> w, Napi::Array creds) {
  Napi::Value fn = Value().Get("_onauth");
  if (!fn.IsFunction()) return false;  // no handler: the message's destructor fails the wait
  uint64_t id = nextAuth_++;
  authWaits_[id] = w;
  try {
    fn.As<Napi::Function>().Call(Value(), {creds, Napi::Number::New(env, (double)id)});
  } catch (const Napi::Error&) {
    authWaits_.erase(id);
    w->Finish(false);
  }
  return true;
}

// authReply(id, answers | null): true when the request was still waiting.
Napi::Value Connect::AuthReply(const Napi::CallbackInfo& info) {
  uint64_t id = (uint64_t)IntegerNumber(info, 0, 1, 9007199254740991.0);
  auto it = authWaits_.find(id);
  if (it == authWaits_.end()) return Napi::Boolean::New(info.Env(), false);
  std::shared_ptr<AuthWait> w = it->second;
  authWaits_.erase(it);
  if (info.Length() < 2 || !info[1].IsArray()) {
    w->Finish(false);
    return Napi::Boolean::New(info.Env(), true);
  }
  Napi::Array a = info[1].As<Napi::Array>();
  std::vector<std::string> answers;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
    if (!v.IsString() || s.find('\0') != std::string::npos) {
      Wipe(s);
      for (auto& x : answers) Wipe(x);
      w->Finish(false);
      ThrowInvalid(info.Env(), "answer " + std::to_string(i) + " must be a string without NUL");
    }
    answers.push_back(std::move(s));
  }
  w->Finish(true, &answers);
  for (auto& x : answers) Wipe(x);
  return Napi::Boolean::New(info.Env(), true);
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
struct CloseTask final : Task {
  Channels ch;
  void Run() override {
    ch.Close();
    delete this;
  }
};

// Registers every event family on the control connection (RPCs: on the pool thread).
static void RegisterEvents(Channels& ch, const SharedRef& sh) {
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
