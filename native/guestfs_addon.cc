// Registration of the libguestfs addon (guestfs-addon/binding.gyp): loaded apart from the libvirt
// one, on first use of Guest or seal, so that libvirt work never needs libguestfs installed.
#include <napi.h>
#include "guestfs.h"
#include "worker.h"

static Napi::Object InitGuestfsAddon(Napi::Env env, Napi::Object exports) {
  using namespace vk;
  // Per-env state of this addon (its own hub and call threads: nothing is shared with the
  // libvirt addon, which may not be loaded at all).
  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->hub = Hub::Create(env);
  Guestfs::Init(env, exports);
  return exports;
}

NODE_API_MODULE(virtkit_guestfs, InitGuestfsAddon)
