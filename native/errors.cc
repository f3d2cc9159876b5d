// Errors as JS values: shared by both addons.
#include "errors.h"

namespace vk {
Napi::Value NativeError::ToJS(Napi::Env env) const {
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  switch (kind) {
    case kVirt:
      o.Set("native", "virt");
      o.Set("virCode", code);
      o.Set("virDomain", domain);
      o.Set("virLevel", level);
      if (errnum > 0) o.Set("errno", errnum);
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
