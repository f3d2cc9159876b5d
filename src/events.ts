// Typed events decoded from the native event payloads.
import type { NativeEvent } from './native.js';
import {
  closeReasons, domainEventTypes, eventDefinedDetails, eventUndefinedDetails, eventStartedDetails, eventSuspendedDetails,
  eventResumedDetails, eventStoppedDetails, eventShutdownDetails, eventPMSuspendedDetails, eventCrashedDetails,
  poolEventTypes, blockJobTypes, blockJobStatus, ioErrorActions, networkEventTypes, nodeDeviceEventTypes, secretEventTypes,
  secretUsageTypes,
} from './generated/libvirt-tables.js';
import { virConnectDomainEventAgentLifecycleReason, virConnectDomainEventAgentLifecycleState } from './generated/libvirt-enums.js';
import type { SecretUsageType } from './xml/secret.js';

/**
 * A domain changed lifecycle state (VIR_DOMAIN_EVENT_ID_LIFECYCLE): defined, started, stopped, ...
 * @property type - Always 'domain-lifecycle'.
 * @property domain - The domain's name.
 * @property uuid - The domain's UUID.
 */
export interface DomainLifecycleEvent {
  type: 'domain-lifecycle';
  domain: string;
  uuid: string;
  /** 'defined' | 'undefined' | 'started' | 'suspended' | 'resumed' | 'stopped' | 'shutdown' | 'pmsuspended' | 'crashed' */
  event: string;
  /** e.g. 'booted', 'destroyed', 'finished' */
  detail: string;
}
/**
 * The guest rebooted (VIR_DOMAIN_EVENT_ID_REBOOT).
 * @property type - Always 'domain-reboot'.
 * @property domain - The domain's name.
 * @property uuid - The domain's UUID.
 */
export interface DomainRebootEvent { type: 'domain-reboot'; domain: string; uuid: string }
/**
 * A disk I/O error in a domain (VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON).
 * @property type - Always 'domain-io-error'.
 * @property domain - The domain's name.
 * @property uuid - The domain's UUID.
 * @property path - Host path of the disk source that failed.
 * @property device - The disk's device alias in the domain.
 * @property action - What the hypervisor did: 'none', 'pause' or 'report'.
 * @property reason - Error reason as libvirt reports it, e.g. 'enospc'; absent when none was given.
 */
export interface DomainIOErrorEvent { type: 'domain-io-error'; domain: string; uuid: string; path: string; device: string; action: string; reason?: string }
/**
 * A block job (pull, copy, commit, active commit) of a domain disk changed status (VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2).
 * @property type - Always 'domain-block-job'.
 * @property domain - The domain's name.
 * @property uuid - The domain's UUID.
 * @property disk - The disk's target name, e.g. 'vda'.
 * @property job - Job type, lower-case: 'pull', 'copy', 'commit', 'active_commit', ...
 * @property status - Job status, lower-case: 'completed', 'failed', 'canceled', 'ready'.
 */
export interface DomainBlockJobEvent { type: 'domain-block-job'; domain: string; uuid: string; disk: string; job: string; status: string }
/**
 * The guest agent of a domain connected or disconnected (VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE).
 * @property type - Always 'domain-agent-lifecycle'.
 * @property domain - The domain's name.
 * @property uuid - The domain's UUID.
 * @property state - 'connected' or 'disconnected' (a value this libvirt does not name: its number).
 * @property reason - 'unknown', 'domain_started' or 'channel' (a value this libvirt does not name: its number).
 */
export interface DomainAgentLifecycleEvent {
  type: 'domain-agent-lifecycle';
  domain: string;
  uuid: string;
  state: 'connected' | 'disconnected' | (string & {});
  reason: 'unknown' | 'domain_started' | 'channel' | (string & {});
}
/**
 * A storage pool changed lifecycle state (VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE).
 * @property type - Always 'pool-lifecycle'.
 * @property pool - The pool's name.
 * @property uuid - The pool's UUID.
 * @property event - 'defined', 'undefined', 'started', 'stopped', 'created' or 'deleted'.
 * @property detail - libvirt's numeric event detail (0 for all current events).
 */
export interface PoolLifecycleEvent { type: 'pool-lifecycle'; pool: string; uuid: string; event: string; detail: number }
/**
 * A storage pool's volume list was refreshed (VIR_STORAGE_POOL_EVENT_ID_REFRESH), e.g. by `StoragePool.refresh()`.
 * @property type - Always 'pool-refresh'.
 * @property pool - The pool's name.
 * @property uuid - The pool's UUID.
 */
