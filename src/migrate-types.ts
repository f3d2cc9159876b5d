// The types of Domain.migrate, and the registry through which Domain reaches src/migrate.ts:
// migrate.ts needs Domain, Connection and the template records, so domain.ts cannot import it
// (an import cycle); index.ts loads migrate.ts, which registers itself here.
import type { StoragePool } from './storage.js';
import { VirtkitError } from './errors.js';

/** What {@link Domain.migrate} takes as its target: a Connection to the other host. */
export interface MigrationTarget {
  readonly uri: string;
  capabilities(): Promise<unknown>;
}

/** Options of {@link Domain.migrate}. */
export interface MigrateOptions {
  /**
   * Live migration of a running domain (default true when it runs; a shut-off domain migrates
   * offline: its definition, and for a linked clone its overlay, copied over a volume stream).
   */
  live?: boolean;
  /** Define the domain on the target (VIR_MIGRATE_PERSIST_DEST). Default true. */
  persistent?: boolean;
  /** Remove the definition (and, for a linked clone, the overlay and DHCP reservations) on the source once migrated. Default false. */
  undefineSource?: boolean;
  /** Bandwidth cap, MiB/s. */
  bandwidthMiBs?: number;
  /** Migration data URI, e.g. 'tcp://127.0.0.1:49200' (default: libvirt picks from the target's hostname). */
  uri?: string;
  /** Pool on the target for a linked clone's overlay. Default: the pool holding the replica's disk. */
  pool?: StoragePool | string;
  /** Aborts the migration job (virDomainAbortJob); rejects with `ABORTED`, the source keeps running. */
  signal?: AbortSignal;
  /** Called about every 250 ms with the job's statistics. */
  onProgress?: (p: MigrateProgress) => void;
}

/** Progress and outcome of {@link Domain.migrate}, from virDomainGetJobStats ('copy': a shut-off clone's overlay streaming). */
export interface MigrateProgress {
  step: 'prepare' | 'copy' | 'migrate' | 'done';
  /** On 'copy': the disk whose overlay is streaming ('vda', ...). */
  disk?: string;
  /** Bytes moved so far (memory and disk). */
  dataProcessed?: number;
  dataTotal?: number;
  /** Memory bytes moved. */
  memoryProcessed?: number;
  /** Disk bytes moved (the overlay's data, for a linked clone). */
  diskProcessed?: number;
  diskTotal?: number;
  /** Milliseconds since the job started. */
  elapsedMs?: number;
}

/** @internal */
export type Migrator = (dom: unknown, n: unknown, target: MigrationTarget, opts?: MigrateOptions) => Promise<unknown>;
let impl: Migrator | undefined;

/** @internal Called once by src/migrate.ts. */
export function registerMigrator(fn: Migrator): void {
  impl = fn;
}

/** @internal The registered implementation. */
export function migrator(): Migrator {
  if (!impl) throw new VirtkitError('NATIVE_USAGE', "migration is not loaded: import virtkit's entry point (not src/domain.ts alone)");
  return impl;
}
