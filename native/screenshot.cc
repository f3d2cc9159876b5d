// domainScreenshot (stream.h): virDomainScreenshot and its stream, read in one job.
#include "stream.h"
#include <vector>

namespace vk {

// domainScreenshot(domain, screen, flags): one job: virDomainScreenshot, the stream read to its
// end (blocking, on the call thread), finish. Resolves { mime, data }.
Napi::Value DomainScreenshot(const Napi::CallbackInfo& info) {
  DomainRef d = DomainArg(info, 0);
  unsigned int screen = ArgFlags(info, 1);
  unsigned int flags = ArgFlags(info, 2);
  struct Out {
    std::string mime;
    std::string data;
  };
  constexpr size_t kMax = 256u << 20;  // a screen is a few MiB; refuse a runaway stream
  return Queue<Out>(info.Env(), Owner(info),
      [d, screen, flags](Out& r, NativeError& e) {
        virStreamPtr st = virStreamNew(virDomainGetConnect(d), 0);
        if (!st) { e.CaptureVirt(); return; }
        char* mime = virDomainScreenshot(d, st, screen, flags);
        if (!mime) {
          e.CaptureVirt();
          virStreamFree(st);
          return;
        }
        r.mime = TakeString(mime);
        std::vector<char> buf(256 << 10);
        for (;;) {
          int n = virStreamRecv(st, buf.data(), buf.size());
          if (n < 0) {
            e.CaptureVirt();
            if (virStreamAbort(st) < 0) virResetLastError();
            break;
          }
          if (n == 0) {
            if (virStreamFinish(st) < 0) e.CaptureVirt();
            break;
          }
          r.data.append(buf.data(), (size_t)n);
          if (r.data.size() > kMax) {
            e.Usage("the screenshot stream is larger than 256 MiB");
            if (virStreamAbort(st) < 0) virResetLastError();
            break;
          }
        }
        virStreamFree(st);
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("mime", r.mime);
        o.Set("data", Napi::Buffer<char>::Copy(env, r.data.data(), r.data.size()));
        return o;
      });
}

}  // namespace vk
