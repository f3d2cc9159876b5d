// dom.migrate(): a domain moved to another libvirt host. For a virtkit linked clone only the
// clone's overlay is copied (VIR_MIGRATE_NON_SHARED_INC): the template must already be on the
// target as a ready replica (same UUID), the overlay is pre-created there backed by the replica's
// disk, and the destination XML points the disks at it. A shut-off clone migrates offline (the
// definition only), so its overlay file is streamed there first (migrate-offline.ts). A clone's
// DHCP reservations are made on the target's network of the same name (migrate-reservations.ts).
// Anything else: plain libvirt migration.
import { basename } from 'node:path';
import type { Connection } from './connection.js';
import type { Domain } from './domain.js';
import type { NativeDomain } from './native.js';
import { Volume, type StoragePool } from './storage.js';
import type { Core } from './core.js';
import type { TypedParams } from './generated/libvirt-native.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { argOptBool, argOptFunction, argOptSignal, argOptString, argOptions } from './args.js';
import { abortError } from './util/abort.js';
import { DomainXml } from './xml/domain.js';
import { virDomainGetJobStatsFlags, virDomainMigrateFlags } from './generated/libvirt-enums.js';
import type { Element } from './xml/doc.js';
import { registerMigrator, type MigrateOptions, type MigrateProgress } from './migrate-types.js';
import { readRecord, writeRecord } from './template/record.js';
import { resolvePool } from './template/disks.js';
import { copyOverlay } from './migrate-offline.js';
import { checkReservations, releaseOnSource, reserveOnTarget } from './migrate-reservations.js';

const M = virDomainMigrateFlags;
const JOB_STATS_COMPLETED = virDomainGetJobStatsFlags.VIR_DOMAIN_JOB_STATS_COMPLETED;
const POLL_MS = 250;

interface Made {
  volumes: Volume[];
  /** Removals of what was made on the target besides volumes (DHCP host entries). */
  undo: (() => Promise<void>)[];
}

