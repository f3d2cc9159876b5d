// Validation and defaults for Guest.open, kept free of native code so it is unit-testable.
import { access, constants, stat } from 'node:fs/promises';
import { backingChain } from './image.js';
import { resolve } from 'node:path';
import { VirtkitError, invalid } from '../errors.js';
import { resolveAccel, type Accel } from './accel.js';
import { argOptBool, argString } from '../args.js';

/** A disk image to add to a {@link Guest}. */
export interface DriveSpec {
  /** Host path of the image file (resolved to an absolute path). Must exist and be readable (and writable unless `readonly`). */
  path: string;
  /** Image format. Give it: libguestfs will not guess (probing a raw image is unsafe). */
  format?: 'raw' | 'qcow2' | (string & {});
  /** Add it read-only (writes go nowhere). Default false. */
  readonly?: boolean;
  /** The device name the guest used for it, e.g. 'sda' (helps inspection map /etc/fstab). */
  name?: string;
}

/** Progress of a long libguestfs call (upload, download, fill, ...), as libguestfs reports it. */
export interface GuestProgress {
  /** Work done so far, in the call's own units (bytes for transfers). */
  position: number;
  /** Total work, in the same units as `position`. */
  total: number;
  /** libguestfs procedure number of the call reporting progress. */
  procNr: number;
  /** Serial number of the call reporting progress. */
  serial: number;
}

/** Source of a log line passed to {@link GuestOpenOptions.onLog}: libguestfs itself, the appliance console, a warning, or a call trace. */
export type GuestLogKind = 'library' | 'appliance' | 'warning' | 'trace';

/** Options of {@link Guest.open}. Invalid values reject with VirtkitError `INVALID_ARGUMENT`; a missing drive with `NOT_FOUND`. */
export interface GuestOpenOptions {
  /** The disk images to add, in order (/dev/sda, /dev/sdb, ...). At least one. */
  drives: DriveSpec[];
  /** Default: VIRTKIT_ACCEL, else 'auto' (KVM, retried once on TCG). */
  accel?: Accel;
  /** Appliance memory, in MiB (128 to 1048576). Default: libguestfs' default. */
  memsizeMiB?: number;
  /** Appliance virtual CPUs (1 to 255). Default: libguestfs' default (1). */
  smp?: number;
  /** libguestfs backend. Default: LIBGUESTFS_BACKEND, else 'direct'. */
  backend?: string;
  /** Extra backend settings, 'name' or 'name=value' (not force_tcg/force_kvm: use `accel`). */
  backendSettings?: string[];
  /** Called with progress of long calls (upload, download, fill, ...). Exceptions it throws are ignored. */
  onProgress?: (p: GuestProgress) => void;
  /** libguestfs, appliance and warning messages, one line at a time. */
  onLog?: (line: string, kind: GuestLogKind) => void;
  /** Log every libguestfs call through onLog (kind 'trace'). */
  trace?: boolean;
  /** Aborting kills the appliance and closes the handle; pending calls reject with ABORTED. */
  signal?: AbortSignal;
  /** Launch now (default true). With false, call `guest.launch()` later. */
  launch?: boolean;
  /** Upper bound on the whole launch, per attempt. Default: none. */
  launchTimeoutMs?: number;
  /** 'auto' only: a KVM launch silent for this long is treated as hung. Default 30 s. */
  kvmProbeSilenceMs?: number;
  /**
   * How much nicer (0-19) than this process the appliance's qemu runs. Default 10: a TCG launch
   * takes a whole core for 10-20 s, and the application embedding virtkit should keep its
   * latency (on an otherwise idle host it costs nothing). 0: the same priority as the process.
   */
  nice?: number;
}

