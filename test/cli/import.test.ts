// `virtkit template import FILE --name N --pool P`, run as a process on qemu:///system: an image
// streamed into the pool without sealing (sparse, disk read-only, JSON as `template show`), the
// Debian-like fixture imported and sealed (two appliance launches: the fixture build and the
// seal), and the refusals (usage errors exit 2; a vmdk, a taken name: exit 1, nothing made).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Connection, Template, removeClone } from '../../src/index.js';
import { createDisk, writeDebianLikeTree } from '../fixtures/disks.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';
import { ensureBuilt, json, vk } from './run.js';

const ACCEL = process.env.VIRTKIT_ACCEL ?? 'tcg';
const MiB = 2 ** 20;
const tag = `cliimp${process.pid}`;
const S = ['-c', SYSTEM_URI];

describe(`virtkit template import on ${SYSTEM_URI}`, () => {
  let conn: Connection;
  let scratch: Awaited<ReturnType<typeof scratchPool>>;
  const src = `/var/lib/virtkit-test/${tag}-src`;

  beforeAll(async () => {
    ensureBuilt();
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    scratch = await scratchPool(conn, tag);
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    // 256 MiB raw with 8 MiB of data in the middle, as a qcow2.
    const fd = openSync(`${src}/img.raw`, 'w');
    ftruncateSync(fd, 256 * MiB);
    writeSync(fd, randomBytes(8 * MiB), 0, 8 * MiB, 100 * MiB);
    closeSync(fd);
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', `${src}/img.raw`, `${src}/img.qcow2`]);
    // A Debian-like root that inspection recognises (one appliance launch).
    await createDisk(`${src}/debian.qcow2`, { format: 'qcow2', sizeMiB: 128, fs: 'ext4', open: { accel: ACCEL as 'tcg' }, populate: (g) => writeDebianLikeTree(g, { hostname: 'cli-import' }) });
  }, 300_000);

  afterAll(async () => {
    for (const d of await conn.domains().catch(() => [])) {
      if (!d.name.startsWith(tag)) continue;
      await removeClone(conn, d).catch(() => undefined);
      await (await Template.get(conn, d.name).catch(() => undefined))?.delete().catch(() => undefined);
      await d.undefine().catch(() => undefined);
    }
    await scratch?.remove();
    rmSync(src, { recursive: true, force: true });
    await conn?.close();
  });

  it('imports a qcow2 image with --no-seal: a ready template, its disk read-only and byte-identical', async () => {
    const name = `${tag}-raw`;
    const r = await vk('template', 'import', `${src}/img.qcow2`, '--name', name, '--pool', scratch.pool.name, '--no-seal', '--type', 'qemu', '--network', 'none', '--memory', '256', '--json', ...S);
    expect(r.code, r.stderr).toBe(0);
    const t = json(r);
    const disk = `${scratch.dir}/${name}-vda.qcow2`;
    expect(t).toMatchObject({ name, state: 'ready', version: 1, operations: [], disks: [{ target: 'vda', path: disk, format: 'qcow2' }] });
    expect(statSync(disk).mode & 0o222).toBe(0);
    run('qemu-img', ['compare', '-U', `${src}/img.qcow2`, disk]);
    const xml = await (await conn.domain(name)).xml({ inactive: true });
    expect(xml).toContain("<memory unit='KiB'>262144</memory>");
    expect(xml).not.toContain('<interface');
    // The CLI's own view of it, and a clone deploys from it.
    expect(json(await vk('template', 'show', name, '--json', ...S))).toMatchObject({ name, state: 'ready' });
    const [c] = json(await vk('deploy', name, `${tag}-c1`, '--json', ...S));
    expect(c).toMatchObject({ name: `${tag}-c1`, mode: 'linked' });
    expect(json(await vk('remove', `${tag}-c1`, '--json', ...S))).toEqual({ removed: [`${tag}-c1`] });
    expect(await vk('template', 'delete', name, '-q', ...S)).toMatchObject({ code: 0 });
  });

  it('imports the Debian-like image and seals it (the default operations)', async () => {
    const name = `${tag}-deb`;
    const r = await vk('template', 'import', `${src}/debian.qcow2`, '--name', name, '--pool', scratch.pool.name, '--accel', ACCEL, '--type', 'qemu', '--network', 'none', '--json', ...S);
    expect(r.code, r.stderr).toBe(0);
    const t = json(r);
    expect(t).toMatchObject({ name, state: 'ready' });
    expect(t.operations).toEqual(expect.arrayContaining(['machine-id', 'ssh-hostkeys', 'logfiles']));
    expect(typeof t.sealedAt).toBe('string');
    expect(await vk('template', 'delete', name, '-q', ...S)).toMatchObject({ code: 0 });
  }, 300_000);

  it('refuses bad command lines (exit 2), a vmdk and a taken name (exit 1), and makes nothing', async () => {
    for (const [args, text] of [
      [[`${src}/img.qcow2`, '--pool', scratch.pool.name], 'missing --name NAME'],
      [[`${src}/img.qcow2`, '--name', `${tag}-x`], 'missing --pool POOL'],
      [['--name', `${tag}-x`, '--pool', scratch.pool.name], 'missing FILE'],
      [[`${src}/img.qcow2`, '--name', `${tag}-x`, '--pool', scratch.pool.name, '--format', 'vdi'], '--format takes qcow2 or raw'],
    ] as const) {
      const r = await vk('template', 'import', ...args, ...S);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(text);
    }
    const vmdk = `${src}/disk.vmdk`;
    writeFileSync(vmdk, Buffer.concat([Buffer.from('KDMV'), Buffer.alloc(4096)]));
    const r = await vk('template', 'import', vmdk, '--name', `${tag}-vmdk`, '--pool', scratch.pool.name, '--no-seal', '--type', 'qemu', ...S);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^virtkit: INVALID_ARGUMENT: .*vmdk/);
    // A name taken by another domain: refused before anything is streamed.
    const taken = `${tag}-taken`;
    await conn.defineDomain(`<domain type='qemu'><name>${taken}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`);
    const r2 = await vk('template', 'import', `${src}/img.qcow2`, '--name', taken, '--pool', scratch.pool.name, '--no-seal', '--type', 'qemu', ...S);
    expect(r2.code).toBe(1);
    expect(r2.lines[0]).toMatch(/^virtkit: ALREADY_EXISTS: /);
    await (await conn.domain(taken)).undefine();
    await scratch.pool.refresh();
    expect((await scratch.pool.volumes()).map((v) => v.name)).toEqual([]);
  });
});
