// dom.migrate(target, { live: false }) of a shut-off linked clone between two private daemons
// (each its own host_uuid, test/helpers/private-daemon.ts): the overlay streams to the target,
// re-pointed at the replica's disk, the clone is defined there with its record, and with
// undefineSource the source domain and overlay go. A failure after the copy leaves nothing on the
// target. No VM boots.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { Connection, StoragePool, Template, removeClone, type Domain, type MigrateProgress } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VIRTKIT_NS, parseTemplateMetadata } from '../../src/xml/metadata.js';
import { run } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';

const MiB = 2 ** 20;

describe('Domain.migrate of a shut-off linked clone (offline, two private daemons)', () => {
  const tag = `vkmoff${process.pid}`;
  const base = `/var/lib/virtkit-test/migoff-${process.pid}`;
  const dirs = [`${base}/h1`, `${base}/h2`, `${base}/src`];
  const daemons: PrivateDaemon[] = [];
  let c1: Connection;
  let c2: Connection;
  let pool1: StoragePool;
  let pool2: StoragePool;
  let tpl: Template;
  let clone: Domain;

  beforeAll(async () => {
    rmSync(base, { recursive: true, force: true });
    for (const d of dirs) mkdirSync(d, { recursive: true });
    for (const n of [1, 2]) daemons.push(await startPrivateDaemon({ tag: `migoff${n}` }));
    c1 = await Connection.open(daemons[0]!.uri);
    c2 = await Connection.open(daemons[1]!.uri);
    pool1 = await c1.createDirPool(`${tag}-p1`, dirs[0]!, { autostart: false });
    pool2 = await c2.createDirPool(`${tag}-p2`, dirs[1]!, { autostart: false });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${dirs[2]}/img.qcow2`, String(64 * MiB)]);
    run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x11 0 ${4 * MiB}`, `${dirs[2]}/img.qcow2`]);
    tpl = await Template.import(c1, { name: `${tag}-tpl`, pool: pool1, image: `${dirs[2]}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
    clone = await tpl.deploy({ name: `${tag}-c1`, pool: pool1 });
  }, 300_000);

  afterAll(async () => {
    for (const c of [c2, c1]) {
      if (!c) continue;
      for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await removeClone(c, d).catch(() => undefined);
      for (const t of await Template.list(c).catch(() => [])) if (t.name.startsWith(tag)) await t.delete({ localOnly: true }).catch(() => undefined);
      for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await d.undefine().catch(() => undefined);
    }
    for (const [c, p] of [[c1, pool1], [c2, pool2]] as const) {
      if (!c || !p) continue;
      for (const v of await p.volumes().catch(() => [])) await v.delete().catch(() => undefined);
      await p.stop().catch(() => undefined);
      await p.undefine().catch(() => undefined);
    }
    await c2?.close();
    await c1?.close();
    for (const d of daemons) await d.stop();
    rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it('refuses while the template has no replica on the target, changing nothing', async () => {
    await expect(clone.migrate(c2, { live: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await pool2.volumes()).toHaveLength(0);
  });

  it('a failure after the copy (a domain of that name on the target) leaves nothing of ours there', async () => {
    await tpl.replicate(c2, { pool: pool2 });
    const before = (await pool2.volumes()).map((v) => v.name).sort();
    // Someone else's domain with the clone's name (another UUID): libvirt refuses the definition.
    const squatter = await c2.defineDomain(`<domain type='qemu'><name>${clone.name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
    try {
      const seen: MigrateProgress[] = [];
      await expect(clone.migrate(c2, { onProgress: (p) => seen.push(p) })).rejects.toThrow();
      expect(seen.some((p) => p.step === 'copy')).toBe(true); // it failed after streaming the overlay
      expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
      expect(await c2.findDomain(clone.uuid)).toBeUndefined();
      expect((await c2.domain(clone.name)).uuid).toBe(squatter.uuid); // theirs stays
      expect(await c1.findDomain(clone.uuid)).toBeDefined();
    } finally {
      await squatter.undefine();
    }
    // Aborted before it starts, or while the overlay streams: ABORTED, nothing left there either.
    const ac = new AbortController();
    ac.abort();
    await expect(clone.migrate(c2, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const mid = new AbortController();
    await expect(clone.migrate(c2, { signal: mid.signal, onProgress: (p) => p.step === 'copy' && mid.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await c1.findDomain(clone.uuid)).toBeDefined();
  });

  it('copies the overlay, re-pointed at the replica, defines the clone there and removes it here', async () => {
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    const srcOverlay = DomainXml.parse(await clone.xml()).disks[0]!.path!;
    // The clone's own data: 2 MiB over the template's, 2 MiB where the template has none.
    run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x5a ${2 * MiB} ${2 * MiB}`, '-c', `write -P 0x6b ${40 * MiB} ${2 * MiB}`, srcOverlay]);
    const seen: MigrateProgress[] = [];
    const moved = await clone.migrate(c2, { live: false, undefineSource: true, onProgress: (p) => seen.push(p) });
    expect(moved.uuid).toBe(clone.uuid);
    expect(await moved.isActive()).toBe(false);
    expect(await moved.isPersistent()).toBe(true);
    // Its disk is an overlay in host 2's pool whose header names the replica's disk.
    const d = DomainXml.parse(await moved.xml({ inactive: true })).disks[0]!;
    expect(d.path!.startsWith(dirs[1]!)).toBe(true);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', '-U', d.path!])) as { 'backing-filename'?: string; format: string };
    expect(info.format).toBe('qcow2');
    expect(info['backing-filename']).toBe(replicaDisk);
    run('qemu-img', ['check', '-U', d.path!]);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toContain(replicaDisk);
    // The guest sees the clone's data over the template's, through the replica.
    run('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P 0x11 0 ${2 * MiB}`, '-c', `read -P 0x5a ${2 * MiB} ${2 * MiB}`, '-c', `read -P 0x6b ${40 * MiB} ${2 * MiB}`, '-c', `read -P 0 ${48 * MiB} ${MiB}`, d.path!]);
    // The record names the new overlay and the template; the source is gone with its overlay.
    const rec = parseTemplateMetadata((await moved.metadata(VIRTKIT_NS))!);
    expect(rec).toMatchObject({ role: 'clone', template: { uuid: tpl.uuid }, disks: [{ target: 'vda', path: d.path }] });
    expect(await c1.findDomain(clone.uuid)).toBeUndefined();
    expect(existsSync(srcOverlay)).toBe(false);
    const copied = seen.filter((p) => p.step === 'copy');
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.at(-1)!.diskProcessed).toBeGreaterThanOrEqual(4 * MiB);
    expect(seen.at(-1)!.step).toBe('done');
    // Guards on the target: its replica is in use by the migrated clone.
    await expect(replica.delete({ localOnly: true })).rejects.toMatchObject({ code: 'TEMPLATE_IN_USE' });
    expect((await replica.clones()).map((c) => c.name)).toContain(clone.name);
  });
});
