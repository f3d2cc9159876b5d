// Disk helpers shared by create, deploy and delete: finding volumes behind paths, naming the
// volumes virtkit makes, and the read-only mode of template disks.
import { chmod, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import { StoragePool, volumesBackedBy, type BackedVolume, type Volume } from '../storage.js';
import { checkLookup } from '../validate.js';
import { VirtkitError, invalid, isVirtError } from '../errors.js';
import { DomainXml } from '../xml/domain.js';
import { memoByText } from '../util/memo.js';
import { removeChildren } from '../xml/doc.js';
import { ownDisks } from '../xml/clone.js';
import { dirPoolXml } from '../xml/pool.js';

export interface WritableDisk {
  target: string;
  path: string;
  format: string;
}

/** The disks a template or clone owns (xml/clone.ts ownDisks, the rule seal shares), with their paths. */
export function writableDisks(xml: string): WritableDisk[] {
  const out: WritableDisk[] = [];
  for (const d of ownDisks(new DomainXml(xml))) {
    if (!d.path) throw new VirtkitError('INVALID_ARGUMENT', `disk ${d.target ?? '?'} is not a file or block device virtkit can copy`);
    out.push({ target: d.target ?? `disk${out.length}`, path: d.path, format: d.format ?? 'raw' });
  }
  return out;
}

/** The name virtkit gives a domain's disk volume. */
export function volumeNameFor(domain: string, target: string): string {
  return `${domain}-${target}.qcow2`;
}

/**
 * The libvirt volume at `path`. A file outside every pool gets a transient dir pool over its
 * directory (libvirt can only copy volumes); `release()` removes that pool again.
 */
export async function volumeAt(conn: Connection, path: string): Promise<{ volume: Volume; release(): Promise<void> }> {
  try {
    return { volume: await conn.volumeByPath(path), release: async () => undefined };
  } catch (e) {
    if (!isVirtError(e, 'VIR_ERR_NO_STORAGE_VOL')) throw e;
  }
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new VirtkitError('NOT_FOUND', `disk '${path}' does not exist`);
  // The file may sit in a pool that has not seen it yet: refresh before making a pool over it.
  for (const p of await conn.pools({ active: true })) await p.refresh().catch(() => undefined);
  const known = await conn.volumeByPath(path).catch(() => undefined);
  if (known) return { volume: known, release: async () => undefined };
  const name = `virtkit-tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const pool = await conn.createPool(dirPoolXml(name, dirname(path)));
  try {
    return { volume: await conn.volumeByPath(path), release: () => pool.stop().catch(() => undefined) };
  } catch (e) {
    await pool.stop().catch(() => undefined);
    throw e;
  }
}

export async function resolvePool(conn: Connection, pool: StoragePool | string | undefined, what: string): Promise<StoragePool> {
  if (pool === undefined) throw invalid(`${what}: a storage pool is required`, { argument: 'pool' });
  if (typeof pool === 'string') {
    checkLookup('pool', pool);
    const p = await conn.findPool(pool);
    if (!p) throw new VirtkitError('NOT_FOUND', `${what}: storage pool '${pool}' does not exist`);
    return p;
  }
  if (!(pool instanceof StoragePool)) throw invalid(`${what}: pool must be a StoragePool or a pool name`, { argument: 'pool' });
  return pool;
}

/** Template disks are read-only files so nobody boots the template by accident. */
export async function setReadOnly(paths: string[], readOnly: boolean): Promise<void> {
  for (const p of paths) await chmod(p, readOnly ? 0o444 : 0o644).catch(() => undefined);
}

/**
 * Defines a new domain named `name` whose XML has UUID `uuid`, as a claim on the name: libvirt
 * defines one domain per name, so when several callers race for one, exactly one succeeds and
 * the others get VirtkitError `ALREADY_EXISTS` (not libvirt's "operation failed").
 */
export async function defineNew(conn: Connection, xml: string, name: string, uuid: string, opts: { validate?: boolean } = {}): Promise<Domain> {
  try {
    return await conn.defineDomain(xml, opts);
  } catch (e) {
    const other = await conn.findDomain(name).catch(() => undefined);
    if (other && other.uuid !== uuid) throw new VirtkitError('ALREADY_EXISTS', `a domain named '${name}' already exists`, { cause: e, details: { name } });
    throw e;
  }
}

/** Every volume, in every active pool (rescanned first), whose backing file is one of `paths`. */
export function dependents(conn: Connection, paths: string[]): Promise<BackedVolume[]> {
  return volumesBackedBy(conn.core, paths, { refresh: true });
}

/** The name virtkit gives a domain's UEFI variable store volume (libvirt's own `<name>_VARS.fd`). */
export function nvramVolumeNameFor(domain: string): string {
  return `${domain}_VARS.fd`;
}

/** The per-domain NVRAM path of a domain definition (`<os><nvram>`), if it names one. */
// Asked of the same template XML by every deploy: a full parse each time was a third of a single
// deploy's JavaScript time.
export const nvramPathOf: (xml: string) => string | undefined = memoByText(32, (xml) => new DomainXml(xml).os.nvram?.path);

/**
 * The volume holding the UEFI variable store at `path` (through volumeAt), or undefined when the
 * file does not exist (a UEFI domain that never started has none yet). `release()` as volumeAt's.
 */
export async function nvramVolumeAt(conn: Connection, path: string | undefined): Promise<{ volume: Volume; release(): Promise<void> } | undefined> {
  if (path === undefined) return undefined;
  try {
    return await volumeAt(conn, path);
  } catch (e) {
    if (e instanceof VirtkitError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * Undefines a domain virtkit made, with its NVRAM (libvirt removes the file:
 * VIR_DOMAIN_UNDEFINE_NVRAM). A store that is a pool volume (the copy virtkit made for a template
 * or clone) is then also deleted through its pool, so the pool does not keep listing a file that
 * is gone (libvirt ignores a volume file already removed). The domain goes first: a failed
 * undefine leaves the domain with its store.
 */
export async function undefineWithNvram(conn: Connection, dom: Domain): Promise<void> {
  const xml = await dom.xml({ inactive: true });
  const path = nvramPathOf(xml);
  const vol = path === undefined ? undefined : await conn.volumeByPath(path).catch(() => undefined);
  try {
    await dom.undefine();
  } catch (e) {
    // A driver without the NVRAM undefine flags (libvirt's test driver): drop <nvram> from the
    // definition, undefine, and delete the store through its pool below.
    if (!isVirtError(e, 'VIR_ERR_INVALID_ARG') || !/unsupported flags/.test(String((e as Error).message))) throw e;
    const def = new DomainXml(xml);
    removeChildren(def.os.element, 'nvram');
    await conn.defineDomain(def.toString());
    await dom.undefine();
  }
  await vol?.delete().catch((e: unknown) => {
    if (!isVirtError(e, 'VIR_ERR_NO_STORAGE_VOL')) throw e;
  });
}
