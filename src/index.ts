// Public surface: re-exports only.
export { Connection, versionString, type OpenOptions, type DomainFilter, type NodeInfo } from './connection.js';
export { Domain, VIRTKIT_NS, type DomainState, type DomainInfo, type UndefineOptions } from './domain.js';
export type { MigrateOptions, MigrateProgress, MigrationTarget } from './migrate-types.js';
import './migrate.js'; // registers Domain.migrate's implementation
export { StoragePool, Volume, type CreateVolumeOptions, type CopyOptions, type CopyProgress, type ChainLayer, type ImportVolumeOptions, type PoolInfo, type VolumeFormat } from './storage.js';
export type { TransferOptions, TransferProgress, TransferResult } from './stream.js';
export type { AddressSource, DomainAddress, DomainInterfaceAddresses, WaitForAddressOptions, WaitForPortOptions } from './addresses.js';
export { Network, type NetworkLease, type NetworkInfo, type Reservation, type ReserveOptions } from './network.js';
export { networkXml, NetworkXml, type NetworkSpec, type NetworkMode, type NetworkIpSpec, type NetworkHost } from './xml/network.js';
export { DomainConsole, type ConsoleOptions } from './console.js';
export type { Screenshot, ScreenshotOptions } from './screenshot.js';
export { VirtkitError, VirtError, GuestfsError, isVirtError, type VirtkitErrorCode } from './errors.js';
export { withCallOptions, type CallOptions } from './core.js';
export { isHostname, isUserName, isImageFormat, normalizeUuid } from './validate.js';
export type { VirtEvent, DomainLifecycleEvent, DomainRebootEvent, DomainIOErrorEvent, DomainBlockJobEvent, PoolLifecycleEvent, CloseEvent } from './events.js';
export type { HostCapabilities, DomainCapabilities, GuestCapability } from './capabilities.js';
// XML layer (src/xml): typed models of domain, volume and pool XML, the clone transform, identity encoding.
export {
  DomainXml, OsXml, DiskXml, InterfaceXml, GraphicsXml, ChannelXml, TpmXml, CharDevXml,
  VolumeXml, volumeXml, PoolXml, dirPoolXml,
  cloneDomain, cloneDomainXml, isSharedDisk,
  identityOemStrings, parseOemStrings, checkOemLimits, decodeSmbiosType11, encodeSmbiosType11,
  OEM_PREFIX, MAX_OEM_ENTRY_BYTES, MAX_OEM_ENTRIES, MAX_OEM_TOTAL_BYTES,
  VIRTKIT_PREFIX, templateMetadataXml, parseTemplateMetadata,
} from './xml/index.js';
export type {
  DomainCreateOptions, DiskSpec, InterfaceSpec, LoaderInfo, NvramInfo, DiskSource, BackingStoreInfo,
  VolumeOptions, BackingFile, CloneOptions, CloneResult, CloneDiskInfo, CloneDiskAction, CloneIdentity,
  TemplateRecord, TemplateState,
} from './xml/index.js';
// Guest: a libguestfs session.
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
export type { SealOptions, SealReport, SealProgress, SealManyOptions, SealManyResult, OperationInfo, CustomizeOptions, PasswordSpec, FileAction, DiskSpec as SealDiskSpec, DomainLike } from './seal/index.js';
export { hashPassword, sha512Crypt, verifySha512Crypt } from './crypt/index.js';
export { FIRSTBOOT_SCRIPT, SYSTEMD_UNIT } from './firstboot/index.js';

// Templates.
export { Template, flattenClone, removeClone, type RecoverReport } from './template/index.js';
export { Fleet, type FleetDeployOptions, type FleetProgress, type FleetClone, type HostLoad } from './fleet.js';
export type { ImportTemplateOptions, ImportDomainSpec, ReplicateOptions, ReplicateProgress } from './template/index.js';
export type { CreateTemplateOptions, ConvertOptions, DeployOptions, DeployManyOptions, Identity, TemplateProgress, TemplateSealOptions } from './template/index.js';
