// Seals the roots of one guest inside an already launched appliance. The refusals (no OS,
// Windows, non-Linux, bad customize input) all happen before the first write.
import { VirtkitError } from '../errors.js';
import { Effects, type OperationRecord } from './effects.js';
import { executeOperation } from './executor.js';
import type { InspectedRoot, SealGuest } from './guest-api.js';
import { OPERATIONS, type Operation } from './operations/index.js';
import type { LuksMappings, SideEffects } from './operations/types.js';
import type { CustomizeOptions } from './customize-options.js';
import { preflightCustomize } from './operations/customize.js';
import type { GuestSummary, MountFailure, RootReport, SealProgress } from './types.js';
import { checkFirstbootHook } from '../firstboot/install.js';
import { canonicalPath } from './fast-inspect/fstab.js';

export interface RunOptions {
  selected: ReadonlySet<string>;
  customize: CustomizeOptions;
  dryRun: boolean;
  multiboot: 'each' | 'refuse';
  /** Devices of this guest (device operations stay inside them). */
  devices: readonly string[];
  /** Whether the appliance has LVM (see DeviceMap.hasLvm). Default true. */
  hasLvm?: boolean;
  /** Seal even when a filesystem the operations need did not mount (reported either way). */
  allowMountFailures?: boolean;
  /** The guest's opened LUKS volumes (lvm-uuids closes those on LVs while it works). */
  luks?: LuksMappings;
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

/**
 * NO_OS_FOUND, saying so when the disks hold LUKS volumes that were not opened (no root can be
 * found inside them without a key): the caller is told to pass `keys`.
 */
export async function noOsFound(g: SealGuest, devices: readonly string[], what: string, opened: readonly string[] = []): Promise<VirtkitError> {
  const encrypted: string[] = [];
  for (const d of devices) {
    if (opened.includes(d)) continue;
    try {
      if ((await g.vfsType(d)) === 'crypto_LUKS') encrypted.push(d);
    } catch {
      // no signature
    }
  }
  if (encrypted.length === 0) return new VirtkitError('NO_OS_FOUND', `seal: no operating system found on ${what}`, opened.length > 0 ? { details: { opened } } : undefined);
  return new VirtkitError(
    'NO_OS_FOUND',
    `seal: no operating system found on ${what}: it has encrypted (LUKS) volumes that were not opened (${encrypted.join(', ')}); ` +
      `pass their passphrase in keys, e.g. keys: [{ device: '${encrypted[0]}', key: '…' }] or [{ file: '/path/to/keyfile' }]`,
    { details: { encrypted, ...(opened.length > 0 ? { opened } : {}) } },
  );
}

/** The selected operations in run order (virt-sysprep's: by order, then name). */
export function plan(selected: ReadonlySet<string>): Operation[] {
  return OPERATIONS.filter((o) => selected.has(o.name)).sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.name.localeCompare(b.name));
}

/** fstab types that are not a filesystem on the guest's disks. */
const NOT_A_DISK = /^(swap|proc|sysfs|tmpfs|devtmpfs|devpts|cgroup2?|securityfs|debugfs|tracefs|efivarfs|mqueue|hugetlbfs|fusectl|configfs|pstore|bpf|autofs|binfmt_misc|ramfs|rpc_pipefs|nfsd?|nfs4|cifs|smb3?|fuse(\..*)?|sshfs|9p|virtiofs|ceph|glusterfs|none|iso9660|udf|auto)$/;

/**
 * fstab entries for a filesystem on the guest's own disks that inspection could not find (a
 * UUID, label or device that is not there): libguestfs drops them without a word, so the
 * operations would run on the empty mountpoint. noauto, network and pseudo filesystems are skipped.
 */
