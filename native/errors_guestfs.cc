// The libguestfs half of errors.h (linked into the libguestfs addon only).
#include "errors.h"
#include <guestfs.h>

namespace vk {

void NativeError::CaptureGuestfs(guestfs_h* g) {
  kind = kGuestfs;
  const char* msg = g ? guestfs_last_error(g) : nullptr;
  message = msg ? msg : "libguestfs call failed";
  errnum = g ? guestfs_last_errno(g) : 0;
}

}  // namespace vk
