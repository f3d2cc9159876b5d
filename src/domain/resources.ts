// Memory and vCPU counts: virDomainSetMemoryFlags and virDomainSetVcpusFlags, with libvirt's
// live/config/maximum choices as options (checked here before any call).
import type { NativeDomain } from '../native.js';
import type { Core } from '../core.js';
import { UINT32, argInt, argOptBool, argOptions } from '../args.js';
import { type AffectOptions, affectFlags } from './devices.js';
import { virDomainMemoryModFlags as MM, virDomainVcpuFlags as VF } from '../generated/libvirt-enums.js';

/** Options of {@link Domain.setMemory}. */
export interface SetMemoryOptions extends AffectOptions {
  /** Set the maximum memory (`<memory>`) instead of the current allocation (usually `config` only). */
  maximum?: boolean;
}

/** Options of {@link Domain.setVcpus}. */
export interface SetVcpusOptions extends AffectOptions {
  /** Set the maximum vCPU count (`<vcpu>`) instead of the current one (`config` only). */
  maximum?: boolean;
  /** Ask the guest agent to online/offline vCPUs instead of hot(un)plugging them. */
  guest?: boolean;
  /** Make the added vCPUs hot-unpluggable (`config` with a running domain's later hotplug). */
  hotpluggable?: boolean;
}

// An unsigned long in KiB: 64-bit on Linux, kept to a safe integer here.
const KIB = { min: 1, max: Number.MAX_SAFE_INTEGER };

/** @internal */
export async function setMemory(core: Core, n: NativeDomain, kib: number, opts?: SetMemoryOptions): Promise<void> {
  argInt('kib', kib, KIB);
  const o = argOptions('opts', opts);
  const flags = affectFlags(o) | (argOptBool('opts.maximum', o.maximum) ? MM.VIR_DOMAIN_MEM_MAXIMUM : 0);
  await core.call(() => n.setMemoryFlags(kib, flags));
}

/** @internal */
export async function setVcpus(core: Core, n: NativeDomain, count: number, opts?: SetVcpusOptions): Promise<void> {
  argInt('count', count, { min: 1, max: UINT32.max });
  const o = argOptions('opts', opts);
  const flags =
    affectFlags(o) |
    (argOptBool('opts.maximum', o.maximum) ? VF.VIR_DOMAIN_VCPU_MAXIMUM : 0) |
    (argOptBool('opts.guest', o.guest) ? VF.VIR_DOMAIN_VCPU_GUEST : 0) |
    (argOptBool('opts.hotpluggable', o.hotpluggable) ? VF.VIR_DOMAIN_VCPU_HOTPLUGGABLE : 0);
  await core.call(() => n.setVcpusFlags(count, flags));
}

/** @internal The vCPU count: current or `maximum`, of the `live` or `config` definition (libvirt's current by default). */
export async function vcpuCount(core: Core, n: NativeDomain, opts?: AffectOptions & { maximum?: boolean; guest?: boolean }): Promise<number> {
  const o = argOptions('opts', opts);
  const flags =
    affectFlags(o) |
    (argOptBool('opts.maximum', o.maximum) ? VF.VIR_DOMAIN_VCPU_MAXIMUM : 0) |
    (argOptBool('opts.guest', o.guest) ? VF.VIR_DOMAIN_VCPU_GUEST : 0);
  return core.call(() => n.getVcpusFlags(flags));
}