async function missingFstabEntries(g: SealGuest, root: InspectedRoot): Promise<MountFailure[]> {
  let text: string;
  try {
    if (!(await g.isFile('/etc/fstab'))) return [];
    text = (await g.readFile('/etc/fstab')).toString('utf8');
  } catch {
    return [];
  }
  const known = new Set(root.mountpoints.map((m) => m.mountpoint));
  const out: MountFailure[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const [spec, file, type = 'auto', opts = 'defaults'] = line.split(/\s+/);
    if (!spec || !file || !file.startsWith('/')) continue;
    const mp = canonicalPath(file);
    if (known.has(mp) || /^\/(dev|proc|sys|selinux|run)(\/|$)|^\/media\//.test(mp)) continue;
    if (NOT_A_DISK.test(type) || /(^|,)(noauto|_netdev|bind)(,|$)/.test(opts) || /^[^/=]+:/.test(spec) || spec.startsWith('//')) continue;
    out.push({ mountpoint: mp, device: spec, error: `${spec} (fstab) was not found on the guest's disks` });
  }
  return out;
}

/** Directories the operations' code writes below (besides their declared globs). */
const SYSTEM_DIRS = ['/etc', '/usr', '/root', '/tmp', '/var', '/home'];

/** True when an enabled operation works below `mountpoint` (so it must be mounted). */
export function mountpointNeeded(mountpoint: string, ops: readonly Operation[]): boolean {
  const under = (p: string) => p === mountpoint || p.startsWith(`${mountpoint}/`);
  const over = (p: string) => mountpoint.startsWith(`${p}/`);
  for (const op of ops) {
    if ((op.phase ?? 'filesystem') !== 'filesystem') continue;
    const globs = [...(op.removeTrees ?? []), ...(op.removeFiles ?? []), ...(op.truncate ?? []), ...(op.lineEdits ?? []).map((e) => e.glob)];
    if (globs.some((g) => under(g) || under(g.replace(/\/[^/]*[*?[].*$/, '')))) return true;
    if (op.run && SYSTEM_DIRS.some((d) => under(d) || over(d))) return true;
  }
  return false;
}

/** Seals each root; returns one report per root. */
export async function sealRoots(g: SealGuest, roots: readonly InspectedRoot[], o: RunOptions): Promise<RootReport[]> {
  const ops = plan(o.selected);
  const fsOps = ops.filter((op) => (op.phase ?? 'filesystem') === 'filesystem');
  const devOps = ops.filter((op) => op.phase === 'device');
  const wantHook = o.selected.has('customize') && o.customize.installFirstboot !== false;
  const failures = new Map<InspectedRoot, MountFailure[]>();
  /** Reports mount failures; refuses (before anything is written) when an operation needs one. */
  const checkMounts = (root: InspectedRoot, found: MountFailure[], warn: boolean) => {
    const needed = found.filter((f) => mountpointNeeded(f.mountpoint, fsOps));
    if (needed.length > 0 && !o.allowMountFailures) {
      throw new VirtkitError(
        'MOUNT_FAILED',
        `seal: ${needed.map((f) => `${f.mountpoint} (${f.device}: ${f.error})`).join('; ')} did not mount on ${root.root}, and the operations work there; ` +
          'nothing was written (allowMountFailures: true seals the rest anyway)',
        { details: { root: root.root, failed: found } },
      );
    }
    if (warn) for (const f of found) o.progress?.({ step: 'warning', root: root.root, message: `${f.mountpoint} not mounted: ${f.error}` });
  };
  const failedOf = (res: unknown): MountFailure[] =>
    ((res as { failed?: Array<{ mountpoint: string; device: string; error: unknown }> } | undefined)?.failed ?? []).map((f) => ({
      mountpoint: f.mountpoint, device: f.device, error: f.error instanceof Error ? f.error.message.split('\n')[0]! : String(f.error),
    }));
  // Every root is mounted read-only first: mounts, the first-boot hook and the customize input
  // are checked against every root before any root is written.
  for (const root of roots) {
    const res = await g.mountRoot(root, { readonly: true });
    try {
      const found = [...failedOf(res), ...(await missingFstabEntries(g, root))];
      failures.set(root, found);
      checkMounts(root, found, true);
      if (wantHook) await checkFirstbootHook(g, root.root);
      if (o.selected.has('customize')) await preflightCustomize(g, o.customize);
    } finally {
      await g.umountAll();
    }
  }
  const reports: RootReport[] = [];
  for (const root of roots) {
    const fx = new Effects(g, o.dryRun);
    const records: OperationRecord[] = [];
    const sideEffects: SideEffects = { updateCaStore: false };
    const ctx = { g, fx, root, devices: o.devices, hasLvm: o.hasLvm ?? true, customize: o.customize, dryRun: o.dryRun, sideEffects, ...(o.luks ? { luks: o.luks } : {}) };
    const res = await g.mountRoot(root, { readonly: o.dryRun });
    try {
      // A filesystem that mounted read-only but not read-write (rare): refused before this root's first write.
      const seen = new Set((failures.get(root) ?? []).map((f) => f.mountpoint));
      const late = failedOf(res).filter((f) => !seen.has(f.mountpoint));
      if (late.length > 0) {
        failures.set(root, [...(failures.get(root) ?? []), ...late]);
        checkMounts(root, late, true);
      }
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
    reports.push({
      guest: summary(root),
      operations: records.sort((a, b) => a.name.localeCompare(b.name)),
      mountFailures: failures.get(root) ?? [],
      ...(sideEffects.firstboot ? { firstboot: sideEffects.firstboot } : {}),
      ...(sideEffects.cloudInit ? { cloudInit: true } : {}),
    });
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
