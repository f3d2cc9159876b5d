// seal() and listOperations(): one guest, one appliance.
import { invalid } from '../errors.js';
import { argOptBool, argOptEnum, argOptFunction, argOptSignal, argOptString, argStrings } from '../args.js';
import { hasCustomizations, validateCustomize, type CustomizeOptions } from './customize.js';
import { domainDisks, resolveDisks, type ResolvedDisk } from './disks.js';
import { mapDevices, pinMountpoints } from './devices.js';
import { openAppliance } from './appliance.js';
import { quickInspect } from './fast-inspect/index.js';
import { probeCache } from './fast-inspect/probe-cache.js';
import type { InspectedRoot, SealGuest } from './guest-api.js';
import { LEFT_OUT, OPERATIONS } from './operations/index.js';
import { checkAborted, checkRoots, mergeRecords, noOsFound, sealRoots } from './run.js';
import { selectOperations } from './select.js';
import type { SealOptions, SealProgress, SealReport } from './types.js';

/** One entry of listOperations(). */
export interface OperationInfo {
  name: string;
  enabledByDefault: boolean;
  description: string;
  /** How virtkit's version differs from virt-sysprep's, or why it is left out. */
  notes?: string;
  /** False for virt-sysprep operations virtkit does not implement. */
  supported: boolean;
}

/**
 * The seal operations, named and defaulted as `virt-sysprep --list-operations` (plus
 * virt-sysprep's later lvm-system-devices and zsh-history). Unsupported ones are listed with
 * `supported: false` and the reason.
 */
export function listOperations(): OperationInfo[] {
  const ops: OperationInfo[] = OPERATIONS.map((o) => ({
    name: o.name, enabledByDefault: o.enabledByDefault, description: o.description, supported: true,
    ...(o.notes ? { notes: o.notes } : {}),
  }));
  for (const [name, why] of Object.entries(LEFT_OUT)) {
    ops.push({ name, enabledByDefault: false, description: 'Run arbitrary scripts against the guest', notes: `Not supported: ${why}`, supported: false });
  }
  return ops.sort((a, b) => a.name.localeCompare(b.name));
}

function customizeOf(o: SealOptions): CustomizeOptions {
  const { disks: _d, domain: _dm, guest: _g, operations: _o, enable: _e, dryRun: _dr, accel: _a, multiboot: _m, onProgress: _p, signal: _s, inspection: _i, allowMountFailures: _amf, ...c } = o;
  return c;
}

/** Everything that can be checked without touching a disk. */
export function validateSealOptions(o: SealOptions): { selected: Set<string>; customize: CustomizeOptions } {
  if (o === null || typeof o !== 'object') throw invalid('seal: options object required', { argument: 'opts' });
  const sources = [o.disks !== undefined, o.domain !== undefined, o.guest !== undefined].filter(Boolean).length;
  if (sources !== 1) throw invalid('seal: give exactly one of disks, domain, guest');
  if (o.disks !== undefined && !Array.isArray(o.disks)) throw invalid('seal: disks must be an array of paths or { path, format }', { argument: 'disks' });
  if (o.multiboot !== undefined && o.multiboot !== 'each' && o.multiboot !== 'refuse') throw invalid('seal: multiboot must be "each" or "refuse"', { argument: 'multiboot' });
  if (o.inspection !== undefined && o.inspection !== 'auto' && o.inspection !== 'full') throw invalid('seal: inspection must be "auto" or "full"', { argument: 'inspection' });
  argOptString('operations', o.operations);
  if (o.enable !== undefined) argStrings('enable', o.enable);
  argOptBool('dryRun', o.dryRun);
  argOptBool('allowMountFailures', o.allowMountFailures);
  argOptEnum('accel', o.accel, ['auto', 'kvm', 'tcg'] as const);
  argOptFunction('onProgress', o.onProgress);
  argOptSignal('signal', o.signal);
  const selected = selectOperations(o.operations, o.enable);
  const customize = customizeOf(o);
  validateCustomize(customize);
  if (hasCustomizations(customize) && !selected.has('customize')) {
    throw invalid('seal: customize options were given but the customize operation is not selected');
  }
  if ((customize.firstbootCommands?.length ?? 0) > 0 && customize.installFirstboot === false) {
    throw invalid('seal: firstbootCommands need installFirstboot (the first-boot unit runs them)');
  }
  return { selected, customize };
}

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

