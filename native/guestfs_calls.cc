// The libguestfs call table. A template deduces each function's signature from its pointer,
// reads the JS arguments into C++ holders on the main thread, makes the call on a worker with
// the handle locked, and converts the result on the main thread. Adding a call is one line.
//
// Argument mapping:  const char*  <- string | null | Buffer (a Buffer also feeds the size_t after it)
//                    int          <- number | boolean
//                    int64_t      <- number | bigint
//                    char *const* <- string[]
//                    const struct guestfs_X_argv* <- optional trailing object (see kOptFields)
// Results:  int, int64_t -> number (-1 is failure); char* -> string, or Buffer when the call has a
//           size_t* out parameter; char** -> string[] (or an object for hashes); structs -> objects.
#include <cmath>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>
#include "guestfs.h"

namespace vk {
namespace {

struct ReadCtx {
  Napi::Env env;
  const Napi::Array& args;
  uint32_t i;
  size_t lastLen;  // byte length of the last string/buffer read, for a following size_t
};

[[noreturn]] void BadArg(const ReadCtx& c, uint32_t i, const char* what) {
  ThrowInvalid(c.env, "argument " + std::to_string(i) + " must be " + what);
}

template <typename A, typename = void>
struct In;  // no holder for this C type: a compile error names the unsupported call

template <>
struct In<const char*> {
  std::string s;
  bool null = false;
  void Read(ReadCtx& c) {
    uint32_t i = c.i++;
    Napi::Value v = i < c.args.Length() ? c.args.Get(i) : c.env.Undefined();
    if (v.IsNull()) { null = true; c.lastLen = 0; return; }
    if (v.IsBuffer()) {
      auto b = v.As<Napi::Buffer<char>>();
      s.assign(b.Data(), b.Length());
    } else if (v.IsString()) {
      // Strings are C strings: a NUL would cut them short (a Buffer carries binary content).
      s = StrictUtf8(c.env, v, "argument " + std::to_string(i));
    } else {
      BadArg(c, i, "a string");
    }
    c.lastLen = s.size();
  }
  const char* Get() { return null ? nullptr : s.c_str(); }
};

template <>
struct In<int> {
  int v = 0;
  void Read(ReadCtx& c) {
    uint32_t i = c.i++;
    Napi::Value x = i < c.args.Length() ? c.args.Get(i) : c.env.Undefined();
    if (x.IsBoolean()) {
      v = x.As<Napi::Boolean>().Value();
    } else if (x.IsNumber()) {
      double d = x.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d) || std::trunc(d) != d || d < -2147483648.0 || d > 2147483647.0)
        BadArg(c, i, "an integer in the range of a C int");
      v = (int)d;
    } else {
      BadArg(c, i, "a number or boolean");
    }
  }
  int Get() { return v; }
};

template <>
struct In<int64_t> {
  int64_t v = 0;
  void Read(ReadCtx& c) {
    uint32_t i = c.i++;
    Napi::Value x = i < c.args.Length() ? c.args.Get(i) : c.env.Undefined();
    bool lossless = false;
    if (x.IsBigInt()) {
      v = x.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) BadArg(c, i, "an integer in the range of int64");
    } else if (x.IsNumber()) {
      double d = x.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0)
        BadArg(c, i, "a safe integer or a bigint");
      v = (int64_t)d;
    } else {
      BadArg(c, i, "a number");
    }
  }
  int64_t Get() { return v; }
};

// The byte count of the buffer just before it; takes no JS argument.
template <>
struct In<size_t> {
  size_t v = 0;
  void Read(ReadCtx& c) { v = c.lastLen; }
  size_t Get() { return v; }
};

// Output size of a buffer-returning call; takes no JS argument.
template <>
struct In<size_t*> {
  size_t v = 0;
  void Read(ReadCtx&) {}
  size_t* Get() { return &v; }
};

template <>
struct In<char* const*> {
  std::vector<std::string> v;
  std::vector<char*> p;
  void Read(ReadCtx& c) {
    uint32_t i = c.i++;
    Napi::Value x = i < c.args.Length() ? c.args.Get(i) : c.env.Undefined();
    if (!x.IsArray()) BadArg(c, i, "an array of strings");
    Napi::Array a = x.As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); k++) {
      Napi::Value e = a.Get(k);
      if (!e.IsString()) BadArg(c, i, "an array of strings");
      v.push_back(StrictUtf8(c.env, e, "argument " + std::to_string(i)));
    }
  }
  char* const* Get() {
    p.clear();
    for (auto& s : v) p.push_back(const_cast<char*>(s.c_str()));
    p.push_back(nullptr);
    return p.data();
  }
};

