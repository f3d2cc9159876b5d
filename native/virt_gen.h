// The converter behind every generated libvirt method (native/generated/*_methods.inc).
//
// scripts/gen-libvirt-bindings.mjs reads libvirt-api.xml and writes, per C function, one line
//   VK_GEN("setMemory", virDomainSetMemory, "", nullptr, RVoid, This<virDomainPtr>, Num<unsigned long>)
// naming a return shape (R*) and one holder per C parameter. Fn<> checks at compile time that the
// holders' C types are exactly the function's; Invoke<> is instantiated once per *signature*
// (not per function), so the table stays cheap to compile. At call time, on the main thread, the
// holders read the JS arguments strictly (ThrowInvalid: INVALID_ARGUMENT) and take a libvirt
// reference of the call's own to every object (handle.h); on a call thread the C function runs and
// the references are dropped; on the main thread the out values become the result: none -> the
// return shape's value, one -> that value, several -> an object keyed by the `outs` names.
//
// JS <- C:  int, unsigned int, unsigned long, double -> number; long long, unsigned long long ->
//           bigint (counters pass 2^53); char* -> string (freed); handles -> wrappers; lists -> arrays;
//           typed parameters -> plain objects (64-bit fields as bigint).
// C <- JS:  numbers are integers in the C type's range (64-bit: a safe integer or a bigint);
//           strings without NUL; null only where the XML says the argument may be NULL.
#pragma once
#include <libvirt/libvirt-qemu.h>
#include <cstring>
#include <tuple>
#include <utility>
#include <type_traits>
#include <vector>
#include "connect.h"
#include "domain.h"
#include "objects.h"
#include "overrides/structs.h"
#include "storage_pool.h"
#include "storage_vol.h"

