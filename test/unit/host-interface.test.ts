import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, HostInterface, parseHostInterface } from '../../src/index.js';

const tag = `vkif${process.pid % 10000}`;

// The test driver's host has one interface: eth1, active, aa:bb:cc:dd:ee:ff, 192.168.0.5/24.
describe('HostInterface on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    for (const i of await conn.hostInterfaces()) {
      if (!i.name.startsWith(tag)) continue;
      if (await i.isActive()) await i.stop().catch(() => undefined);
      await i.undefine().catch(() => undefined);
    }
    await conn.close();
  });

  it('lists interfaces and looks one up by name and by MAC (any case)', async () => {
    const all = await conn.hostInterfaces();
    expect(all.map((i) => i.name)).toContain('eth1');
    expect((await conn.hostInterfaces({ active: true })).map((i) => i.name)).toContain('eth1');
    expect((await conn.hostInterfaces({ inactive: true })).map((i) => i.name)).not.toContain('eth1');
    const eth = await conn.hostInterface('eth1');
    expect(eth).toBeInstanceOf(HostInterface);
    expect(eth.mac).toBe('aa:bb:cc:dd:ee:ff');
    expect(await eth.isActive()).toBe(true);
    expect((await conn.hostInterface('AA:BB:CC:DD:EE:FF')).name).toBe('eth1');
    expect(inspect(eth)).toBe("HostInterface { name: 'eth1', mac: 'aa:bb:cc:dd:ee:ff' }");
    expect(await eth.xml()).toContain("<interface type='ethernet' name='eth1'>");
    expect(await eth.summary()).toEqual({
      name: 'eth1', type: 'ethernet', mac: 'aa:bb:cc:dd:ee:ff', mtu: 1492, startMode: 'onboot',
      addresses: [{ family: 'ipv4', address: '192.168.0.5', prefix: 24 }], dhcp: [], members: [],
    });
  });

  it('a missing interface is VIR_ERR_NO_INTERFACE, or undefined from findHostInterface', async () => {
    await expect(conn.hostInterface(`${tag}-none`)).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_INTERFACE' });
    await expect(conn.hostInterface('02:00:00:00:00:99')).rejects.toMatchObject({ code: 'VIR_ERR_NO_INTERFACE' });
    expect(await conn.findHostInterface(`${tag}-none`)).toBeUndefined();
  });

  it('defines, starts, stops and undefines an interface', async () => {
    const name = `${tag}b`;
    const i = await conn.defineHostInterface(`<interface type='bridge' name='${name}'>
  <start mode='none'/>
  <protocol family='ipv4'><dhcp/></protocol>
  <bridge stp='off'><interface type='ethernet' name='${tag}e'><mac address='52:54:00:fe:00:01'/></interface></bridge>
</interface>`);
    expect(i.name).toBe(name);
    expect(await i.isActive()).toBe(false);
    const s = await i.summary(); // the test driver takes no INACTIVE flag
    expect(s).toMatchObject({ type: 'bridge', startMode: 'none', dhcp: ['ipv4'], members: [`${tag}e`] });
    await i.start();
    expect(await i.isActive()).toBe(true);
    await i.stop();
    expect(await i.isActive()).toBe(false);
    await i.undefine();
    expect(await conn.findHostInterface(name)).toBeUndefined();
  });

  it('changeHostInterfaces commits what fn did, or rolls all of it back when fn throws', async () => {
    const xml = (n: string) => `<interface type='ethernet' name='${n}'><start mode='none'/><mac address='52:54:00:fe:00:02'/></interface>`;
    const boom = new Error('boom');
    const e = await conn
      .changeHostInterfaces(async () => {
        await conn.defineHostInterface(xml(`${tag}r`));
        expect(await conn.findHostInterface(`${tag}r`)).toBeDefined();
        throw boom;
      })
      .catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(await conn.findHostInterface(`${tag}r`)).toBeUndefined();
    expect((await conn.hostInterface('eth1')).mac).toBe('aa:bb:cc:dd:ee:ff');

    const made = await conn.changeHostInterfaces(() => conn.defineHostInterface(xml(`${tag}c`)));
    expect(made.name).toBe(`${tag}c`);
    expect(await conn.findHostInterface(`${tag}c`)).toBeDefined();
    await made.undefine();
    await expect(conn.changeHostInterfaces(42 as unknown as () => void)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'fn' } });
  });

  it('bad input is INVALID_ARGUMENT naming the argument, nothing defined', async () => {
    const before = (await conn.hostInterfaces()).length;
    await expect(conn.hostInterface('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'nameOrMac' } });
    await expect(conn.hostInterfaces({ active: 'yes' as unknown as boolean })).rejects.toMatchObject({ details: { argument: 'filter.active' } });
    await expect(conn.defineHostInterface('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'xml' } });
    await expect(conn.defineHostInterface('<interface')).rejects.toMatchObject({ name: 'VirtError' });
    const eth = await conn.hostInterface('eth1');
    await expect(eth.xml({ inactive: 1 as unknown as boolean })).rejects.toMatchObject({ details: { argument: 'opts.inactive' } });
    expect((await conn.hostInterfaces()).length).toBe(before);
  });
});

describe('parseHostInterface', () => {
  it('reads a bond and a VLAN, with IPv6 autoconf', () => {
    expect(parseHostInterface(`<interface type='bond' name='bond0'><start mode='onboot'/><mac address='52:54:00:AA:BB:CC'/>
      <protocol family='ipv6'><autoconf/><ip address='fd00::2' prefix='64'/></protocol>
      <bond mode='active-backup'><interface type='ethernet' name='eth0'/><interface type='ethernet' name='eth2'/></bond></interface>`))
      .toEqual({ name: 'bond0', type: 'bond', mac: '52:54:00:aa:bb:cc', mtu: undefined, startMode: 'onboot', addresses: [{ family: 'ipv6', address: 'fd00::2', prefix: 64 }], dhcp: ['ipv6'], members: ['eth0', 'eth2'] });
    expect(parseHostInterface(`<interface type='vlan' name='eth0.42'><vlan tag='42'><interface name='eth0'/></vlan></interface>`).members).toEqual(['eth0']);
  });
  it('refuses what is not an <interface>', () => {
    expect(() => parseHostInterface('<device/>')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
