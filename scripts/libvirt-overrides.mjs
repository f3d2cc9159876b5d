// What libvirt-api.xml cannot say, for scripts/gen-libvirt-bindings.mjs. Hand-written, small.
// Every public function of the API is generated unless listed here as ignored (with a reason),
// hand-written (native/<class>.cc, kept for the names src/ relies on) or overridden
// (native/overrides/*.cc: what the XML cannot describe).

const QEMU_MONITOR_EVENTS =
  "libvirt-qemu's raw QEMU monitor events, which libvirt describes as primarily for testing QEMU events not yet given a libvirt counterpart; not bound yet: the typed domain events cover the rest";
const GET_CONNECT = 'C-only: the object\'s connection is the Connect it came from';
const ERR_THREAD = 'C-only: the calling thread\'s last error; every failed call rejects with a VirtError captured on its own thread';
const TP_C = 'C-only typed-parameter helper: virtkit converts whole lists to and from plain objects (native/virt_gen_typed_params.cc)';
const EVENT_IMPL = 'event-loop impl: virtkit runs its own loop (native/event_loop.cc) and libvirt calls it';
const FD_PASSING = 'passes file descriptors both ways';
// The stream wrappers of native/stream.h: vol_stream.cc, vol_stream_file.cc, console_stream.cc, screenshot.cc.
const STREAMS = 'streams: bound by the stream wrappers (native/stream.h)';

/** Left out, with a one-line reason (the coverage test requires one). */
export const ignore = {
  virConnCopyLastError: 'deprecated per-connection error API; ' + ERR_THREAD,
  virConnGetLastError: 'deprecated per-connection error API; ' + ERR_THREAD,
  virConnResetLastError: 'deprecated per-connection error API; ' + ERR_THREAD,
  virConnSetErrorFunc: 'deprecated per-connection error API; virtkit silences errors globally (virSetErrorFunc)',
  virDefaultErrorFunc: 'C-only: prints an error on stderr',
  virGetLastErrorCode: ERR_THREAD,
  virGetLastErrorDomain: ERR_THREAD,
  virGetLastErrorMessage: ERR_THREAD,
  virSaveLastError: ERR_THREAD,
  virFreeError: 'C-only memory helper for virSaveLastError',
  virConnectOpen: 'superseded by virConnectOpenAuth (Connect.open)',
  virConnectOpenReadOnly: 'superseded by virConnectOpenAuth with VIR_CONNECT_RO (Connect.open flags)',
  virConnectDomainEventRegister: 'deprecated, superseded by virConnectDomainEventRegisterAny',
  virConnectDomainEventDeregister: 'deprecated, superseded by virConnectDomainEventDeregisterAny',
  virConnectDomainQemuMonitorEventRegister: QEMU_MONITOR_EVENTS,
  virConnectDomainQemuMonitorEventDeregister: QEMU_MONITOR_EVENTS,
  virDomainGetConnect: 'streams: console_stream.cc and screenshot.cc open their streams on it; otherwise ' + GET_CONNECT,
  virDomainCheckpointGetConnect: GET_CONNECT,
  virDomainSnapshotGetConnect: GET_CONNECT,
  virInterfaceGetConnect: GET_CONNECT,
  virNetworkGetConnect: GET_CONNECT,
  virSecretGetConnect: GET_CONNECT,
  virStoragePoolGetConnect: GET_CONNECT,
  virStorageVolGetConnect: 'streams: vol_stream.cc opens volume streams on it; otherwise ' + GET_CONNECT,
  virDomainQemuMonitorCommandWithFiles: FD_PASSING + ' (QEMU hands back fds): not bound; virDomainQemuMonitorCommand is',
  virDomainOpenChannel: 'streams: a channel stream, pending (native/stream.h)',
  virDomainOpenConsole: 'streams: bound by console_stream.cc',
  virDomainScreenshot: 'streams: bound by screenshot.cc',
  virDomainCreate: 'superseded by virDomainCreateWithFlags (Domain.create)',
  virDomainShutdown: 'superseded by virDomainShutdownFlags (Domain.shutdown)',
  virDomainDestroy: 'superseded by virDomainDestroyFlags (Domain.destroy)',
  virDomainUndefine: 'superseded by virDomainUndefineFlags (Domain.undefine)',
  virDomainDefineXML: 'superseded by virDomainDefineXMLFlags (Connect.domainDefineXML)',
  virEventAddHandle: EVENT_IMPL,
  virEventUpdateHandle: EVENT_IMPL,
  virEventRemoveHandle: EVENT_IMPL,
  virEventUpdateTimeout: EVENT_IMPL,
  virEventRegisterDefaultImpl: 'virtkit registers its own event loop (virEventRegisterImpl) instead of libvirt\'s default one',
  virEventRunDefaultImpl: 'virtkit registers its own event loop (virEventRegisterImpl) instead of libvirt\'s default one',
  virStreamEventAddCallback: 'streams: bound by console_stream.cc',
  virStreamEventRemoveCallback: 'streams: bound by console_stream.cc',
  virStreamEventUpdateCallback: 'streams: bound by console_stream.cc',
  virStreamRef: 'streams: vol_stream.cc holds one reference per VolStream',
  virStreamNew: STREAMS, virStreamAbort: STREAMS,
  virStreamFinish: STREAMS, virStreamFree: STREAMS,
  virStreamRecv: STREAMS, virStreamRecvAll: STREAMS,
  virStreamRecvFlags: STREAMS, virStreamRecvHole: STREAMS,
  virStreamSend: STREAMS, virStreamSendAll: STREAMS,
  virStreamSendHole: STREAMS, virStreamSparseRecvAll: STREAMS,
  virStreamSparseSendAll: STREAMS,
  virTypedParamsAddFromString: TP_C,
  virTypedParamsGet: TP_C,
  virTypedParamsGetBoolean: TP_C,
  virTypedParamsGetDouble: TP_C,
  virTypedParamsGetInt: TP_C,
  virTypedParamsGetLLong: TP_C,
  virTypedParamsGetString: TP_C,
  virTypedParamsGetUInt: TP_C,
  virTypedParamsGetULLong: TP_C,
};

