// Volume upload/download on test:///default: its driver has no streams, so this checks the
// argument boundary, the typed libvirt refusal, and that importVolume removes what it created.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Connection, StoragePool, VirtError } from '../../src/index.js';

describe('volume streams on test:///default', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  const tag = `vks${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    pool = await conn.pool('default-pool');
    dir = mkdtempSync(join(tmpdir(), 'vk-streams-'));
    writeFileSync(join(dir, 'img.raw'), Buffer.alloc(64 * 1024, 1));
  });
  afterAll(async () => {
    for (const v of await pool.volumes()) if (v.name.startsWith(tag)) await v.delete().catch(() => undefined);
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments with INVALID_ARGUMENT as rejected promises, before any native call', async () => {
    const vol = await pool.createVolume({ name: `${tag}-a`, format: 'raw', capacity: 2 ** 20 });
    const src = join(dir, 'img.raw');
    const bad: Array<[string, () => Promise<unknown>]> = [
      ['source', () => vol.upload(null as never)],
      ['source', () => vol.upload(`${src}\0x`)],
      ['source', () => vol.upload('')],
      ['opts.offset', () => vol.upload(src, { offset: -1 })],
      ['opts.offset', () => vol.upload(src, { offset: Number.NaN })],
      ['opts.length', () => vol.upload(src, { length: 2 ** 53 })],
      ['opts.sparse', () => vol.upload(src, { sparse: 1 as never })],
      ['opts.sha256', () => vol.upload(src, { sha256: 'y' as never })],
      ['opts.signal', () => vol.upload(src, { signal: 'x' as never })],
      ['opts.onProgress', () => vol.download(join(dir, 'o'), { onProgress: {} as never })],
      ['opts', () => vol.download(join(dir, 'o'), null as never)],
      ['dest', () => vol.download(5 as never)],
      ['dest', () => vol.download(dir)],
      ['opts.name', () => pool.importVolume(src, { name: 'a/b' })],
      ['opts.format', () => pool.importVolume(src, { name: `${tag}-f`, format: 'vdi' as never })],
      ['opts.capacity', () => pool.importVolume(Readable.from([Buffer.alloc(1)]), { name: `${tag}-c` })],
    ];
    for (const [arg, f] of bad) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = f())).not.toThrow();
      const e = await p!.then(() => undefined, (x: unknown) => x);
      expect(e, arg).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((e as { details?: { argument?: string } }).details?.argument, arg).toBe(arg);
    }
  });

  it('a driver without streams rejects with a VirtError; importVolume removes the volume it made', async () => {
    const vol = await pool.createVolume({ name: `${tag}-b`, format: 'raw', capacity: 2 ** 20 });
    const e = await vol.upload(join(dir, 'img.raw')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtError);
    expect((e as VirtError).code).toBe('VIR_ERR_NO_SUPPORT');
    const out = join(dir, 'never.raw');
    await expect(vol.download(out)).rejects.toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    // The file this call created is removed again.
    const { existsSync } = await import('node:fs');
    expect(existsSync(out)).toBe(false);
    await expect(pool.importVolume(join(dir, 'img.raw'), { name: `${tag}-imp`, sparse: true })).rejects.toBeInstanceOf(VirtError);
    expect(await pool.findVolume(`${tag}-imp`)).toBeUndefined();
    await expect(pool.importVolume(join(dir, 'missing'), { name: `${tag}-m` })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an already aborted signal rejects with ABORTED and opens nothing', async () => {
    const vol = await pool.createVolume({ name: `${tag}-c`, format: 'raw', capacity: 2 ** 20 });
    await expect(vol.upload(join(dir, 'img.raw'), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(pool.importVolume(join(dir, 'img.raw'), { name: `${tag}-d`, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await pool.findVolume(`${tag}-d`)).toBeUndefined();
  });
});