export async function migrateDomain(dom: Domain, n: NativeDomain, target: Connection, opts: MigrateOptions = {}): Promise<Domain> {
  if (!target || typeof target !== 'object' || typeof (target as Connection).capabilities !== 'function')
    throw invalid('migrate: target must be a Connection', { argument: 'target' });
  argOptions('opts', opts);
  argOptBool('opts.live', opts.live);
  argOptBool('opts.persistent', opts.persistent);
  argOptBool('opts.undefineSource', opts.undefineSource);
  argOptString('opts.uri', opts.uri);
  argOptSignal('opts.signal', opts.signal);
  argOptFunction('opts.onProgress', opts.onProgress);
  if (opts.bandwidthMiBs !== undefined && (!Number.isSafeInteger(opts.bandwidthMiBs) || opts.bandwidthMiBs <= 0))
    throw invalid('migrate: opts.bandwidthMiBs must be a positive integer', { argument: 'opts.bandwidthMiBs' });
  const signal = opts.signal;
  if (signal?.aborted) throw abortError(signal);
  const core = dom.core;
  const persistent = opts.persistent ?? true;
  const active = await dom.isActive();
  const live = opts.live ?? active;
  if (!active && !persistent) throw invalid('migrate: a shut-off domain migrates only with persistent: true', { argument: 'opts.persistent' });

  let flags = 0;
  if (active && live) flags |= M.VIR_MIGRATE_LIVE;
  if (!active) flags |= M.VIR_MIGRATE_OFFLINE;
  if (persistent) flags |= M.VIR_MIGRATE_PERSIST_DEST;
  if (opts.undefineSource) flags |= M.VIR_MIGRATE_UNDEFINE_SOURCE;
  const params: TypedParams = {};
  if (opts.uri) params.migrate_uri = opts.uri;
  if (opts.bandwidthMiBs) params.bandwidth = opts.bandwidthMiBs;

  const rec = await readRecord(dom);
  const made: Made = { volumes: [], undo: [] };
  let sourceOverlays: string[] = [];
  let newRecord: typeof rec;
  try {
    // The clone's DHCP reservations go with it: checked on the target before anything moves.
    const moving = rec?.role === 'clone' ? await checkReservations(core, target.core, rec.reservations) : [];
    if (rec?.role === 'clone' && rec.template) {
      opts.onProgress?.({ step: 'prepare' });
      const plan = await planClone(dom, rec, target, opts, made, active);
      params.destination_xml = plan.xml;
      if (persistent) params.persistent_xml = plan.xml;
      if (active) {
        // Live: QEMU's NBD mirror copies the overlay's clusters, to a server listening where the migration URI points.
        flags |= M.VIR_MIGRATE_NON_SHARED_INC;
        const host = opts.uri ? /^tcp:\/\/(\[[^\]]+\]|[^:/]+)/.exec(opts.uri)?.[1] : undefined;
        if (host) params.disks_uri = `tcp://${host}`;
      }
      sourceOverlays = plan.sourcePaths;
      newRecord = { ...rec, disks: plan.disks };
    } else if (rec?.role === 'template') {
      throw invalid(`migrate: '${dom.name}' is a template: use tpl.replicate(target, { pool }) instead`);
    }
    // Aborted while the plan (an offline clone's overlay copy) ran: nothing migrated yet.
    if (signal?.aborted) throw abortError(signal);
    // Made before the job, so a live guest renewing its lease on the target keeps its address.
    if (moving.length) {
      const reservations = await reserveOnTarget(moving, made.undo);
      if (newRecord) newRecord.reservations = reservations;
    }
  } catch (e) {
    await undoMade(made);
    throw e;
  }

  // Poll the job while migrate3 runs; abort on signal.
  const t0 = Date.now();
  let last: MigrateProgress = { step: 'migrate' };
  let done = false;
  let diskSeen = 0;
  const onAbort = (): void => void core.call(() => n.abortJob()).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  const poll = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (done) break;
      const s = await core.call(() => n.getJobStats(0)).catch(() => undefined);
      if (s && s.type !== 0) {
        last = statsOf(s.params, 'migrate');
        // The NBD mirror's disk figures show only while it runs; keep the largest seen.
        diskSeen = Math.max(diskSeen, last.diskProcessed ?? 0);
        opts.onProgress?.(last);
      }
    }
  })();
  let moved: Domain;
  let completed: TypedParams | undefined;
  try {
    const dn = await core.call(() => n.migrate3(target.core.native, params, flags), { long: true });
    // The target keeps the completed job's statistics (the source's go with an undefined source).
    const fin = await target.core.call(() => dn.getJobStats(JOB_STATS_COMPLETED)).catch(() => undefined);
    if (fin && fin.type !== 0) completed = fin.params;
    moved = await target.domain(dom.uuid, { fresh: true });
  } catch (e) {
    done = true;
    signal?.removeEventListener('abort', onAbort);
    await poll;
    // A persistent domain may have been defined on the target before the failure.
    const left = await target.findDomain(dom.uuid).catch(() => undefined);
    if (left && !(await left.isActive().catch(() => true))) await left.undefine().catch(() => undefined);
    await undoMade(made);
    if (signal?.aborted) throw abortError(signal);
    throw e;
  }
  done = true;
  signal?.removeEventListener('abort', onAbort);
  await poll;

  // Completed-job stats: the source keeps them unless it was undefined; the target has its side.
  if (!completed) {
    const fin = await core.call(() => n.getJobStats(JOB_STATS_COMPLETED)).catch(() => undefined);
    if (fin && fin.type !== 0) completed = fin.params;
  }
  if (completed) last = statsOf(completed, 'done');
  if ((last.diskProcessed ?? 0) < diskSeen) last.diskProcessed = diskSeen;
  last = { ...last, step: 'done', elapsedMs: last.elapsedMs ?? Date.now() - t0 };

  // The source's reservations go once its definition does (undefineSource, or a transient source).
  if (rec?.reservations?.length && !(await sourceDefined(dom).catch(() => true))) await releaseOnSource(core, rec.reservations).catch(() => undefined);
  if (newRecord) {
    await writeRecord(moved, newRecord);
    if (opts.undefineSource) {
      for (const p of sourceOverlays) {
        const v = await volAt(core, p).catch(() => undefined);
        await v?.delete().catch(() => undefined);
      }
    }
  }
  opts.onProgress?.(last);
  return moved;
}

