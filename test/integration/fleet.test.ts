// Fleet.deployMany over three real daemons (the system libvirtd and two private ones, each with
// its own host_uuid): 12 clones spread across the hosts, the template replicated on demand, each
// clone an overlay on its own host's replica; a failure on one host undoes everything everywhere.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { Connection, Fleet, StoragePool, Template, type FleetProgress } from '../../src/index.js';
import { SYSTEM_URI, dropPool, ensureDaemon, removeTaggedOn, run, scratchPool } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';

const MiB = 2 ** 20;

describe('Fleet.deployMany across three daemons', () => {
  const tag = `vkfleet${process.pid}`;
  const src = `/var/lib/virtkit-test/fleet-src-${process.pid}`;
  let conns: Connection[] = [];
  const daemons: PrivateDaemon[] = [];
  const dirs: string[] = [];
  let poolName: string;
  let removePool1: () => Promise<void>;
  let tpl: Template;

  beforeAll(async () => {
    ensureDaemon();
    const c1 = await Connection.open(SYSTEM_URI);
    let pool1: StoragePool;
    ({ pool: pool1, remove: removePool1 } = await scratchPool(c1, 'fleet'));
    poolName = pool1.name;
    conns = [c1];
    for (const n of [2, 3]) {
      const d = await startPrivateDaemon({ tag: `fleet${n}` });
      daemons.push(d);
      const c = await Connection.open(d.uri);
      conns.push(c);
      const dir = `/var/lib/virtkit-test/fleet-h${n}-${process.pid}`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      dirs.push(dir);
      await c.createDirPool(poolName, dir, { autostart: false });
    }
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${src}/img.qcow2`, String(64 * MiB)]);
    tpl = await Template.import(c1, { name: `${tag}-tpl`, pool: pool1, image: `${src}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
  }, 300_000);

  afterAll(async () => {
    await removeTaggedOn([...conns].reverse(), tag);
    for (const c of conns.slice(1)) {
      await dropPool(await c.findPool(poolName).catch(() => undefined));
      await c.close();
    }
    for (const d of daemons) await d.stop();
    await removePool1?.();
    await conns[0]?.close();
    for (const d of [src, ...dirs]) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('refuses bad input before anything is made', async () => {
    expect(() => new Fleet([])).toThrow(/non-empty/);
    expect(() => new Fleet([conns[0]!, conns[0]!])).toThrow(/twice/);
    const fleet = new Fleet(conns);
    await expect(fleet.deployMany(tpl, [{ name: 'a' }, { name: 'a' }], { pool: poolName })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(fleet.deployMany(tpl, [{ name: `${tag}-x` }], { pool: 'no-such-pool' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(new Fleet(conns.slice(1)).deployMany(tpl, [{ name: `${tag}-x` }], { pool: poolName })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    for (const c of conns.slice(1)) expect(await c.findDomain(tpl.name)).toBeUndefined();
  });

  it('a failure on one host removes every clone and replica the call made, on every host', async () => {
    // A domain already named like the clone placed on host 3 makes that host's deploy fail.
    const blocker = `${tag}-b5`;
    const [, , c3] = conns;
    await c3!.defineDomain(`<domain type='qemu'><name>${blocker}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`);
    try {
      const specs = Array.from({ length: 6 }, (_, i) => ({ name: `${tag}-b${i}` }));
      const fleet = new Fleet(conns);
      const p = fleet.deployMany(tpl, specs, { pool: poolName, placement: (_s, hosts) => specs.indexOf(_s) % hosts.length });
      await expect(p).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      for (const c of conns) {
        const left = (await c.domains()).map((d) => d.name).filter((n) => n.startsWith(`${tag}-b`) && n !== blocker);
        expect(left).toEqual([]);
      }
      for (const c of conns.slice(1)) expect(await c.findDomain(tpl.name)).toBeUndefined();
    } finally {
      await (await c3!.domain(blocker)).undefine();
    }
  }, 180_000);

  it('12 clones spread over 3 hosts, each an overlay on its own host\'s replica', async () => {
    const events: FleetProgress[] = [];
    const specs = Array.from({ length: 12 }, (_, i) => ({ name: `${tag}-c${i}` }));
    const made = await new Fleet(conns).deployMany(tpl, specs, { pool: poolName, concurrency: 4, onProgress: (p) => events.push(p) });
    expect(made.map((m) => m.name)).toEqual(specs.map((s) => s.name));
    const perHost = conns.map((c) => made.filter((m) => m.connection === c).length);
    expect(perHost.reduce((a, b) => a + b)).toBe(12);
    // Placement follows free memory: hosts 2 and 3 run nothing, the system daemon may run others' guests.
    expect(perHost[1]).toBeGreaterThan(0);
    expect(perHost[2]).toBeGreaterThan(0);
    expect(Math.abs(perHost[1]! - perHost[2]!)).toBeLessThanOrEqual(1);
    expect(events.filter((e) => e.step === 'replicate').map((e) => e.host).sort()).toEqual([conns[1]!.uri, conns[2]!.uri].sort());
    expect(events.at(-1)).toMatchObject({ step: 'done', completed: 12, count: 12 });
    for (const m of made) {
      const t = await Template.get(m.connection, tpl.name);
      expect(t.uuid).toBe(tpl.uuid);
      const pool = await m.connection.pool(poolName);
      const chain = await (await pool.volume(`${m.name}-vda.qcow2`)).backingChain();
      expect(chain.at(-1)!.path).toBe(t.disks[0]!.path);
    }
    // Deploying more reuses the replicas (nothing replicated again).
    const again: FleetProgress[] = [];
    const more = await new Fleet(conns).deployMany(tpl, [{ name: `${tag}-d0` }, { name: `${tag}-d1` }, { name: `${tag}-d2` }], { pool: poolName, onProgress: (p) => again.push(p) });
    expect(more).toHaveLength(3);
    expect(again.filter((e) => e.step === 'replicate')).toHaveLength(0);
  }, 300_000);
});