namespace vk {
namespace gen {

// ---- object types: which class wraps each libvirt pointer ----

template <typename P> struct ObjT;
#define VK_OBJ(P, Cls, member)                                                                  \
  template <> struct ObjT<P> {                                                                   \
    static constexpr Napi::FunctionReference AddonData::*ctor = &AddonData::member;              \
    static auto Share(const Napi::CallbackInfo& info, Napi::Object o) { return Cls::ShareFrom(info, o); } \
  };
VK_OBJ(virDomainPtr, Domain, domain)
VK_OBJ(virStoragePoolPtr, StoragePool, storagePool)
VK_OBJ(virStorageVolPtr, StorageVol, storageVol)
VK_OBJ(virNetworkPtr, Network, network)
VK_OBJ(virNetworkPortPtr, NetworkPort, networkPort)
VK_OBJ(virInterfacePtr, Interface, iface)
VK_OBJ(virSecretPtr, Secret, secret)
VK_OBJ(virNodeDevicePtr, NodeDevice, nodeDevice)
VK_OBJ(virNWFilterPtr, NWFilter, nwfilter)
VK_OBJ(virNWFilterBindingPtr, NWFilterBinding, nwfilterBinding)
VK_OBJ(virDomainSnapshotPtr, DomainSnapshot, domainSnapshot)
VK_OBJ(virDomainCheckpointPtr, DomainCheckpoint, domainCheckpoint)
VK_OBJ(virConnectPtr, Connect, connect)
#undef VK_OBJ

template <typename P> int RefObj(P p);
template <> inline int RefObj(virDomainPtr p) { return virDomainRef(p); }
template <> inline int RefObj(virNetworkPtr p) { return virNetworkRef(p); }

template <typename P> void FreeObj(P p);
template <> inline void FreeObj(virDomainPtr p) { virDomainFree(p); }
template <> inline void FreeObj(virStoragePoolPtr p) { virStoragePoolFree(p); }
template <> inline void FreeObj(virStorageVolPtr p) { virStorageVolFree(p); }
template <> inline void FreeObj(virNetworkPtr p) { virNetworkFree(p); }
template <> inline void FreeObj(virNetworkPortPtr p) { virNetworkPortFree(p); }
template <> inline void FreeObj(virInterfacePtr p) { virInterfaceFree(p); }
template <> inline void FreeObj(virSecretPtr p) { virSecretFree(p); }
template <> inline void FreeObj(virNodeDevicePtr p) { virNodeDeviceFree(p); }
template <> inline void FreeObj(virNWFilterPtr p) { virNWFilterFree(p); }
template <> inline void FreeObj(virNWFilterBindingPtr p) { virNWFilterBindingFree(p); }
template <> inline void FreeObj(virDomainSnapshotPtr p) { virDomainSnapshotFree(p); }
template <> inline void FreeObj(virDomainCheckpointPtr p) { virDomainCheckpointFree(p); }

// ---- contexts ----

struct ReadCtx {
  const Napi::CallbackInfo& info;
  const GenMethod& m;
  uint32_t js = 0;    // next JS argument
  size_t count = 0;   // element count of the last array read, for the count parameter after it
  std::string Name(uint32_t i) const { return "argument " + std::to_string(i); }
  Napi::Value Next(uint32_t* i) {
    *i = js++;
    return *i < info.Length() ? info[*i] : info.Env().Undefined();
  }
  [[noreturn]] void Bad(uint32_t i, const std::string& what) const { ThrowInvalid(info.Env(), Name(i) + " " + what); }
};

// What holders share during the call (typed parameters filled by libvirt, output sizes).
struct CallCtx {
  virTypedParameterPtr tp = nullptr;
  int tpn = 0;
  unsigned int tpnu = 0;
  size_t size = 0;
  ~CallCtx() {
    if (tp) virTypedParamsFree(tp, tpn ? tpn : (int)tpnu);
  }
};

Napi::Value TypedParamsToJS(Napi::Env env, virTypedParameterPtr p, int n);
// JS object -> typed parameters, types from `fields` (INVALID_ARGUMENT for an unknown field).
void TypedParamsFromJS(ReadCtx& c, uint32_t i, Napi::Value v, virTypedParameterPtr* out, int* n);
double CheckedNumber(ReadCtx& c, uint32_t i, Napi::Value v, double lo, double hi);
int64_t CheckedInt64(ReadCtx& c, uint32_t i, Napi::Value v);
uint64_t CheckedUint64(ReadCtx& c, uint32_t i, Napi::Value v);

// A holder: C (the parameter's C type), Read (main thread), Get (call thread), Release (drops
// references on the call thread), and for outs: Out (main thread) and Discard (never delivered).
struct Base {
  static constexpr bool kOut = false;
  static constexpr bool kTwoPhase = false;
  void Release() {}
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return env.Undefined(); }
  void Discard(CallCtx&, long long) {}
};
struct OutBase : Base {
  static constexpr bool kOut = true;
};

// ---- inputs ----

template <typename P>
struct This : Base {
  using C = P;
  decltype(ObjT<P>::Share(std::declval<const Napi::CallbackInfo&>(), Napi::Object())) r;
  void Read(ReadCtx& c) { r = ObjT<P>::Share(c.info, c.info.This().As<Napi::Object>()); }
  C Get(CallCtx&) { return r.get(); }
  void Release() { r = decltype(r)(); }
};

template <typename P, bool Nullable>
struct ObjArg : Base {
  using C = P;
  decltype(ObjT<P>::Share(std::declval<const Napi::CallbackInfo&>(), Napi::Object())) r;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value v = c.Next(&i);
    if (Nullable && (v.IsNull() || v.IsUndefined())) return;
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf((Data(c.info.Env())->*ObjT<P>::ctor).Value()))
      c.Bad(i, "must be a native object of the right class");
    r = ObjT<P>::Share(c.info, v.As<Napi::Object>());
  }
  C Get(CallCtx&) { return r.get(); }
  void Release() { r = decltype(r)(); }
};

