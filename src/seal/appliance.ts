// Opens a libguestfs appliance through virtkit's Guest. Isolated here so the seal engine depends
// on one function, and tests or callers can pass their own open session instead.
import type { SealGuest } from './guest-api.js';
import type { ResolvedDisk } from './disks.js';

export interface ApplianceOptions {
  drives: Array<ResolvedDisk & { readonly: boolean }>;
  accel?: 'auto' | 'kvm' | 'tcg';
  signal?: AbortSignal;
}

/** Launches an appliance with these drives (added in order: drive i is /dev/sd<i>). */
export async function openAppliance(o: ApplianceOptions): Promise<SealGuest> {
  // Resolved at run time: the Guest module is loaded only when a seal really launches.
  const mod = (await import(GUEST_MODULE)) as { Guest: { open(o: unknown): Promise<SealGuest> } };
  return mod.Guest.open({
    drives: o.drives.map((d) => ({ path: d.path, format: d.format, readonly: d.readonly })),
    accel: o.accel ?? 'auto',
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

const GUEST_MODULE = '../guest/index.js';