// ---- optional arguments: guestfs_X_argv structs, described field by field ----

template <typename S>
struct OptField {
  const char* name;
  uint64_t bit;
  int S::*i;
  const char* S::*s;
};
template <typename S>
struct OptFields;  // specialised below per struct

#define VK_OPT_INT(S, f, BIT) OptField<S>{#f, BIT, &S::f, nullptr}
#define VK_OPT_STR(S, f, BIT) OptField<S>{#f, BIT, nullptr, &S::f}
#define VK_OPTS(S, ...)                                                     \
  template <>                                                               \
  struct OptFields<S> {                                                     \
    static const std::vector<OptField<S>>& Get() {                          \
      static const std::vector<OptField<S>> v{__VA_ARGS__};                 \
      return v;                                                             \
    }                                                                       \
  };

// The struct tags share their names with functions, which hide them in C++: alias the types.
using T_add_drive_opts = struct guestfs_add_drive_opts_argv;
using T_disk_create = struct guestfs_disk_create_argv;
using T_mkfs_opts = struct guestfs_mkfs_opts_argv;
using T_tar_in_opts = struct guestfs_tar_in_opts_argv;
using T_tar_out_opts = struct guestfs_tar_out_opts_argv;
using T_is_file_opts = struct guestfs_is_file_opts_argv;
using T_is_dir_opts = struct guestfs_is_dir_opts_argv;
using T_selinux_relabel = struct guestfs_selinux_relabel_argv;
using T_e2fsck = struct guestfs_e2fsck_argv;  VK_OPTS(T_e2fsck, VK_OPT_INT(T_e2fsck, correct, GUESTFS_E2FSCK_CORRECT_BITMASK), VK_OPT_INT(T_e2fsck, forceall, GUESTFS_E2FSCK_FORCEALL_BITMASK))
using T_md_create = struct guestfs_md_create_argv;  VK_OPTS(T_md_create, VK_OPT_STR(T_md_create, level, GUESTFS_MD_CREATE_LEVEL_BITMASK), VK_OPT_INT(T_md_create, nrdevices, GUESTFS_MD_CREATE_NRDEVICES_BITMASK))

VK_OPTS(T_add_drive_opts,
        VK_OPT_INT(T_add_drive_opts, readonly, GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK),
        VK_OPT_STR(T_add_drive_opts, format, GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK),
        VK_OPT_STR(T_add_drive_opts, name, GUESTFS_ADD_DRIVE_OPTS_NAME_BITMASK),
        VK_OPT_STR(T_add_drive_opts, label, GUESTFS_ADD_DRIVE_OPTS_LABEL_BITMASK),
        VK_OPT_STR(T_add_drive_opts, cachemode, GUESTFS_ADD_DRIVE_OPTS_CACHEMODE_BITMASK),
        VK_OPT_STR(T_add_drive_opts, discard, GUESTFS_ADD_DRIVE_OPTS_DISCARD_BITMASK))
VK_OPTS(T_disk_create,
        VK_OPT_STR(T_disk_create, backingfile, GUESTFS_DISK_CREATE_BACKINGFILE_BITMASK),
        VK_OPT_STR(T_disk_create, backingformat, GUESTFS_DISK_CREATE_BACKINGFORMAT_BITMASK),
        VK_OPT_STR(T_disk_create, preallocation, GUESTFS_DISK_CREATE_PREALLOCATION_BITMASK),
        VK_OPT_STR(T_disk_create, compat, GUESTFS_DISK_CREATE_COMPAT_BITMASK),
        VK_OPT_INT(T_disk_create, clustersize, GUESTFS_DISK_CREATE_CLUSTERSIZE_BITMASK))
VK_OPTS(T_mkfs_opts,
        VK_OPT_INT(T_mkfs_opts, blocksize, GUESTFS_MKFS_OPTS_BLOCKSIZE_BITMASK),
        VK_OPT_STR(T_mkfs_opts, features, GUESTFS_MKFS_OPTS_FEATURES_BITMASK),
        VK_OPT_INT(T_mkfs_opts, inode, GUESTFS_MKFS_OPTS_INODE_BITMASK),
        VK_OPT_INT(T_mkfs_opts, sectorsize, GUESTFS_MKFS_OPTS_SECTORSIZE_BITMASK),
        VK_OPT_STR(T_mkfs_opts, label, GUESTFS_MKFS_OPTS_LABEL_BITMASK))