template <bool Nullable>
struct StrT : Base {
  using C = const char*;
  std::string s;
  bool null = false;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value v = c.Next(&i);
    if (Nullable && (v.IsNull() || v.IsUndefined())) { null = true; return; }
    if (!v.IsString()) c.Bad(i, Nullable ? "must be a string or null" : "must be a string");
    s = StrictUtf8(c.info.Env(), v, c.Name(i));
  }
  C Get(CallCtx&) { return null ? nullptr : s.c_str(); }
};
using Str = StrT<false>;
using OptStr = StrT<true>;

template <typename T>
struct Num : Base {
  using C = T;
  T v{};
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if constexpr (std::is_floating_point_v<T>) {
      if (!x.IsNumber()) c.Bad(i, "must be a number");
      v = x.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(v)) c.Bad(i, "must be finite");
    } else if constexpr (sizeof(T) == 8 && std::is_signed_v<T>) {
      v = (T)CheckedInt64(c, i, x);
    } else if constexpr (sizeof(T) == 8) {
      v = (T)CheckedUint64(c, i, x);
    } else {
      v = (T)CheckedNumber(c, i, x, (double)std::numeric_limits<T>::min(), (double)std::numeric_limits<T>::max());
    }
  }
  C Get(CallCtx&) { return v; }
};

// The trailing `unsigned int flags`: absent means 0.
struct Flags : Base {
  using C = unsigned int;
  unsigned int v = 0;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (x.IsUndefined()) return;
    v = (unsigned int)CheckedNumber(c, i, x, 0, 4294967295.0);
  }
  C Get(CallCtx&) { return v; }
};

// The element count of the array read just before (no JS argument of its own).
template <typename T>
struct Count : Base {
  using C = T;
  T v{};
  void Read(ReadCtx& c) { v = (T)c.count; }
  C Get(CallCtx&) { return v; }
};

// const char** + count: string[].
struct StrArr : Base {
  using C = const char**;
  std::vector<std::string> s;
  std::vector<const char*> p;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsArray()) c.Bad(i, "must be an array of strings");
    Napi::Array a = x.As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); k++) {
      Napi::Value e = a.Get(k);
      if (!e.IsString()) c.Bad(i, "must be an array of strings");
      s.push_back(StrictUtf8(c.info.Env(), e, c.Name(i)));
    }
    c.count = s.size();
  }
  C Get(CallCtx&) {
    p.clear();
    for (auto& x : s) p.push_back(x.c_str());
    p.push_back(nullptr);
    return p.data();
  }
};

// unsigned int n + int* fds (count first): number[] of file descriptors of this process.
struct CountBefore : Base {
  using C = unsigned int;
  unsigned int v = 0;
  void Read(ReadCtx& c) {
    Napi::Value x = c.js < c.info.Length() ? c.info[c.js] : c.info.Env().Undefined();
    if (x.IsArray()) v = x.As<Napi::Array>().Length();  // the array itself is checked next
  }
  C Get(CallCtx&) { return v; }
};
struct IntArrIn : Base {
  using C = int*;
  std::vector<int> v;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsArray()) c.Bad(i, "must be an array of file descriptors");
    Napi::Array a = x.As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); k++) v.push_back((int)CheckedNumber(c, i, a.Get(k), 0, 2147483647.0));
  }
  C Get(CallCtx&) { return v.data(); }
};

// const unsigned char* + size_t: a Buffer (secret values).
struct BufIn : Base {
  using C = const unsigned char*;
  std::vector<unsigned char> b;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsBuffer()) c.Bad(i, "must be a Buffer");
    auto buf = x.As<Napi::Buffer<unsigned char>>();
    b.assign(buf.Data(), buf.Data() + buf.Length());
    c.count = b.size();
  }
  C Get(CallCtx&) { return b.data(); }
  ~BufIn() { std::fill(b.begin(), b.end(), 0); }  // may hold a secret
};

