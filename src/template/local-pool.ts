// Whether a pool's directory is one this process shares with the daemon (same host, same mount
// namespace): then a linked clone's overlay can be written here (qcow2-overlay.ts) instead of
// libvirt forking qemu-img for it, and the pool told with one refresh. Decided once per pool and
// connection by a probe: a file made here must appear as a volume there.
import { randomUUID } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import type { Connection } from '../connection.js';
import type { StoragePool } from '../storage.js';
import { VirtkitError, isVirtError } from '../errors.js';
import { sleep } from '../util/abort.js';
import { PoolXml } from '../xml/pool.js';

const known = new WeakMap<Connection, Map<string, Promise<string | undefined>>>();

/** The pool's directory when this process writes the same files libvirt sees there, else undefined. */
export function sharedPoolDir(conn: Connection, pool: StoragePool): Promise<string | undefined> {
  let m = known.get(conn);
  if (!m) known.set(conn, (m = new Map()));
  const key = pool.uuid;
  let p = m.get(key);
  if (!p) {
    p = probe(pool).catch(() => undefined);
    m.set(key, p);
  }
  return p;
}

async function probe(pool: StoragePool): Promise<string | undefined> {
  const x = new PoolXml(await pool.xml());
  const dir = x.targetPath;
  if (!dir || !['dir', 'fs', 'netfs'].includes(x.type ?? '')) return undefined;
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return undefined;
  const name = `virtkit-probe-${randomUUID()}.img`;
  const path = `${dir}/${name}`;
  try {
    await writeFile(path, '', { flag: 'wx', mode: 0o600 });
  } catch {
    return undefined; // not writable here
  }
  try {
    await refreshPool(pool);
    const v = await pool.findVolume(name);
    if (!v) return undefined;
    if ((await v.path()) !== path) return undefined;
    await v.delete();
    return dir;
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

/**
 * Rescans the pool so it lists files made beside libvirt. libvirt refuses a refresh while a
 * volume of the pool is being built (a full copy): retried with backoff for up to `waitMs`.
 */
export async function refreshPool(pool: StoragePool, waitMs = 60_000): Promise<void> {
  const until = Date.now() + waitMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await pool.refresh();
      return;
    } catch (e) {
      if (!isVirtError(e) || !/asynchronous jobs/.test((e as Error).message) || Date.now() > until) throw e;
      await sleep(delay);
    }
  }
}

/**
 * Sealing opens the template's disks in an appliance this process launches: they must be files
 * it shares with the daemon. Refused before anything is made otherwise (a remote host): make the
 * template on a host this process shares a pool with, then replicate it (docs/MULTIHOST.md).
 */
export async function assertSealableHere(conn: Connection, pool: StoragePool, what: string): Promise<void> {
  if (await sharedPoolDir(conn, pool)) return;
  throw new VirtkitError('REMOTE_DISKS', `${what}: pool '${pool.name}' on ${conn.uri} is not a directory this process shares with the daemon, so its disks cannot be sealed here; create the template on a local pool and replicate it (tpl.replicate), or pass seal: false`, {
    details: { pool: pool.name, uri: conn.uri },
  });
}