VK_OPTS(T_tar_in_opts,
        VK_OPT_STR(T_tar_in_opts, compress, GUESTFS_TAR_IN_OPTS_COMPRESS_BITMASK),
        VK_OPT_INT(T_tar_in_opts, xattrs, GUESTFS_TAR_IN_OPTS_XATTRS_BITMASK),
        VK_OPT_INT(T_tar_in_opts, selinux, GUESTFS_TAR_IN_OPTS_SELINUX_BITMASK),
        VK_OPT_INT(T_tar_in_opts, acls, GUESTFS_TAR_IN_OPTS_ACLS_BITMASK))
VK_OPTS(T_tar_out_opts,
        VK_OPT_STR(T_tar_out_opts, compress, GUESTFS_TAR_OUT_OPTS_COMPRESS_BITMASK),
        VK_OPT_INT(T_tar_out_opts, numericowner, GUESTFS_TAR_OUT_OPTS_NUMERICOWNER_BITMASK),
        VK_OPT_INT(T_tar_out_opts, xattrs, GUESTFS_TAR_OUT_OPTS_XATTRS_BITMASK),
        VK_OPT_INT(T_tar_out_opts, selinux, GUESTFS_TAR_OUT_OPTS_SELINUX_BITMASK),
        VK_OPT_INT(T_tar_out_opts, acls, GUESTFS_TAR_OUT_OPTS_ACLS_BITMASK))
VK_OPTS(T_is_file_opts,
        VK_OPT_INT(T_is_file_opts, followsymlinks, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS_BITMASK))
VK_OPTS(T_selinux_relabel,
        VK_OPT_INT(T_selinux_relabel, force, GUESTFS_SELINUX_RELABEL_FORCE_BITMASK))
VK_OPTS(T_is_dir_opts,
        VK_OPT_INT(T_is_dir_opts, followsymlinks, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS_BITMASK))

// Any `const S*` other than const char* is an optargs struct: an optional trailing object.
template <typename S>
struct In<const S*, std::void_t<decltype(OptFields<S>::Get())>> {
  std::vector<std::pair<size_t, std::string>> strs;  // field index -> value (copied)
  std::vector<std::pair<size_t, int>> ints;
  S built{};
  void Read(ReadCtx& c) {
    uint32_t i = c.i++;
    Napi::Value x = i < c.args.Length() ? c.args.Get(i) : c.env.Undefined();
    if (x.IsUndefined() || x.IsNull()) return;
    if (!x.IsObject() || x.IsArray()) BadArg(c, i, "an options object");
    Napi::Object o = x.As<Napi::Object>();
    const auto& fields = OptFields<S>::Get();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); k++) {
      std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
      Napi::Value v = o.Get(key);
      if (v.IsUndefined()) continue;
      size_t f = 0;
      while (f < fields.size() && key != fields[f].name) f++;
      if (f == fields.size()) ThrowInvalid(c.env, "unknown option: " + key);
      if (fields[f].s) {
        if (!v.IsString()) ThrowInvalid(c.env, "option " + key + " must be a string");
        strs.emplace_back(f, StrictUtf8(c.env, v, "option " + key));
      } else if (v.IsBoolean()) {
        ints.emplace_back(f, v.As<Napi::Boolean>().Value() ? 1 : 0);
      } else if (v.IsNumber()) {
        double d = v.As<Napi::Number>().DoubleValue();
        if (!std::isfinite(d) || std::trunc(d) != d || d < -2147483648.0 || d > 2147483647.0)
          ThrowInvalid(c.env, "option " + key + " must be an integer in the range of a C int");
        ints.emplace_back(f, (int)d);
      } else {
        ThrowInvalid(c.env, "option " + key + " must be a number or boolean");
      }
    }
  }
  // Built at call time so the pointers refer to this holder's own strings.
  const S* Get() {
    const auto& fields = OptFields<S>::Get();
    built = S{};
    for (auto& p : strs) { built.*(fields[p.first].s) = p.second.c_str(); built.bitmask |= fields[p.first].bit; }
    for (auto& p : ints) { built.*(fields[p.first].i) = p.second; built.bitmask |= fields[p.first].bit; }
    return &built;
  }
};