// Hand-written methods (native/connect.cc, domain.cc, storage_pool.cc, storage_vol.cc; typed in
// src/native.ts), and functions the addon calls internally. `generateAs`: also generated under
// that name, returning handles where the hand method returns names.
const h = (cls, method, extra = {}) => ({ cls, method, ...extra });
export const hand = {
  virConnectOpenAuth: h('Connect', 'open'),
  virConnectClose: h('Connect', 'close'),
  virConnectRef: h('Connect', '(each call\'s channel reference)'),
  virConnectIsAlive: h('Connect', 'isAlive'),
  virConnectSetKeepAlive: h('Connect', 'open (keepalive on the control connection)'),
  virConnectRegisterCloseCallback: h('Connect', 'open (the close event)'),
  virConnectUnregisterCloseCallback: h('Connect', 'close'),
  virConnectDomainEventRegisterAny: h('Connect', 'open (domain events)'),
  virConnectDomainEventDeregisterAny: h('Connect', 'close'),
  virConnectStoragePoolEventRegisterAny: h('Connect', 'open (pool events)'),
  virConnectStoragePoolEventDeregisterAny: h('Connect', 'close'),
  virConnectNetworkEventRegisterAny: h('Connect', 'open (network events)'),
  virConnectNetworkEventDeregisterAny: h('Connect', 'close'),
  virConnectNodeDeviceEventRegisterAny: h('Connect', 'open (node device events)'),
  virConnectNodeDeviceEventDeregisterAny: h('Connect', 'close'),
  virConnectSecretEventRegisterAny: h('Connect', 'open (secret events)'),
  virConnectSecretEventDeregisterAny: h('Connect', 'close'),
  virConnectGetURI: h('Connect', 'getURI'),
  virConnectGetHostname: h('Connect', 'getHostname'),
  virConnectGetType: h('Connect', 'getType'),
  virConnectGetVersion: h('Connect', 'getVersion'),
  virConnectGetLibVersion: h('Connect', 'getLibVersion'),
  virConnectGetCapabilities: h('Connect', 'getCapabilities'),
  virConnectGetDomainCapabilities: h('Connect', 'getDomainCapabilities'),
  virNodeGetInfo: h('Connect', 'nodeGetInfo'),
  virConnectListAllDomains: h('Connect', 'listAllDomains'),
  virDomainLookupByName: h('Connect', 'domainLookupByName'),
  virDomainLookupByUUIDString: h('Connect', 'domainLookupByUUIDString'),
  virDomainLookupByID: h('Connect', 'domainLookupByID'),
  virDomainDefineXMLFlags: h('Connect', 'domainDefineXML'),
  virDomainCreateXML: h('Connect', 'domainCreateXML'),
  virConnectListAllStoragePools: h('Connect', 'listAllStoragePools'),
  virStoragePoolLookupByName: h('Connect', 'storagePoolLookupByName'),
  virStoragePoolLookupByUUIDString: h('Connect', 'storagePoolLookupByUUIDString'),
  virStoragePoolDefineXML: h('Connect', 'storagePoolDefineXML'),
  virStoragePoolCreateXML: h('Connect', 'storagePoolCreateXML'),
  virStorageVolLookupByPath: h('Connect', 'storageVolLookupByPath'),
  virStorageVolLookupByKey: h('Connect', 'storageVolLookupByKey'),
  virDomainFree: h('Domain', 'free'),
  virDomainRef: h('Domain', 'dup'),
  virDomainGetName: h('Domain', 'getName'),
  virDomainGetUUIDString: h('Domain', 'getUUIDString'),
  virDomainGetID: h('Domain', 'getID'),
  virDomainIsActive: h('Domain', 'isActive'),
  virDomainIsPersistent: h('Domain', 'isPersistent'),
  virDomainHasManagedSaveImage: h('Domain', 'hasManagedSaveImage'),
  virDomainGetInfo: h('Domain', 'getInfo'),
  virDomainGetState: h('Domain', 'getState'),
  virDomainGetXMLDesc: h('Domain', 'getXMLDesc'),
  virDomainCreateWithFlags: h('Domain', 'create'),
  virDomainShutdownFlags: h('Domain', 'shutdown'),
  virDomainReboot: h('Domain', 'reboot'),
  virDomainDestroyFlags: h('Domain', 'destroy'),
  virDomainSuspend: h('Domain', 'suspend'),
  virDomainResume: h('Domain', 'resume'),
  virDomainUndefineFlags: h('Domain', 'undefine'),
  virDomainRename: h('Domain', 'rename'),
  virDomainGetAutostart: h('Domain', 'getAutostart'),
  virDomainSetAutostart: h('Domain', 'setAutostart'),
  virDomainGetMetadata: h('Domain', 'getMetadata'),
  virDomainSetMetadata: h('Domain', 'setMetadata'),
  virDomainSnapshotCreateXML: h('Domain', 'snapshotCreateXML', { generateAs: 'snapshotCreate' }),
  virDomainListAllSnapshots: h('Domain', 'listAllSnapshots', { generateAs: 'listAllSnapshotObjects' }),
  virDomainSnapshotCurrent: h('Domain', 'snapshotCurrent', { generateAs: 'currentSnapshot' }),
  virStoragePoolFree: h('StoragePool', 'free'),
  virStoragePoolRef: h('StoragePool', '(each call\'s reference)'),
  virStoragePoolGetName: h('StoragePool', 'getName'),
  virStoragePoolGetUUIDString: h('StoragePool', 'getUUIDString'),
  virStoragePoolIsActive: h('StoragePool', 'isActive'),
  virStoragePoolIsPersistent: h('StoragePool', 'isPersistent'),
  virStoragePoolGetInfo: h('StoragePool', 'getInfo'),
  virStoragePoolGetXMLDesc: h('StoragePool', 'getXMLDesc'),
  virStoragePoolBuild: h('StoragePool', 'build'),
  virStoragePoolCreate: h('StoragePool', 'create'),
  virStoragePoolDestroy: h('StoragePool', 'destroy'),
  virStoragePoolUndefine: h('StoragePool', 'undefine'),
  virStoragePoolRefresh: h('StoragePool', 'refresh'),
  virStoragePoolDelete: h('StoragePool', 'delete'),
  virStoragePoolGetAutostart: h('StoragePool', 'getAutostart'),
  virStoragePoolSetAutostart: h('StoragePool', 'setAutostart'),
  virStoragePoolListAllVolumes: h('StoragePool', 'listAllVolumes'),
  virStorageVolLookupByName: h('StoragePool', 'storageVolLookupByName'),
  virStorageVolCreateXML: h('StoragePool', 'storageVolCreateXML'),
  virStorageVolCreateXMLFrom: h('StoragePool', 'storageVolCreateXMLFrom'),
  virStorageVolFree: h('StorageVol', 'free'),
  virStorageVolRef: h('StorageVol', '(each call\'s reference)'),
  virStorageVolGetName: h('StorageVol', 'getName'),
  virStorageVolGetKey: h('StorageVol', 'getKey'),
  virStorageVolGetPath: h('StorageVol', 'getPath'),
  virStorageVolGetInfo: h('StorageVol', 'getInfo'),
  virStorageVolGetXMLDesc: h('StorageVol', 'getXMLDesc'),
  virStorageVolDelete: h('StorageVol', 'delete'),
  virStorageVolWipe: h('StorageVol', 'wipe'),
  virStorageVolResize: h('StorageVol', 'resize'),
  virStoragePoolLookupByVolume: h('StorageVol', 'lookupPool'),
  virStorageVolUpload: h('StorageVol', 'upload (vol_stream.cc)'),
  virStorageVolDownload: h('StorageVol', 'download (vol_stream.cc)'),
  // The generated classes' references (handle.h) and the struct-list frees (overrides/structs.h).
  virNetworkFree: h('Network', 'free'), virNetworkRef: h('Network', 'dup'),
  virNetworkPortFree: h('NetworkPort', 'free'), virNetworkPortRef: h('NetworkPort', 'dup'),
  virInterfaceFree: h('Interface', 'free'), virInterfaceRef: h('Interface', 'dup'),
  virSecretFree: h('Secret', 'free'), virSecretRef: h('Secret', 'dup'),
  virNodeDeviceFree: h('NodeDevice', 'free'), virNodeDeviceRef: h('NodeDevice', 'dup'),
  virNWFilterFree: h('NWFilter', 'free'), virNWFilterRef: h('NWFilter', 'dup'),
  virNWFilterBindingFree: h('NWFilterBinding', 'free'), virNWFilterBindingRef: h('NWFilterBinding', 'dup'),
  virDomainSnapshotFree: h('DomainSnapshot', 'free'), virDomainSnapshotRef: h('DomainSnapshot', 'dup'),
  virDomainCheckpointFree: h('DomainCheckpoint', 'free'), virDomainCheckpointRef: h('DomainCheckpoint', 'dup'),
  virDomainFSInfoFree: h('Domain', 'getFSInfo (frees each entry)'),
  virDomainInterfaceFree: h('Domain', 'interfaceAddresses (frees each entry)'),
  virDomainIOThreadInfoFree: h('Domain', 'getIOThreadInfo (frees each entry)'),
  virNetworkDHCPLeaseFree: h('Network', 'getDHCPLeases (frees each entry)'),
  virDomainStatsRecordListFree: h('Connect', 'getAllDomainStats (frees the records)'),
  // The addon itself.
  virInitialize: h('(addon)', 'load'),
  virGetVersion: h('(addon)', 'getVersion'),
  virSetErrorFunc: h('(addon)', 'load (silences libvirt\'s stderr printing)'),
  virCopyLastError: h('(addon)', 'every failed call (the VirtError)'),
  virResetLastError: h('(addon)', 'every failed call'),
  virResetError: h('(addon)', 'every failed call'),
  virEventRegisterImpl: h('(addon)', 'load (virtkit\'s event loop)'),
  virEventAddTimeout: h('(addon)', 'event_loop.cc'),
  virEventRemoveTimeout: h('(addon)', 'event_loop.cc'),
  virTypedParamsFree: h('(addon)', 'typed-parameter lists (virt_gen_typed_params.h)'),
  virTypedParamsClear: h('(addon)', 'per-CPU stats buffers (overrides/stats.cc)'),
  virGetLastError: h('(addon)', 'unsigned results: whether the call failed (virt_gen_returns.h RNum)'),
  virTypedParamsAddInt: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddUInt: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddLLong: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddULLong: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddDouble: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddBoolean: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddString: h('(addon)', 'typed-parameter inputs (virt_gen_typed_params.cc)'),
  virTypedParamsAddStringList: h('(addon)', 'typed-parameter inputs: a string[] field (virt_gen_typed_params.cc)'),
};

