// Shared set-up for integration tests: the system daemon and a scratch directory pool.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, chmodSync } from 'node:fs';
import { Connection, StoragePool, Template, removeClone } from '../../src/index.js';

export const SYSTEM_URI = process.env.VIRTKIT_TEST_URI ?? 'qemu:///system';

/** Starts libvirtd/virtlogd when their sockets are missing (no systemd here). */
export function ensureDaemon(): void {
  execFileSync('bash', [new URL('../../scripts/ensure-libvirtd.sh', import.meta.url).pathname], { stdio: 'inherit' });
}

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A dir pool in a fresh scratch directory; remove() undefines it and deletes the directory. */
export async function scratchPool(conn: Connection, tag: string): Promise<{ pool: StoragePool; dir: string; remove(): Promise<void> }> {
  const dir = `/var/lib/virtkit-test/${tag}-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync('/var/lib/virtkit-test', { recursive: true });
  chmodSync('/var/lib/virtkit-test', 0o755);
  const name = `vkt-${tag}-${process.pid}`;
  const old = await conn.findPool(name);
  if (old) {
    await old.stop().catch(() => undefined);
    await old.undefine().catch(() => undefined);
  }
  const pool = await conn.createDirPool(name, dir, { autostart: false });
  return {
    pool,
    dir,
    async remove() {
      for (const v of await pool.volumes().catch(() => [])) await v.delete().catch(() => undefined);
      await pool.stop().catch(() => undefined);
      await pool.undefine().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An e2e suite's clean-up: every domain named `${tag}…` stopped and undefined, the scratch pool's
 * directory made writable again (template disks are read-only) and the pool removed, then the
 * connection closed.
 */
export async function removeTagged(conn: Connection, tag: string, dir: string, removePool: () => Promise<void>): Promise<void> {
  for (const d of await conn.domains()) {
    if (!d.name.startsWith(tag)) continue;
    if (await d.isActive()) await d.destroy().catch(() => undefined);
    await d.undefine().catch(() => undefined);
  }
  try {
    execFileSync('chmod', ['-R', 'u+w', dir]);
  } catch {
    // a directory already gone: the pool's removal below still runs
  }
  await removePool();
  await conn.close();
}

/**
 * A multi-host suite's clean-up, on each connection given (skipping those never opened): every
 * `${tag}…` domain stopped and removed with its clone disks, every such template deleted on that
 * host only, and whatever of them is left undefined.
 */
export async function removeTaggedOn(conns: (Connection | undefined)[], tag: string): Promise<void> {
  for (const c of conns) {
    if (!c) continue;
    for (const d of await c.domains().catch(() => [])) {
      if (!d.name.startsWith(tag)) continue;
      await d.destroy().catch(() => undefined);
      await removeClone(c, d).catch(() => undefined);
    }
    for (const t of await Template.list(c).catch(() => [])) if (t.name.startsWith(tag)) await t.delete({ localOnly: true }).catch(() => undefined);
    for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await d.undefine().catch(() => undefined);
  }
}

/** A pool a suite made on another daemon: its volumes deleted, then the pool stopped and undefined. */
export async function dropPool(pool: StoragePool | undefined): Promise<void> {
  if (!pool) return;
  for (const v of await pool.volumes().catch(() => [])) await v.delete().catch(() => undefined);
  await pool.stop().catch(() => undefined);
  await pool.undefine().catch(() => undefined);
}
