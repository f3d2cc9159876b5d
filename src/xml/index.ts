// Public surface of virtkit's XML layer (pure functions over libvirt XML; no libvirt calls).
export { parseXml, serialize } from './doc.js';
export { toBytes, toKiB } from './units.js';
export { validateName, validateAbsolutePath, validateMac, validateUuid } from '../validate.js';
export { randomMac } from './mac.js';
export { DomainXml } from './domain.js';
export type { DomainCreateOptions, DiskSpec, InterfaceSpec } from './domain-create.js';
export { OsXml } from './os.js';
export type { LoaderInfo, NvramInfo } from './os.js';
export { DiskXml, InterfaceXml, GraphicsXml, ChannelXml, TpmXml, CharDevXml } from './devices.js';
export type { DiskSource, BackingStoreInfo } from './devices.js';
export { VolumeXml, volumeXml } from './volume.js';
export type { VolumeOptions, BackingFile } from './volume.js';
export { PoolXml, dirPoolXml } from './pool.js';
export { cloneDomain, cloneDomainXml, isSharedDisk } from './clone.js';
export type { CloneOptions, CloneResult, CloneDiskInfo, CloneDiskAction } from './clone.js';
export {
  identityOemStrings, parseOemStrings, checkOemLimits, decodeSmbiosType11, encodeSmbiosType11,
  OEM_PREFIX, MAX_OEM_ENTRY_BYTES, MAX_OEM_ENTRIES, MAX_OEM_TOTAL_BYTES,
} from './identity.js';
export type { CloneIdentity } from './identity.js';
export { VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml, parseTemplateMetadata } from './metadata.js';
export type { TemplateRecord, DiskRecord, TemplateState, CloneReservation } from './metadata.js';
export { NetworkXml, networkXml, networkHostXml, checkNetworkSpec, checkNetworkHost, checkBridgeName, NETWORK_MODES } from './network.js';
export type { NetworkSpec, NetworkMode, NetworkIpSpec, NetworkIp, NetworkHost, NetworkDhcpRange } from './network.js';
