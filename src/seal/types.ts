// Public types of seal() and sealMany().
import type { CustomizeOptions } from './customize.js';
import type { DiskSpec, DomainLike } from './disks.js';
import type { OperationRecord } from './effects.js';
import type { SealGuest } from './guest-api.js';
import type { FirstbootHook } from '../firstboot/install.js';

export type { FirstbootHook };

/** A filesystem of the guest that was not mounted while sealing. */
export interface MountFailure {
  /** Guest mountpoint, e.g. '/var'. */
  mountpoint: string;
  /** The device (or the fstab spec, when inspection could not find it). */
  device: string;
  /** Why: libguestfs' first error line, or that the fstab entry names nothing on the disks. */
  error: string;
}

/** Progress of a seal: launch, inspect, then one tick per operation per root. */
export interface SealProgress {
  /** The phase under way. */
  step: 'launch' | 'inspect' | 'operation' | 'warning' | 'done';
  /** The operation being run, during 'operation', e.g. 'machine-id'. */
  operation?: string;
  /** Guest root being sealed (multi-boot disks have several). */
  root?: string;
  /** During 'warning': what went wrong (e.g. a filesystem that did not mount). */
  message?: string;
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
  /**
   * A filesystem in the guest's fstab that does not mount (or is not on the disks) is reported in
   * `mountFailures` and as a 'warning' progress event; when an enabled operation works below it
   * (/var, /home, /etc, …) the seal is refused with MOUNT_FAILED before anything is written,
   * unless this is true. Default false.
   */
  allowMountFailures?: boolean;
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
  /** Filesystems of this root that were not mounted ([] when all were). */
  mountFailures: MountFailure[];
  /** The first-boot hook installed (absent when customize or installFirstboot was off). */
  firstboot?: FirstbootHook;
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
  /** Filesystems that were not mounted, every root together ([] when all were). */
  mountFailures: MountFailure[];
  /** The first-boot hook installed in the (first) root, when one was. */
  firstboot?: FirstbootHook;
  /** Which inspection answered: the fast path, or libguestfs' inspect_os. */
  inspection: 'fast' | 'full';
  /** Wall-clock durations, in ms: appliance launch, inspection, the operations, and the whole seal. */
  timings: { launchMs: number; inspectMs: number; operationsMs: number; totalMs: number };
}

export type { OperationRecord };