// const unsigned char uuid[VIR_UUID_BUFLEN]: a Buffer of 16 bytes.
struct UuidIn : Base {
  using C = const unsigned char*;
  unsigned char u[VIR_UUID_BUFLEN];
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsBuffer() || x.As<Napi::Buffer<unsigned char>>().Length() != VIR_UUID_BUFLEN)
      c.Bad(i, "must be a Buffer of 16 bytes");
    memcpy(u, x.As<Napi::Buffer<unsigned char>>().Data(), VIR_UUID_BUFLEN);
  }
  C Get(CallCtx&) { return u; }
};

// virTypedParameterPtr + count: a plain object, field types from the function's family.
struct TpIn : Base {
  using C = virTypedParameterPtr;
  virTypedParameterPtr p = nullptr;
  int n = 0;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    TypedParamsFromJS(c, i, x, &p, &n);
    c.count = (size_t)n;
  }
  C Get(CallCtx&) { return p; }
  TpIn() = default;
  TpIn(const TpIn&) = delete;
  ~TpIn() {
    if (p) virTypedParamsFree(p, n);
  }
};

// unsigned char* cpumap + int maplen, read by libvirt (Pin* calls): a Buffer.
struct BytesIn : Base {
  using C = unsigned char*;
  std::vector<unsigned char> b;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsBuffer()) c.Bad(i, "must be a Buffer");
    auto buf = x.As<Napi::Buffer<unsigned char>>();
    b.assign(buf.Data(), buf.Data() + buf.Length());
    c.count = b.size();
  }
  C Get(CallCtx&) { return b.data(); }
};

// unsigned int* values + int count: number[] (send-key codes).
struct U32Arr : Base {
  using C = unsigned int*;
  std::vector<unsigned int> v;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    if (!x.IsArray()) c.Bad(i, "must be an array of numbers");
    Napi::Array a = x.As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); k++) v.push_back((unsigned int)CheckedNumber(c, i, a.Get(k), 0, 4294967295.0));
    c.count = v.size();
  }
  C Get(CallCtx&) { return v.data(); }
};

// size_t size of the void* buffer after it (peeks): at most 64 MiB per call.
struct SizeArg : Base {
  using C = size_t;
  size_t v = 0;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    v = (size_t)CheckedNumber(c, i, x, 0, 64.0 * 1024 * 1024);
    c.count = v;
  }
  C Get(CallCtx&) { return v; }
};

// ---- outs ----

// unsigned char* cpumap + int maplen, filled by libvirt (Get* calls): JS passes the length.
struct BytesOut : OutBase {
  using C = unsigned char*;
  std::vector<unsigned char> b;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    c.count = (size_t)CheckedNumber(c, i, x, 1, 65536);
    b.assign(c.count, 0);
  }
  C Get(CallCtx&) { return b.data(); }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return Napi::Buffer<unsigned char>::Copy(env, b.data(), b.size()); }
};
// void* buffer sized by the SizeArg before it.
struct BytesOut0 : OutBase {
  using C = void*;
  std::vector<unsigned char> b;
  void Read(ReadCtx& c) { b.assign(c.count, 0); }
  C Get(CallCtx&) { return b.data(); }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return Napi::Buffer<unsigned char>::Copy(env, b.data(), b.size()); }
};

// char buf[VIR_UUID_STRING_BUFLEN] out.
struct UuidStrOut : OutBase {
  using C = char*;
  char u[VIR_UUID_STRING_BUFLEN] = {};
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return u; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return Napi::String::New(env, u); }
};

template <typename T>
struct OutNum : OutBase {
  using C = T*;
  T v{};
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &v; }
  Napi::Value Out_(Napi::Env env) {
    if constexpr (sizeof(T) == 8 && !std::is_floating_point_v<T> && !std::is_same_v<T, unsigned long>) {
      if constexpr (std::is_signed_v<T>) return Napi::BigInt::New(env, (int64_t)v);
      else return Napi::BigInt::New(env, (uint64_t)v);
    } else {
      return Napi::Number::New(env, (double)v);
    }
  }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return Out_(env); }
};