// ---- results ----

template <typename R, bool HasSizeOut>
struct Out;

template <typename N, bool B>
struct OutNum {
  N v = 0;
  bool Take(N r, size_t) { v = r; return r != -1; }
  Napi::Value ToJS(Napi::Env env, bool) { return Napi::Number::New(env, (double)v); }
};
template <bool B> struct Out<int, B> : OutNum<int, B> {};
template <bool B> struct Out<int64_t, B> : OutNum<int64_t, B> {};

template <bool HasSizeOut>
struct Out<char*, HasSizeOut> {
  std::string v;
  bool Take(char* r, size_t n) {
    if (!r) return false;
    v.assign(r, HasSizeOut ? n : strlen(r));
    free(r);
    return true;
  }
  Napi::Value ToJS(Napi::Env env, bool) {
    if (HasSizeOut) return Napi::Buffer<char>::Copy(env, v.data(), v.size());
    return Napi::String::New(env, v);
  }
};

template <bool B>
struct Out<const char*, B> {
  std::string v;  // owned by the handle: copied while the lock is held
  bool Take(const char* r, size_t) { if (!r) return false; v = r; return true; }
  Napi::Value ToJS(Napi::Env env, bool) { return Napi::String::New(env, v); }
};

template <bool B>
struct Out<char**, B> {
  std::vector<std::string> v;
  bool Take(char** r, size_t) {
    if (!r) return false;
    for (char** p = r; *p; p++) { v.emplace_back(*p); free(*p); }
    free(r);
    return true;
  }
  Napi::Value ToJS(Napi::Env env, bool hash) {
    if (!hash) return ToArray(env, v);
    Napi::Object o = Napi::Object::New(env);
    for (size_t k = 0; k + 1 < v.size(); k += 2) o.Set(v[k], v[k + 1]);
    return o;
  }
};

// Structs of int64 fields, listed once each.
#define VK_STRUCT_OUT(S, FREE, ...)                                                  \
  template <bool B>                                                                  \
  struct Out<struct S*, B> {                                                                \
    struct S v{};                                                                    \
    bool Take(struct S* r, size_t) { if (!r) return false; v = *r; FREE(r); return true; }  \
    Napi::Value ToJS(Napi::Env env, bool) {                                          \
      Napi::Object o = Napi::Object::New(env);                                       \
      const char* names[] = {__VA_ARGS__};                                           \
      const int64_t* f = &v.VK_FIRST_FIELD;                                          \
      for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)                  \
        o.Set(names[k], Napi::Number::New(env, (double)f[k]));                       \
      return o;                                                                      \
    }                                                                                \
  };

#define VK_FIRST_FIELD st_dev
VK_STRUCT_OUT(guestfs_statns, guestfs_free_statns, "dev", "ino", "mode", "nlink", "uid", "gid", "rdev",
              "size", "blksize", "blocks", "atimeSec", "atimeNsec", "mtimeSec", "mtimeNsec", "ctimeSec",
              "ctimeNsec")
#undef VK_FIRST_FIELD
// A list of statns structs (lstatnslist): an array of the same objects lstatns returns.
template <bool B>
struct Out<struct guestfs_statns_list*, B> {
  std::vector<struct guestfs_statns> v;
  bool Take(struct guestfs_statns_list* r, size_t) {
    if (!r) return false;
    v.assign(r->val, r->val + r->len);
    guestfs_free_statns_list(r);
    return true;
  }
  Napi::Value ToJS(Napi::Env env, bool) {
    static const char* names[] = {"dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
                                  "atimeSec", "atimeNsec", "mtimeSec", "mtimeNsec", "ctimeSec", "ctimeNsec"};
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t k = 0; k < v.size(); k++) {
      Napi::Object o = Napi::Object::New(env);
      const int64_t* f = &v[k].st_dev;
      for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) o.Set(names[n], Napi::Number::New(env, (double)f[n]));
      a.Set(k, o);
    }
    return a;
  }
};

#define VK_FIRST_FIELD bsize
VK_STRUCT_OUT(guestfs_statvfs, guestfs_free_statvfs, "bsize", "frsize", "blocks", "bfree", "bavail", "files",
              "ffree", "favail", "fsid", "flag", "namemax")
