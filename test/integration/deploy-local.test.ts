// Linked clones whose overlays virtkit writes itself (the pool directory is shared with the
// daemon): libvirt's view stays true (the pool lists every clone volume with its backing chain),
// a collision is refused without touching the other file, removal goes through the pool.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Connection, StoragePool, Template, removeClone } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';

const MiB = 2 ** 20;

describe('linked clones with overlays written in-process', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let remove: () => Promise<void>;
  let tpl: Template;
  const tag = `vkloc${process.pid}`;
  const src = `/var/lib/virtkit-test/local-src-${process.pid}`;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove } = await scratchPool(conn, 'local'));
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${src}/img.qcow2`, String(96 * MiB)]);
    tpl = await Template.import(conn, { name: `${tag}-tpl`, pool, image: `${src}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
  }, 120_000);
  afterAll(async () => {
    for (const d of await conn.domains().catch(() => [])) if (d.name.startsWith(tag)) await removeClone(conn, d).catch(() => undefined);
    await tpl?.delete().catch(() => undefined);
    await remove?.();
    await conn?.close();
    rmSync(src, { recursive: true, force: true });
  });

  it('one clone: listed by the pool at once, backed by the template disk, a valid image', async () => {
    const d = await tpl.deploy({ name: `${tag}-one` });
    const vol = await pool.findVolume(`${tag}-one-vda.qcow2`);
    expect(vol).toBeDefined();
    const chain = await vol!.backingChain();
    expect(chain.map((c) => c.path)).toEqual([`${dir}/${tag}-one-vda.qcow2`, tpl.disks[0]!.path]);
    expect((await vol!.info()).capacity).toBe(96 * MiB);
    expect(statSync(`${dir}/${tag}-one-vda.qcow2`).mode & 0o777).toBe(0o600);
    run('qemu-img', ['check', '-U', `${dir}/${tag}-one-vda.qcow2`]);
    await removeClone(conn, d);
    expect(existsSync(`${dir}/${tag}-one-vda.qcow2`)).toBe(false);
    expect(await pool.findVolume(`${tag}-one-vda.qcow2`)).toBeUndefined();
  });

  it('deployMany: every clone volume listed once the call returns; removal through the pool', async () => {
    const specs = Array.from({ length: 20 }, (_, i) => ({ name: `${tag}-m${i}` }));
    const made = await tpl.deployMany(specs, { concurrency: 8 });
    const names = new Set((await pool.volumes()).map((v) => v.name));
    for (const s of specs) expect(names.has(`${s.name}-vda.qcow2`)).toBe(true);
    for (const d of made) await removeClone(conn, d);
    const left = (await pool.volumes()).map((v) => v.name).filter((n) => n.startsWith(`${tag}-m`));
    expect(left).toEqual([]);
  }, 120_000);

  it('a file already at the clone path is refused as ALREADY_EXISTS and left as it was; no domain is left', async () => {
    const path = `${dir}/${tag}-x-vda.qcow2`;
    writeFileSync(path, 'not mine');
    try {
      await expect(tpl.deploy({ name: `${tag}-x` })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(readFileSync(path, 'utf8')).toBe('not mine');
      expect(await conn.findDomain(`${tag}-x`)).toBeUndefined();
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('all or nothing in deployMany when one overlay collides', async () => {
    const path = `${dir}/${tag}-y3-vda.qcow2`;
    writeFileSync(path, 'not mine');
    try {
      const specs = Array.from({ length: 6 }, (_, i) => ({ name: `${tag}-y${i}` }));
      await expect(tpl.deployMany(specs, { concurrency: 3 })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(readFileSync(path, 'utf8')).toBe('not mine');
      for (const s of specs) expect(await conn.findDomain(s.name)).toBeUndefined();
      for (const i of [0, 1, 2, 4, 5]) expect(existsSync(`${dir}/${tag}-y${i}-vda.qcow2`)).toBe(false);
    } finally {
      rmSync(path, { force: true });
    }
  }, 120_000);
});
