// libvirt's default event loop on one native thread: events, keepalive and close callbacks.
#pragma once

namespace vk {
// Registers the default implementation; must run before the first virConnectOpen.
void RegisterEventImpl();
// Starts the loop thread once (idempotent).
void EnsureEventLoop();
}  // namespace vk
