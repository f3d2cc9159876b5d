#include "domain.h"
#include "objects.h"
#include "generated/tables.h"
#include <libvirt/virterror.h>

namespace vk {

void Domain::Init(Napi::Env env, Napi::Object exports) {
  std::vector<PropertyDescriptor> props = {
      InstanceMethod("free", &Domain::Free),
      InstanceMethod("dup", &Domain::Dup),
      InstanceMethod("getName", &Domain::GetName),
      InstanceMethod("getUUIDString", &Domain::GetUUIDString),
      InstanceMethod("getID", &Domain::GetID),
      InstanceMethod("isActive", &Domain::IsActive),
      InstanceMethod("isPersistent", &Domain::IsPersistent),
      InstanceMethod("hasManagedSaveImage", &Domain::HasManagedSaveImage),
      InstanceMethod("getInfo", &Domain::GetInfo),
      InstanceMethod("getState", &Domain::GetState),
      InstanceMethod("getXMLDesc", &Domain::GetXMLDesc),
      InstanceMethod("create", &Domain::Create),
      InstanceMethod("shutdown", &Domain::Shutdown),
      InstanceMethod("reboot", &Domain::Reboot),
      InstanceMethod("destroy", &Domain::Destroy),
      InstanceMethod("suspend", &Domain::Suspend),
      InstanceMethod("resume", &Domain::Resume),
      InstanceMethod("undefine", &Domain::Undefine),
      InstanceMethod("rename", &Domain::Rename),
      InstanceMethod("getAutostart", &Domain::GetAutostart),
      InstanceMethod("setAutostart", &Domain::SetAutostart),
      InstanceMethod("getMetadata", &Domain::GetMetadata),
      InstanceMethod("setMetadata", &Domain::SetMetadata),
      InstanceMethod("snapshotCreateXML", &Domain::SnapshotCreateXML),
      InstanceMethod("listAllSnapshots", &Domain::ListAllSnapshots),
      InstanceMethod("snapshotCurrent", &Domain::SnapshotCurrent),
      InstanceMethod("snapshotGetXMLDesc", &Domain::SnapshotGetXMLDesc),
      InstanceMethod("revertToSnapshot", &Domain::RevertToSnapshot),
      InstanceMethod("snapshotDelete", &Domain::SnapshotDelete),
  };
  AddGenerated<Domain>(props, kDomainGen, kDomainGenCount);
  Napi::Function f = DefineClass(env, "Domain", props);
  Data(env)->domain = Napi::Persistent(f);
  exports.Set("Domain", f);
}

Napi::Value Domain::Free(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

// dup(): another wrapper of the same libvirt object, with a reference of its own (no RPC). Lets
// a lookup cache hand out handles that each can be freed on their own.
Napi::Value Domain::Dup(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  virDomainPtr p = d.get();
  virDomainRef(p);  // the new wrapper's own reference
  return Wrap(info.Env(), &AddonData::domain, p);
}

// Name and UUID are cached in the handle by libvirt: no RPC, safe on the main thread.
Napi::Value Domain::GetName(const Napi::CallbackInfo& info) {
  const char* n = virDomainGetName(Borrow(info));
  return Napi::String::New(info.Env(), n ? n : "");
}
Napi::Value Domain::GetUUIDString(const Napi::CallbackInfo& info) {
  char buf[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(Borrow(info), buf) < 0) buf[0] = 0;
  return Napi::String::New(info.Env(), buf);
}

Napi::Value Domain::GetID(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  // -1 (unsigned max) for an inactive domain is a value, not an error.
  return Queue<long long>(info.Env(), Owner(info),
      [d](long long& r, NativeError&) { unsigned int id = virDomainGetID(d); r = id == (unsigned int)-1 ? -1LL : (long long)id; },
      [](Napi::Env env, long long& r) { return Napi::Number::New(env, (double)r); });
}

Napi::Value Domain::IsActive(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueBool(info, [d] { return virDomainIsActive(d); });
}
Napi::Value Domain::IsPersistent(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueBool(info, [d] { return virDomainIsPersistent(d); });
}
Napi::Value Domain::HasManagedSaveImage(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueBool(info, [d] { return virDomainHasManagedSaveImage(d, 0); });
}
Napi::Value Domain::GetAutostart(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return Queue<int>(info.Env(), Owner(info),
      [d](int& r, NativeError& e) { if (virDomainGetAutostart(d, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, int& r) { return Napi::Boolean::New(env, r != 0); });
}
Napi::Value Domain::SetAutostart(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  int on = ArgBool(info, 0) ? 1 : 0;
  return QueueVoid(info, [d, on] { return virDomainSetAutostart(d, on); });
}

// virDomainInfo as the object getInfo resolves with.
static Napi::Value DomainInfoToJS(Napi::Env env, const virDomainInfo& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", r.state);
  o.Set("maxMemKiB", U64(env, r.maxMem));
  o.Set("memoryKiB", U64(env, r.memory));
  o.Set("vcpus", r.nrVirtCpu);
  o.Set("cpuTimeNs", Big(env, r.cpuTime));
  return o;
}

Napi::Value Domain::GetInfo(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return Queue<virDomainInfo>(info.Env(), Owner(info),
      [d](virDomainInfo& r, NativeError& e) { if (virDomainGetInfo(d, &r) < 0) e.CaptureVirt(); },
      [](Napi::Env env, virDomainInfo& r) { return DomainInfoToJS(env, r); });
}

Napi::Value Domain::GetState(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  struct S { int state = 0, reason = 0; };
  return Queue<S>(info.Env(), Owner(info),
      [d](S& r, NativeError& e) { if (virDomainGetState(d, &r.state, &r.reason, 0) < 0) e.CaptureVirt(); },
      [](Napi::Env env, S& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("state", r.state);
        o.Set("reason", r.reason);
        return o;
      });
}

Napi::Value Domain::GetXMLDesc(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return QueueString(info, [d, flags] { return virDomainGetXMLDesc(d, flags); });
}

#define VK_DOMAIN_FLAGS_CALL(Method, fn)                             \
  Napi::Value Domain::Method(const Napi::CallbackInfo& info) {       \
    auto d = Ptr(info);                                      \
    unsigned int flags = ArgFlags(info, 0);                          \
    return QueueVoid(info, [d, flags] { return fn(d, flags); });     \
  }
VK_DOMAIN_FLAGS_CALL(Create, virDomainCreateWithFlags)
VK_DOMAIN_FLAGS_CALL(Shutdown, virDomainShutdownFlags)
VK_DOMAIN_FLAGS_CALL(Reboot, virDomainReboot)
VK_DOMAIN_FLAGS_CALL(Destroy, virDomainDestroyFlags)
VK_DOMAIN_FLAGS_CALL(Undefine, virDomainUndefineFlags)
#undef VK_DOMAIN_FLAGS_CALL

Napi::Value Domain::Suspend(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueVoid(info, [d] { return virDomainSuspend(d); });
}
Napi::Value Domain::Resume(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueVoid(info, [d] { return virDomainResume(d); });
}
Napi::Value Domain::Rename(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  std::string name = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueVoid(info, [d, name, flags] { return virDomainRename(d, name.c_str(), flags); });
}

// getMetadata(type, uri|null, flags): a missing element is VIR_ERR_NO_DOMAIN_METADATA, which
// TypeScript turns into `undefined`.
Napi::Value Domain::GetMetadata(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  int type = (int)ArgFlags(info, 0);
  std::string uri;
  bool hasUri = ArgOptString(info, 1, &uri);
  unsigned int flags = ArgFlags(info, 2);
  return QueueString(info, [=] { return virDomainGetMetadata(d, type, hasUri ? uri.c_str() : nullptr, flags); });
}
// setMetadata(type, metadata|null, key|null, uri|null, flags)
Napi::Value Domain::SetMetadata(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  int type = (int)ArgFlags(info, 0);
  std::string md, key, uri;
  bool hMd = ArgOptString(info, 1, &md), hKey = ArgOptString(info, 2, &key), hUri = ArgOptString(info, 3, &uri);
  unsigned int flags = ArgFlags(info, 4);
  return QueueVoid(info, [=] {
    return virDomainSetMetadata(d, type, hMd ? md.c_str() : nullptr, hKey ? key.c_str() : nullptr,
                                hUri ? uri.c_str() : nullptr, flags);
  });
}

// Snapshots are addressed by name: each call looks the snapshot up, acts, and frees it on the
// worker, so no snapshot handle crosses into JS.
static Napi::Value WithSnapshot(const Napi::CallbackInfo& info, DomainRef d, const std::string& name,
                                std::function<char*(virDomainSnapshotPtr)> act) {
  return Queue<std::string>(info.Env(), Owner(info),
      [d, name, act](std::string& r, NativeError& e) {
        virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, name.c_str(), 0);
        if (!s) { e.CaptureVirt(); return; }
        char* out = act(s);
        if (!out) e.CaptureVirt(); else r = TakeString(out);  // capture before Free resets the error
        virDomainSnapshotFree(s);
      },
      [](Napi::Env env, std::string& r) { return Napi::String::New(env, r); });
}

Napi::Value Domain::SnapshotCreateXML(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  std::string xml = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return QueueString(info, [d, xml, flags]() -> char* {
    virDomainSnapshotPtr s = virDomainSnapshotCreateXML(d, xml.c_str(), flags);
    if (!s) return nullptr;
    char* name = strdup(virDomainSnapshotGetName(s));
    virDomainSnapshotFree(s);
    return name;
  });
}
Napi::Value Domain::SnapshotCurrent(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  return QueueString(info, [d]() -> char* {
    virDomainSnapshotPtr s = virDomainSnapshotCurrent(d, 0);
    if (!s) return nullptr;
    char* name = strdup(virDomainSnapshotGetName(s));
    virDomainSnapshotFree(s);
    return name;
  });
}
Napi::Value Domain::ListAllSnapshots(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  unsigned int flags = ArgFlags(info, 0);
  return Queue<std::vector<std::string>>(info.Env(), Owner(info),
      [d, flags](std::vector<std::string>& r, NativeError& e) {
        virDomainSnapshotPtr* snaps = nullptr;
        int n = virDomainListAllSnapshots(d, &snaps, flags);
        if (n < 0) { e.CaptureVirt(); return; }
        for (int i = 0; i < n; i++) {
          r.push_back(virDomainSnapshotGetName(snaps[i]));
          virDomainSnapshotFree(snaps[i]);
        }
        free(snaps);
      },
      [](Napi::Env env, std::vector<std::string>& r) -> Napi::Value { return ToArray(env, r); });
}
Napi::Value Domain::SnapshotGetXMLDesc(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  std::string name = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return WithSnapshot(info, d, name, [flags](virDomainSnapshotPtr s) { return virDomainSnapshotGetXMLDesc(s, flags); });
}
Napi::Value Domain::RevertToSnapshot(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  std::string name = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return WithSnapshot(info, d, name, [flags](virDomainSnapshotPtr s) -> char* {
    return virDomainRevertToSnapshot(s, flags) < 0 ? nullptr : strdup("");
  });
}
Napi::Value Domain::SnapshotDelete(const Napi::CallbackInfo& info) {
  auto d = Ptr(info);
  std::string name = ArgString(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  return WithSnapshot(info, d, name, [flags](virDomainSnapshotPtr s) -> char* {
    return virDomainSnapshotDelete(s, flags) < 0 ? nullptr : strdup("");
  });
}

}  // namespace vk