function num(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

function statsOf(p: TypedParams, step: MigrateProgress['step']): MigrateProgress {
  return {
    step,
    dataProcessed: num(p.data_processed),
    dataTotal: num(p.data_total),
    memoryProcessed: num(p.memory_processed),
    diskProcessed: num(p.disk_processed),
    diskTotal: num(p.disk_total),
    elapsedMs: num(p.time_elapsed),
  };
}

async function undoMade(made: Made): Promise<void> {
  for (const u of made.undo.reverse()) await u().catch(() => undefined);
  for (const v of made.volumes.reverse()) await v.delete().catch(() => undefined);
}

/** Whether the source host still has the domain's definition after the migration. */
async function sourceDefined(dom: Domain): Promise<boolean> {
  const core = dom.core;
  try {
    await core.call(() => core.native.domainLookupByUUIDString(dom.uuid));
    return true;
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_DOMAIN')) return false;
    throw e;
  }
}

interface ClonePlan {
  xml: string;
  disks: NonNullable<Awaited<ReturnType<typeof readRecord>>>['disks'];
  sourcePaths: string[];
}

// The replica must be the template itself (same UUID), ready; each clone overlay gets a twin on
// the target backed by the replica's disk for the same target device.
async function planClone(dom: Domain, rec: NonNullable<Awaited<ReturnType<typeof readRecord>>>, target: Connection, opts: MigrateOptions, made: Made, active: boolean): Promise<ClonePlan> {
  const t = rec.template!;
  const replica = await target.findDomain(t.uuid);
  const hint = `replicate it first: tpl.replicate(target, { pool })`;
  if (!replica) throw new VirtkitError('NOT_FOUND', `migrate: template '${t.name}' (${t.uuid}) is not on the target host; ${hint}`);
  const rrec = await readRecord(replica);
  if (!rrec || rrec.role !== 'template' || rrec.state !== 'ready')
    throw new VirtkitError('TEMPLATE_NOT_READY', `migrate: the replica of template '${t.name}' on the target is '${rrec?.state ?? 'not a template'}'; ${hint}`);
  if (await target.findDomain(dom.uuid)) throw new VirtkitError('ALREADY_EXISTS', `migrate: a domain with UUID ${dom.uuid} already exists on the target`);
  // The migratable form: what the source's own migration would send (CPU check etc. as the target expects).
  const srcXml = DomainXml.parse(await dom.xml({ migratable: true }));
  const replicaDisks = new Map((rrec.disks ?? []).map((d) => [d.target, d]));
  const pool = opts.pool !== undefined ? await resolvePool(target, opts.pool, 'migrate') : undefined;
  const disks: ClonePlan['disks'] = [];
  const sourcePaths: string[] = [];
  const recDisks = new Map((rec.disks ?? []).map((d) => [d.target, d]));
  for (const d of srcXml.disks) {
    const tgt = d.target;
    if (!tgt || d.device !== 'disk' || !recDisks.has(tgt)) continue;
    const base = replicaDisks.get(tgt);
    if (!base) throw new VirtkitError('TEMPLATE_NOT_READY', `migrate: the replica of '${t.name}' has no disk ${tgt}; ${hint}`);
    const srcPath = d.path!;
    const baseVol = await target.volumeByPath(base.path);
    const into = pool ?? (await baseVol.pool());
    const info = await (await volAt(dom.core, srcPath)).info();
    const vol = await into.createVolume({ name: basename(srcPath), format: 'qcow2', capacity: info.capacity, backing: { path: base.path, format: base.format } });
    made.volumes.push(vol);
    // Offline migration moves only the definition: the overlay's file streams here first.
    if (!active) {
      const src = await volAt(dom.core, srcPath);
      try {
        await copyOverlay(src, vol, base.path, { disk: tgt, signal: opts.signal, onProgress: opts.onProgress });
      } finally {
        src.free();
      }
    }
    const path = await vol.path();
    setDiskPath(d.element, path);
    d.removeBackingStore();
    disks!.push({ target: tgt, path, format: 'qcow2' });
    sourcePaths.push(srcPath);
  }
  return { xml: srcXml.toString(), disks, sourcePaths };
}

function setDiskPath(disk: Element, path: string): void {
  disk.setAttribute('type', 'file');
  const s = disk.getElementsByTagName('source')[0]!;
  for (const a of ['file', 'dev', 'dir', 'pool', 'volume', 'protocol', 'name', 'mode']) s.removeAttribute(a);
  s.setAttribute('file', path);
}

async function volAt(core: Core, path: string): Promise<Volume> {
  return new Volume(core, await core.call(() => core.native.storageVolLookupByPath(path)));
}

// Domain.migrate reaches this through the registry (domain.ts cannot import this module: a cycle).
registerMigrator((dom, n, target, opts) => migrateDomain(dom as Domain, n as NativeDomain, target as Connection, opts));
