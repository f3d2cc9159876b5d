import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, Network, VirtkitError, VirtError, type NetworkSpec } from '../../src/index.js';
import { removeNetworks } from '../helpers/networks.js';

const tag = `vk-net-${process.pid}`;
const spec = (name: string, third: number, ranges = [{ start: `10.${third}.0.10`, end: `10.${third}.0.20` }]): NetworkSpec => ({
  name,
  mode: 'nat',
  bridge: `vkb${third}`,
  ipv4: { address: `10.${third}.0.1`, prefix: 24, dhcp: { ranges } },
});

describe('Network on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await removeNetworks(conn, tag);
    await conn.close();
  });

  it('finds the default network by name and UUID, and lists it', async () => {
    const net = await conn.network('default');
    expect(net).toBeInstanceOf(Network);
    expect((await conn.network(net.uuid)).name).toBe('default');
    expect((await conn.networks()).map((n) => n.name)).toContain('default');
    expect((await conn.networks({ active: true })).map((n) => n.name)).toContain('default');
    expect((await conn.networks({ inactive: true })).map((n) => n.name)).not.toContain('default');
    const info = await net.info();
    expect(info.active).toBe(true);
    expect(info.persistent).toBe(true);
    expect(inspect(net)).toContain("name: 'default'");
    expect((await net.parsed()).ips[0]?.ranges.length).toBeGreaterThan(0);
    expect(await conn.findNetwork(`${tag}-none`)).toBeUndefined();
    await expect(conn.network(`${tag}-none`)).rejects.toMatchObject({ code: 'VIR_ERR_NO_NETWORK' });
  });

  it('defines, starts, stops and undefines a network from a spec; creates a transient one', async () => {
    const net = await conn.defineNetwork(spec(`${tag}-def`, 51));
    expect(await net.isActive()).toBe(false);
    expect(await net.isPersistent()).toBe(true);
    const x = await net.parsed();
    expect(x.mode).toBe('nat');
    expect(x.ips[0]).toMatchObject({ address: '10.51.0.1', prefix: 24, ranges: [{ start: '10.51.0.10', end: '10.51.0.20' }] });
    await net.start();
    expect(await net.isActive()).toBe(true);
    await net.setAutostart(true);
    expect(await net.autostart()).toBe(true);
    await net.stop();
    await net.undefine();
    expect(await conn.findNetwork(`${tag}-def`)).toBeUndefined();

    const tr = await conn.createNetwork(spec(`${tag}-tr`, 52));
    expect(await tr.isActive()).toBe(true);
    expect(await tr.isPersistent()).toBe(false);
    await tr.stop();
    expect(await conn.findNetwork(`${tag}-tr`)).toBeUndefined();
  });

  it('reserves and releases through the XML, live and config', async () => {
    const net = await conn.defineNetwork(spec(`${tag}-res`, 53));
    await net.start();
    const a = await net.reserve({ mac: '52:54:00:AA:00:01', hostname: 'web1' });
    expect(a).toEqual({ mac: '52:54:00:aa:00:01', ip: '10.53.0.10', hostname: 'web1', family: 'ipv4' });
    const b = await net.reserve({ mac: '52:54:00:aa:00:02', ip: 'auto' });
    expect(b.ip).toBe('10.53.0.11');
    const c = await net.reserve({ mac: '52:54:00:aa:00:03', ip: '10.53.0.15', hostname: 'web3' });
    expect(c.ip).toBe('10.53.0.15');
    // a batch in flight: excluded addresses are skipped
    const d = await net.reserve({ mac: '52:54:00:aa:00:04', exclude: ['10.53.0.12'] });
    expect(d.ip).toBe('10.53.0.13');
    expect(await net.reservations()).toEqual([
      { family: 'ipv4', ip: '10.53.0.10', mac: '52:54:00:aa:00:01', hostname: 'web1' },
      { family: 'ipv4', ip: '10.53.0.11', mac: '52:54:00:aa:00:02', hostname: undefined },
      { family: 'ipv4', ip: '10.53.0.15', mac: '52:54:00:aa:00:03', hostname: 'web3' },
      { family: 'ipv4', ip: '10.53.0.13', mac: '52:54:00:aa:00:04', hostname: undefined },
    ]);
    // concurrent reserves of one process get distinct addresses
    const many = await Promise.all([5, 6, 7].map((i) => net.reserve({ mac: `52:54:00:aa:00:0${i}` })));
    expect(new Set(many.map((r) => r.ip)).size).toBe(3);

    await net.release('52:54:00:aa:00:01');
    await net.release('52:54:00:aa:00:01'); // idempotent
    const left = await net.reservations();
    expect(left.map((r) => r.mac)).not.toContain('52:54:00:aa:00:01');
    // the freed address is the next one given
    expect((await net.reserve({ mac: '52:54:00:aa:00:08' })).ip).toBe('10.53.0.10');
  });

  it('reserves in the config of an inactive network', async () => {
    const net = await conn.defineNetwork(spec(`${tag}-off`, 54));
    const r = await net.reserve({ mac: '52:54:00:bb:00:01' });
    expect(r.ip).toBe('10.54.0.10');
    expect((await net.reservations()).map((h) => h.ip)).toEqual(['10.54.0.10']);
    await net.release(r.mac);
    expect(await net.reservations()).toEqual([]);
  });

  it('a full range is ADDRESS_RANGE_FULL; a taken ip, a reserved MAC and a taken name are refused', async () => {
    const net = await conn.createNetwork(spec(`${tag}-full`, 55, [{ start: '10.55.0.10', end: '10.55.0.11' }]));
    await net.reserve({ mac: '52:54:00:cc:00:01', hostname: 'one' });
    await net.reserve({ mac: '52:54:00:cc:00:02' });
    const before = await net.xml();
    await expect(net.reserve({ mac: '52:54:00:cc:00:03' })).rejects.toMatchObject({ code: 'ADDRESS_RANGE_FULL' });
    await expect(net.reserve({ mac: '52:54:00:cc:00:03', ip: '10.55.0.10' })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await expect(net.reserve({ mac: '52:54:00:cc:00:01' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await net.release('52:54:00:cc:00:02');
    await expect(net.reserve({ mac: '52:54:00:cc:00:04', hostname: 'one' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect((await net.reservations()).map((r) => r.mac)).toEqual(['52:54:00:cc:00:01']);
    expect(before).toContain('52:54:00:cc:00:02');
    await net.stop();
  });

  it('update: a DNS host added and deleted; bad input refused, nothing changed', async () => {
    const net = await conn.defineNetwork(spec(`${tag}-upd`, 61));
    await net.start();
    const host = `<host ip='10.61.0.5'><hostname>web1</hostname></host>`;
    await net.update('add-last', 'dns-host', host);
    // (the test driver has no VIR_NETWORK_XML_INACTIVE: the live XML only)
    expect(await net.xml()).toMatch(/<hostname>web1<\/hostname>/);
    const before = await net.xml();
    for (const [c, sec, x, o] of [
      ['append', 'dns-host', host, {}],
      ['add-last', 'dns-hosts', host, {}],
      ['add-last', 'dns-host', '<host ip=1>', {}],
      ['add-last', 'dns-host', host, { parentIndex: -2 }],
      ['add-last', 'dns-host', host, { live: 'yes' }],
    ] as const)
      await expect(net.update(c as never, sec as never, x, o as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await net.xml()).toBe(before);
    await net.update('delete', 'dns-host', host, { live: true, config: true });
    expect(await net.xml()).not.toMatch(/web1/);
    await expect(net.createPort('<domain/>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(net.port('not-a-uuid')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await net.stop();
    await net.undefine();
  });

  it('bad input is refused with INVALID_ARGUMENT and nothing changed', async () => {
    const names = async () => (await conn.networks()).map((n) => n.name).sort();
    const start = await names();
    const bad: unknown[] = [
      { ...spec(`${tag}-bad`, 56), mode: 'warp' },
      { ...spec(`${tag}-bad`, 56), ipv4: { address: '10.56.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.57.0.1', end: '10.57.0.9' }] } } },
      { ...spec(`${tag}-bad`, 56), name: 'a/b' },
      { ...spec(`${tag}-bad`, 56), extra: 1 },
    ];
    for (const s of bad) {
      await expect(conn.defineNetwork(s as NetworkSpec)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(conn.createNetwork(s as NetworkSpec)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(conn.defineNetwork('  ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.defineNetwork('<network><name>x</name>')).rejects.toBeInstanceOf(VirtError);
    expect(await names()).toEqual(start);

    const net = await conn.createNetwork(spec(`${tag}-badres`, 58));
    const xml = await net.xml();
    for (const o of [
      { mac: 'nope' },
      { mac: '01:00:5e:00:00:01' },
      { mac: '52:54:00:dd:00:01', ip: '10.99.0.5' },
      { mac: '52:54:00:dd:00:01', ip: '10.58.0.200' },
      { mac: '52:54:00:dd:00:01', ip: 'fe80::1' },
      { mac: '52:54:00:dd:00:01', ip: 'banana' },
      { mac: '52:54:00:dd:00:01', hostname: 'bad host' },
      undefined,
    ]) {
      const e = await net.reserve(o as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VirtkitError);
      expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(net.release('zz')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await net.xml()).toBe(xml);
    // a network without DHCP has nothing to reserve in
    const plain = await conn.createNetwork({ name: `${tag}-nodhcp`, mode: 'isolated', bridge: 'vkb59', ipv4: { address: '10.59.0.1', prefix: 24 } });
    await expect(plain.reserve({ mac: '52:54:00:dd:00:01' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await plain.stop();
    await net.stop();
  });
});
