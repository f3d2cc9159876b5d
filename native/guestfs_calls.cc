// The libguestfs call table: generated (native/generated/guestfs_table.h, by
// scripts/gen-guestfs-calls.mjs from guestfs.h) and run by the engine below.
//
// Each entry names a call, the kinds of its JS arguments and a thunk: one line of C that passes
// the converted arguments to the guestfs_* function (so the compiler checks every call against
// guestfs.h) and hands the result to GfsRet. One generic path does the rest: the arguments are
// read on the main thread by kind, the thunk runs on a call thread with the handle locked, the
// result is converted on the main thread. Plain data and one small function per call keep the
// compile time of ~500 calls low (a template instantiation per call did not).
//
// Argument kinds:  s  const char*  <- string | null | Buffer
//                  b  const char* + size_t  <- string | Buffer (its length follows)
//                  i  int          <- number | boolean
//                  I  int64_t      <- number | bigint
//                  l  char *const* <- string[]
//                  o  const struct guestfs_X_argv*  <- optional trailing object (fields by name)
// Results:  int, int64_t -> number (-1 is failure); char* -> string, or Buffer with a size_t* out;
//           const char* -> string (null where NULL is not an error); char** -> string[], or an
//           object for hashes; structs and struct lists -> objects with the C field names.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>
#include "guestfs.h"

namespace vk {

enum GfsOptKind : uint8_t { kOptInt, kOptInt64, kOptStr, kOptStrList };

struct GfsOptField {
  const char* name;
  GfsOptKind kind;
  size_t offset;  // in the guestfs_X_argv struct
  uint64_t bit;
};

struct GfsOptDesc {
  size_t size;  // sizeof the guestfs_X_argv struct
  const GfsOptField* fields;
  size_t count;
};

// ---- arguments: read on the main thread, used on the call thread ----

struct GfsSlot {
  std::string s;
  bool null = false;
  int64_t n = 0;
  std::vector<std::string> list;
  std::vector<char*> ptrs;
  // optargs: values by field index, and the struct built from them at call time
  std::vector<std::pair<size_t, std::string>> ostr;
  std::vector<std::pair<size_t, int64_t>> onum;
  std::vector<std::pair<size_t, std::vector<std::string>>> olist;
  std::vector<std::vector<char*>> optrs;
  std::vector<uint64_t> obuf;
};

struct GfsArgs {
  std::vector<GfsSlot> v;
  const GfsOptDesc* opt = nullptr;

  const char* S(size_t i) { return v[i].null ? nullptr : v[i].s.c_str(); }
  size_t Len(size_t i) { return v[i].s.size(); }
  int I(size_t i) { return (int)v[i].n; }
  int64_t I64(size_t i) { return v[i].n; }
  static char* const* Terminated(const std::vector<std::string>& list, std::vector<char*>& ptrs) {
    ptrs.clear();
    for (auto& s : list) ptrs.push_back(const_cast<char*>(s.c_str()));
    ptrs.push_back(nullptr);
    return ptrs.data();
  }
  char* const* L(size_t i) { return Terminated(v[i].list, v[i].ptrs); }
  // Built here, on the call thread, so its pointers refer to this slot's own strings.
  const void* O(size_t i) {
    GfsSlot& s = v[i];
    s.obuf.assign((opt->size + 7) / 8, 0);
    char* base = reinterpret_cast<char*>(s.obuf.data());
    uint64_t& bitmask = *reinterpret_cast<uint64_t*>(base);  // first field of every _argv struct
    for (auto& p : s.onum) {
      const GfsOptField& f = opt->fields[p.first];
      if (f.kind == kOptInt) *reinterpret_cast<int*>(base + f.offset) = (int)p.second;
      else *reinterpret_cast<int64_t*>(base + f.offset) = p.second;
      bitmask |= f.bit;
    }
    for (auto& p : s.ostr) {
      const GfsOptField& f = opt->fields[p.first];
      *reinterpret_cast<const char**>(base + f.offset) = p.second.c_str();
      bitmask |= f.bit;
    }
    s.optrs.assign(s.olist.size(), {});
    for (size_t k = 0; k < s.olist.size(); k++) {
      const GfsOptField& f = opt->fields[s.olist[k].first];
      *reinterpret_cast<char* const**>(base + f.offset) = Terminated(s.olist[k].second, s.optrs[k]);
      bitmask |= f.bit;
    }
    return base;
  }
};

namespace {

[[noreturn]] void BadArg(Napi::Env env, uint32_t i, const char* what) {
  ThrowInvalid(env, "argument " + std::to_string(i) + " must be " + what);
}

bool ToInt(Napi::Value x, int64_t* out) {
  if (x.IsBoolean()) {
    *out = x.As<Napi::Boolean>().Value();
    return true;
  }
  if (!x.IsNumber()) return false;
  double d = x.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < -2147483648.0 || d > 2147483647.0) return false;
  *out = (int64_t)d;
  return true;
}
bool ToInt64(Napi::Value x, int64_t* out) {
  if (x.IsBigInt()) {
    bool lossless = false;
    *out = x.As<Napi::BigInt>().Int64Value(&lossless);
    return lossless;
  }
  if (!x.IsNumber()) return false;
  double d = x.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0) return false;
  *out = (int64_t)d;
  return true;
}
void ReadStrings(Napi::Env env, Napi::Value x, const std::string& what, std::vector<std::string>* out) {
  if (!x.IsArray()) ThrowInvalid(env, what + " must be an array of strings");
  Napi::Array a = x.As<Napi::Array>();
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value e = a.Get(k);
    if (!e.IsString()) ThrowInvalid(env, what + " must be an array of strings");
    out->push_back(StrictUtf8(env, e, what));
  }
}