// Overridden: native/overrides/*.cc (declared in native/overrides/overrides.h).
const TP = 'TypedParams';
export const overrides = {
  virConnectGetAllDomainStats: {
    impl: 'ConnectGetAllDomainStats', method: 'getAllDomainStats',
    ts: `getAllDomainStats(stats: number, flags?: number): Promise<DomainStatsRecord[]>`,
  },
  virDomainListGetStats: {
    cls: 'Connect', impl: 'DomainListGetStats', method: 'domainListGetStats',
    ts: `domainListGetStats(domains: NativeDomain[], stats: number, flags?: number): Promise<DomainStatsRecord[]>`,
  },
  virDomainGetCPUStats: {
    impl: 'DomainGetCPUStats',
    ts: `getCPUStats(startCpu: number, ncpus: number, flags?: number): Promise<${TP}[]>`,
    doc: 'per-CPU stats for ncpus CPUs from startCpu, or the total (startCpu -1, ncpus 1)',
  },
  virDomainMemoryStats: {
    impl: 'DomainMemoryStats', ts: `memoryStats(flags?: number): Promise<{ tag: number; val: bigint }[]>`,
  },
  virDomainGetDiskErrors: {
    impl: 'DomainGetDiskErrors', ts: `getDiskErrors(flags?: number): Promise<{ disk: string; error: number }[]>`,
  },
  virDomainGetVcpus: {
    impl: 'DomainGetVcpus',
    ts: `getVcpus(maplen: number): Promise<{ number: number; state: number; cpuTime: bigint; cpu: number; cpumap: Buffer }[]>`,
  },
  virDomainGetVcpuPinInfo: {
    impl: 'DomainGetVcpuPinInfo', ts: `getVcpuPinInfo(ncpumaps: number, maplen: number, flags?: number): Promise<Buffer[]>`,
  },
  virNodeGetCPUStats: {
    impl: 'NodeGetCPUStats', ts: `nodeGetCPUStats(cpuNum: number, flags?: number): Promise<Record<string, bigint>>`,
  },
  virNodeGetMemoryStats: {
    impl: 'NodeGetMemoryStats', ts: `nodeGetMemoryStats(cellNum: number, flags?: number): Promise<Record<string, bigint>>`,
  },
  virDomainGetSchedulerParameters: {
    impl: 'DomainGetSchedulerParameters', ts: `getSchedulerParameters(): Promise<${TP}>`,
    doc: 'the scheduler parameters (their count from virDomainGetSchedulerType)',
  },
  virDomainGetSchedulerParametersFlags: {
    impl: 'DomainGetSchedulerParametersFlags', ts: `getSchedulerParametersFlags(flags?: number): Promise<${TP}>`,
    doc: 'the scheduler parameters (their count from virDomainGetSchedulerType)',
  },
  virNodeGetCellsFreeMemory: {
    impl: 'NodeGetCellsFreeMemory', ts: `nodeGetCellsFreeMemory(startCell: number, maxCells: number): Promise<bigint[]>`,
  },
  virNodeGetFreePages: {
    impl: 'NodeGetFreePages',
    ts: `nodeGetFreePages(pages: number[], startCell: number, cellCount: number, flags?: number): Promise<bigint[]>`,
    doc: 'free page counts, cell by cell then page size by page size',
  },
  virNodeAllocPages: {
    impl: 'NodeAllocPages',
    ts: `nodeAllocPages(pageSizes: number[], pageCounts: (number | bigint)[], startCell: number, cellCount: number, flags?: number): Promise<number>`,
  },
  virConnectSetIdentity: {
    impl: 'ConnectSetIdentity', ts: `setIdentity(params: TypedParams, flags?: number): Promise<void>`,
    doc: 'sets the identity on every channel of the connection (control and calls), in one job',
  },
  virNodeGetCPUMap: {
    impl: 'NodeGetCPUMap', ts: `nodeGetCPUMap(flags?: number): Promise<{ cpus: number; online: number; cpumap: Buffer }>`,
  },
};

