// Domain stats: the flat typed-parameter keys parsed into typed records (pure), and the calls on
// test:///default (whose driver reports the state group and the per-device counters).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, Domain } from '../../src/index.js';
import { parseStatsParams, statsFlags } from '../../src/domain/stats.js';

// A record as libvirt 9.0's QEMU driver sends it for a running guest with one NIC and a backed disk.
const QEMU_RECORD = {
  'state.state': 1, 'state.reason': 1,
  'cpu.time': 123456789012n, 'cpu.user': 1000000n, 'cpu.system': 2000000n,
  'balloon.current': 65536n, 'balloon.maximum': 131072n, 'balloon.rss': 50000n, 'balloon.last-update': 1700000000n,
  'vcpu.current': 2, 'vcpu.maximum': 4,
  'vcpu.0.state': 1, 'vcpu.0.time': 5000n, 'vcpu.0.wait': 7n, 'vcpu.0.halted': true,
  'vcpu.1.state': 1, 'vcpu.1.time': 6000n, 'vcpu.1.halted': false,
  'net.count': 1, 'net.0.name': 'vnet3', 'net.0.rx.bytes': 1500n, 'net.0.rx.pkts': 10n, 'net.0.rx.errs': 0n, 'net.0.rx.drop': 1n,
  'net.0.tx.bytes': 900n, 'net.0.tx.pkts': 8n, 'net.0.tx.errs': 0n, 'net.0.tx.drop': 0n,
  'block.count': 3,
  'block.0.name': 'vda', 'block.0.path': '/img/top.qcow2', 'block.0.backingIndex': 0, 'block.0.rd.reqs': 4n, 'block.0.rd.bytes': 4096n,
  'block.0.wr.reqs': 2n, 'block.0.wr.bytes': 1024n, 'block.0.fl.reqs': 1n, 'block.0.allocation': 200704n, 'block.0.capacity': 10485760n, 'block.0.physical': 200704n,
  'block.1.name': 'vda', 'block.1.path': '/img/base.qcow2', 'block.1.backingIndex': 1, 'block.1.capacity': 10485760n,
  // Index 10 sorts after 2 numerically, not as a string.
  'block.10.name': 'vdk',
  'block.2.name': 'vdb', 'block.2.path': '/img/data.raw', 'block.2.errors': 0n,
  'perf.cmt': 0n, 'iothread.count': 0,
};

