// Public surface: re-exports only.
// XML layer (src/xml): typed models of domain, volume and pool XML, the clone transform, identity encoding.
// VIRTKIT_NS is also exported by ./domain.js on main; the XML layer's copy has the same value.
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