void ReadOpt(Napi::Env env, Napi::Value x, uint32_t i, const GfsOptDesc& d, GfsSlot& s) {
  if (x.IsUndefined() || x.IsNull()) return;
  if (!x.IsObject() || x.IsArray()) BadArg(env, i, "an options object");
  Napi::Object o = x.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); k++) {
    std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value v = o.Get(key);
    if (v.IsUndefined()) continue;
    size_t f = 0;
    while (f < d.count && key != d.fields[f].name) f++;
    if (f == d.count) ThrowInvalid(env, "unknown option: " + key);
    int64_t n = 0;
    switch (d.fields[f].kind) {
      case kOptStr:
        if (!v.IsString()) ThrowInvalid(env, "option " + key + " must be a string");
        s.ostr.emplace_back(f, StrictUtf8(env, v, "option " + key));
        break;
      case kOptInt:
        if (!ToInt(v, &n)) ThrowInvalid(env, "option " + key + " must be a boolean or an integer in the range of a C int");
        s.onum.emplace_back(f, n);
        break;
      case kOptInt64:
        if (!ToInt64(v, &n)) ThrowInvalid(env, "option " + key + " must be a safe integer or a bigint");
        s.onum.emplace_back(f, n);
        break;
      case kOptStrList:
        s.olist.emplace_back(f, std::vector<std::string>());
        ReadStrings(env, v, "option " + key, &s.olist.back().second);
        break;
    }
  }
}

void ReadArgs(Napi::Env env, const Napi::Array& args, const GfsCall& call, GfsArgs& a) {
  size_t n = std::strlen(call.kinds);
  if (args.Length() > n) ThrowUsage(env, "too many arguments: expected " + std::to_string(n));
  a.v.resize(n);
  a.opt = call.opt;
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value x = i < args.Length() ? args.Get(i) : env.Undefined();
    GfsSlot& s = a.v[i];
    switch (call.kinds[i]) {
      case 's':
      case 'b':
        if (x.IsNull()) {
          s.null = true;
        } else if (x.IsBuffer()) {
          auto b = x.As<Napi::Buffer<char>>();
          s.s.assign(b.Data(), b.Length());
        } else if (x.IsString()) {
          // A C string: a NUL would cut it short (a Buffer carries binary content).
          s.s = StrictUtf8(env, x, "argument " + std::to_string(i));
        } else {
          BadArg(env, i, "a string");
        }
        break;
      case 'i':
        if (!ToInt(x, &s.n)) BadArg(env, i, x.IsNumber() ? "an integer in the range of a C int" : "a number or boolean");
        break;
      case 'I':
        if (!ToInt64(x, &s.n)) BadArg(env, i, x.IsNumber() || x.IsBigInt() ? "a safe integer or a bigint" : "a number");
        break;
      case 'l':
        ReadStrings(env, x, "argument " + std::to_string(i), &s.list);
        break;
      case 'o':
        ReadOpt(env, x, i, *call.opt, s);
        break;
    }
  }
}

}  // namespace

