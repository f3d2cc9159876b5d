export { Guest, type GuestState, type MountRootResult } from './guest.js';
export type { GuestStat, GuestStatvfs, DiskCreateOptions, MkfsOptions } from './files.js';
export type { OsRoot } from './inspect.js';
export type { DriveSpec, GuestOpenOptions, GuestProgress, GuestLogKind } from './options.js';
export { type Accel, kvmBrokenReason } from './accel.js';
export { guestfsAvailable } from './native.js';
// The typings of every generated libguestfs call: its structs (C field names), option objects, GuestfsCalls.
export type * from '../generated/guestfs-calls.js';
