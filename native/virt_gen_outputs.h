// The holders of the generated calls' out parameters (virt_gen.h): each gives libvirt the
// place to fill and turns what it filled into a JS value (or frees it, never delivered).
#pragma once
#include "virt_gen_base.h"

namespace vk {
namespace gen {

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
// size_t* size of a returned buffer (hidden).
struct SizeOut : Base {
  using C = size_t*;
  void Read(ReadCtx&) {}
  C Get(CallCtx& cc) { return &cc.size; }
};

}  // namespace gen
}  // namespace vk