// char** out, owned by the caller.
struct OutStr : OutBase {
  using C = char**;
  char* s = nullptr;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &s; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) {
    Napi::Value v = s ? Napi::Value(Napi::String::New(env, s)) : env.Null();
    free(s);
    s = nullptr;
    return v;
  }
  void Discard(CallCtx&, long long) { free(s); }
};

// unsigned char uuid[VIR_UUID_BUFLEN] out: a Buffer of 16 bytes.
struct UuidOut : OutBase {
  using C = unsigned char*;
  unsigned char u[VIR_UUID_BUFLEN] = {};
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return u; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return Napi::Buffer<unsigned char>::Copy(env, u, VIR_UUID_BUFLEN); }
};

// P** list of new handles; the count is the return value.
template <typename P>
struct OutList : OutBase {
  using C = P**;
  P* items = nullptr;
  long long taken = 0;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &items; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (; taken < n; taken++) a.Set((uint32_t)taken, Wrap(env, ObjT<P>::ctor, items[taken]));
    free(items);
    items = nullptr;
    return a;
  }
  void Discard(CallCtx&, long long n) {
    if (!items) return;
    for (long long i = taken; i < n; i++) FreeObj(items[i]);
    free(items);
  }
};

// char*** list of strings; the count is the return value.
struct OutStrList : OutBase {
  using C = char***;
  char** items = nullptr;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &items; }
  Napi::Value Out(Napi::Env env, CallCtx& cc, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (long long i = 0; i < n; i++) a.Set((uint32_t)i, items[i] ? items[i] : "");
    Discard(cc, n);
    return a;
  }
  void Discard(CallCtx&, long long n) {
    if (!items) return;
    for (long long i = 0; i < n; i++) free(items[i]);
    free(items);
    items = nullptr;
  }
};

// char** names + int max (caller-allocated, the deprecated List* calls): JS passes the maximum.
struct Names : OutBase {
  using C = char**;
  std::vector<char*> items;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    c.count = (size_t)CheckedNumber(c, i, x, 0, 65536);
    items.assign(c.count, nullptr);
  }
  C Get(CallCtx&) { return items.data(); }
  Napi::Value Out(Napi::Env env, CallCtx& cc, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (long long i = 0; i < n && i < (long long)items.size(); i++) a.Set((uint32_t)i, items[i] ? items[i] : "");
    Discard(cc, n);
    return a;
  }
  void Discard(CallCtx&, long long) {
    for (char*& s : items) { free(s); s = nullptr; }
  }
};

// int* ids + int max (virConnectListDomains): JS passes the maximum.
struct IntArrOut : OutBase {
  using C = int*;
  std::vector<int> items;
  void Read(ReadCtx& c) {
    uint32_t i;
    Napi::Value x = c.Next(&i);
    c.count = (size_t)CheckedNumber(c, i, x, 0, 65536);
    items.assign(c.count, 0);
  }
  C Get(CallCtx&) { return items.data(); }
  Napi::Value Out(Napi::Env env, CallCtx&, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (long long i = 0; i < n && i < (long long)items.size(); i++) a.Set((uint32_t)i, items[i]);
    return a;
  }
};

// A struct filled by libvirt (StructToJS overloads: overrides/structs.h).
template <typename T>
struct OutStruct : OutBase {
  using C = T*;
  T v{};
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &v; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long) { return StructToJS(env, v); }
  void Discard(CallCtx&, long long) { StructClear(v); }
};
// The size_t after a struct out: its size.
template <typename T>
struct SizeOf : Base {
  using C = size_t;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return sizeof(T); }
};

