// Template.import on the real daemon: an image streamed into the pool becomes a ready template
// (domain from the typed spec, disk read-only), a linked clone deploys from it; a failed or
// aborted import leaves nothing behind.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Connection, StoragePool, Template, removeClone, type TemplateProgress } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';

const MiB = 2 ** 20;

describe('Template.import on a real daemon', () => {
  let conn: Connection;
  let pool: StoragePool;
  let remove: () => Promise<void>;
  const tag = `vkimp${process.pid}`;
  const dir = `/var/lib/virtkit-test/import-src-${process.pid}`;
  const qcow2 = `${dir}/img.qcow2`;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, remove } = await scratchPool(conn, 'import'));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const raw = `${dir}/img.raw`;
    const fd = openSync(raw, 'w');
    ftruncateSync(fd, 512 * MiB);
    writeSync(fd, randomBytes(4 * MiB), 0, 4 * MiB, 100 * MiB);
    closeSync(fd);
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  });
  afterAll(async () => {
    for (const d of await conn.domains().catch(() => [])) {
      if (!d.name.startsWith(tag)) continue;
      await removeClone(conn, d).catch(() => undefined);
      await d.undefine({ nvram: true } as never).catch(() => undefined);
    }
    await remove?.();
    await conn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a qcow2 image as a ready template; a linked clone deploys on it', async () => {
    const steps: TemplateProgress['step'][] = [];
    const t = await Template.import(conn, {
      name: `${tag}-tpl`,
      pool,
      image: qcow2,
      seal: false,
      domain: { memoryMiB: 256, vcpus: 1, type: 'qemu', interfaces: [] },
      onProgress: (p) => steps.push(p.step),
    });
    expect(t.state).toBe('ready');
    expect(steps).toContain('copy');
    expect(steps.at(-1)).toBe('done');
    const [disk] = t.disks;
    expect(disk).toMatchObject({ target: 'vda', format: 'qcow2' });
    expect(statSync(disk!.path).mode & 0o222).toBe(0);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', '-U', disk!.path])) as { 'virtual-size': number };
    expect(info['virtual-size']).toBe(512 * MiB);
    run('qemu-img', ['compare', '-U', qcow2, disk!.path]);
    const xml = await (await conn.domain(`${tag}-tpl`)).xml();
    expect(xml).toContain("<memory unit='KiB'>262144</memory>");
    expect(xml).toContain(disk!.path);

    const clone = await t.deploy({ name: `${tag}-c1`, mode: 'linked' });
    const chain = await (await pool.volume(`${tag}-c1-vda.qcow2`)).backingChain();
    expect(chain.at(-1)!.path).toBe(disk!.path);
    await removeClone(conn, clone);
    await t.delete();
    expect(await pool.findVolume(`${tag}-tpl-vda.qcow2`)).toBeUndefined();
  });

  it('an aborted import removes the volume and defines nothing; bad options are refused', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(Template.import(conn, { name: `${tag}-ab`, pool, image: qcow2, seal: false, domain: { type: 'qemu' }, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const ac2 = new AbortController();
    const p = Template.import(conn, {
      name: `${tag}-ab2`, pool, image: qcow2, seal: false, sparse: false, domain: { type: 'qemu' }, signal: ac2.signal,
      onProgress: (e) => { if (e.step === 'copy') ac2.abort(); },
    });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await conn.findDomain(`${tag}-ab2`)).toBeUndefined();
    await pool.refresh();
    expect((await pool.volumes()).map((v) => v.name).filter((n) => n.startsWith(`${tag}-ab`))).toEqual([]);
    for (const bad of [
      { name: `${tag}-x`, pool, image: 5 },
      { name: 'a/b', pool, image: qcow2 },
      { name: `${tag}-x`, pool, image: qcow2, domain: { vcpus: 0 } },
      { name: `${tag}-x`, pool, image: qcow2, format: 'vmdk' },
      { name: `${tag}-x`, pool, image: qcow2, seal: 'yes' },
    ]) await expect(Template.import(conn, bad as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  // One appliance launch (20-90 s on this host): run with VIRTKIT_SLOW=1.
  it.runIf(process.env.VIRTKIT_SLOW)('a seal that fails (no OS on the image) undoes everything: no domain, no volume', async () => {
    const err = await Template.import(conn, { name: `${tag}-ns`, pool, image: qcow2, domain: { type: 'qemu' }, seal: { accel: (process.env.VIRTKIT_ACCEL as 'tcg') ?? 'tcg' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_OS_FOUND' });
    expect(await conn.findDomain(`${tag}-ns`)).toBeUndefined();
    await pool.refresh();
    expect(await pool.findVolume(`${tag}-ns-vda.qcow2`)).toBeUndefined();
  });
});
