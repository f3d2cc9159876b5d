// Public types of seal() and sealMany().
import type { CustomizeOptions } from './customize.js';
import type { DiskSpec, DomainLike } from './disks.js';
import type { OperationRecord } from './effects.js';
import type { SealGuest } from './guest-api.js';

/** Progress of a seal: launch, inspect, then one tick per operation per root. */
export interface SealProgress {
  /** The phase under way. */
  step: 'launch' | 'inspect' | 'operation' | 'done';
  /** The operation being run, during 'operation', e.g. 'machine-id'. */
  operation?: string;
  /** Guest root being sealed (multi-boot disks have several). */
  root?: string;
  /** Steps finished so far. */
  done: number;
  /** Steps in all (launch, inspect, and one per operation per root). */
  total: number;
}

/** Options of seal(): what to seal, which operations, and the customize options. */
export interface SealOptions extends CustomizeOptions {
  /** Disk images of one guest (paths, format probed; or { path, format }). */
  disks?: ReadonlyArray<string | DiskSpec>;
  /** A shut-off libvirt domain: all its writable disks, in one appliance. */
  domain?: DomainLike;
  /** An open Guest to reuse (its drives are the guest to seal; it is not closed). */
  guest?: SealGuest;
  /** virt-sysprep's --operations syntax, e.g. "defaults,-ssh-userdir". Default "defaults". */
  operations?: string;
  /** Operations added after `operations` is applied. */
  enable?: readonly string[];
  /** Open the drives read-only and report what would be removed/changed. */
  dryRun?: boolean;
  /** Appliance acceleration. Default 'auto' (KVM, falling back to TCG). */
  accel?: 'auto' | 'kvm' | 'tcg';
  /**
   * A disk with several operating systems: 'each' seals every Linux root (virt-sysprep's
   * behaviour), 'refuse' rejects it with UNSUPPORTED_GUEST. Default 'each'.
   */
  multiboot?: 'each' | 'refuse';
  /**
   * 'auto' (default): read the guest's release files, hostname and fstab directly, as libguestfs
   * would, falling back to its inspect_os for anything unusual; 'full': always inspect_os.
   */
  inspection?: 'auto' | 'full';
  /** Called at each step: launch, inspect, every operation on every root, done. */
  onProgress?: (p: SealProgress) => void;
  /** Checked before the launch and between operations; an abort mid-way leaves a partial seal. */
  signal?: AbortSignal;
}

/** What inspection said about a sealed root. */
export interface GuestSummary {
  root: string;
  type: string;
  distro: string;
  version: { major: number; minor: number };
  productName: string;
  /** The hostname before sealing. */
  hostname: string;
  arch: string;
  packageManagement: string;
}

/** One root's result. */
export interface RootReport {
  guest: GuestSummary;
  operations: OperationRecord[];
}

/** The result of seal(). Paths are guest paths. */
export interface SealReport {
  /** The (first) sealed root. */
  guest: GuestSummary;
  /** Every selected operation with the paths it removed and changed (all roots together). */
  operations: OperationRecord[];
  /** Per root, when the disk holds more than one OS. */
  roots: RootReport[];
  /** True when nothing was written (`dryRun` was set): the report lists what would change. */
  dryRun: boolean;
  /** Host paths of the disk images sealed. */
  disks: string[];
  /** Which inspection answered: the fast path, or libguestfs' inspect_os. */
  inspection: 'fast' | 'full';
  /** Wall-clock durations, in ms: appliance launch, inspection, the operations, and the whole seal. */
  timings: { launchMs: number; inspectMs: number; operationsMs: number; totalMs: number };
}

export type { OperationRecord };