// T** list of structs allocated by libvirt, freed one by one (StructFree overloads).
template <typename T>
struct OutStructList : OutBase {
  using C = T***;
  T** items = nullptr;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &items; }
  Napi::Value Out(Napi::Env env, CallCtx& cc, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (long long i = 0; i < n; i++) a.Set((uint32_t)i, StructToJS(env, *items[i]));
    Discard(cc, n);
    return a;
  }
  void Discard(CallCtx&, long long n) {
    if (!items) return;
    for (long long i = 0; i < n; i++) StructFree(items[i]);
    free(items);
    items = nullptr;
  }
};

// T* array of structs allocated by libvirt (free() once); the count is the return value.
template <typename T>
struct OutStructArr : OutBase {
  using C = T**;
  T* items = nullptr;
  void Read(ReadCtx&) {}
  C Get(CallCtx&) { return &items; }
  Napi::Value Out(Napi::Env env, CallCtx&, long long n) {
    Napi::Array a = Napi::Array::New(env, (size_t)n);
    for (long long i = 0; i < n; i++) a.Set((uint32_t)i, StructToJS(env, items[i]));
    free(items);
    items = nullptr;
    return a;
  }
  void Discard(CallCtx&, long long) { free(items); }
};

// virTypedParameterPtr filled by libvirt into a caller buffer: called twice, first for the count.
struct TpBuf : OutBase {
  static constexpr bool kTwoPhase = true;
  using C = virTypedParameterPtr;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return cc.tp; }
  Napi::Value Out(Napi::Env env, CallCtx& cc, long long) { return TypedParamsToJS(env, cc.tp, cc.tpn); }
};
// virTypedParameterPtr* allocated by libvirt.
struct TpAlloc : OutBase {
  using C = virTypedParameterPtr*;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return &cc.tp; }
  Napi::Value Out(Napi::Env env, CallCtx& cc, long long) {
    return TypedParamsToJS(env, cc.tp, cc.tpn ? cc.tpn : (int)cc.tpnu);
  }
};
// The nparams of a typed-parameter out (hidden).
struct TpN : Base {
  using C = int*;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return &cc.tpn; }
};
struct TpNU : Base {
  using C = unsigned int*;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return &cc.tpnu; }
};
// size_t* size of a returned buffer (hidden).
struct SizeOut : Base {
  using C = size_t*;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return &cc.size; }
};

// ---- return shapes ----

struct RIntBase {
  static constexpr bool kValued = false;
  using C = int;
  static bool Failed(int r) { return r < 0; }
  static void Discard(int) {}
  static long long Count(int r) { return r; }
};
struct RVoid : RIntBase {
  static Napi::Value Value(Napi::Env env, int&) { return env.Undefined(); }
};
struct RInt : RIntBase {
  static Napi::Value Value(Napi::Env env, int& r) { return Napi::Number::New(env, r); }
};
struct RBool : RIntBase {
  static Napi::Value Value(Napi::Env env, int& r) { return Napi::Boolean::New(env, r > 0); }
};
// 1: the outs are valid; 0: nothing to report (resolves with null).
struct RNullIfZero : RIntBase {
  static Napi::Value Value(Napi::Env env, int&) { return env.Undefined(); }
};
struct RStr {
  static constexpr bool kValued = true;
  using C = char*;
  static bool Failed(char* r) { return !r; }
  static Napi::Value Value(Napi::Env env, char*& r) {
    Napi::Value v = Napi::String::New(env, r);
    free(r);
    r = nullptr;
    return v;
  }
  static void Discard(char* r) { free(r); }
  static long long Count(char*) { return 0; }
};
struct RCStr {
  static constexpr bool kValued = true;
  using C = const char*;
  static bool Failed(const char* r) { return !r; }
  static Napi::Value Value(Napi::Env env, const char*& r) { return Napi::String::New(env, r); }
  static void Discard(const char*) {}
  static long long Count(const char*) { return 0; }
};
template <typename P>
struct RHandle {
  static constexpr bool kValued = true;
  using C = P;
  static bool Failed(P r) { return !r; }
  static Napi::Value Value(Napi::Env env, P& r) {
    P p = r;
    r = nullptr;  // the wrapper owns it now
    return Wrap(env, ObjT<P>::ctor, p);
  }
  static void Discard(P r) {
    if (r) FreeObj(r);
  }
  static long long Count(P) { return 0; }
};
// A handle the object only lends (virDomainSnapshotGetDomain, virNetworkPortGetNetwork: "the
// reference counter is not increased"): the call takes one for the wrapper on the call thread.
template <typename P>
struct RBorrowed : RHandle<P> {
  static constexpr bool kBorrowed = true;
};

