// guestfs_h* wrapper (work in progress on the guest branch).
#pragma once
#include <napi.h>

namespace vk {
class Guestfs {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
};
}  // namespace vk
