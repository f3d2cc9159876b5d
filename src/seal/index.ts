// Public API of sealing: seal(), sealMany(), listOperations(), selectOperations().
export { seal } from './seal.js';
export { validateSealOptions, type SealOptions } from './options.js';
export { sealMany, type SealManyOptions, type SealManyResult } from './batch.js';
export { selectOperations, listOperations, type OperationInfo } from './select.js';
export type { SealReport, SealProgress, GuestSummary, RootReport, OperationRecord } from './types.js';
export type { CustomizeOptions, PasswordSpec, FileAction } from './customize-options.js';
export type { DiskSpec, DomainLike } from './disks.js';
export type { LuksKey } from './luks-keys.js';
export type { SealGuest, InspectedRoot, GuestStat } from './guest-api.js';
