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

// Sealing exports.
export { seal, sealMany, listOperations, selectOperations } from './seal/index.js';
export type { SealOptions, SealReport, SealProgress, SealManyOptions, SealManyResult, OperationInfo, CustomizeOptions, PasswordSpec, FileAction, DiskSpec, DomainLike } from './seal/index.js';
export { hashPassword, sha512Crypt, verifySha512Crypt } from './crypt/index.js';
export { FIRSTBOOT_SCRIPT, SYSTEMD_UNIT } from './firstboot/index.js';
