// IPv6 reservations on test:///default networks: a DHCPv6 host entry names the MAC's DUID-LL
// (libvirt's IPv6 <host> has no mac), picked from the IPv6 DHCP range, released by MAC, and
// every refusal leaves the network as it was.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, type Network, type NetworkSpec } from '../../src/index.js';
import { duidLL, macOfDuid } from '../../src/net/duid.js';
import { removeNetworks } from '../helpers/networks.js';

const tag = `vk-net6-${process.pid}`;
const dual = (name: string, n: number, v6end = `fd00:${n}::1f`): NetworkSpec => ({
  name,
  mode: 'nat',
  bridge: `vk6b${n}`,
  ipv4: { address: `10.${n}.0.1`, prefix: 24, dhcp: { ranges: [{ start: `10.${n}.0.10`, end: `10.${n}.0.20` }] } },
  ipv6: { address: `fd00:${n}::1`, prefix: 64, dhcp: { ranges: [{ start: `fd00:${n}::10`, end: v6end }] } },
});
const M1 = '52:54:00:66:00:01';
const M2 = '52:54:00:66:00:02';
const M3 = '52:54:00:66:00:03';

describe('IPv6 reservations on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await removeNetworks(conn, tag);
    await conn.close();
  });

  it('DUID-LL of a MAC, and back', () => {
    expect(duidLL('52:54:00:AA:bb:01')).toBe('00:03:00:01:52:54:00:aa:bb:01');
    expect(macOfDuid('00:03:00:01:52:54:00:AA:BB:01')).toBe('52:54:00:aa:bb:01');
    expect(macOfDuid('00:01:00:01:2a:3b:4c:5d:52:54:00:aa:bb:01')).toBeUndefined(); // a DUID-LLT
    expect(macOfDuid(undefined)).toBeUndefined();
    expect(() => duidLL('nope')).toThrow(/MAC/);
  });

  it('reserves the lowest free IPv6 address by DUID-LL, beside an IPv4 one of the same MAC and name; release removes both', async () => {
    const net = await conn.createNetwork(dual(`${tag}-a`, 61));
    const r6 = await net.reserve({ mac: M1, family: 'ipv6', hostname: 'web1' });
    expect(r6).toEqual({ mac: M1, ip: 'fd00:61::10', hostname: 'web1', family: 'ipv6', id: duidLL(M1) });
    const r4 = await net.reserve({ mac: M1, hostname: 'web1' });
    expect(r4).toEqual({ mac: M1, ip: '10.61.0.10', hostname: 'web1', family: 'ipv4' });
    // an explicit IPv6 address says the family by itself
    expect(await net.reserve({ mac: M2, ip: 'fd00:61::1e' })).toMatchObject({ ip: 'fd00:61::1e', family: 'ipv6', id: duidLL(M2) });
    const x = await net.xml();
    expect(x).toContain(`<host id='${duidLL(M1)}' name='web1' ip='fd00:61::10'/>`);
    expect(x).toContain(`<host mac='${M1}' name='web1' ip='10.61.0.10'/>`);
    const x6 = (await net.parsed()).ips.find((i) => i.family === 'ipv6')!;
    expect(x6.hosts.map((h) => h.ip)).toEqual(['fd00:61::10', 'fd00:61::1e']);
    expect(await net.reservations()).toEqual([
      { family: 'ipv4', ip: '10.61.0.10', mac: M1, hostname: 'web1' },
      { family: 'ipv6', ip: 'fd00:61::10', mac: M1, hostname: 'web1', id: duidLL(M1) },
      { family: 'ipv6', ip: 'fd00:61::1e', mac: M2, hostname: undefined, id: duidLL(M2) },
    ]);
    // an entry someone else made by name only is no MAC's, and survives releases
    await net.update('add-last', 'ip-dhcp-host', "<host name='other' ip='fd00:61::11'/>", { parentIndex: (await net.parsed()).dhcpIndex('ipv6') });
    expect(await net.reserve({ mac: M3, family: 'ipv6' })).toMatchObject({ ip: 'fd00:61::12' });
    await net.release(M1);
    expect((await net.reservations()).map((r) => [r.family, r.ip, r.mac])).toEqual([
      ['ipv6', 'fd00:61::1e', M2],
      ['ipv6', 'fd00:61::11', undefined],
      ['ipv6', 'fd00:61::12', M3],
    ]);
    await net.release(M1); // no-op
    await net.release(M2);
    await net.release(M3);
    expect((await net.reservations()).map((r) => r.hostname)).toEqual(['other']);
    await net.stop();
  });

  it('refuses bad input, a taken address, a MAC reserved twice, a taken name and a full range, changing nothing', async () => {
    const net = await conn.createNetwork(dual(`${tag}-b`, 62, 'fd00:62::11'));
    await net.reserve({ mac: M1, family: 'ipv6', hostname: 'h1' });
    const before = await net.xml();
    const refusals: [Parameters<Network['reserve']>[0], string][] = [
      [{ mac: M2, family: 'ipx' as never }, 'INVALID_ARGUMENT'],
      [{ mac: M2, family: 'ipv4', ip: 'fd00:62::11' }, 'INVALID_ARGUMENT'],
      [{ mac: M2, family: 'ipv6', ip: '10.62.0.10' }, 'INVALID_ARGUMENT'],
      [{ mac: M2, ip: 'fd00:62::zz' }, 'INVALID_ARGUMENT'],
      [{ mac: M2, ip: 'fd00:62::99' }, 'INVALID_ARGUMENT'], // outside the range
      [{ mac: M2, ip: 'fd00:62::10' }, 'ADDRESS_IN_USE'],
      [{ mac: M1, family: 'ipv6' }, 'ALREADY_EXISTS'],
      [{ mac: M2, family: 'ipv6', hostname: 'h1' }, 'ALREADY_EXISTS'], // libvirt refuses one name twice
    ];
    for (const [o, code] of refusals) await expect(net.reserve(o), JSON.stringify(o)).rejects.toMatchObject({ code });
    expect(await net.xml()).toBe(before);
    await net.reserve({ mac: M2, family: 'ipv6' }); // the last address
    const full = await net.xml();
    const e = await net.reserve({ mac: M3, family: 'ipv6' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ADDRESS_RANGE_FULL', details: { family: 'ipv6', size: 2 } });
    expect(await net.xml()).toBe(full);
    // the IPv4 range is another matter
    expect(await net.reserve({ mac: M3 })).toMatchObject({ family: 'ipv4', ip: '10.62.0.10' });
    await net.stop();
  });

  it('an IPv4-only network has no IPv6 range to reserve in; an inactive one gets the entry in its config', async () => {
    const v4 = await conn.createNetwork({ ...dual(`${tag}-c`, 63), ipv6: undefined });
    await expect(v4.reserve({ mac: M1, family: 'ipv6' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await v4.reservations()).toEqual([]);
    await v4.stop();

    const off = await conn.defineNetwork(dual(`${tag}-d`, 64));
    expect(await off.isActive()).toBe(false);
    await off.reserve({ mac: M1, family: 'ipv6' });
    expect(await off.xml()).toContain(`<host id='${duidLL(M1)}' ip='fd00:64::10'/>`);
    await off.release(M1);
    expect(await off.reservations()).toEqual([]);
  });
});
