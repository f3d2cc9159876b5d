#include "event_loop.h"
#include <libvirt/libvirt.h>
#include <atomic>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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
      // Housekeeping only (events, keepalive): it should never preempt the threads doing calls.
      // Each RPC toggles the client socket's watch, which wakes this thread twice per call.
      setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
}

}  // namespace vk
