#include "event_loop.h"
#include <libvirt/libvirt.h>
#include <atomic>
#include <mutex>
#include <thread>

namespace vk {

static std::once_flag g_register, g_start;

void RegisterEventImpl() {
  std::call_once(g_register, [] { virEventRegisterDefaultImpl(); });
}

void EnsureEventLoop() {
  RegisterEventImpl();
  std::call_once(g_start, [] {
    // Detached on purpose: it lives as long as the process and owns no JS state; all
    // delivery to JS goes through unref'd thread-safe functions, so it never holds Node open.
    std::thread([] {
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
}

}  // namespace vk