#undef VK_FIRST_FIELD
#define VK_FIRST_FIELD major
VK_STRUCT_OUT(guestfs_version, guestfs_free_version, "major", "minor", "release")
#undef VK_FIRST_FIELD

// ---- the generic invoker ----

template <typename Sig, Sig F>
struct Invoke;

template <typename R, typename... A, R (*F)(guestfs_h*, A...)>
struct Invoke<R (*)(guestfs_h*, A...), F> {
  static constexpr bool kSizeOut = (std::is_same_v<A, size_t*> || ...);
  using Result = Out<R, kSizeOut>;
  using Holders = std::tuple<In<A>...>;

  template <size_t... I>
  static R CallWith(guestfs_h* g, Holders& h, [[maybe_unused]] size_t** sizeOut, std::index_sequence<I...>) {
    (ReportSize(std::get<I>(h), sizeOut), ...);
    return F(g, std::get<I>(h).Get()...);
  }
  template <typename H>
  static void ReportSize(H& h, size_t** out) {
    if constexpr (std::is_same_v<H, In<size_t*>>) *out = &h.v;
  }

  static Napi::Value Run(Napi::Env env, Napi::Object owner, const GfsStatePtr& st, const Napi::Array& args,
                         const GfsCall& call) {
    Holders h;
    ReadCtx c{env, args, 0, 0};
    std::apply([&c](auto&... x) { (x.Read(c), ...); }, h);  // left to right
    if (c.i < args.Length()) ThrowUsage(env, "too many arguments: expected " + std::to_string(c.i));
    bool hash = call.hash;
    return QueueGfs<Result>(env, owner, st, call.name,
        [h](guestfs_h* g, Result& out) mutable {
          size_t* sizeOut = nullptr;
          R r = CallWith(g, h, &sizeOut, std::index_sequence_for<A...>{});
          return out.Take(r, sizeOut ? *sizeOut : 0);
        },
        [hash](Napi::Env env, Result& out) { return out.ToJS(env, hash); });
  }
};

}  // namespace

#define VK_GFS(n) GfsCall{#n, &Invoke<decltype(&guestfs_##n), &guestfs_##n>::Run, false}
#define VK_GFS_HASH(n) GfsCall{#n, &Invoke<decltype(&guestfs_##n), &guestfs_##n>::Run, true}
// A call with optional arguments, through its _argv form; exposed under the short name.
#define VK_GFS_OPT(n, fn) GfsCall{#n, &Invoke<decltype(&guestfs_##fn##_argv), &guestfs_##fn##_argv>::Run, false}

