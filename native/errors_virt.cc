// The libvirt half of errors.h (linked into the libvirt addon only).
#include "errors.h"
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
    if (err.code == VIR_ERR_SYSTEM_ERROR) errnum = err.int1;  // the errno (ECONNREFUSED, ...)
    virResetError(&err);
  } else {
    code = 1;  // VIR_ERR_INTERNAL_ERROR
    message = "libvirt call failed without reporting an error";
  }
}

}  // namespace vk