// Return shapes the documentation sentence does not give away.
export const ret = {
  virDomainGetBlockJobInfo: 'RNullIfZero', // 1: a job, 0: none
  virDomainAbortJob: 'RVoid',
  virDomainAbortJobFlags: 'RVoid',
  virDomainSetUserPassword: 'RVoid',
  virDomainSetVcpus: 'RVoid',
  virDomainSetVcpusFlags: 'RVoid',
  virDomainSetVcpu: 'RVoid',
  virDomainSetMemory: 'RVoid',
  virDomainSetMemoryFlags: 'RVoid',
  virDomainSetMaxMemory: 'RVoid',
  virNetworkUpdate: 'RVoid',
  virDomainSnapshotDelete: 'RVoid',
};

// Method names where the rule (drop `vir` and the class prefix) gives a poor or clashing one.
export const names = {
  virNetworkGetDHCPLeases: 'getDHCPLeases',
};

// Typed-parameter inputs: the macro-name prefixes whose documented types give each field's type.
export const tpFamily = {
  virConnectSetIdentity: ['VIR_CONNECT_IDENTITY_'],
  virDomainBlockCopy: ['VIR_DOMAIN_BLOCK_COPY_'],
  virDomainMigrate3: ['VIR_MIGRATE_PARAM_'],
  virDomainMigrateToURI3: ['VIR_MIGRATE_PARAM_'],
  virDomainSaveParams: ['VIR_DOMAIN_SAVE_PARAM_'],
  virDomainRestoreParams: ['VIR_DOMAIN_SAVE_PARAM_'],
  virDomainSetBlkioParameters: ['VIR_DOMAIN_BLKIO_'],
  virDomainSetBlockIoTune: ['VIR_DOMAIN_BLOCK_IOTUNE_'],
  virDomainSetIOThreadParams: ['VIR_DOMAIN_IOTHREAD_'],
  virDomainSetInterfaceParameters: ['VIR_DOMAIN_BANDWIDTH_'],
  virDomainSetLaunchSecurityState: ['VIR_DOMAIN_LAUNCH_SECURITY_'],
  virDomainSetMemoryParameters: ['VIR_DOMAIN_MEMORY_'],
  virDomainSetNumaParameters: ['VIR_DOMAIN_NUMA_'],
  virDomainSetPerfEvents: ['VIR_PERF_PARAM_'],
  virDomainSetSchedulerParameters: ['VIR_DOMAIN_SCHEDULER_'],
  virDomainSetSchedulerParametersFlags: ['VIR_DOMAIN_SCHEDULER_'],
  virNetworkPortSetParameters: ['VIR_NETWORK_PORT_BANDWIDTH_'],
  virNodeSetMemoryParameters: ['VIR_NODE_MEMORY_SHARED_'],
};