export interface PoolRefreshEvent { type: 'pool-refresh'; pool: string; uuid: string }
/**
 * A virtual network changed lifecycle state (VIR_NETWORK_EVENT_ID_LIFECYCLE).
 * @property type - Always 'network-lifecycle'.
 * @property network - The network's name.
 * @property uuid - The network's UUID.
 * @property event - 'defined', 'undefined', 'started' or 'stopped' (a value this libvirt does not name: its number).
 * @property detail - libvirt's numeric event detail (0 for all current events).
 */
export interface NetworkLifecycleEvent {
  type: 'network-lifecycle';
  network: string;
  uuid: string;
  event: 'defined' | 'undefined' | 'started' | 'stopped' | (string & {});
  detail: number;
}
/**
 * A host (node) device appeared, went or had its definition change (VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE).
 * @property type - Always 'node-device-lifecycle'.
 * @property device - The device's name, e.g. 'scsi_host5'.
 * @property event - 'created', 'deleted', 'defined' or 'undefined' (a value this libvirt does not name: its number).
 * @property detail - libvirt's numeric event detail (0 for all current events).
 */
export interface NodeDeviceLifecycleEvent {
  type: 'node-device-lifecycle';
  device: string;
  event: 'created' | 'deleted' | 'defined' | 'undefined' | (string & {});
  detail: number;
}
/**
 * A host device's properties changed (VIR_NODE_DEVICE_EVENT_ID_UPDATE).
 * @property type - Always 'node-device-update'.
 * @property device - The device's name.
 */
export interface NodeDeviceUpdateEvent { type: 'node-device-update'; device: string }
/**
 * A secret was defined or undefined (VIR_SECRET_EVENT_ID_LIFECYCLE).
 * @property type - Always 'secret-lifecycle'.
 * @property uuid - The secret's UUID.
 * @property usageType - What the secret is for: 'none', 'volume', 'ceph', 'iscsi', 'tls' or 'vtpm'.
 * @property usageId - The usage's identifier (volume path, Ceph/iSCSI name, ...); absent for 'none'.
 * @property event - 'defined' or 'undefined' (a value this libvirt does not name: its number).
 * @property detail - libvirt's numeric event detail (0 for all current events).
 */
export interface SecretLifecycleEvent {
  type: 'secret-lifecycle';
  uuid: string;
  usageType: SecretUsageType | (string & {});
  usageId?: string;
  event: 'defined' | 'undefined' | (string & {});
  detail: number;
}
/**
 * A secret's value was set (VIR_SECRET_EVENT_ID_VALUE_CHANGED). The value itself is not in the event.
 * @property type - Always 'secret-value-changed'.
 * @property uuid - The secret's UUID.
 * @property usageType - What the secret is for, as in {@link SecretLifecycleEvent}.
 * @property usageId - The usage's identifier; absent for 'none'.
 */
export interface SecretValueChangedEvent { type: 'secret-value-changed'; uuid: string; usageType: SecretUsageType | (string & {}); usageId?: string }
/**
 * The connection to the daemon closed; calls on it now reject with VirtkitError `CLOSED`.
 * @property type - Always 'close'.
 * @property reason - Why: 'error', 'eof' (daemon gone), 'keepalive' (daemon stopped answering) or 'client'.
 */
export interface CloseEvent { type: 'close'; reason: 'error' | 'eof' | 'keepalive' | 'client' | string }

/**
 * Every event a {@link Connection} emits, told apart by `type` (also the name of the event emitted).
 * A new kind of event is one more member here (and its case in decodeEvent): the typed
 * `on`/`once` of Connection follow from this union.
 */
export type VirtEvent =
  | DomainLifecycleEvent | DomainRebootEvent | DomainIOErrorEvent | DomainBlockJobEvent | DomainAgentLifecycleEvent
  | PoolLifecycleEvent | PoolRefreshEvent | NetworkLifecycleEvent | NodeDeviceLifecycleEvent | NodeDeviceUpdateEvent
  | SecretLifecycleEvent | SecretValueChangedEvent | CloseEvent;

/** The event name of each kind of event (its `type`). */
export type VirtEventName = VirtEvent['type'];

