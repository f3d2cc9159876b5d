// Typed parameters both ways (virt_gen_typed_params.h): a virTypedParameter list as a plain
// object (64-bit fields as bigint, a repeated field as an array), and a plain object as a list
// whose field types come from the function's table (generated/tables.cc).
#include "virt_gen.h"
#include "generated/tables.h"

namespace vk {
namespace gen {

Napi::Value TypedParamsToJS(Napi::Env env, virTypedParameterPtr p, int n) {
  Napi::Object o = Napi::Object::New(env);
  for (int i = 0; i < n; i++) {
    const virTypedParameter& t = p[i];
    Napi::Value v;
    switch (t.type) {
      case VIR_TYPED_PARAM_INT: v = Napi::Number::New(env, t.value.i); break;
      case VIR_TYPED_PARAM_UINT: v = Napi::Number::New(env, t.value.ui); break;
      case VIR_TYPED_PARAM_LLONG: v = Napi::BigInt::New(env, (int64_t)t.value.l); break;
      case VIR_TYPED_PARAM_ULLONG: v = Napi::BigInt::New(env, (uint64_t)t.value.ul); break;
      case VIR_TYPED_PARAM_DOUBLE: v = Napi::Number::New(env, t.value.d); break;
      case VIR_TYPED_PARAM_BOOLEAN: v = Napi::Boolean::New(env, t.value.b != 0); break;
      case VIR_TYPED_PARAM_STRING: v = Napi::String::New(env, t.value.s ? t.value.s : ""); break;
      default: continue;  // a type newer than this build
    }
    // A field given more than once (string lists such as migrate disks) becomes an array.
    if (o.Has(t.field)) {
      Napi::Value prev = o.Get(t.field);
      Napi::Array a;
      if (prev.IsArray()) {
        a = prev.As<Napi::Array>();
      } else {
        a = Napi::Array::New(env);
        a.Set(0u, prev);
      }
      a.Set(a.Length(), v);
      o.Set(t.field, a);
    } else {
      o.Set(t.field, v);
    }
  }
  return o;
}

static int FieldType(const TpField* tp, const std::string& name) {
  for (; tp && tp->name; tp++)
    if (name == tp->name) return tp->type;
  return -1;
}

static void AddOne(ReadCtx& c, uint32_t i, const std::string& key, int type, Napi::Value v,
                   virTypedParameterPtr* out, int* n, int* max) {
  std::string what = "field '" + key + "'";
  const char* k = key.c_str();
  int r = 0;
  bool integer = type == VIR_TYPED_PARAM_INT || type == VIR_TYPED_PARAM_UINT || type == VIR_TYPED_PARAM_LLONG ||
                 type == VIR_TYPED_PARAM_ULLONG;
  if (integer) {
    // Name the field in the refusal (the checks below only name the argument).
    bool big = v.IsBigInt() && (type == VIR_TYPED_PARAM_LLONG || type == VIR_TYPED_PARAM_ULLONG);
    if (!v.IsNumber() && !big) c.Bad(i, what + " must be " + (type >= VIR_TYPED_PARAM_LLONG ? "a number or a bigint" : "a number"));
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      double lo = type == VIR_TYPED_PARAM_INT ? -2147483648.0 : type == VIR_TYPED_PARAM_LLONG ? -9007199254740991.0 : 0;
      double hi = type == VIR_TYPED_PARAM_INT ? 2147483647.0 : type == VIR_TYPED_PARAM_UINT ? 4294967295.0 : 9007199254740991.0;
      if (!std::isfinite(d) || std::trunc(d) != d || d < lo || d > hi) c.Bad(i, what + " is not an integer in its range");
    } else {
      bool lossless = false;
      if (type == VIR_TYPED_PARAM_LLONG) v.As<Napi::BigInt>().Int64Value(&lossless);
      else v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless) c.Bad(i, what + " is out of range");
    }
  }
  switch (type) {
    case VIR_TYPED_PARAM_INT:
      r = virTypedParamsAddInt(out, n, max, k, (int)CheckedNumber(c, i, v, -2147483648.0, 2147483647.0));
      break;
    case VIR_TYPED_PARAM_UINT:
      r = virTypedParamsAddUInt(out, n, max, k, (unsigned int)CheckedNumber(c, i, v, 0, 4294967295.0));
      break;
    case VIR_TYPED_PARAM_LLONG: r = virTypedParamsAddLLong(out, n, max, k, CheckedInt64(c, i, v)); break;
    case VIR_TYPED_PARAM_ULLONG: r = virTypedParamsAddULLong(out, n, max, k, CheckedUint64(c, i, v)); break;
    case VIR_TYPED_PARAM_DOUBLE:
      if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) c.Bad(i, what + " must be a finite number");
      r = virTypedParamsAddDouble(out, n, max, k, v.As<Napi::Number>().DoubleValue());
      break;
    case VIR_TYPED_PARAM_BOOLEAN:
      if (!v.IsBoolean()) c.Bad(i, what + " must be a boolean");
      r = virTypedParamsAddBoolean(out, n, max, k, v.As<Napi::Boolean>().Value() ? 1 : 0);
      break;
    case VIR_TYPED_PARAM_STRING:
      if (!v.IsString()) c.Bad(i, what + " must be a string");
      r = virTypedParamsAddString(out, n, max, k, StrictUtf8(c.info.Env(), v, c.Name(i) + " " + what).c_str());
      break;
    default: c.Bad(i, what + " has an unknown type");
  }
  if (r < 0) {
    virResetLastError();
    c.Bad(i, what + " was refused");
  }
}