// unsigned results whose failure is 0 (or -1) with an error set: the error decides.
template <typename T>
struct RNum {
  static constexpr bool kValued = true;
  using C = T;
  static bool Failed(T) { return virGetLastError() != nullptr; }
  static Napi::Value Value(Napi::Env env, T& r) {
    if constexpr (sizeof(T) == 8 && !std::is_same_v<T, unsigned long>) return Napi::BigInt::New(env, (uint64_t)r);
    else return Napi::Number::New(env, (double)r);
  }
  static void Discard(T) {}
  static long long Count(T) { return 0; }
};
// unsigned char* + size_t* out: a Buffer (secret values: wiped before free).
struct RBuf {
  static constexpr bool kValued = true;
  using C = unsigned char*;
  static bool Failed(unsigned char* r) { return !r; }
  static void Discard(unsigned char* r) { free(r); }
  static long long Count(unsigned char*) { return 0; }
};

// ---- the call ----

template <typename R, typename... H>
inline void (*Fn(typename R::C (*f)(typename H::C...)))() {
  return reinterpret_cast<void (*)()>(f);
}

Napi::Value Assemble(Napi::Env env, const char* outs, std::vector<Napi::Value>& vals, Napi::Value ret);
void CheckNoMore(ReadCtx& rc);

template <typename R, typename = void>
struct IsBorrowed : std::false_type {};
template <typename R>
struct IsBorrowed<R, std::void_t<decltype(R::kBorrowed)>> : std::true_type {};

// The job of one generated call: the promise, the hub, delivery (virt_gen.cc). Not a template,
// so that each signature instantiates only its own Call/Done/Discard.
class GenJobBase : public Task, public Msg {
 public:
  explicit GenJobBase(const GenMethod& m) : m_(m) {}
  napi_value Start(Napi::Env env);
  // For calls that make no RPC (cached names, UUIDs): run here, return the value or throw; deletes this.
  Napi::Value RunHere(Napi::Env env);
  void Run() final;
  void Deliver(Napi::Env env) final;

 protected:
  virtual void Call(NativeError& e) = 0;          // call thread: the C call, then drop references
  virtual Napi::Value Done(Napi::Env env) = 0;    // main thread: the result
  // A successful result never delivered (env gone first): the derived destructor frees it.
  bool Undelivered() const { return ok_ && !delivered_; }
  const GenMethod& m_;

 private:
  std::shared_ptr<Hub> hub_;
  napi_deferred deferred_ = nullptr;
  NativeError err_;
  bool ok_ = false, delivered_ = false;
};

template <typename R, typename... H>
class GenJob final : public GenJobBase {
 public:
  using GenJobBase::GenJobBase;
  using Seq = std::index_sequence_for<H...>;
  void Read(ReadCtx& rc) { ReadAll(rc, Seq{}); }
  ~GenJob() override {
    if (Undelivered()) DiscardAll(Seq{});
  }

 protected:
  void Call(NativeError& e) override { CallAll(e, Seq{}); }
  Napi::Value Done(Napi::Env env) override { return DoneAll(env, Seq{}); }