// Calls that can run for minutes: no default deadline in the public layer (Core.call long).
// Block commit/pull/rebase and backups only start a job (progress comes as events): not listed.
export const long = [
  'virDomainMigrate', 'virDomainMigrate2', 'virDomainMigrate3', 'virDomainMigrateToURI', 'virDomainMigrateToURI2',
  'virDomainMigrateToURI3', 'virDomainSave', 'virDomainSaveFlags', 'virDomainSaveParams', 'virDomainRestore',
  'virDomainRestoreFlags', 'virDomainRestoreParams', 'virDomainManagedSave', 'virDomainCoreDump',
  'virDomainCoreDumpWithFormat', 'virDomainQemuAgentCommand', 'virDomainGetGuestInfo', 'virDomainFSFreeze',
  'virDomainFSThaw', 'virDomainFSTrim', 'virDomainSnapshotCreateXML', 'virDomainRevertToSnapshot',
  'virDomainCheckpointCreateXML', 'virDomainQemuMonitorCommand', 'virStorageVolWipePattern',
  'virDomainSetUserPassword', 'virDomainAuthorizedSSHKeysGet', 'virDomainAuthorizedSSHKeysSet',
  'virDomainInterfaceAddresses', 'virDomainGetFSInfo', 'virDomainGetHostname', 'virDomainGetTime',
  'virDomainSetTime', 'virDomainBlockCopy',
  'virDomainPMSuspendForDuration', 'virNodeSuspendForDuration', 'virDomainGetGuestVcpus',
  'virDomainStartDirtyRateCalc', 'virConnectCompareHypervisorCPU',
];

