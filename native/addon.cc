// Registration only.
#include <napi.h>
#include "connect.h"
#include "domain.h"
#include "errors.h"
#include "event_loop.h"
#include "guestfs.h"
#include "storage_pool.h"
#include "storage_vol.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace vk;
  env.SetInstanceData(new AddonData());
  InitErrors();
  RegisterEventImpl();  // must precede the first virConnectOpen
  Connect::Init(env, exports);
  Domain::Init(env, exports);
  StoragePool::Init(env, exports);
  StorageVol::Init(env, exports);
  Guestfs::Init(env, exports);
  exports.Set("libvirtVersion", Napi::Number::New(env, LIBVIR_VERSION_NUMBER));
  return exports;
}

NODE_API_MODULE(virtkit, InitAddon)
