// Hand-written methods for what libvirt-api.xml cannot describe (arrays sized by another call,
// stats records, per-CPU lists). Each has the signature of a generated method (virt_gen.h) and
// is listed in scripts/libvirt-overrides.mjs, which writes its table line and its typing.
#pragma once
#include "../virt_gen.h"

namespace vk {
namespace ov {

#define VK_OV(name) Napi::Value name(const Napi::CallbackInfo& info, const GenMethod& m)
// stats.cc
VK_OV(ConnectGetAllDomainStats);
VK_OV(DomainListGetStats);
VK_OV(DomainGetCPUStats);
VK_OV(DomainMemoryStats);
VK_OV(NodeGetCPUStats);
VK_OV(NodeGetMemoryStats);
VK_OV(DomainGetSchedulerParameters);
VK_OV(DomainGetSchedulerParametersFlags);
// arrays.cc
VK_OV(DomainGetDiskErrors);
VK_OV(DomainGetVcpus);
VK_OV(DomainGetVcpuPinInfo);
VK_OV(NodeGetCellsFreeMemory);
VK_OV(NodeGetFreePages);
VK_OV(NodeAllocPages);
VK_OV(NodeGetCPUMap);
// connect.cc
VK_OV(ConnectSetIdentity);
#undef VK_OV

}  // namespace ov
}  // namespace vk
