// Typed parameters (virTypedParameter lists) as plain JS objects, both ways: the conversion
// (virt_gen_typed_params.cc) and the holders that use it.
#pragma once
#include "virt_gen_base.h"

namespace vk {
namespace gen {

Napi::Value TypedParamsToJS(Napi::Env env, virTypedParameterPtr p, int n);
// JS object -> typed parameters, types from `fields` (INVALID_ARGUMENT for an unknown field).
void TypedParamsFromJS(ReadCtx& c, uint32_t i, Napi::Value v, virTypedParameterPtr* out, int* n);

// ---- input ----

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

// ---- outs ----

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

}  // namespace gen
}  // namespace vk
