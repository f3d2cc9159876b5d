// The holders of the generated calls' input parameters (virt_gen.h): each reads one JS
// argument strictly on the main thread and hands libvirt its C value on the call thread.
#pragma once
#include "virt_gen_base.h"

namespace vk {
namespace gen {

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

}  // namespace gen
}  // namespace vk