// Calls that make no RPC (libvirt answers from the handle): made on the main thread and
// returning the value itself, not a promise, like the hand-written getName/getUUIDString.
export const local = [
  'virNetworkGetName', 'virNetworkGetUUID', 'virNetworkGetUUIDString', 'virNetworkPortGetNetwork',
  'virNetworkPortGetUUID', 'virNetworkPortGetUUIDString', 'virInterfaceGetName', 'virInterfaceGetMACString',
  'virSecretGetUUID', 'virSecretGetUUIDString', 'virSecretGetUsageType', 'virSecretGetUsageID',
  'virNodeDeviceGetName', 'virNWFilterGetName', 'virNWFilterGetUUID', 'virNWFilterGetUUIDString',
  'virNWFilterBindingGetPortDev', 'virNWFilterBindingGetFilterName', 'virDomainSnapshotGetName',
  'virDomainSnapshotGetDomain', 'virDomainCheckpointGetName', 'virDomainCheckpointGetDomain',
  'virDomainGetUUID', 'virStoragePoolGetUUID',
];

// Public (src/) methods where one exists, for the doc table.
export const publicNames = {
  virConnectOpenAuth: 'Connection.open', virConnectClose: 'Connection.close',
  virDomainGetXMLDesc: 'Domain.xml', virDomainCreateWithFlags: 'Domain.start',
  virDomainGetInfo: 'Domain.info', virStorageVolCreateXMLFrom: 'StoragePool.copyVolume',
};

