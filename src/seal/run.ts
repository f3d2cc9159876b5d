// Seals the roots of one guest inside an already launched appliance. The refusals (no OS,
// Windows, non-Linux, bad customize input) all happen before the first write.
import { VirtkitError } from '../errors.js';
import { Effects, type OperationRecord } from './effects.js';
import { executeOperation } from './executor.js';
import type { InspectedRoot, SealGuest } from './guest-api.js';
import { OPERATIONS, type Operation } from './operations/index.js';
import type { SideEffects } from './operations/types.js';
import { preflightCustomize, type CustomizeOptions } from './customize.js';
import type { GuestSummary, RootReport, SealProgress } from './types.js';

export interface RunOptions {
  selected: ReadonlySet<string>;
  customize: CustomizeOptions;
  dryRun: boolean;
  multiboot: 'each' | 'refuse';
  /** Devices of this guest (device operations stay inside them). */
  devices: readonly string[];
  /** Whether the appliance has LVM (see DeviceMap.hasLvm). Default true. */
  hasLvm?: boolean;
  signal?: AbortSignal;
  progress?: (p: Omit<SealProgress, 'done' | 'total'>) => void;
}

export function summary(r: InspectedRoot): GuestSummary {
  return {
    root: r.root, type: r.type, distro: r.distro, version: r.version, productName: r.productName,
    hostname: r.hostname, arch: r.arch, packageManagement: r.packageManagement,
  };
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new VirtkitError('ABORTED', 'seal aborted', { cause: signal.reason });
}

/**
 * Rejects what cannot be sealed. Windows has its own tool, run inside the VM; other
 * non-Linux systems have no operation set here.
 */
export function checkRoots(roots: readonly InspectedRoot[], multiboot: 'each' | 'refuse', what: string): void {
  if (roots.length === 0) throw new VirtkitError('NO_OS_FOUND', `seal: no operating system found on ${what}`);
  const win = roots.find((r) => r.type === 'windows');
  if (win) {
    throw new VirtkitError(
      'UNSUPPORTED_GUEST',
      `seal: ${what} holds Windows (${win.productName || win.distro}); virtkit seals Linux guests only. ` +
        'Seal Windows with its own sysprep inside the VM: `sysprep /generalize /oobe /shutdown`.',
      { details: { type: 'windows', root: win.root } },
    );
  }
  const other = roots.find((r) => r.type !== 'linux');
  if (other) throw new VirtkitError('UNSUPPORTED_GUEST', `seal: ${what} holds a ${other.type} system; virtkit seals Linux guests only`, { details: { type: other.type, root: other.root } });
  if (roots.length > 1 && multiboot === 'refuse') {
    throw new VirtkitError('UNSUPPORTED_GUEST', `seal: ${what} holds ${roots.length} operating systems (multiboot: 'refuse')`, { details: { roots: roots.map((r) => r.root) } });
  }
}

/** The selected operations in run order (virt-sysprep's: by order, then name). */
export function plan(selected: ReadonlySet<string>): Operation[] {
  return OPERATIONS.filter((o) => selected.has(o.name)).sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.name.localeCompare(b.name));
}

/** Seals each root; returns one report per root. */
export async function sealRoots(g: SealGuest, roots: readonly InspectedRoot[], o: RunOptions): Promise<RootReport[]> {
  const ops = plan(o.selected);
  const fsOps = ops.filter((op) => (op.phase ?? 'filesystem') === 'filesystem');
  const devOps = ops.filter((op) => op.phase === 'device');
  // Check the customize input against every root before any root is written.
  for (const root of roots) {
    if (!o.selected.has('customize')) break;
    await g.mountRoot(root, { readonly: true });
    try {
      await preflightCustomize(g, o.customize);
    } finally {
      await g.umountAll();
    }
  }
  const reports: RootReport[] = [];
  for (const root of roots) {
    const fx = new Effects(g, o.dryRun);
    const records: OperationRecord[] = [];
    const sideEffects: SideEffects = { updateCaStore: false };
    const ctx = { g, fx, root, devices: o.devices, hasLvm: o.hasLvm ?? true, customize: o.customize, dryRun: o.dryRun, sideEffects };
    await g.mountRoot(root, { readonly: o.dryRun });
    try {
      for (const op of fsOps) {
        checkAborted(o.signal);
        o.progress?.({ step: 'operation', operation: op.name, root: root.root });
        const rec = fx.begin(op.name);
        records.push(rec);
        const t = performance.now();
        await executeOperation(op, ctx);
        rec.ms = Math.round(performance.now() - t);
      }
    } finally {
      await g.umountAll();
    }
    for (const op of devOps) {
      checkAborted(o.signal);
      o.progress?.({ step: 'operation', operation: op.name, root: root.root });
      const rec = fx.begin(op.name);
      records.push(rec);
      const t = performance.now();
      await executeOperation(op, ctx);
      rec.ms = Math.round(performance.now() - t);
    }
    reports.push({ guest: summary(root), operations: records.sort((a, b) => a.name.localeCompare(b.name)) });
  }
  return reports;
}

/** Merges per-root records into one list per operation. */
export function mergeRecords(roots: readonly RootReport[]): OperationRecord[] {
  const byName = new Map<string, OperationRecord>();
  for (const r of roots) {
    for (const rec of r.operations) {
      const m: OperationRecord = byName.get(rec.name) ?? { name: rec.name, removed: [], changed: [], ms: 0 };
      m.ms = (m.ms ?? 0) + (rec.ms ?? 0);
      m.removed.push(...rec.removed.filter((p) => !m.removed.includes(p)));
      m.changed.push(...rec.changed.filter((p) => !m.changed.includes(p)));
      if (rec.warnings) (m.warnings ??= []).push(...rec.warnings);
      byName.set(rec.name, m);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
