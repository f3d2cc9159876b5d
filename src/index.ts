// Public surface: re-exports only.
export { Connection, versionString, type OpenOptions, type DomainFilter, type NodeInfo } from './connection.js';
export type { AuthCallback, Credential, CredentialAnswer, CredentialType } from './connect-auth.js';
export { Domain, VIRTKIT_NS, type DomainState, type DomainInfo, type UndefineOptions } from './domain.js';
export type { MigrateOptions, MigrateProgress, MigrationTarget } from './migrate-types.js';
export type { StatsGroup, StatsOptions, DomainStatsOptions, DomainStats, VcpuStats, InterfaceStatsEntry, BlockStatsEntry, MemoryStats, BlockStats, InterfaceStats } from './domain/stats.js';
export type { AffectOptions } from './domain/devices.js';
export type { SetMemoryOptions, SetVcpusOptions } from './domain/resources.js';
export type { SaveOptions } from './domain/save.js';
export { DomainSnapshot, DomainCheckpoint, type SnapshotSpec, type CheckpointSpec } from './domain/snapshot.js';
export { BlockJob, type BlockJobType, type BlockJobProgress, type BlockJobWaitOptions, type BlockJobResult, type BlockPullOptions, type BlockCommitOptions, type BlockCopyOptions, type BlockRebaseOptions } from './domain/blockjob.js';
export { DomainAgent, type GuestInfo, type GuestInfoType, type AgentCommandOptions } from './domain/agent.js';
export { deviceXml, diskDeviceXml, interfaceDeviceXml, DEVICE_ELEMENTS, type DeviceSpec } from './xml/device-spec.js';
export { snapshotXml, checkpointXml, type SnapshotXmlSpec, type SnapshotDiskSpec } from './xml/snapshot.js';
import './migrate.js'; // registers Domain.migrate's implementation
export { StoragePool, Volume, type CreateVolumeOptions, type CopyOptions, type CopyProgress, type ChainLayer, type ImportVolumeOptions, type PoolInfo, type VolumeFormat } from './storage.js';
export type { TransferOptions, TransferProgress, TransferResult } from './stream.js';
export type { AddressSource, DomainAddress, DomainInterfaceAddresses, WaitForAddressOptions, WaitForPortOptions } from './addresses.js';
export { hostKeyFingerprint, parseHostKeys, type HostKey, type HostKeysOptions } from './hostkeys.js';
export { Network, type NetworkLease, type NetworkInfo, type Reservation, type ReserveOptions } from './network.js';
export { NetworkPort, type CreatePortOptions, type NetworkUpdateCommand, type NetworkUpdateSection, type NetworkUpdateOptions } from './network-port.js';
export { networkXml, NetworkXml, type NetworkSpec, type NetworkMode, type NetworkIpSpec, type NetworkHost } from './xml/network.js';
// Host objects: secrets, node devices, host interfaces, network filters and their bindings.
export { Secret, type SecretFilter, type SecretRef, type DefineSecretOptions } from './secret.js';
export { secretXml, SecretXml, SECRET_USAGE_TYPES, type SecretSpec, type SecretUsageType } from './xml/secret.js';
export { NodeDevice, NODE_DEVICE_CAPS, type NodeDeviceCap, type NodeDeviceFilter } from './node-device.js';
export { parseNodeDevice, type NodeDeviceSummary, type NodeDeviceId } from './xml/node-device.js';
export { HostInterface, type HostInterfaceFilter } from './host-interface.js';
export { parseHostInterface, type HostInterfaceSummary, type HostInterfaceAddress } from './xml/host-interface.js';
export { NWFilter, NWFilterBinding } from './nwfilter.js';
export {
  nwfilterXml, NWFilterXml, nwfilterBindingXml, parseNWFilterBinding, NWFILTER_PROTOCOLS,
  type NWFilterSpec, type NWFilterRule, type NWFilterRef, type NWFilterAction, type NWFilterDirection, type NWFilterProtocol, type NWFilterBindingSpec,
} from './xml/nwfilter.js';
export { DomainConsole, type ConsoleOptions } from './console.js';
export type { Screenshot, ScreenshotOptions } from './screenshot.js';
export { VirtkitError, VirtError, GuestfsError, isVirtError, type VirtkitErrorCode } from './errors.js';
export { withCallOptions, type CallOptions } from './core.js';
export { isHostname, isUserName, isImageFormat, normalizeUuid } from './validate.js';
export type {
  VirtEvent, VirtEventName, ConnectionEvents, DomainLifecycleEvent, DomainRebootEvent, DomainIOErrorEvent, DomainBlockJobEvent, DomainAgentLifecycleEvent,
  PoolLifecycleEvent, PoolRefreshEvent, NetworkLifecycleEvent, NodeDeviceLifecycleEvent, NodeDeviceUpdateEvent, SecretLifecycleEvent,
  SecretValueChangedEvent, CloseEvent,
} from './events.js';
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
  TemplateRecord, DiskRecord, TemplateState, CloneReservation,
} from './xml/index.js';
// Guest: a libguestfs session.
export { Guest, guestfsAvailable, kvmBrokenReason } from './guest/index.js';
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
export type { SealOptions, SealReport, SealProgress, SealManyOptions, SealManyResult, OperationInfo, CustomizeOptions, PasswordSpec, FileAction, DiskSpec as SealDiskSpec, DomainLike, LuksKey } from './seal/index.js';
export { hashPassword, sha512Crypt, verifySha512Crypt } from './crypt/index.js';
export { FIRSTBOOT_SCRIPT, SYSTEMD_UNIT } from './firstboot/index.js';

// Templates.
export { Template, consumeSeed, flattenClone, removeClone, type RecoverReport } from './template/index.js';
export { Fleet, type FleetDeployOptions, type FleetProgress, type FleetClone, type HostLoad } from './fleet.js';
export type { ImportTemplateOptions, ImportDomainSpec, ReplicateOptions, ReplicateProgress } from './template/index.js';
export type { CreateTemplateOptions, ConvertOptions, DeployOptions, DeployManyOptions, DeployNetwork, Identity, TemplateProgress, TemplateSealOptions } from './template/index.js';
