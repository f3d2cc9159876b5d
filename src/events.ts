// Typed events decoded from the native event payloads.
import type { NativeEvent } from './native.js';
import {
  closeReasons, domainEventTypes, eventDefinedDetails, eventUndefinedDetails, eventStartedDetails, eventSuspendedDetails,
  eventResumedDetails, eventStoppedDetails, eventShutdownDetails, eventPMSuspendedDetails, eventCrashedDetails,
  poolEventTypes, blockJobTypes, blockJobStatus, ioErrorActions,
} from './generated/libvirt-tables.js';

export interface DomainLifecycleEvent {
  type: 'domain-lifecycle';
  domain: string;
  uuid: string;
  /** 'defined' | 'undefined' | 'started' | 'suspended' | 'resumed' | 'stopped' | 'shutdown' | 'pmsuspended' | 'crashed' */
  event: string;
  /** e.g. 'booted', 'destroyed', 'finished' */
  detail: string;
}
export interface DomainRebootEvent { type: 'domain-reboot'; domain: string; uuid: string }
export interface DomainIOErrorEvent { type: 'domain-io-error'; domain: string; uuid: string; path: string; device: string; action: string; reason?: string }
export interface DomainBlockJobEvent { type: 'domain-block-job'; domain: string; uuid: string; disk: string; job: string; status: string }
export interface PoolLifecycleEvent { type: 'pool-lifecycle'; pool: string; uuid: string; event: string; detail: number }
export interface CloseEvent { type: 'close'; reason: 'error' | 'eof' | 'keepalive' | 'client' | string }

export type VirtEvent = DomainLifecycleEvent | DomainRebootEvent | DomainIOErrorEvent | DomainBlockJobEvent | PoolLifecycleEvent | CloseEvent;

const detailTables = [
  eventDefinedDetails, eventUndefinedDetails, eventStartedDetails, eventSuspendedDetails, eventResumedDetails,
  eventStoppedDetails, eventShutdownDetails, eventPMSuspendedDetails, eventCrashedDetails,
];
const strip = (s: string | undefined, prefix: RegExp, fallback: number): string => (s ? s.replace(prefix, '').toLowerCase() : String(fallback));

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
    case 'domain-io-error': {
      const [device, reason] = (e.s2 ?? '').split('\n');
      return { type: e.kind, domain, uuid, path: e.s1 ?? '', device: device ?? '', action: strip(ioErrorActions[e.event], /^VIR_DOMAIN_EVENT_IO_ERROR_/, e.event), reason };
    }
    case 'domain-block-job':
      return {
        type: e.kind, domain, uuid, disk: e.s1 ?? '',
        job: strip(blockJobTypes[e.event], /^VIR_DOMAIN_BLOCK_JOB_TYPE_/, e.event),
        status: strip(blockJobStatus[e.detail], /^VIR_DOMAIN_BLOCK_JOB_/, e.detail),
      };
    case 'pool-lifecycle':
      return { type: e.kind, pool: domain, uuid, event: strip(poolEventTypes[e.event], /^VIR_STORAGE_POOL_EVENT_/, e.event), detail: e.detail };
    case 'close':
      return { type: 'close', reason: strip(closeReasons[e.event], /^VIR_CONNECT_CLOSE_REASON_/, e.event) };
  }
}