// TypeScript declarations the generated typings refer to (src/generated/libvirt-native.ts).
export const tsPrelude = `/** One domain's stats: virDomainStatsRecord. */
export interface DomainStatsRecord { domain: NativeDomain; params: TypedParams }
export interface BlockInfo { capacity: bigint; allocation: bigint; physical: bigint }
export interface BlockJobInfo { type: number; bandwidth: number; cur: bigint; end: bigint }
export interface BlockStats { rdReq: bigint; rdBytes: bigint; wrReq: bigint; wrBytes: bigint; errs: bigint }
export interface InterfaceStats { rxBytes: bigint; rxPackets: bigint; rxErrs: bigint; rxDrop: bigint; txBytes: bigint; txPackets: bigint; txErrs: bigint; txDrop: bigint }
export interface ControlInfo { state: number; details: number; stateTime: bigint }
export interface JobInfo { type: number; timeElapsed: bigint; timeRemaining: bigint; dataTotal: bigint; dataProcessed: bigint; dataRemaining: bigint; memTotal: bigint; memProcessed: bigint; memRemaining: bigint; fileTotal: bigint; fileProcessed: bigint; fileRemaining: bigint }
export interface SecurityLabel { label: string; enforcing: boolean }
export interface SecurityModel { model: string; doi: string }
export interface FSInfo { mountpoint: string | null; name: string | null; fstype: string | null; devAlias: (string | null)[] }
export interface DomainInterface { name: string | null; hwaddr: string | null; addrs: { type: number; addr: string | null; prefix: number }[] }
export interface IOThreadInfo { iothreadId: number; cpumap: Buffer }
export interface DHCPLease { iface: string | null; expirytime: bigint; type: number; mac: string | null; iaid: string | null; ipaddr: string | null; prefix: number; hostname: string | null; clientid: string | null }
export interface StorageVolInfo { type: number; capacity: number; allocation: number }
`;
