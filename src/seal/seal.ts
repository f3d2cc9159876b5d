// seal(): one guest, one appliance. The pipeline: options.ts (checks) -> select.ts (operations)
// -> disks.ts -> appliance.ts -> fast-inspect/ -> devices.ts -> run.ts (per root: executor.ts,
// effects.ts, operations/) -> the first-boot hook (firstboot/, through operations/customize.ts).
import { validateSealOptions } from './options.js';
import type { SealOptions } from './options.js';
import { domainDisks, resolveDisks, type ResolvedDisk } from './disks.js';
import { mapDevices, pinMountpoints } from './devices.js';
import { openAppliance } from './appliance.js';
import { quickInspect } from './fast-inspect/index.js';
import { probeCache } from './fast-inspect/probe-cache.js';
import type { InspectedRoot, SealGuest } from './guest-api.js';
import { checkAborted, checkRoots, mergeRecords, noOsFound, sealRoots } from './run.js';
import type { SealProgress, SealReport } from './types.js';

/** Fast inspection unless asked for libguestfs' own ('full'). */
export async function inspectRoots(g: SealGuest, mode: 'auto' | 'full' = 'auto'): Promise<{ roots: InspectedRoot[]; path: 'fast' | 'full' }> {
  if (mode === 'full') return { roots: await g.inspect(), path: 'full' };
  return quickInspect(g);
}

/** Resolves the disks of one job (checks the domain is shut off). */
export async function jobDisks(o: SealOptions): Promise<ResolvedDisk[]> {
  if (o.domain) return resolveDisks(await domainDisks(o.domain));
  if (o.disks) return resolveDisks(o.disks);
  return [];
}

function progressCounter(o: SealOptions, selectedCount: number) {
  let done = 0;
  let total = 2 + selectedCount;
  return {
    setRoots(n: number) {
      total = 2 + selectedCount * n;
    },
    tick(p: Omit<SealProgress, 'done' | 'total'>) {
      if (p.step === 'operation' || p.step === 'done') done++;
      if (p.step === 'launch' || p.step === 'inspect') done = p.step === 'launch' ? 0 : 1;
      try {
        o.onProgress?.({ ...p, done: Math.min(done, total), total });
      } catch {
        // A throwing progress callback must not break a half-done seal.
      }
    },
  };
}

/**
 * Seals one guest: removes what makes it a particular machine, applies the customize options
 * and installs the first-boot unit, all in one libguestfs appliance and without running the
 * guest. With `dryRun`, drives are read-only and the report lists what would change.
 *
 * Refused before anything is written: unknown operation (UNKNOWN_OPERATION), running domain
 * (DOMAIN_RUNNING), missing disk (NOT_FOUND), no OS (NO_OS_FOUND), Windows or another non-Linux
 * OS (UNSUPPORTED_GUEST), bad customize input (INVALID_ARGUMENT).
 */
export async function seal(o: SealOptions): Promise<SealReport> {
  const t0 = performance.now();
  const { selected, customize } = validateSealOptions(o);
  checkAborted(o.signal);
  const dryRun = o.dryRun ?? false;
  const disks = await jobDisks(o);
  const progress = progressCounter(o, selected.size);

  progress.tick({ step: 'launch' });
  let g: SealGuest;
  const owned = !o.guest;
  if (o.guest) g = o.guest;
  else {
    g = await openAppliance({
      drives: disks.map((d) => ({ ...d, readonly: dryRun })),
      ...(o.accel ? { accel: o.accel } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
  const t1 = performance.now();
  try {
    progress.tick({ step: 'inspect' });
    // Device probes are shared by inspection and the device map (nothing is written before both).
    const probe = probeCache(g);
    const found = await inspectRoots(probe, o.inspection);
    const roots = found.roots;
    const what = disks.length > 0 ? disks.map((d) => d.path).join(', ') : 'the guest';
    const map = await mapDevices(probe);
    const drives = new Set(disks.length > 0 ? disks.map((_, i) => i) : Array.from({ length: 256 }, (_, i) => i));
    if (roots.length === 0) throw await noOsFound(probe, map.devicesOf(drives), what);
    checkRoots(roots, o.multiboot ?? 'each', what);
    // '/' is always the inspected root device, whatever the guest's fstab calls it.
    const pinned = roots.map((r) => pinMountpoints(r, map, drives, 0) ?? { ...r, mountpoints: r.mountpoints.map((m) => (m.mountpoint === '/' ? { ...m, device: r.root } : m)) });
    const t2 = performance.now();
    progress.setRoots(roots.length);
    checkAborted(o.signal);
    const rootReports = await sealRoots(g, pinned, {
      selected, customize, dryRun, multiboot: o.multiboot ?? 'each',
      hasLvm: map.hasLvm,
      devices: map.devicesOf(drives),
      ...(o.allowMountFailures ? { allowMountFailures: true } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      progress: (p) => progress.tick(p),
    });
    const t3 = performance.now();
    if (owned) {
      // shutdown() makes libguestfs sync and report write errors; close() alone may hide them.
      await g.shutdown();
    }
    const t4 = performance.now();
    progress.tick({ step: 'done' });
    return {
      guest: rootReports[0]!.guest,
      operations: mergeRecords(rootReports),
      roots: rootReports,
      mountFailures: rootReports.flatMap((r) => r.mountFailures),
      ...(rootReports[0]!.firstboot ? { firstboot: rootReports[0]!.firstboot } : {}),
      dryRun,
      disks: disks.map((d) => d.path),
      inspection: found.path,
      timings: { launchMs: Math.round(t1 - t0), inspectMs: Math.round(t2 - t1), operationsMs: Math.round(t4 - t2), totalMs: Math.round(performance.now() - t0) },
    };
  } finally {
    if (owned) await Promise.resolve(g.close()).catch(() => undefined);
  }
}

