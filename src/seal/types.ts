// Public result and progress types of seal() and sealMany() (the options: options.ts).
import type { OperationRecord } from './effects.js';
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
  /** customize found cloud-init in this root and reset its instance state (/var/lib/cloud). */
  cloudInit?: boolean;
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
  /** LUKS volumes opened with `keys` (closed again before the end): device and plaintext mapping. */
  luks?: Array<{ device: string; mapper: string }>;
  /** Filesystems that were not mounted, every root together ([] when all were). */
  mountFailures: MountFailure[];
  /** The first-boot hook installed in the (first) root, when one was. */
  firstboot?: FirstbootHook;
  /** The (first) root has cloud-init (customize reset its instance state): clones get a NoCloud seed. */
  cloudInit?: boolean;
  /** Which inspection answered: the fast path, or libguestfs' inspect_os. */
  inspection: 'fast' | 'full';
  /** Wall-clock durations, in ms: appliance launch, inspection, the operations, and the whole seal. */
  timings: { launchMs: number; inspectMs: number; operationsMs: number; totalMs: number };
}

export type { OperationRecord };
