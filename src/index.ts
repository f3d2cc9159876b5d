// Public surface: re-exports only.
export { Connection, versionString, type OpenOptions, type DomainFilter } from './connection.js';
export { Domain, VIRTKIT_NS, type DomainState, type DomainInfo, type UndefineOptions } from './domain.js';
export { StoragePool, Volume, type CreateVolumeOptions, type CopyOptions, type CopyProgress, type ChainLayer, type PoolInfo, type VolumeFormat } from './storage.js';
export { VirtkitError, VirtError, GuestfsError, isVirtError, type VirtkitErrorCode } from './errors.js';
export type { VirtEvent, DomainLifecycleEvent, DomainRebootEvent, DomainIOErrorEvent, DomainBlockJobEvent, PoolLifecycleEvent, CloseEvent } from './events.js';
export type { HostCapabilities, DomainCapabilities, GuestCapability } from './capabilities.js';