void TypedParamsFromJS(ReadCtx& c, uint32_t i, Napi::Value v, virTypedParameterPtr* out, int* n) {
  if (v.IsUndefined() || v.IsNull()) return;  // no parameters
  if (!v.IsObject() || v.IsArray()) c.Bad(i, "must be an object of typed parameters");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  int max = 0;
  // The holder frees *out; on a throw below it is freed by the holder's destructor.
  for (uint32_t k = 0; k < keys.Length(); k++) {
    std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value x = o.Get(key);
    if (x.IsUndefined()) continue;  // absent means "not set"
    int type = FieldType(c.m.tp, key);
    if (type < 0) {
      // Not in the family's table (a newer libvirt's field): strings, booleans and bigints
      // say their type; a plain number does not.
      if (x.IsString()) type = VIR_TYPED_PARAM_STRING;
      else if (x.IsBoolean()) type = VIR_TYPED_PARAM_BOOLEAN;
      else if (x.IsBigInt()) type = VIR_TYPED_PARAM_ULLONG;
      else if (!x.IsArray()) c.Bad(i, "field '" + key + "' is not a known typed parameter of this call");
    }
    if (x.IsArray()) {
      // A string list (e.g. migrate-disks): the field repeated.
      Napi::Array a = x.As<Napi::Array>();
      if (type >= 0 && type != VIR_TYPED_PARAM_STRING) c.Bad(i, "field '" + key + "' must not be an array");
      std::vector<std::string> vals;
      for (uint32_t j = 0; j < a.Length(); j++) {
        if (!a.Get(j).IsString()) c.Bad(i, "field '" + key + "' must be an array of strings");
        vals.push_back(StrictUtf8(c.info.Env(), a.Get(j), c.Name(i) + " field '" + key + "'"));
      }
      std::vector<const char*> p;
      for (auto& v : vals) p.push_back(v.c_str());
      p.push_back(nullptr);
      if (virTypedParamsAddStringList(out, n, &max, key.c_str(), p.data()) < 0) {
        virResetLastError();
        c.Bad(i, "field '" + key + "' was refused");
      }
    } else {
      AddOne(c, i, key, type, x, out, n, &max);
    }
  }
}

}  // namespace gen
}  // namespace vk