export interface NormalizedOpenOptions {
  drives: Array<{ path: string; format?: string; readonly: boolean; name?: string }>;
  accel: Accel;
  backend: string;
  backendSettings: string[];
  memsizeMiB?: number;
  smp?: number;
  trace: boolean;
  launch: boolean;
  launchTimeoutMs?: number;
  kvmProbeSilenceMs: number;
  nice: number;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function intIn(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!isInt(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}`, { argument: name, [name]: v });
  return v;
}

/** Shapes and defaults only; no file system access. */
export function normalizeOpenOptions(opts: GuestOpenOptions, env: NodeJS.ProcessEnv = process.env): NormalizedOpenOptions {
  if (!opts || typeof opts !== 'object') throw invalid('Guest.open needs an options object', { argument: 'opts' });
  if (!Array.isArray(opts.drives) || opts.drives.length === 0) throw invalid('Guest.open needs at least one drive', { argument: 'drives' });
  const drives = opts.drives.map((d, i) => {
    if (!d || typeof d !== 'object') throw invalid(`drives[${i}] must be an object`, { argument: `drives[${i}]` });
    if (typeof d.path !== 'string' || d.path === '') throw invalid(`drives[${i}].path must be a non-empty string`, { argument: `drives[${i}].path` });
    argString(`drives[${i}].path`, d.path);
    if (d.format !== undefined && (typeof d.format !== 'string' || !/^[a-z0-9_-]+$/.test(d.format)))
      throw invalid(`drives[${i}].format must be a format name such as 'qcow2' or 'raw'`, { argument: `drives[${i}].format`, format: d.format });
    if (d.readonly !== undefined && typeof d.readonly !== 'boolean') throw invalid(`drives[${i}].readonly must be a boolean`, { argument: `drives[${i}].readonly` });
    if (d.name !== undefined && (typeof d.name !== 'string' || !/^(\/dev\/)?[A-Za-z0-9_-]+$/.test(d.name)))
      throw invalid(`drives[${i}].name must be a device name such as 'sda' or '/dev/sda'`, { argument: `drives[${i}].name`, name: d.name });
    return {
      path: resolve(d.path),
      readonly: d.readonly ?? false,
      ...(d.format !== undefined ? { format: d.format } : {}),
      ...(d.name !== undefined ? { name: d.name.startsWith('/dev/') ? d.name : `/dev/${d.name}` } : {}),
    };
  });
  const backend = opts.backend ?? (env['LIBGUESTFS_BACKEND'] || 'direct');
  argString('backend', backend, { nonEmpty: true });
  const backendSettings = opts.backendSettings ?? [];
  if (!Array.isArray(backendSettings)) throw invalid('backendSettings must be an array of strings', { argument: 'backendSettings' });
  for (const s of backendSettings) {
    if (typeof s !== 'string' || !/^[A-Za-z0-9_.-]+(=.*)?$/.test(s)) throw invalid(`bad backend setting '${String(s)}'`, { argument: 'backendSettings' });
    argString('backendSettings[]', s);
    const key = s.split('=')[0];
    if (key === 'force_tcg' || key === 'force_kvm') throw invalid(`use the accel option instead of backend setting ${key}`, { argument: 'backendSettings' });
  }
  for (const f of ['onProgress', 'onLog'] as const) {
    if (opts[f] !== undefined && typeof opts[f] !== 'function') throw invalid(`${f} must be a function`, { argument: f });
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal', { argument: 'signal' });
  argOptBool('trace', opts.trace);
  argOptBool('launch', opts.launch);
  const launchTimeoutMs = intIn('launchTimeoutMs', opts.launchTimeoutMs, 1, 3_600_000);
  const memsizeMiB = intIn('memsizeMiB', opts.memsizeMiB, 128, 1 << 20);
  const smp = intIn('smp', opts.smp, 1, 255);
  return {
    drives,
    accel: resolveAccel(opts.accel, env),
    backend,
    backendSettings: [...backendSettings],
    trace: opts.trace === true,
    launch: opts.launch !== false,
    kvmProbeSilenceMs: intIn('kvmProbeSilenceMs', opts.kvmProbeSilenceMs, 1, 3_600_000) ?? 30_000,
    nice: intIn('nice', opts.nice, 0, 19) ?? 10,
    ...(memsizeMiB !== undefined ? { memsizeMiB } : {}),
    ...(smp !== undefined ? { smp } : {}),
    ...(launchTimeoutMs !== undefined ? { launchTimeoutMs } : {}),
  };
}

/**
 * NOT_FOUND for the first drive that is missing or unreadable (writable too unless readonly);
 * BACKING_MISSING (naming the file) when a qcow2 drive's backing chain is broken.
 */
export async function checkDrives(drives: NormalizedOpenOptions['drives']): Promise<void> {
  for (const d of drives) {
    try {
      await access(d.path, d.readonly ? constants.R_OK : constants.R_OK | constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new VirtkitError('NOT_FOUND', `drive not found: ${d.path}`, { cause: e, details: { path: d.path } });
      throw invalid(`drive not accessible (${code}): ${d.path}`, { path: d.path, code });
    }
    // Block devices and other formats: libguestfs decides.
    if (d.format === undefined || d.format === 'qcow2') {
      try {
        if ((await stat(d.path)).isFile()) backingChain(d.path, d.format);
      } catch (e) {
        if (e instanceof VirtkitError && e.code === 'BACKING_MISSING') throw e;
        // Anything else (an odd header): left to libguestfs, as before.
      }
    }
  }
}
