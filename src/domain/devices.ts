// Device hotplug and config edits: virDomainAttachDeviceFlags, DetachDeviceFlags, DetachDeviceAlias,
// UpdateDeviceFlags. Device XML comes from src/xml/device-spec.ts (typed specs, or a caller's XML
// checked well-formed there); what libvirt refuses stays its VirtError.
import type { NativeDomain } from '../native.js';
import type { Core } from '../core.js';
import { argOptBool, argOptions, argString } from '../args.js';
import { invalid } from '../errors.js';
import { type DeviceSpec, deviceXml } from '../xml/device-spec.js';
import { virDomainDeviceModifyFlags as DM, virDomainModificationImpact as MI } from '../generated/libvirt-enums.js';

/**
 * Where a change applies: `live` (the running domain), `config` (the persistent definition), both,
 * or with neither libvirt's "current" (live when running, else config).
 */
export interface AffectOptions {
  live?: boolean;
  config?: boolean;
}

/** @internal VIR_DOMAIN_AFFECT_* from the options (0: current). */
export function affectFlags(opts: AffectOptions | undefined, name = 'opts'): number {
  const o = argOptions(name, opts);
  return (argOptBool(`${name}.live`, o.live) ? MI.VIR_DOMAIN_AFFECT_LIVE : 0) | (argOptBool(`${name}.config`, o.config) ? MI.VIR_DOMAIN_AFFECT_CONFIG : 0);
}

/** @internal */
export async function attachDevice(core: Core, n: NativeDomain, device: DeviceSpec | string, opts?: AffectOptions): Promise<void> {
  const xml = deviceXml(device, 'device');
  const flags = affectFlags(opts);
  await core.call(() => n.attachDeviceFlags(xml, flags));
}

/** @internal A device given as XML, a spec, or `{ alias }` (the `<alias name>` libvirt or the caller gave it). */
export async function detachDevice(core: Core, n: NativeDomain, device: DeviceSpec | string | { alias: string }, opts?: AffectOptions): Promise<void> {
  const flags = affectFlags(opts);
  if (device !== null && typeof device === 'object' && 'alias' in device) {
    if (Object.keys(device).length !== 1) throw invalid(`device: { alias } takes no other field`, { argument: 'device' });
    const alias = argString('device.alias', device.alias, { nonEmpty: true });
    await core.call(() => n.detachDeviceAlias(alias, flags));
    return;
  }
  const xml = deviceXml(device, 'device');
  await core.call(() => n.detachDeviceFlags(xml, flags));
}

/** @internal `force`: e.g. eject a locked CD-ROM. */
export async function updateDevice(core: Core, n: NativeDomain, device: DeviceSpec | string, opts?: AffectOptions & { force?: boolean }): Promise<void> {
  const xml = deviceXml(device, 'device');
  const force = argOptBool('opts.force', argOptions('opts', opts).force);
  const flags = affectFlags(opts) | (force ? DM.VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0);
  await core.call(() => n.updateDeviceFlags(xml, flags));
}