/**
 * What a {@link Connection} emits: each event under its `type`, and every one of them again
 * under 'event'. Listener arguments, by event name (the shape EventEmitter<T> takes).
 */
export type ConnectionEvents = { [E in VirtEvent as E['type']]: [event: E] } & { event: [event: VirtEvent] };

const detailTables = [
  eventDefinedDetails, eventUndefinedDetails, eventStartedDetails, eventSuspendedDetails, eventResumedDetails,
  eventStoppedDetails, eventShutdownDetails, eventPMSuspendedDetails, eventCrashedDetails,
];
// value -> name of a generated enum object (the agent lifecycle has no generated table)
const names = (o: Record<string, number>): string[] => Object.entries(o).reduce<string[]>((a, [k, v]) => ((a[v] = k), a), []);
const agentStates = names(virConnectDomainEventAgentLifecycleState);
const agentReasons = names(virConnectDomainEventAgentLifecycleReason);
const strip = (s: string | undefined, prefix: RegExp, fallback: number): string => (s ? s.replace(prefix, '').toLowerCase() : String(fallback));

// A secret's identity as its events carry it (the usage as virtkit names it: 'volume', 'ceph', ...).
function secretOf(e: NativeEvent): { uuid: string; usageType: string; usageId?: string } {
  const usageType = e.usageType === undefined ? 'none' : strip(secretUsageTypes[e.usageType], /^VIR_SECRET_USAGE_TYPE_/, e.usageType);
  return e.usageId ? { uuid: e.uuid ?? '', usageType, usageId: e.usageId } : { uuid: e.uuid ?? '', usageType };
}

export function decodeEvent(e: NativeEvent): VirtEvent {
  const domain = e.name ?? '';
  const uuid = e.uuid ?? '';
  switch (e.kind) {
    case 'domain-lifecycle':
      return {
        type: e.kind, domain, uuid,
        event: strip(domainEventTypes[e.event], /^VIR_DOMAIN_EVENT_/, e.event),
        detail: strip(detailTables[e.event]?.[e.detail], /^VIR_DOMAIN_EVENT_[A-Z]+_/, e.detail),
      };
    case 'domain-reboot':
      return { type: e.kind, domain, uuid };
    case 'domain-io-error':
      return { type: e.kind, domain, uuid, path: e.path ?? '', device: e.device ?? '', action: strip(ioErrorActions[e.event], /^VIR_DOMAIN_EVENT_IO_ERROR_/, e.event), reason: e.reason };
    case 'domain-block-job':
      return {
        type: e.kind, domain, uuid, disk: e.disk ?? '',
        job: strip(blockJobTypes[e.event], /^VIR_DOMAIN_BLOCK_JOB_TYPE_/, e.event),
        status: strip(blockJobStatus[e.detail], /^VIR_DOMAIN_BLOCK_JOB_/, e.detail),
      };
    case 'domain-agent-lifecycle':
      return {
        type: e.kind, domain, uuid,
        state: strip(agentStates[e.event], /^VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_/, e.event),
        reason: strip(agentReasons[e.detail], /^VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_/, e.detail),
      };
    case 'pool-lifecycle':
      return { type: e.kind, pool: domain, uuid, event: strip(poolEventTypes[e.event], /^VIR_STORAGE_POOL_EVENT_/, e.event), detail: e.detail };
    case 'pool-refresh':
      return { type: e.kind, pool: domain, uuid };
    case 'network-lifecycle':
      return { type: e.kind, network: domain, uuid, event: strip(networkEventTypes[e.event], /^VIR_NETWORK_EVENT_/, e.event), detail: e.detail };
    case 'node-device-lifecycle':
      return { type: e.kind, device: domain, event: strip(nodeDeviceEventTypes[e.event], /^VIR_NODE_DEVICE_EVENT_/, e.event), detail: e.detail };
    case 'node-device-update':
      return { type: e.kind, device: domain };
    case 'secret-lifecycle':
      return { type: e.kind, ...secretOf(e), event: strip(secretEventTypes[e.event], /^VIR_SECRET_EVENT_/, e.event), detail: e.detail };
    case 'secret-value-changed':
      return { type: e.kind, ...secretOf(e) };
    case 'close':
      return { type: 'close', reason: strip(closeReasons[e.event], /^VIR_CONNECT_CLOSE_REASON_/, e.event) };
  }
}