extern const GfsCall kGfsCalls[] = {
    // configuration and lifecycle
    VK_GFS(set_backend), VK_GFS(get_backend), VK_GFS(set_backend_setting), VK_GFS(get_backend_setting),
    VK_GFS(clear_backend_setting), VK_GFS(set_backend_settings), VK_GFS(get_backend_settings),
    VK_GFS(set_memsize), VK_GFS(get_memsize), VK_GFS(set_smp), VK_GFS(get_smp), VK_GFS(set_trace),
    VK_GFS(set_verbose), VK_GFS(get_verbose), VK_GFS(set_autosync), VK_GFS(set_network),
    VK_GFS(set_identifier), VK_GFS(set_program), VK_GFS(version), VK_GFS(get_state), VK_GFS(get_pid),
    VK_GFS_OPT(add_drive, add_drive_opts), VK_GFS(add_drive_ro), 
    VK_GFS(launch), VK_GFS(shutdown), VK_GFS_OPT(disk_create, disk_create), VK_GFS(disk_format),
    VK_GFS(disk_virtual_size), VK_GFS(disk_has_backing_file),
    // inspection
    VK_GFS(inspect_os), VK_GFS(inspect_get_roots), VK_GFS(inspect_get_type), VK_GFS(inspect_get_distro),
    VK_GFS(inspect_get_product_name), VK_GFS(inspect_get_product_variant), VK_GFS(inspect_get_major_version),
    VK_GFS(inspect_get_minor_version), VK_GFS(inspect_get_package_format),
    VK_GFS(inspect_get_package_management), VK_GFS(inspect_get_hostname), VK_GFS_HASH(inspect_get_mountpoints),
    VK_GFS(inspect_get_filesystems), VK_GFS(inspect_get_arch), VK_GFS(inspect_get_osinfo),
    
    // block devices, partitions, LVM, filesystems
    VK_GFS_HASH(list_filesystems), VK_GFS(list_devices), VK_GFS(list_partitions), VK_GFS_HASH(list_disk_labels),
    VK_GFS(lvs), VK_GFS(vgs), VK_GFS(pvs), VK_GFS(vgrename), VK_GFS(lvrename), VK_GFS(vg_activate_all),
    VK_GFS(vg_activate), VK_GFS(pvchange_uuid), VK_GFS(pvchange_uuid_all), VK_GFS(vgchange_uuid),
    VK_GFS(vgchange_uuid_all), VK_GFS(pvuuid), VK_GFS(vguuid), VK_GFS(lvuuid), VK_GFS(vgpvuuids), VK_GFS(is_lv),
    VK_GFS(lvm_canonical_lv_name), VK_GFS(list_md_devices), VK_GFS(part_to_dev), VK_GFS(findfs_uuid),
    VK_GFS(findfs_label), VK_GFS_HASH(blkid),
    VK_GFS_HASH(md_detail), VK_GFS_OPT(md_create, md_create),
    VK_GFS(pvcreate), VK_GFS(vgcreate), VK_GFS(lvcreate), VK_GFS_OPT(e2fsck, e2fsck),
    VK_GFS(part_disk), VK_GFS(part_init), VK_GFS(part_add), VK_GFS(part_get_parttype), VK_GFS(blockdev_getsize64),
    VK_GFS_OPT(mkfs, mkfs_opts), VK_GFS(vfs_type), VK_GFS(vfs_uuid), VK_GFS(vfs_label), VK_GFS(set_uuid),
    VK_GFS(set_uuid_random), VK_GFS(set_label), VK_GFS(zerofree),
    VK_GFS(mount), VK_GFS(mount_ro), VK_GFS(mount_options), VK_GFS(umount), VK_GFS(umount_all),
    VK_GFS_HASH(mountpoints), VK_GFS(sync), VK_GFS(statvfs), VK_GFS(df),
    // files
    VK_GFS(glob_expand), VK_GFS(ls), VK_GFS(find), VK_GFS(statns), VK_GFS(lstatns), VK_GFS_OPT(is_file, is_file_opts),
    VK_GFS_OPT(is_dir, is_dir_opts), VK_GFS(is_symlink), VK_GFS(exists), VK_GFS(read_file), VK_GFS(cat),
    VK_GFS(read_lines), VK_GFS(write), VK_GFS(write_append), VK_GFS(upload), VK_GFS(download), VK_GFS(rm),
    VK_GFS(rm_f), VK_GFS(rm_rf), VK_GFS(rmdir), VK_GFS(mkdir), VK_GFS(mkdir_p), VK_GFS(mkdir_mode),
    VK_GFS(chmod), VK_GFS(chown), VK_GFS(lchown), VK_GFS(ln_s), VK_GFS(ln_sf), VK_GFS(ln), VK_GFS(readlink),
    VK_GFS(touch), VK_GFS(truncate), VK_GFS(truncate_size), VK_GFS(cp), VK_GFS(cp_a), VK_GFS(cp_r), VK_GFS(mv),
    VK_GFS(filesize), VK_GFS(fill), VK_GFS(checksum), VK_GFS(realpath),
    VK_GFS(pread), VK_GFS(file_architecture), VK_GFS(lstatnslist), VK_GFS(readlinklist),
    VK_GFS_OPT(selinux_relabel, selinux_relabel),
    VK_GFS_OPT(tar_in, tar_in_opts), VK_GFS_OPT(tar_out, tar_out_opts),
    // Augeas
    VK_GFS(aug_init), VK_GFS(aug_load), VK_GFS(aug_get), VK_GFS(aug_set), VK_GFS(aug_rm), VK_GFS(aug_save),
    VK_GFS(aug_match), VK_GFS(aug_ls), VK_GFS(aug_insert), VK_GFS(aug_clear), VK_GFS(aug_close),
    VK_GFS(aug_defvar),
    // running programs in the appliance (against the mounted guest)
    VK_GFS(command), VK_GFS(command_lines), VK_GFS(sh), VK_GFS(sh_lines),
    GfsCall{nullptr, nullptr, false},
};

}  // namespace vk