describe('stats parsing (pure)', () => {
  it('maps flat keys to typed groups and per-device arrays in index order', () => {
    const s = parseStatsParams('D', QEMU_RECORD);
    expect(s.domain).toBe('D');
    expect(s.state).toEqual({ state: 'running', reason: 'booted' });
    expect(s.cpu).toEqual({ timeNs: 123456789012n, userNs: 1000000n, systemNs: 2000000n });
    expect(s.balloon).toEqual({ currentKiB: 65536, maximumKiB: 131072, rssKiB: 50000, lastUpdate: 1700000000 });
    expect(s.vcpu).toEqual({
      current: 2, maximum: 4,
      vcpus: [{ index: 0, state: 1, timeNs: 5000n, waitNs: 7n, halted: true }, { index: 1, state: 1, timeNs: 6000n, halted: false }],
    });
    expect(s.interfaces).toEqual([{ name: 'vnet3', rxBytes: 1500n, rxPackets: 10n, rxErrs: 0n, rxDrop: 1n, txBytes: 900n, txPackets: 8n, txErrs: 0n, txDrop: 0n }]);
    expect(s.block?.map((b) => [b.name, b.path, b.backingIndex])).toEqual([
      ['vda', '/img/top.qcow2', 0], ['vda', '/img/base.qcow2', 1], ['vdb', '/img/data.raw', undefined], ['vdk', undefined, undefined],
    ]);
    expect(s.block?.[0]).toMatchObject({ rdReqs: 4n, rdBytes: 4096n, wrReqs: 2n, wrBytes: 1024n, flReqs: 1n, allocation: 200704n, capacity: 10485760n });
    expect(s.block?.[0]).not.toHaveProperty('rdTimesNs');
    expect(s.raw['perf.cmt']).toBe(0n);
  });

  it('leaves out the groups that were not sent', () => {
    const s = parseStatsParams(1, { 'state.state': 5, 'state.reason': 2 });
    expect(s.state).toEqual({ state: 'shutoff', reason: 'destroyed' });
    for (const k of ['cpu', 'balloon', 'vcpu', 'interfaces', 'block'] as const) expect(s).not.toHaveProperty(k);
  });

  it('turns groups and flags into bits, refusing unknown ones', () => {
    expect(statsFlags({ groups: ['state', 'block'], backing: true }, false)).toEqual({ stats: 1 | 32, flags: 1 << 30 });
    expect(statsFlags({ running: true, enforce: true }, true)).toEqual({ stats: 0, flags: 16 + 2 ** 31 });
    // Domain filters mean nothing for a given list of domains: checked, not sent.
    expect(statsFlags({ running: true }, false).flags).toBe(0);
    expect(() => statsFlags({ groups: ['nope' as 'state'] }, false)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => statsFlags({ groups: 'state' as unknown as [] }, false)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => statsFlags({ running: 1 as unknown as boolean }, true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('stats on test:///default', () => {
  let conn: Connection;
  let test: Domain;
  let off: Domain;
  const name = `vk-stats-${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    test = await conn.domain('test');
    off = await conn.defineDomain(`<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  });
  afterAll(async () => {
    await off.undefine().catch(() => undefined);
    await conn.close();
  });

  it('dom.stats() gives the state group', async () => {
    const s = await test.stats();
    expect(s.state).toEqual({ state: 'running', reason: 'unknown' });
    expect(s.raw['state.state']).toBe(1);
    expect(await off.stats({ groups: ['state'] })).toMatchObject({ state: { state: 'shutoff' } });
  });

  it('conn.domainStats() covers every domain, a filter, or a list', async () => {
    const all = await conn.domainStats();
    expect((await conn.allDomainStats()).map((r) => r.domain.name)).toEqual(all.map((r) => r.domain.name));
    expect(all.map((r) => r.domain.name)).toEqual(expect.arrayContaining(['test', name]));
    expect(all.every((r) => r.domain instanceof Domain && r.state !== undefined)).toBe(true);
    const running = await conn.domainStats({ running: true, groups: ['state'] });
    expect(running.map((r) => r.domain.name)).toContain('test');
    expect(running.map((r) => r.domain.name)).not.toContain(name);
    const listed = await conn.domainStats([off]);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.domain.uuid).toBe(off.uuid);
    expect(listed[0]!.state?.state).toBe('shutoff');
    await expect(conn.domainStats([{} as Domain])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'domains[0]' } });
    await using other = await Connection.open('test:///default');
    await expect(conn.domainStats([off, await other.domain('test')])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'domains[1]' } });
    await expect(conn.domainStats({ groups: ['cpu'], enforce: true })).rejects.toMatchObject({ name: 'VirtError' });
  });

  it('memory, block and interface stats of one domain', async () => {
    const m = await test.memoryStats();
    expect(m.actualKiB).toBe((await test.info()).memoryKiB);
    expect(typeof m.rssKiB).toBe('number');
    const b = await test.blockStats('vda');
    expect(typeof b.rdBytes).toBe('bigint');
    expect(b.rdReqs! > 0n).toBe(true);
    const i = await test.interfaceStats('testnet0');
    expect(i.rxBytes! > 0n && i.txPackets! > 0n).toBe(true);
    await expect(test.blockStats('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(test.blockStats('vdz')).rejects.toMatchObject({ name: 'VirtError' });
    await expect(test.interfaceStats('x\0y')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
