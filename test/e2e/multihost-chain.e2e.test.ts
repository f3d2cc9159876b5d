// The multi-host chain of issue 12 on three real daemons: the system libvirtd ("host 1") and two
// private ones ("host 2", sharing the network for live migration over loopback, and "host 3").
// A sealed template made on host 1 is replicated to host 2 (identical, sparse, read-only, records
// that know each other); a linked clone deployed there boots with its own identity while a clone
// running on host 1 live-migrates onto host 2's replica, moving only its overlay; deletion is
// refused on both hosts while those clones exist; a replication to host 3 interrupted past a
// checkpoint resumes from it; and one Fleet.deployMany puts 12 clones over the three hosts, each an
// overlay on its own host's copy of the template. (Replaces test/integration/migrate.test.ts.)
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import {
  Connection, Fleet, Template, VirtkitError, removeClone,
  type Domain, type FleetProgress, type MigrateProgress, type ReplicateProgress, type StoragePool,
} from '../../src/index.js';
import { Guest } from '../../src/guest/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VIRTKIT_NS, parseTemplateMetadata } from '../../src/xml/metadata.js';
import { SYSTEM_URI, dropPool, ensureDaemon, removeTaggedOn, run, scratchPool } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';
import { IDENTITY_TAG, buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';

const MiB = 2 ** 20;
// The tiny guest's machine-id before sealing (examples/lib/tiny-guest.ts).
const SOURCE_MACHINE_ID = '0123456789abcdef0123456789abcdef';
// A replication checkpoint (src/template/replicate.ts) is written LAG (8 MiB) behind the contiguous
// position once it is CHECKPOINT_EVERY (16 MiB) past the last one: the copy must pass ~24 MiB. The
// tiny guest's template disk file is only ~12 MiB (12,386,304 bytes measured), so a FILLER file
// goes into the source guest before the template is made: a template disk file of ~60 MiB, still
// one 64 MiB segment, with room for a checkpoint before its end.
const FILLER = 48 * MiB;
// Abort the interrupted copy here: past the first checkpoint (24 MiB), before the file's end.
const ABORT_AT = 32 * MiB;

type MapEntry = { start: number; length: number; data: boolean; offset?: number };

/** A MiB-aligned guest offset where the qcow2 at `path` holds `len` bytes of the filler (0x3c), read from the file itself. */
function fillerRange(path: string, len: number): number {
  const map = JSON.parse(run('qemu-img', ['map', '--output=json', '-f', 'qcow2', path])) as MapEntry[];
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(len);
    const want = Buffer.alloc(len, 0x3c);
    for (const m of map) {
      if (!m.data || m.offset === undefined) continue;
      // A map entry is one run of guest bytes at one run of file bytes.
      for (let at = Math.ceil(m.start / MiB) * MiB; at + len <= m.start + m.length; at += MiB) {
        readSync(fd, buf, 0, len, m.offset + (at - m.start));
        if (buf.equals(want)) return at;
      }
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}

describe('multi-host chain: template, replicas, migration, guards, resume, fleet', () => {
  const tag = `vkchain${process.pid}`;
  const dir2 = `/var/lib/virtkit-test/chain-h2-${process.pid}`;
  const dir3 = `/var/lib/virtkit-test/chain-h3-${process.pid}`;
  let c1: Connection;
  let c2: Connection;
  let c3: Connection;
  let host2: PrivateDaemon;
  let host3: PrivateDaemon;
  let pool1: StoragePool;
  let pool2: StoragePool;
  let pool3: StoragePool;
  let dir1: string;
  let remove1: () => Promise<void>;
  let tpl: Template;
  let clone: Domain; // deployed on host 1, migrated to host 2
  let moved: Domain; // that clone on host 2
  let h2: Domain; // deployed on host 2 from the replica
  const H2 = `${tag}-h2`;
  const serialText = async (d: Domain) => readFileSync(DomainXml.parse(await d.xml()).serials[0]!.path!, 'latin1').replace(/\0/g, '');

  beforeAll(async () => {
    ensureDaemon();
    c1 = await Connection.open(SYSTEM_URI);
    ({ pool: pool1, dir: dir1, remove: remove1 } = await scratchPool(c1, 'chain'));
    // Host 2 shares the network (live migration goes over loopback); no virtlogd in its namespace.
    [host2, host3] = await Promise.all([
      startPrivateDaemon({ tag: 'chain2', isolateNetwork: false, qemuConf: { stdio_handler: 'file' } }),
      startPrivateDaemon({ tag: 'chain3' }),
    ]);
    c2 = await Connection.open(host2.uri);
    c3 = await Connection.open(host3.uri);
    // One pool name on every host (Fleet.deployMany takes one name for all).
    for (const d of [dir2, dir3]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
    }
    pool2 = await c2.createDirPool(pool1.name, dir2, { autostart: false });
    pool3 = await c3.createDirPool(pool1.name, dir3, { autostart: false });
  }, 300_000);

  afterAll(async () => {
    await removeTaggedOn([c3, c2, c1], tag);
    for (const p of [pool2, pool3]) await dropPool(p);
    await c3?.close();
    await c2?.close();
    await host3?.stop();
    await host2?.stop();
    await remove1?.();
    await c1?.close();
    rmSync(dir2, { recursive: true, force: true });
    rmSync(dir3, { recursive: true, force: true });
  }, 120_000);

  it('1. a sealed template on host 1; migrating its clone before a replica exists refuses, changing nothing', async () => {
    const srcDisk = `${dir1}/${tag}-src.qcow2`;
    await buildTinyGuest({ path: srcDisk });
    // The filler (see FILLER): a file in the guest's file system (not in /tmp or /var/tmp, which
    // the seal empties), one more appliance launch.
    const g = await Guest.open({ drives: [{ path: srcDisk, format: 'qcow2' }] });
    try {
      await g.mount('/dev/sda1', '/');
      await g.mkdirP('/opt');
      await g.fill('/opt/filler.bin', FILLER, 0x3c);
      await g.shutdown();
    } finally {
      await g.close();
    }
    await pool1.refresh();
    const src = await c1.defineDomain(tinyGuestXml({ name: `${tag}-src`, disk: srcDisk, serialLog: `${dir1}/${tag}.log`, memoryMiB: 512 }));
    tpl = await Template.create(c1, { from: src, name: `${tag}-tpl`, pool: pool1, seal: { operations: 'defaults' } });
    expect(tpl.state).toBe('ready');
    const size = statSync(tpl.disks[0]!.path).size;
    console.log(`template disk file: ${size} bytes`);
    expect(size).toBeGreaterThan(ABORT_AT + 8 * MiB);
    clone = await tpl.deploy({ name: `${tag}-c1` });

    const err = await clone.migrate(c2).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(String((err as Error).message)).toContain('tpl.replicate');
    await expect(clone.migrate({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await c2.findDomain(tpl.name)).toBeUndefined();
    expect(await pool2.volumes()).toHaveLength(0);
    expect(await c1.findDomain(clone.uuid)).toBeDefined();
  }, 300_000);

  it('2. replicated to host 2: identical, sparse, read-only, records that know each other', async () => {
    const r = await tpl.replicate(c2, { pool: pool2 });
    expect(r.state).toBe('ready');
    const [d1] = tpl.disks;
    const [d2] = r.disks;
    expect(d2!.path.startsWith(`${dir2}/`)).toBe(true);
    // The guest's view (qemu-img compare) and the file's bytes (cmp) alike.
    run('qemu-img', ['compare', '-U', d1!.path, d2!.path]);
    run('cmp', [d1!.path, d2!.path]);
    const a1 = statSync(d1!.path).blocks * 512;
    const a2 = statSync(d2!.path).blocks * 512;
    expect(a2).toBeLessThanOrEqual(a1 * 1.1 + 2 * MiB);
    for (const d of r.disks) expect(statSync(d.path).mode & 0o222).toBe(0);
    await tpl.refresh();
    expect(tpl.disks[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The digest the record carries to the replica is the file's own.
    expect(createHash('sha256').update(readFileSync(d2!.path)).digest('hex')).toBe(tpl.disks[0]!.sha256);
    expect(d2!.sha256).toBe(tpl.disks[0]!.sha256);
    expect(r.uuid).toBe(tpl.uuid);
    expect(r.replicaOf).toEqual({ host: (await c1.capabilities()).uuid, uri: c1.uri, uuid: tpl.uuid });
    expect(tpl.replicas).toEqual([{ host: host2.hostUuid, uri: c2.uri }]);
    const found = await Template.get(c2, tpl.name);
    expect(found.state).toBe('ready');
    expect(found.disks[0]!.path).toBe(d2!.path);
  }, 120_000);

  it('3. a linked clone deploys on host 2 from the replica', async () => {
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    h2 = await replica.deploy({ name: H2, mode: 'linked', identity: { hostname: 'h2web' } });
    expect(await c1.findDomain(H2)).toBeUndefined();
    // Its disk is a qcow2 overlay in host 2's pool on the replica's disk, not on host 1's template.
    const d = DomainXml.parse(await h2.xml()).disks[0]!;
    expect(d.path).toBe(`${dir2}/${H2}-vda.qcow2`);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toEqual([d.path, replicaDisk]);
    const info = JSON.parse(run('qemu-img', ['info', '-U', '--output=json', d.path!])) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(replicaDisk);
    expect(info['backing-filename-format']).toBe('qcow2');
    expect((await replica.clones()).map((c) => c.name)).toEqual([H2]);
    // Started in step 4 as soon as the migration is done (the two boots overlap), checked in 4b.
    // Not before: with this guest booting on host 2 during the live migration, the migrated
    // guest's kernel oopsed on host 2 right after it (invalid opcode / kernel panic in its early
    // boot, TCG) in 3 runs of 3; with host 2 idle during the migration it never did.
  }, 120_000);

  it('4. a clone running on host 1 live-migrates to host 2, copying only its overlay onto the replica', async () => {
    // Shut off, a clone migrates only to a persistent definition (offline: test/integration/migrate-offline.test.ts).
    await expect(clone.migrate(c2, { persistent: false })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    const replicaDisk = (await Template.get(c2, tpl.name)).disks[0]!.path;
    const srcOverlay = DomainXml.parse(await clone.xml()).disks[0]!.path!;
    // Give the overlay known data, as a running guest's writes would: 8 MiB over the filler
    // file's blocks (found in the template's image: 8 MiB of 0x3c at one guest offset), so the
    // guest's file system stays whole and the guest still boots.
    const at = fillerRange(tpl.disks[0]!.path, 8 * MiB);
    expect(at).toBeGreaterThan(0);
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
    await expect(clone.migrate(c2, { uri: `tcp://127.0.0.1:${49_600 + ((process.pid + 7) % 300)}`, bandwidthMiBs: 1, signal: ac.signal, onProgress: (p) => p.step === 'migrate' && ac.abort() }))
      .rejects.toMatchObject({ code: 'ABORTED' });
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await clone.isActive()).toBe(true);
    const seen: MigrateProgress[] = [];
    const t0 = performance.now();
    moved = await clone.migrate(c2, { live: true, undefineSource: true, uri: `tcp://127.0.0.1:${49_600 + (process.pid % 300)}`, onProgress: (p) => seen.push(p) });
    const ms = performance.now() - t0;
    expect(await moved.isActive()).toBe(true);
    // Step 3's clone boots on host 2 while the migrated guest finishes its boot there.
    await h2.start();
    expect(moved.uuid).toBe(clone.uuid);
    // Its disk is an overlay in host 2's pool, backed by the replica's disk.
    const d = DomainXml.parse(await moved.xml()).disks[0]!;
    expect(d.path!.startsWith(`${dir2}/`)).toBe(true);
    expect(d.backingStore[0]?.path).toBe(replicaDisk);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toEqual([d.path, replicaDisk]);
    // The record on host 2 names the new overlay; the source is gone with its overlay.
    const rec = parseTemplateMetadata((await moved.metadata(VIRTKIT_NS))!);
    expect(rec).toMatchObject({ role: 'clone', template: { uuid: tpl.uuid }, disks: [{ target: 'vda', path: d.path }] });
    expect(await c1.findDomain(clone.uuid)).toBeUndefined();
    expect(existsSync(srcOverlay)).toBe(false);
    // Bytes moved: the overlay's 8 MiB (and the guest's few writes), not the template's data.
    // libvirt's job statistics may not count the NBD mirror (0 here): the target overlay's
    // allocation and content show what moved.
    const done = seen.find((p) => p.step === 'done');
    expect(done).toBeDefined();
    const tplBytes = statSync(tpl.disks[0]!.path).blocks * 512;
    const overlayBytes = statSync(d.path!).blocks * 512;
    console.log(JSON.stringify({ ms: Math.round(ms), done, templateDiskBytes: tplBytes, targetOverlayBytes: overlayBytes }));
    expect(overlayBytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(overlayBytes).toBeLessThan(8 * MiB + tplBytes / 2);
    run('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P 0x5a ${at} ${8 * MiB}`, d.path!]);
    if (done!.diskProcessed) expect(done!.diskProcessed).toBeLessThan(8 * MiB + tplBytes / 2);
    expect((await (await Template.get(c2, tpl.name)).clones()).map((c) => c.name).sort()).toEqual([`${tag}-c1`, H2]);
    expect(await tpl.clones()).toHaveLength(0);
  }, 300_000);

  it('4b. both guests finish booting on host 2: the migrated one from its moved disk, the deployed one with its own identity', async () => {
    await Promise.all([
      moved.waitForState('shutoff', { timeoutMs: 240_000, intervalMs: 500 }),
      h2.waitForState('shutoff', { timeoutMs: 240_000, intervalMs: 500 }),
    ]);
    // Each prints its identity line (read from its disk) and powers itself off.
    expect((await moved.state()).reason).toBe('shutdown');
    expect((await h2.state()).reason).toBe('shutdown');
    const movedText = await serialText(moved);
    expect(movedText).toContain(IDENTITY_TAG);
    const id = parseIdentity(await serialText(h2));
    console.log(`host 2 clone identity: ${JSON.stringify(id)}`);
    expect(id).toBeDefined();
    expect(id!.hostname).toBe('h2web');
    expect(id!['machine-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(id!['machine-id']).not.toBe(SOURCE_MACHINE_ID);
    expect(id!.hostkey).toMatch(/^SHA256:/);
    // Not the identity of the migrated clone (it booted from the same template).
    const otherId = parseIdentity(movedText);
    expect(otherId).toBeDefined();
    expect(otherId!.hostname).not.toBe('h2web');
    expect(id!['machine-id']).not.toBe(otherId!['machine-id']);
    expect(id!.hostkey).not.toBe(otherId!.hostkey);
  }, 300_000);

  it('5. deleting the template on host 1 or the replica on host 2 refuses while the clones exist', async () => {
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    const names = [`${tag}-c1`, H2];
    // Host 1: no clone there, but host 2's count (through c2, and through the recorded URI).
    const e1 = await tpl.delete({ connections: [c2] }).then(() => undefined, (e: unknown) => e);
    expect(e1).toMatchObject({ code: 'TEMPLATE_IN_USE' });
    for (const n of names) expect(String((e1 as Error).message)).toContain(n);
    await expect(tpl.delete()).rejects.toMatchObject({ code: 'TEMPLATE_IN_USE' });
    // Host 2: its own clones refuse, localOnly or not (localOnly skips only other hosts' clones).
    for (const o of [{ connections: [c1] }, { localOnly: true }]) {
      const e2 = await replica.delete(o).then(() => undefined, (e: unknown) => e);
      expect(e2).toMatchObject({ code: 'TEMPLATE_IN_USE', details: { clones: names } });
    }
    expect((await Template.get(c1, tpl.name)).state).toBe('ready');
    expect((await Template.get(c2, tpl.name)).state).toBe('ready');
    expect(existsSync(replicaDisk)).toBe(true);

    // The host-2 clones removed with their overlays; the replica stays.
    for (const n of names) {
      const d = (await c2.findDomain(n))!;
      const overlay = DomainXml.parse(await d.xml()).disks[0]!.path!;
      await removeClone(c2, d);
      expect(await c2.findDomain(n)).toBeUndefined();
      expect(existsSync(overlay)).toBe(false);
    }
    expect(existsSync(replicaDisk)).toBe(true);
    // Template.delete (src/template/template.ts): a host's own clones always refuse; clones on the
    // other hosts of its record refuse unless localOnly. With a clone on host 1 only, the replica's
    // delete refuses, naming it; with localOnly it goes (host 1's clone keeps host 1's template).
    const g1 = await tpl.deploy({ name: `${tag}-g1` });
    const e3 = await replica.delete({ connections: [c1] }).then(() => undefined, (e: unknown) => e);
    expect(e3).toMatchObject({ code: 'TEMPLATE_IN_USE', details: { remote: [{ uri: c1.uri, clones: [`${tag}-g1`] }] } });
    expect(existsSync(replicaDisk)).toBe(true);
    await replica.delete({ localOnly: true });
    await expect(Template.get(c2, tpl.name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(replicaDisk)).toBe(false);
    await pool2.refresh();
    expect(await pool2.volumes()).toHaveLength(0);
    expect((await Template.get(c1, tpl.name)).state).toBe('ready');
    await removeClone(c1, g1);
    expect(await tpl.clones()).toHaveLength(0);
  }, 120_000);

  it('6. an interrupted replication to host 3 resumes from its checkpoint and ends identical', async () => {
    const size = statSync(tpl.disks[0]!.path).size;
    // Copy progress comes at most every 100 ms: the local upload of this ~60 MiB file can finish
    // within one period, so the abort may land at the upload's end, in its read-back (seen:
    // abortedAt = the file size). Either way the replica stays 'creating' with its checkpoint.
    const ac = new AbortController();
    let abortedAt = 0;
    const err = await tpl
      .replicate(c3, {
        pool: pool3,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.step === 'copy' && (p.position ?? 0) > ABORT_AT && !ac.signal.aborted) {
            abortedAt = p.position!;
            ac.abort();
          }
        },
      })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('ABORTED');
    expect(abortedAt).toBeGreaterThan(ABORT_AT);
    const partial = await Template.get(c3, tpl.name);
    expect(partial.state).toBe('creating');
    const resumedFrom = partial.record.replication?.offset ?? 0;
    console.log(JSON.stringify({ diskFileBytes: size, abortedAt, checkpoint: resumedFrom }));
    // A checkpoint: 16 MiB or more, 8 MiB (LAG) or more behind where the copy was stopped.
    expect(resumedFrom).toBeGreaterThanOrEqual(16 * MiB);
    expect(resumedFrom).toBeLessThanOrEqual(abortedAt - 8 * MiB);

    const events: ReplicateProgress[] = [];
    const r = await tpl.replicate(c3, { pool: pool3, onProgress: (p) => events.push(p) });
    expect(r.state).toBe('ready');
    expect(events.find((e) => e.step === 'copy')?.resumedAt).toBe(resumedFrom);
    // Resumed, not restarted: fewer data bytes moved than the disk's file holds.
    const done = events.at(-1)!;
    expect(done.step).toBe('done');
    expect(done.copied!).toBeGreaterThan(0);
    expect(done.copied!).toBeLessThan(size);
    const d3 = r.disks[0]!;
    expect(d3.path.startsWith(`${dir3}/`)).toBe(true);
    run('qemu-img', ['compare', '-U', tpl.disks[0]!.path, d3.path]);
    run('cmp', [tpl.disks[0]!.path, d3.path]);
    expect(statSync(d3.path).mode & 0o222).toBe(0);
    expect(d3.sha256).toBe(tpl.disks[0]!.sha256);
    expect(r.replicaOf).toEqual({ host: (await c1.capabilities()).uuid, uri: c1.uri, uuid: tpl.uuid });
    await tpl.refresh();
    expect(tpl.replicas).toContainEqual({ host: host3.hostUuid, uri: c3.uri });
  }, 120_000);

  it('7. Fleet.deployMany puts 12 clones over the 3 hosts, each an overlay on its own host\'s copy', async () => {
    const conns = [c1, c2, c3];
    const specs = Array.from({ length: 12 }, (_, i) => ({ name: `${tag}-f${i}` }));
    const events: FleetProgress[] = [];
    // Round robin, not the default placement: that one goes by free memory, and host 1 (the system
    // daemon, shared with whatever else runs guests there) may have less than the two private
    // daemons, which report the same machine's memory and run nothing: it could get no clone.
    const made = await new Fleet(conns).deployMany(tpl, specs, {
      pool: pool1.name,
      concurrency: 4,
      placement: (_s, hosts) => hosts.reduce((best, h) => (h.placed < best.placed ? h : best)).index,
      onProgress: (p) => events.push(p),
    });
    expect(made.map((m) => m.name)).toEqual(specs.map((s) => s.name));
    expect(conns.map((c) => made.filter((m) => m.connection === c).length)).toEqual([4, 4, 4]);
    // Host 2's replica was deleted in step 5: replicated again; host 3's (step 6) is reused.
    expect(events.filter((e) => e.step === 'replicate').map((e) => e.host)).toEqual([c2.uri]);
    expect(events.at(-1)).toMatchObject({ step: 'done', completed: 12, count: 12 });
    const dirs = new Map<Connection, string>([[c1, dir1], [c2, dir2], [c3, dir3]]);
    for (const m of made) {
      const t = await Template.get(m.connection, tpl.name);
      expect(t.uuid).toBe(tpl.uuid);
      expect(t.state).toBe('ready');
      const base = t.disks[0]!.path;
      expect(base.startsWith(`${dirs.get(m.connection)}/`)).toBe(true);
      const overlay = `${dirs.get(m.connection)}/${m.name}-vda.qcow2`;
      expect(DomainXml.parse(await m.domain.xml()).disks[0]!.path).toBe(overlay);
      const chain = await (await m.connection.volumeByPath(overlay)).backingChain();
      expect(chain.map((l) => l.path)).toEqual([overlay, base]);
    }
    run('qemu-img', ['compare', '-U', tpl.disks[0]!.path, (await Template.get(c2, tpl.name)).disks[0]!.path]);

    for (const m of made) await removeClone(m.connection, m.domain);
    for (const c of conns) {
      expect((await c.domains()).map((d) => d.name).filter((n) => n.startsWith(`${tag}-f`))).toEqual([]);
      expect(await (await Template.get(c, tpl.name)).clones()).toHaveLength(0);
    }
    for (const m of made) expect(existsSync(`${dirs.get(m.connection)}/${m.name}-vda.qcow2`)).toBe(false);
  }, 300_000);
});