 private:
  template <size_t... I>
  void ReadAll(ReadCtx& rc, std::index_sequence<I...>) {
    (std::get<I>(h_).Read(rc), ...);
  }
  template <size_t... I>
  void CallAll(NativeError& e, std::index_sequence<I...>) {
    auto f = reinterpret_cast<typename R::C (*)(typename H::C...)>(m_.fn);
    r_ = f(std::get<I>(h_).Get(cc_)...);
    if constexpr ((H::kTwoPhase || ...)) {
      // The first call counted the parameters; the second fills a buffer of that size.
      if (!R::Failed(r_) && cc_.tpn > 0) {
        cc_.tp = (virTypedParameterPtr)calloc((size_t)cc_.tpn, sizeof(virTypedParameter));
        r_ = f(std::get<I>(h_).Get(cc_)...);
      }
    }
    if (R::Failed(r_)) e.CaptureVirt();
    if constexpr (IsBorrowed<R>::value) {
      if (!R::Failed(r_) && RefObj(r_) < 0) {
        e.CaptureVirt();
        r_ = nullptr;  // not ours: never freed
      }
    }
    (std::get<I>(h_).Release(), ...);  // references dropped here, off the main thread
  }
  template <size_t... I>
  Napi::Value DoneAll(Napi::Env env, std::index_sequence<I...>) {
    if constexpr (std::is_same_v<R, RNullIfZero>) {
      if (r_ == 0) return env.Null();
    }
    long long n = R::Count(r_);
    std::vector<Napi::Value> vals;
    auto one = [&](auto& x) {
      if constexpr (std::decay_t<decltype(x)>::kOut) vals.push_back(x.Out(env, cc_, n));
    };
    (one(std::get<I>(h_)), ...);
    Napi::Value ret;
    if constexpr (std::is_same_v<R, RBuf>) {
      ret = Napi::Buffer<unsigned char>::Copy(env, r_, cc_.size);
      memset(r_, 0, cc_.size);  // may be a secret
      free(r_);
      r_ = nullptr;
    } else {
      ret = R::Value(env, r_);
    }
    if (R::kValued && !vals.empty()) vals.insert(vals.begin(), ret);  // named `result`
    return Assemble(env, m_.outs, vals, ret);
  }
  template <size_t... I>
  void DiscardAll(std::index_sequence<I...>) {
    long long n = R::Count(r_);
    (std::get<I>(h_).Discard(cc_, n), ...);
    R::Discard(r_);
  }

  std::tuple<H...> h_;
  CallCtx cc_;
  typename R::C r_{};
};

template <typename R, typename... H>
Napi::Value Invoke(const Napi::CallbackInfo& info, const GenMethod& m) {
  auto* job = new GenJob<R, H...>(m);
  try {
    ReadCtx rc{info, m};
    job->Read(rc);
    CheckNoMore(rc);
  } catch (...) {
    delete job;  // nothing was started
    throw;
  }
  return Napi::Value(info.Env(), job->Start(info.Env()));
}

template <typename R, typename... H>
Napi::Value InvokeLocal(const Napi::CallbackInfo& info, const GenMethod& m) {
  auto* job = new GenJob<R, H...>(m);
  try {
    ReadCtx rc{info, m};
    job->Read(rc);
    CheckNoMore(rc);
  } catch (...) {
    delete job;
    throw;
  }
  return job->RunHere(info.Env());
}

}  // namespace gen

#define VK_GEN_LOCAL(name, fn, outs, tp, ...) \
  { name, ::vk::gen::Fn<__VA_ARGS__>(fn), &::vk::gen::InvokeLocal<__VA_ARGS__>, outs, tp }
#define VK_GEN(name, fn, outs, tp, ...) \
  { name, ::vk::gen::Fn<__VA_ARGS__>(fn), &::vk::gen::Invoke<__VA_ARGS__>, outs, tp }
#define VK_OVERRIDE(name, impl, tp) \
  { name, nullptr, &impl, "", tp }

}  // namespace vk