// ---- results: taken on the call thread (before the lock is released), converted on the main thread ----

using StructToJS = Napi::Value (*)(Napi::Env, const void*);
using StructFree = void (*)(void*);

struct GfsRet {
  enum Kind : uint8_t { kNum, kStr, kNull, kBuf, kList, kHash, kPtr };
  Kind kind = kNum;
  double num = 0;
  std::string s;
  std::vector<std::string> list;
  void* ptr = nullptr;
  StructToJS toJS = nullptr;
  StructFree freeFn = nullptr;

  GfsRet() = default;
  GfsRet(const GfsRet&) = delete;
  GfsRet& operator=(const GfsRet&) = delete;
  ~GfsRet() {
    if (ptr && freeFn) freeFn(ptr);
  }

  bool Int(int v) { num = v; return v != -1; }
  bool Int64(int64_t v) { num = (double)v; return v != -1; }
  bool Str(char* p) {
    if (!p) return false;
    s = p;
    free(p);
    kind = kStr;
    return true;
  }
  // Owned by the handle: copied while the lock is held.
  bool ConstStr(const char* p) {
    if (!p) return false;
    s = p;
    kind = kStr;
    return true;
  }
  bool ConstOptStr(const char* p) {
    if (p) s = p;
    kind = p ? kStr : kNull;
    return true;
  }
  bool Buf(char* p, size_t n) {
    if (!p) return false;
    s.assign(p, n);
    free(p);
    kind = kBuf;
    return true;
  }
  bool TakeList(char** p, Kind k) {
    if (!p) return false;
    for (char** q = p; *q; q++) {
      list.emplace_back(*q);
      free(*q);
    }
    free(p);
    kind = k;
    return true;
  }
  bool List(char** p) { return TakeList(p, kList); }
  bool Hash(char** p) { return TakeList(p, kHash); }
  // A struct or struct list: kept as libguestfs returned it, converted and freed on the main thread.
  bool Ptr(void* p, StructToJS j, StructFree f) {
    if (!p) return false;
    ptr = p;
    toJS = j;
    freeFn = f;
    kind = kPtr;
    return true;
  }

  Napi::Value ToJS(Napi::Env env) {
    switch (kind) {
      case kNum: return Napi::Number::New(env, num);
      case kStr: return Napi::String::New(env, s);
      case kNull: return env.Null();
      case kBuf: return Napi::Buffer<char>::Copy(env, s.data(), s.size());
      case kList: return ToArray(env, list);
      case kHash: {
        Napi::Object o = Napi::Object::New(env);
        for (size_t k = 0; k + 1 < list.size(); k += 2) o.Set(list[k], list[k + 1]);
        return o;
      }
      case kPtr: return toJS(env, ptr);
    }
    return env.Undefined();
  }
};

namespace {

// Struct fields (non-inline: one call per field keeps the generated converters small).
[[gnu::noinline]] void PutNum(Napi::Env env, Napi::Object& o, const char* k, double v) {
  o.Set(k, Napi::Number::New(env, v));
}
[[gnu::noinline]] void PutStr(Napi::Env env, Napi::Object& o, const char* k, const char* v) {
  o.Set(k, Napi::String::New(env, v ? v : ""));
}
// Fixed-size, not NUL-terminated (LVM UUIDs), or a single char (dirent types).
[[gnu::noinline]] void PutFixed(Napi::Env env, Napi::Object& o, const char* k, const char* v, size_t n) {
  o.Set(k, Napi::String::New(env, std::string(v, strnlen(v, n))));
}
[[gnu::noinline]] void PutBytes(Napi::Env env, Napi::Object& o, const char* k, const char* v, uint32_t n) {
  o.Set(k, Napi::Buffer<char>::Copy(env, v ? v : "", v ? n : 0));
}

}  // namespace

Napi::Value RunGfsCall(Napi::Env env, Napi::Object owner, const GfsStatePtr& st, const Napi::Array& args,
                       const GfsCall& call) {
  auto a = std::make_shared<GfsArgs>();
  ReadArgs(env, args, call, *a);
  GfsThunk thunk = call.thunk;
  return QueueGfs<GfsRet>(env, owner, st, call.name,
      [a, thunk](guestfs_h* g, GfsRet& out) { return thunk(g, *a, out); },
      [](Napi::Env env, GfsRet& out) { return out.ToJS(env); });
}

#include "generated/guestfs_table.h"

}  // namespace vk
