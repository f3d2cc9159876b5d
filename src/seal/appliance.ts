// Opens a libguestfs appliance through virtkit's Guest. Isolated here so the seal engine depends
// on one function, and callers or tests can pass their own open session instead.
import { Guest } from '../guest/index.js';
import type { SealGuest } from './guest-api.js';
import type { ResolvedDisk } from './disks.js';

export interface ApplianceOptions {
  drives: Array<ResolvedDisk & { readonly: boolean }>;
  accel?: 'auto' | 'kvm' | 'tcg';
  signal?: AbortSignal;
}

/** Launches an appliance with these drives (added in order: drive i is /dev/sd<i>). */
export async function openAppliance(o: ApplianceOptions): Promise<SealGuest> {
  return Guest.open({
    drives: o.drives.map((d) => ({ path: d.path, format: d.format, readonly: d.readonly })),
    ...(o.accel ? { accel: o.accel } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}
