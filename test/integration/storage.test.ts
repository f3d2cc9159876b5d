// Real libvirtd, real qemu-img: base, two overlays, a full copy, each checked by the peer tool.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { statSync } from 'node:fs';
import { Connection, StoragePool, type CopyProgress } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';

describe('storage on a real daemon', () => {
  let conn: Connection;
  let pool: StoragePool;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, remove } = await scratchPool(conn, 'storage'));
  });
  afterAll(async () => {
    await remove?.();
    await conn?.close();
  });

  it('builds a qcow2 base with overlays two deep; qemu-img sees the same chain', async () => {
    const base = await pool.createVolume({ name: 'base.qcow2', format: 'qcow2', capacity: 64 * 2 ** 20 });
    const mid = await pool.createVolume({ name: 'mid.qcow2', backing: base });
    const top = await pool.createVolume({ name: 'top.qcow2', format: 'qcow2', backing: mid });
    const chain = await top.backingChain();
    expect(chain).toEqual([
      { path: await top.path(), format: 'qcow2' },
      { path: await mid.path(), format: 'qcow2' },
      { path: await base.path(), format: 'qcow2' },
    ]);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', '--backing-chain', '-U', await top.path()])) as Array<{
      filename: string; format: string; 'virtual-size': number; 'backing-filename'?: string; 'backing-filename-format'?: string;
      'format-specific'?: { data?: { compat?: string } };
    }>;
    expect(info.map((l) => l.filename)).toEqual(chain.map((l) => l.path));
    expect(info[0]!['backing-filename-format']).toBe('qcow2');
    expect(info[1]!['backing-filename-format']).toBe('qcow2');
    expect(info[0]!['format-specific']?.data?.compat).toBe('1.1');
    expect(info[0]!['virtual-size']).toBe(64 * 2 ** 20);
    for (const v of [base, mid, top]) run('qemu-img', ['check', '-U', await v.path()]);
    await base.resize(128 * 2 ** 20);
    expect((await base.info()).capacity).toBe(128 * 2 ** 20);
    await base.resize(64 * 2 ** 20, { shrink: true });
    const scratch = await pool.createVolume({ name: 'wipe.raw', format: 'raw', capacity: 2 ** 20 });
    await scratch.wipe();
    await scratch.delete();
  });

  it('copies an overlay in full (flattened), with progress; qemu-img check is clean', async () => {
    const top = await pool.volume('top.qcow2');
    const seen: CopyProgress[] = [];
    const copy = await pool.copyVolume(top, { name: 'full.qcow2', onProgress: (p) => seen.push(p), progressIntervalMs: 20 });
    expect(await copy.backingChain()).toEqual([{ path: await copy.path(), format: 'qcow2' }]);
    expect(seen.at(-1)!.bytes).toBe(seen.at(-1)!.total);
    run('qemu-img', ['check', '-U', await copy.path()]);
    const raw = await pool.copyVolume(top, { name: 'full.raw', format: 'raw' });
    expect(await raw.format()).toBe('raw');
    expect(statSync(await raw.path()).size).toBe(64 * 2 ** 20);
  });

  it('refuses a missing backing file, a raw overlay and a name clash, leaving nothing behind', async () => {
    const before = (await pool.volumes()).map((v) => v.name).sort();
    await expect(pool.createVolume({ name: 'x.qcow2', backing: { path: '/nonexistent/base.qcow2', format: 'qcow2' }, capacity: 2 ** 20 }))
      .rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pool.createVolume({ name: 'y.raw', format: 'raw', backing: await pool.volume('base.qcow2') }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pool.createVolume({ name: 'base.qcow2', format: 'qcow2', capacity: 2 ** 20 }))
      .rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_STORAGE_VOL_EXIST' });
    await expect(pool.createVolume({ name: '../escape.qcow2', format: 'qcow2', capacity: 2 ** 20 }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await pool.volumes()).map((v) => v.name).sort()).toEqual(before);
  });
});
