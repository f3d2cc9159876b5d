// Registration only.
#include <napi.h>
#include "connect.h"
#include "domain.h"
#include "errors.h"
#include "event_loop.h"
#include "call_pool.h"
#include "storage_pool.h"
#include "storage_vol.h"
#include "objects.h"
#include "stream.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace vk;
  // Per-env state only: the addon loads in any number of Workers.
  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->hub = Hub::Create(env);
  virInitialize();  // libvirt's own set-up, before any thread of ours calls it
  InitErrors();
  RegisterEventImpl();  // must precede the first virConnectOpen
  Connect::Init(env, exports);
  Domain::Init(env, exports);
  StoragePool::Init(env, exports);
  StorageVol::Init(env, exports);
  InitObjects(env, exports);
  VolStream::Init(env, exports);
  exports.Set("libvirtVersion", Napi::Number::New(env, LIBVIR_VERSION_NUMBER));
  // getVersion(): the libvirt library loaded at run time (libvirtVersion: the one built against).
  exports.Set("getVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    unsigned long v = 0;
    if (virGetVersion(&v, nullptr, nullptr) < 0) {
      virResetLastError();
      return info.Env().Null();
    }
    return Napi::Number::New(info.Env(), (double)v);
  }));
  exports.Set("poolStats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    PoolStats s = GetPoolStats();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("threads", (double)s.threads);
    o.Set("idle", (double)s.idle);
    o.Set("queued", (double)s.queued);
    return o;
  }));
  return exports;
}

NODE_API_MODULE(virtkit, InitAddon)
