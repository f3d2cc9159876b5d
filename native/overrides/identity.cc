// virConnectSetIdentity on every channel: a virtkit connection is a control connection plus N
// call channels (connect.h), and the identity must hold for whichever channel a call takes.
#include "overrides.h"

namespace vk {
namespace ov {
using namespace gen;

Napi::Value ConnectSetIdentity(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  auto tp = std::make_shared<TpIn>();
  tp->Read(rc);
  Flags flags;
  flags.Read(rc);
  CheckNoMore(rc);
  auto chans = std::make_shared<std::vector<ConnRef>>(Connect::Unwrap(info.This().As<Napi::Object>())->AllChannels(info));
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [chans, tp, f](int&, NativeError& e) {
        for (auto& c : *chans)
          if (virConnectSetIdentity(c, tp->p, tp->n, f) < 0) {
            e.CaptureVirt();
            break;
          }
        chans->clear();  // references dropped on the call thread
      },
      nullptr);
}

}  // namespace ov
}  // namespace vk
