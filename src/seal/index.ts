// Public API of sealing: seal(), sealMany(), listOperations(), selectOperations().
export { seal, listOperations, validateSealOptions, type OperationInfo } from './seal.js';
export { sealMany, type SealManyOptions, type SealManyResult } from './batch.js';
export { selectOperations } from './select.js';
export type { SealOptions, SealReport, SealProgress, GuestSummary, RootReport, OperationRecord } from './types.js';
export type { CustomizeOptions, PasswordSpec, FileAction } from './customize.js';
export type { DiskSpec, DomainLike } from './disks.js';
export type { SealGuest, InspectedRoot, GuestStat } from './guest-api.js';
