// Errors captured on the thread that failed, turned into JS values on the main thread.
#pragma once
#include <napi.h>
#include <string>

struct guestfs_h;

namespace vk {

struct NativeError {
  enum Kind { kNone, kVirt, kGuestfs, kUsage, kInvalid } kind = kNone;
  int code = 0;     // virErrorNumber (virt)
  int domain = 0;   // virErrorDomain (virt)
  int level = 0;    // virErrorLevel (virt)
  int errnum = 0;   // errno (guestfs; virt: VIR_ERR_SYSTEM_ERROR's int1)
  std::string message;

  // Right after a failing libvirt call, on the same thread.
  void CaptureVirt();
  // Right after a failing libguestfs call, on the same thread.
  void CaptureGuestfs(struct guestfs_h* g);
  void Usage(const std::string& msg) { kind = kUsage; message = msg; }
  bool failed() const { return kind != kNone; }
  // A JS Error whose `native` property tells src/errors.ts how to type it.
  Napi::Value ToJS(Napi::Env env) const;
};

// Thrown for misuse (closed handle). TypeScript always calls from async code, so users see a
// rejected promise.
[[noreturn]] void ThrowUsage(Napi::Env env, const std::string& msg);
// Thrown for an argument of the wrong type, out of its C range, or with a NUL: INVALID_ARGUMENT.
[[noreturn]] void ThrowInvalid(Napi::Env env, const std::string& msg);

void InitErrors();

}  // namespace vk
