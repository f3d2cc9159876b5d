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
import { nativeGuestfs } from '../guest/native.js';
import { loadKeys, wipeKeys } from './luks-keys.js';
import { NO_LUKS, blockDevices, unlockLuks, type LuksSession } from './luks.js';

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
 * LUKS guests (LVM-on-LUKS, LUKS-on-LVM, LUKS on a partition) are sealed through their opened
 * mappings when `keys` holds their passphrase (virt-sysprep's `--key`; see {@link SealOptions.keys}).
 *
 * Refused before anything is written: unknown operation (UNKNOWN_OPERATION), running domain
 * (DOMAIN_RUNNING), missing disk or key file (NOT_FOUND), no OS (NO_OS_FOUND; for an encrypted
 * root without a key it says to pass `keys`), a LUKS volume none of its keys opens
 * (DECRYPT_FAILED, naming the device, never a key), Windows or another non-Linux OS
 * (UNSUPPORTED_GUEST), bad customize input or `keys` (INVALID_ARGUMENT).
 */
export async function seal(o: SealOptions): Promise<SealReport> {
  const t0 = performance.now();
  const { selected, customize } = validateSealOptions(o);
  if (!o.guest) nativeGuestfs(); // GUESTFS_UNAVAILABLE, after the option checks
  checkAborted(o.signal);
  const disks = await jobDisks(o);
  // Key files are read now, before any launch (a missing one is NOT_FOUND).
  const keys = await loadKeys(o.keys);
  try {
    return await sealWith(o, selected, customize, disks, keys, t0);
  } finally {
    wipeKeys(keys);
  }
}

async function sealWith(
  o: SealOptions,
  selected: Set<string>,
  customize: ReturnType<typeof validateSealOptions>['customize'],
  disks: ResolvedDisk[],
  keys: Awaited<ReturnType<typeof loadKeys>>,
  t0: number,
): Promise<SealReport> {
  const dryRun = o.dryRun ?? false;
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
  let luks: LuksSession = NO_LUKS;
  try {
    progress.tick({ step: 'inspect' });
    // Device probes are shared by inspection and the device map (nothing is written before both).
    let probe = probeCache(g);
    if (keys.length > 0) {
      const p0 = probe;
      luks = await unlockLuks(g, keys, { readonly: dryRun, candidates: (round) => blockDevices(round === 0 ? p0 : g), ...(o.signal ? { signal: o.signal } : {}) });
      // New devices (mappings, VGs inside them): the probes start again.
      if (luks.opened.length > 0) probe = probeCache(g);
      for (const d of luks.locked) progress.tick({ step: 'warning', message: `${d} is encrypted (LUKS) and was not opened: no key in keys is for it` });
    }
    const found = await inspectRoots(probe, o.inspection);
    const roots = found.roots;
    const what = disks.length > 0 ? disks.map((d) => d.path).join(', ') : 'the guest';
    const map = await mapDevices(probe, luks.opened);
    const drives = new Set(disks.length > 0 ? disks.map((_, i) => i) : Array.from({ length: 256 }, (_, i) => i));
    if (roots.length === 0) throw await noOsFound(probe, map.devicesOf(drives), what, luks.opened.map((v) => v.device));
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
      ...(luks.opened.length > 0 ? { luks } : {}),
      progress: (p) => progress.tick(p),
    });
    const t3 = performance.now();
    // The mappings are closed like a shutdown of the guest would (and a Guest passed in is left as it came).
    const opened = luks.opened;
    for (const w of await luks.close()) progress.tick({ step: 'warning', message: w });
    luks = NO_LUKS;
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
      ...(rootReports[0]!.cloudInit ? { cloudInit: true } : {}),
      dryRun,
      disks: disks.map((d) => d.path),
      ...(opened.length > 0 ? { luks: [...opened] } : {}),
      inspection: found.path,
      timings: { launchMs: Math.round(t1 - t0), inspectMs: Math.round(t2 - t1), operationsMs: Math.round(t4 - t2), totalMs: Math.round(performance.now() - t0) },
    };
  } finally {
    // A failure: the appliance goes away with its mappings; a Guest passed in gets them closed.
    if (!owned) await luks.close().catch(() => undefined);
    luks.discard();
    if (owned) await Promise.resolve(g.close()).catch(() => undefined);
  }
}

