// virtkit's own implementation of libvirt's event loop, run on one native thread.
//
// Why not virEventRegisterDefaultImpl: every RPC toggles the client socket's watch, and the
// default loop wakes its thread for each toggle (twice per call), which halves call throughput
// on a small host. Here a connection opened inside a DetachedIO scope gets watches that are
// polled without ever being woken for: enabling or disabling them (once per RPC) costs nothing,
// their RPCs are driven by the calling threads (libvirt's "passing the buck"), and the loop
// still answers the daemon's keepalive pings on them at its next turn (at most 1 s away). The
// connection that carries events, keepalive and the close callback is polled normally.
//
// The loop thread and its state live as long as the process (the addon is never unloaded).
#pragma once
#include <vector>

namespace vk {
// Registers the implementation; must run before the first virConnectOpen.
void RegisterEventImpl();
// Starts the loop thread once (idempotent).
void EnsureEventLoop();
// While alive on a thread, handles added by libvirt on that thread are not polled.
struct DetachedIO {
  DetachedIO();
  ~DetachedIO();
};
// While alive on a thread, the ids of handles added by libvirt on that thread are appended to
// `out` (the sockets of the connections opened there).
struct CollectWatches {
  explicit CollectWatches(std::vector<int>* out);
  ~CollectWatches();
  std::vector<int>* prev;
};
// shutdown(2)s the sockets of these watches that libvirt still has registered (libvirt removes
// a watch before it closes its fd, so a closed or reused fd is never touched). Blocked RPCs on
// them then fail at once instead of waiting for a hung daemon. Any thread.
void ShutdownWatches(const std::vector<int>& ids);
}  // namespace vk
