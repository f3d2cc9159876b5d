// dom.migrate() of a linked clone between two real daemons: the system libvirtd ("host 1") and a
// private libvirtd in its own mount namespace sharing the network ("host 2"). Refused with nothing
// changed while the template has no replica there; then, after tpl.replicate, a running clone is
// live-migrated copying only its overlay, and lands as an overlay on host 2's replica. A linked
// clone deployed on host 2 from the replica boots there with its own identity (the template is
// sealed, so its first-boot unit applies the hostname and makes a new machine-id and host keys).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Connection, type Domain, StoragePool, Template, removeClone, type MigrateProgress } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VIRTKIT_NS, parseTemplateMetadata } from '../../src/xml/metadata.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';
import { IDENTITY_TAG, buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';

describe('Domain.migrate of a linked clone', () => {
  let c1: Connection;
  let c2: Connection;
  let host2: PrivateDaemon;
  let pool1: StoragePool;
  let pool2: StoragePool;
  let dir1: string;
  let remove1: () => Promise<void>;
  let tpl: Template;
  let clone: Domain;
  const tag = `vkmig${process.pid}`;
  const MiB = 2 ** 20;
  const dir2 = `/var/lib/virtkit-test/migrate-h2-${process.pid}`;
  // The tiny guest's machine-id before sealing (examples/lib/tiny-guest.ts).
  const SOURCE_MACHINE_ID = '0123456789abcdef0123456789abcdef';
  const serialText = async (d: Domain) => readFileSync(DomainXml.parse(await d.xml()).serials[0]!.path!, 'latin1').replace(/\0/g, '');

  beforeAll(async () => {
    ensureDaemon();
    c1 = await Connection.open(SYSTEM_URI);
    ({ pool: pool1, dir: dir1, remove: remove1 } = await scratchPool(c1, 'migrate'));
    host2 = await startPrivateDaemon({ tag: 'migrate', isolateNetwork: false, qemuConf: { stdio_handler: 'file' } });
    c2 = await Connection.open(host2.uri);
    rmSync(dir2, { recursive: true, force: true });
    mkdirSync(dir2, { recursive: true });
    pool2 = await c2.createDirPool(`${tag}-p2`, dir2, { autostart: false });
    await buildTinyGuest({ path: `${dir1}/${tag}-src.qcow2` });
    await pool1.refresh();
    const src = await c1.defineDomain(tinyGuestXml({ name: `${tag}-src`, disk: `${dir1}/${tag}-src.qcow2`, serialLog: `${dir1}/${tag}.log`, memoryMiB: 512 }));
    tpl = await Template.create(c1, { from: src, name: `${tag}-tpl`, pool: pool1, seal: { operations: 'defaults' } });
    clone = await tpl.deploy({ name: `${tag}-c1` });
  }, 300_000);

  afterAll(async () => {
    for (const c of [c2, c1]) {
      if (!c) continue;
      for (const d of await c.domains().catch(() => [])) {
        if (!d.name.startsWith(tag)) continue;
        await d.destroy().catch(() => undefined);
        await removeClone(c, d).catch(() => undefined);
      }
      for (const t of await Template.list(c).catch(() => [])) if (t.name.startsWith(tag)) await t.delete({ localOnly: true }).catch(() => undefined);
      for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await d.undefine().catch(() => undefined);
    }
    if (pool2) {
      for (const v of await pool2.volumes().catch(() => [])) await v.delete().catch(() => undefined);
      await pool2.stop().catch(() => undefined);
      await pool2.undefine().catch(() => undefined);
    }
    await c2?.close();
    await host2?.stop();
    await remove1?.();
    await c1?.close();
    rmSync(dir2, { recursive: true, force: true });
  }, 120_000);

  it('refuses while the template has no replica on the target, changing nothing', async () => {
    const err = await clone.migrate(c2).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(String((err as Error).message)).toContain('tpl.replicate');
    await expect(clone.migrate({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await pool2.volumes()).toHaveLength(0);
    expect(await c1.findDomain(clone.uuid)).toBeDefined();
  });

  it('live-migrates a running clone, copying only its overlay onto the replica', async () => {
    await tpl.replicate(c2, { pool: pool2 });
    // Shut off, a clone migrates only to a persistent definition (offline: test/integration/migrate-offline.test.ts).
    await expect(clone.migrate(c2, { persistent: false })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    const srcOverlay = DomainXml.parse(await clone.xml()).disks[0]!.path!;
    // Give the overlay known data: 8 MiB where the template's image was never written (free
    // blocks of its file system, so the guest still boots), as a running guest's writes would.
    const map = JSON.parse(run('qemu-img', ['map', '--output=json', '-f', 'qcow2', tpl.disks[0]!.path])) as { start: number; length: number; data: boolean }[];
    const hole = map.filter((m) => !m.data && m.length >= 10 * MiB).pop();
    expect(hole).toBeDefined();
    const at = Math.ceil((hole!.start + MiB) / MiB) * MiB;
    run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x5a ${at} ${8 * MiB}`, srcOverlay]);
    await clone.start();
    // A migration that fails on the target (an address it cannot listen on) leaves nothing
    // there and the source running.
    const before = (await pool2.volumes()).map((v) => v.name).sort();
    await expect(clone.migrate(c2, { uri: 'tcp://192.0.2.1:49999' })).rejects.toThrow();
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await clone.isActive()).toBe(true);
    // Aborted mid-way (capped at 1 MiB/s so it is still running): ABORTED, nothing left there.
    const ac = new AbortController();
    await expect(clone.migrate(c2, { uri: `tcp://127.0.0.1:${49_600 + ((process.pid + 7) % 300)}`, bandwidthMiBs: 1, signal: ac.signal, onProgress: (p) => p.step === 'migrate' && ac.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await clone.isActive()).toBe(true);
    const seen: MigrateProgress[] = [];
    const port = 49_600 + (process.pid % 300);
    const t0 = performance.now();
    const moved = await clone.migrate(c2, { live: true, undefineSource: true, uri: `tcp://127.0.0.1:${port}`, onProgress: (p) => seen.push(p) });
    const ms = performance.now() - t0;
    expect(await moved.isActive()).toBe(true);
    expect(moved.uuid).toBe(clone.uuid);
    // Its disk is an overlay in host 2's pool, backed by the replica's disk.
    const d = DomainXml.parse(await moved.xml()).disks[0]!;
    expect(d.path!.startsWith(dir2)).toBe(true);
    expect(d.backingStore[0]?.path).toBe(replicaDisk);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toContain(replicaDisk);
    // The record on host 2 names the new overlay; the source is gone with its overlay.
    const rec = parseTemplateMetadata((await moved.metadata(VIRTKIT_NS))!);
    expect(rec).toMatchObject({ role: 'clone', template: { uuid: tpl.uuid }, disks: [{ target: 'vda', path: d.path }] });
    expect(await c1.findDomain(clone.uuid)).toBeUndefined();
    expect(existsSync(srcOverlay)).toBe(false);
    // Bytes moved: the overlay's data, not the template's.
    const done = seen.find((p) => p.step === 'done');
    expect(done).toBeDefined();
    const tplBytes = statSync(tpl.disks[0]!.path).blocks * 512;
    const overlayBytes = statSync(d.path!).blocks * 512;
    console.log(JSON.stringify({ ms: Math.round(ms), done, templateDiskBytes: tplBytes, targetOverlayBytes: overlayBytes }));
    // The overlay's 8 MiB (and the guest's few writes) moved; not the template's data.
    // libvirt's job statistics may not count the NBD mirror (0 here): the target overlay's
    // allocation and content show what moved.
    expect(overlayBytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(overlayBytes).toBeLessThan(8 * MiB + tplBytes / 2);
    run('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P 0x5a ${at} ${8 * MiB}`, d.path!]);
    if (done!.diskProcessed) expect(done!.diskProcessed).toBeLessThan(8 * MiB + tplBytes / 2);
    // The guest finishes its boot on host 2 from the migrated disk: it prints its identity line
    // (read from that disk) and powers itself off.
    await moved.waitForState('shutoff', { timeoutMs: 180_000 });
    expect((await moved.state()).reason).toBe('shutdown');
    expect(await serialText(moved)).toContain(IDENTITY_TAG);
  }, 300_000);

  it('deploys a linked clone on host 2 from the replica that boots with its own identity', async () => {
    // Replicated already by the test above; again here so this test stands alone (an identical
    // replica copies nothing).
    await tpl.replicate(c2, { pool: pool2 });
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    expect(replicaDisk.startsWith(dir2)).toBe(true);
    const name = `${tag}-h2`;
    const dom = await replica.deploy({ name, mode: 'linked', identity: { hostname: 'h2web' }, start: true });
    expect(await c1.findDomain(name)).toBeUndefined();
    // Its disk is a qcow2 overlay in host 2's pool on the replica's disk, not on host 1's template.
    const d = DomainXml.parse(await dom.xml()).disks[0]!;
    expect(d.path).toBe(`${dir2}/${name}-vda.qcow2`);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toEqual([d.path, replicaDisk]);
    const info = JSON.parse(run('qemu-img', ['info', '-U', '--output=json', d.path!])) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(replicaDisk);
    expect(info['backing-filename-format']).toBe('qcow2');
    expect((await replica.clones()).map((c) => c.name)).toContain(name);
    // It boots on host 2 (the first-boot unit runs), prints its identity line and powers off.
    await dom.waitForState('shutoff', { timeoutMs: 240_000, intervalMs: 500 });
    expect((await dom.state()).reason).toBe('shutdown');
    const id = parseIdentity(await serialText(dom));
    console.log(`host 2 clone identity: ${JSON.stringify(id)}`);
    expect(id).toBeDefined();
    expect(id!.hostname).toBe('h2web');
    expect(id!['machine-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(id!['machine-id']).not.toBe(SOURCE_MACHINE_ID);
    expect(id!.hostkey).toMatch(/^SHA256:/);
    // Not the identity of the clone migrated to host 2 (it booted from the same template).
    const other = await c2.findDomain(`${tag}-c1`);
    expect(other).toBeDefined();
    const otherId = parseIdentity(await serialText(other!));
    expect(otherId).toBeDefined();
    expect(otherId!.hostname).not.toBe('h2web');
    expect(id!['machine-id']).not.toBe(otherId!['machine-id']);
    expect(id!.hostkey).not.toBe(otherId!.hostkey);
    // Removed with its overlay on host 2; the replica stays.
    await removeClone(c2, dom);
    expect(await c2.findDomain(name)).toBeUndefined();
    expect(existsSync(d.path!)).toBe(false);
    expect(existsSync(replicaDisk)).toBe(true);
  }, 300_000);
});
