#include "guestfs.h"
namespace vk {
void Guestfs::Init(Napi::Env env, Napi::Object exports) {}
}  // namespace vk
