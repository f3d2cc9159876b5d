#include "errors.h"
#include <guestfs.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace vk {

static void SilentVirError(void*, virErrorPtr) {}

void InitErrors() {
  // Keep libvirt from printing every error on stderr; we report them as rejections.
  virSetErrorFunc(nullptr, SilentVirError);
}

void NativeError::CaptureVirt() {
  kind = kVirt;
  virError err;
  if (virCopyLastError(&err) > 0) {
    code = err.code;
    domain = err.domain;
    level = err.level;
    message = err.message ? err.message : "unknown libvirt error";
    virResetError(&err);
  } else {
    code = 1;  // VIR_ERR_INTERNAL_ERROR
    message = "libvirt call failed without reporting an error";
  }
}

void NativeError::CaptureGuestfs(guestfs_h* g) {
  kind = kGuestfs;
  const char* msg = g ? guestfs_last_error(g) : nullptr;
  message = msg ? msg : "libguestfs call failed";
  errnum = g ? guestfs_last_errno(g) : 0;
}

Napi::Value NativeError::ToJS(Napi::Env env) const {
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  switch (kind) {
    case kVirt:
      o.Set("native", "virt");
      o.Set("virCode", code);
      o.Set("virDomain", domain);
      o.Set("virLevel", level);
      break;
    case kGuestfs:
      o.Set("native", "guestfs");
      o.Set("errno", errnum);
      break;
    case kInvalid:
      o.Set("native", "invalid");
      break;
    default:
      o.Set("native", "usage");
  }
  return o;
}

void ThrowUsage(Napi::Env env, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("native", "usage");
  throw e;
}

void ThrowInvalid(Napi::Env env, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("native", "invalid");
  throw e;
}

}  // namespace vk
