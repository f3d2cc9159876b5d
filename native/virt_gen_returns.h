// The return shapes of the generated calls (virt_gen.h): failure test, JS value, count of a
// returned list, and what to free when the result is never delivered.
#pragma once
#include "virt_gen_base.h"

namespace vk {
namespace gen {

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

}  // namespace gen
}  // namespace vk
