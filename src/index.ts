// Guest (libguestfs) exports: merged into the package index on main.
export { Guest, kvmBrokenReason } from './guest/index.js';
export type {
  Accel,
  DriveSpec,
  GuestOpenOptions,
  GuestProgress,
  GuestLogKind,
  GuestState,
  GuestStat,
  GuestStatvfs,
  DiskCreateOptions,
  MkfsOptions,
  MountRootResult,
  OsRoot,
} from './guest/index.js';
