// tpl.replicate() between two real daemons: the system libvirtd ("host 1") and a private libvirtd
// in its own mount namespace with its own host_uuid ("host 2"). Content identical and sparse,
// read-only there, records that know each other, nothing copied twice, an interrupted copy resumed,
// and deletion refused while the other host's clones use the template.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Connection, StoragePool, Template, VirtkitError, removeClone, type ReplicateProgress } from '../../src/index.js';
import { SYSTEM_URI, dropPool, ensureDaemon, removeTaggedOn, run, scratchPool } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';
import { readRecord, writeRecord } from '../../src/template/record.js';

const MiB = 2 ** 20;

describe('Template.replicate between two daemons', () => {
  let c1: Connection;
  let c2: Connection;
  let host2: PrivateDaemon;
  let pool1: StoragePool;
  let pool2: StoragePool;
  let remove1: () => Promise<void>;
  let tpl: Template;
  const tag = `vkrep${process.pid}`;
  const dir = `/var/lib/virtkit-test/replicate-src-${process.pid}`;
  const dir2 = `/var/lib/virtkit-test/replicate-h2-${process.pid}`;
  const qcow2 = `${dir}/img.qcow2`;

  beforeAll(async () => {
    ensureDaemon();
    c1 = await Connection.open(SYSTEM_URI);
    ({ pool: pool1, remove: remove1 } = await scratchPool(c1, 'replicate'));
    host2 = await startPrivateDaemon({ tag: 'replicate' });
    c2 = await Connection.open(host2.uri);
    rmSync(dir2, { recursive: true, force: true });
    mkdirSync(dir2, { recursive: true });
    pool2 = await c2.createDirPool(`${tag}-p2`, dir2, { autostart: false });
    // 256 MiB virtual, data at the start, in the middle and at the end, holes between.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const raw = `${dir}/img.raw`;
    const fd = openSync(raw, 'w');
    ftruncateSync(fd, 256 * MiB);
    writeSync(fd, randomBytes(24 * MiB), 0, 24 * MiB, 0);
    writeSync(fd, randomBytes(40 * MiB), 0, 40 * MiB, 100 * MiB);
    writeSync(fd, randomBytes(8 * MiB), 0, 8 * MiB, 248 * MiB);
    closeSync(fd);
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
    rmSync(raw);
    tpl = await Template.import(c1, { name: `${tag}-tpl`, pool: pool1, image: qcow2, seal: false, domain: { memoryMiB: 128, vcpus: 1, type: 'qemu', interfaces: [] } });
  }, 300_000);

  afterAll(async () => {
    await removeTaggedOn([c2, c1], tag);
    await dropPool(pool2);
    await c2?.close();
    await host2?.stop();
    await remove1?.();
    await c1?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dir2, { recursive: true, force: true });
  }, 120_000);

  it('refuses bad input and changes nothing', async () => {
    await expect(tpl.replicate({} as never, { pool: pool2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tpl.replicate(c2, { pool: 'no-such-pool' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(tpl.replicate(c1, { pool: pool1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(tpl.name)).toBeUndefined();
    expect(await pool2.volumes()).toHaveLength(0);
  });

  it('a template cannot be sealed on a pool this process does not share: REMOTE_DISKS before anything is made', async () => {
    // A pool under the private daemon's own /var/lib/libvirt: another directory than ours of that name.
    const p = await c2.createDirPool(`${tag}-own`, `/var/lib/libvirt/${tag}-own`, { autostart: false });
    try {
      await expect(Template.import(c2, { name: `${tag}-sealed`, pool: p, image: qcow2, seal: {}, domain: { type: 'qemu', interfaces: [] } }))
        .rejects.toMatchObject({ code: 'REMOTE_DISKS' });
      expect(await c2.findDomain(`${tag}-sealed`)).toBeUndefined();
      expect(await p.volumes()).toHaveLength(0);
    } finally {
      await p.stop().catch(() => undefined);
      await p.undefine().catch(() => undefined);
    }
  });

  it('with keepPartial: false, an aborted replication leaves nothing on the target', async () => {
    const ac = new AbortController();
    const p = tpl.replicate(c2, {
      pool: pool2, signal: ac.signal, keepPartial: false,
      onProgress: (e) => {
        if (e.step === 'copy' && (e.position ?? 0) > 8 * MiB) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await c2.findDomain(tpl.name)).toBeUndefined();
    await pool2.refresh();
    expect(await pool2.volumes()).toHaveLength(0);
  }, 120_000);

  it('an interrupted replication resumes from its checkpoint and ends identical', async () => {
    const ac = new AbortController();
    let seen = 0;
    const err = await tpl
      .replicate(c2, {
        pool: pool2,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.step === 'copy' && (p.position ?? 0) > 48 * MiB && !ac.signal.aborted) ac.abort();
          seen++;
        },
      })
      .then(() => undefined, (e: unknown) => e);
    expect(seen).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('ABORTED');
    const partial = await Template.get(c2, tpl.name);
    expect(partial.state).toBe('creating');
    const resumedFrom = partial.record.replication?.offset ?? 0;
    expect(resumedFrom).toBeGreaterThan(0);

    const events: ReplicateProgress[] = [];
    const r = await tpl.replicate(c2, { pool: pool2, onProgress: (p) => events.push(p) });
    expect(r.state).toBe('ready');
    expect(events.find((e) => e.step === 'copy')?.resumedAt).toBe(resumedFrom);
    // Resumed, not restarted: fewer data bytes moved than the disk holds.
    const done = events.at(-1)!;
    expect(done.step).toBe('done');
    expect(done.copied!).toBeLessThan(72 * MiB);

    // Same content (qemu-img compare reads both images), sparse, read-only, records that know each other.
    const [d1] = tpl.disks;
    const [d2] = r.disks;
    expect(d2!.path.startsWith(dir2)).toBe(true);
    run('qemu-img', ['compare', '-U', d1!.path, d2!.path]);
    const a1 = statSync(d1!.path).blocks * 512;
    const a2 = statSync(d2!.path).blocks * 512;
    expect(a2).toBeLessThanOrEqual(a1 * 1.1 + 2 * MiB);
    expect(statSync(d2!.path).mode & 0o222).toBe(0);
    await tpl.refresh();
    expect(tpl.disks[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(d2!.sha256).toBe(tpl.disks[0]!.sha256);
    expect(r.uuid).toBe(tpl.uuid);
    expect(r.replicaOf).toEqual({ host: (await c1.capabilities()).uuid, uri: c1.uri, uuid: tpl.uuid });
    expect(tpl.replicas).toEqual([{ host: host2.hostUuid, uri: c2.uri }]);
    expect((await Template.get(c2, tpl.name)).state).toBe('ready');
  }, 300_000);

  it('replicating again copies nothing', async () => {
    const events: ReplicateProgress[] = [];
    const r = await tpl.replicate(c2, { pool: pool2, onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.step)).toEqual(['done']);
    expect(events[0]!.copied).toBe(0);
    expect(r.state).toBe('ready');
  });

  it('a linked clone deploys on the replica; deleting the template on either host refuses while it exists', async () => {
    const r = await Template.get(c2, tpl.name);
    const clone = await r.deploy({ name: `${tag}-c2`, mode: 'linked' });
    const chain = await (await pool2.volume(`${tag}-c2-vda.qcow2`)).backingChain();
    expect(chain.at(-1)!.path).toBe(r.disks[0]!.path);
    const e1 = await tpl.delete({ connections: [c2] }).then(() => undefined, (e: unknown) => e);
    expect(e1).toMatchObject({ code: 'TEMPLATE_IN_USE' });
    expect(String((e1 as Error).message)).toContain(`${tag}-c2`);
    // Through its recorded URI too (a connection opened and closed by delete()).
    await expect(tpl.delete()).rejects.toMatchObject({ code: 'TEMPLATE_IN_USE' });
    expect((await Template.get(c1, tpl.name)).state).toBe('ready');
    await removeClone(c2, clone);
    await r.delete({ connections: [c1] });
    expect(await c2.findDomain(tpl.name)).toBeUndefined();
  }, 120_000);
  it("a fresh copy is verified segment by segment; verify: 'sent' checks the bytes sent against the record, and refuses a digest that does not match", async () => {
    await expect(tpl.replicate(c2, { pool: pool2, verify: 'bogus' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await c2.findDomain(tpl.name)).toBeUndefined();
    const events: ReplicateProgress[] = [];
    let r = await tpl.replicate(c2, { pool: pool2, onProgress: (p) => events.push(p) });
    const checks = events.filter((e) => e.step === 'verify' && e.disk === 'vda');
    expect(checks.length).toBeGreaterThan(1); // 72 MiB in 64 MiB segments
    expect(checks.at(-1)!.position).toBe(checks.at(-1)!.total);
    run('qemu-img', ['compare', '-U', tpl.disks[0]!.path, r.disks[0]!.path]);
    await r.delete({ localOnly: true });

    r = await tpl.replicate(c2, { pool: pool2, verify: 'sent' });
    expect(r.state).toBe('ready');
    run('qemu-img', ['compare', '-U', tpl.disks[0]!.path, r.disks[0]!.path]);
    expect(r.disks[0]!.sha256).toBe(tpl.disks[0]!.sha256);
    await r.delete({ localOnly: true });

    // The record holds the disk's digest by 64 MiB segment too, computed in the same pass.
    const rec = (await readRecord(tpl.domain))!;
    const good = rec.disks![0]!;
    expect(good.segments).toMatchObject({ size: 64 * MiB });
    expect(good.segments!.sha256).toHaveLength(Math.ceil(statSync(good.path).size / (64 * MiB)));
    // A record whose digests are not the disk's: the bytes sent do not match them.
    const zero = '0'.repeat(64);
    await writeRecord(tpl.domain, { ...rec, disks: rec.disks!.map((d) => ({ ...d, sha256: zero, segments: { size: d.segments!.size, sha256: d.segments!.sha256.map(() => zero) } })) });
    try {
      await tpl.refresh();
      const e = await tpl.replicate(c2, { pool: pool2, verify: 'sent', keepPartial: false }).then(() => undefined, (x: unknown) => x);
      expect(e).toMatchObject({ code: 'REPLICA_MISMATCH', details: { disk: 'vda', source: '0'.repeat(64) } });
      expect(await c2.findDomain(tpl.name)).toBeUndefined();
      await pool2.refresh();
      expect(await pool2.volumes()).toHaveLength(0);
      // A segment list that does not fit the file (the disk changed since it was hashed): refused
      // before anything is made on the target.
      await writeRecord(tpl.domain, { ...rec, disks: [{ ...good, segments: { size: good.segments!.size, sha256: good.segments!.sha256.slice(1) } }, ...rec.disks!.slice(1)] });
      await tpl.refresh();
      await expect(tpl.replicate(c2, { pool: pool2 })).rejects.toMatchObject({ code: 'IMAGE_CORRUPT', details: { disk: 'vda' } });
      expect(await c2.findDomain(tpl.name)).toBeUndefined();
      await pool2.refresh();
      expect(await pool2.volumes()).toHaveLength(0);
    } finally {
      await writeRecord(tpl.domain, { ...rec, disks: [good, ...rec.disks!.slice(1)] });
      await tpl.refresh();
    }
  }, 300_000);
  it('a qcow2 file with holes (metadata preallocated) moves one sparse segment at a time and lands identical and sparse', async () => {
    // The file is 192 MiB long but holds a few MiB: below DENSE, so not sent side by side (the
    // daemon's ftruncate over a hole would cut off a later stream's bytes).
    const holey = `${dir}/holey.qcow2`;
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'preallocation=metadata', holey, '192M']);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 3M', '-c', 'write -P 0x6b 130M 2M', holey]);
    const st = statSync(holey);
    expect(st.blocks * 512).toBeLessThan(st.size / 2);
    const t2 = await Template.import(c1, { name: `${tag}-holey`, pool: pool1, image: holey, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
    try {
      const events: ReplicateProgress[] = [];
      const r = await t2.replicate(c2, { pool: pool2, onProgress: (p) => events.push(p) });
      expect(events.filter((e) => e.step === 'verify' && e.disk === 'vda').length).toBeGreaterThan(2); // 3 segments of 64 MiB
      run('qemu-img', ['compare', '-U', t2.disks[0]!.path, r.disks[0]!.path]);
      run('cmp', [t2.disks[0]!.path, r.disks[0]!.path]);
      const [a, b] = [statSync(t2.disks[0]!.path), statSync(r.disks[0]!.path)];
      expect(b.size).toBe(a.size);
      expect(b.blocks).toBeLessThan(a.blocks * 1.5 + 2048); // sparse: not 192 MiB of zeroes
      await r.delete({ localOnly: true });
    } finally {
      await t2.delete({ localOnly: true });
    }
  }, 300_000);
});
