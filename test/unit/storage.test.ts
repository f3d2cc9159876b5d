import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, StoragePool, VirtError } from '../../src/index.js';

describe('StoragePool and Volume on test:///default', () => {
  let conn: Connection;
  let pool: StoragePool;
  const tag = `vk${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    pool = await conn.pool('default-pool');
  });
  afterAll(async () => {
    for (const v of await pool.volumes()) if (v.name.startsWith(tag)) await v.delete().catch(() => undefined);
    await conn.close();
  });

  it('looks up pools by name and UUID, lists them, reads info and XML', async () => {
    expect(pool.name).toBe('default-pool');
    expect((await conn.pool(pool.uuid)).name).toBe('default-pool');
    expect((await conn.pools()).map((p) => p.name)).toContain('default-pool');
    expect((await conn.pools({ active: true })).map((p) => p.name)).toContain('default-pool');
    expect(await pool.isActive()).toBe(true);
    expect(await pool.isPersistent()).toBe(true);
    const info = await pool.info();
    expect(info.state).toBe('running');
    expect(info.capacity).toBeGreaterThan(0);
    expect(await pool.xml()).toContain('<pool');
    expect(await conn.findPool('nope')).toBeUndefined();
    await expect(conn.pool('nope')).rejects.toMatchObject({ code: 'VIR_ERR_NO_STORAGE_POOL' });
    expect(inspect(pool)).toBe("StoragePool { name: 'default-pool' }");
  });

  it('defines, builds, starts, stops and undefines a pool; autostart and refresh', async () => {
    const p = await conn.createDirPool(`${tag}-pool`, `/tmp/${tag}-pool`);
    expect(await p.isActive()).toBe(true);
    expect(await p.autostart()).toBe(true);
    await p.setAutostart(false);
    expect(await p.autostart()).toBe(false);
    await p.refresh();
    // Same name, same path: returned as is. Another path: refused.
    expect((await conn.createDirPool(`${tag}-pool`, `/tmp/${tag}-pool`)).uuid).toBe(p.uuid);
    await expect(conn.createDirPool(`${tag}-pool`, `/tmp/${tag}-other`)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await p.stop();
    expect((await p.info()).state).toBe('inactive');
    await p.start();
    await p.stop();
    await p.undefine();
    expect(await conn.findPool(`${tag}-pool`)).toBeUndefined();
    await expect(conn.createDirPool(`${tag}-bad`, 'relative/path')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await conn.findPool(`${tag}-bad`)).toBeUndefined();
  });

  it('creates volumes from options and XML; looks them up by name, path and key', async () => {
    const v = await pool.createVolume({ name: `${tag}-a.img`, format: 'raw', capacity: 1 << 20 });
    expect(v.name).toBe(`${tag}-a.img`);
    const path = await v.path();
    expect((await conn.volumeByPath(path)).name).toBe(v.name);
    expect((await conn.volumeByKey(v.key)).name).toBe(v.name);
    expect((await pool.volume(v.name)).key).toBe(v.key);
    expect((await pool.volumes()).map((x) => x.name)).toContain(v.name);
    const info = await v.info();
    expect(info.capacity).toBe(1 << 20);
    expect(await v.xml()).toContain(v.name);
    expect((await v.pool()).name).toBe('default-pool');
    // The test driver has no resize: a typed "not supported" (resize runs for real in integration).
    await expect(v.resize(2 << 20)).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    await expect(v.resize(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(v.wipe()).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    const x = await pool.createVolume(
      `<volume><name>${tag}-b.img</name><capacity unit='bytes'>4096</capacity></volume>`,
    );
    expect(x.name).toBe(`${tag}-b.img`);
    await x.delete();
    await v.delete();
    expect(await pool.findVolume(v.name)).toBeUndefined();
    expect(inspect(v)).toContain(`${tag}-a.img`);
  });

  it('copies a volume in full', async () => {
    const src = await pool.createVolume({ name: `${tag}-src.img`, format: 'raw', capacity: 1 << 20 });
    const copy = await pool.copyVolume(src, { name: `${tag}-copy.img` });
    expect((await copy.info()).capacity).toBe(1 << 20);
    await expect(pool.copyVolume(src, { name: `${tag}-copy.img` })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    const ac = new AbortController();
    ac.abort();
    await expect(pool.copyVolume(src, { name: `${tag}-c2.img`, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await pool.findVolume(`${tag}-c2.img`)).toBeUndefined();
  });

  it('bad volume input is a typed error and creates nothing', async () => {
    const before = (await pool.volumes()).length;
    const bad = ['', '../x', 'a/b', 'x'.repeat(10_000), '.', 'a\u0000b'];
    for (const name of bad) await expect(pool.createVolume({ name, format: 'raw', capacity: 4096 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pool.createVolume({ name: `${tag}-nocap`, format: 'raw' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      pool.createVolume({ name: `${tag}-rawback`, format: 'raw', capacity: 4096, backing: { path: '/tmp/x.qcow2', format: 'qcow2' } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      pool.createVolume({ name: `${tag}-missing`, format: 'qcow2', capacity: 4096, backing: { path: `/nonexistent/${tag}.qcow2`, format: 'qcow2' } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Markup in names is escaped, never interpreted: libvirt sees the literal name.
    const odd = await pool.createVolume({ name: `${tag}<&"'>.img`, format: 'raw', capacity: 4096 });
    expect(odd.name).toBe(`${tag}<&"'>.img`);
    await odd.delete();
    expect((await pool.volumes()).length).toBe(before);
    await expect(pool.volume(`${tag}-none`)).rejects.toBeInstanceOf(VirtError);
  });
});
