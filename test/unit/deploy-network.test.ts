// Deploy with an address on libvirt's test driver (the real network driver is
// test/integration/deploy-network.test.ts): the record's <reservations> round trip, a NIC moved
// onto a network by the clone transform, the logical-pool path (a definition without disks, then
// the complete one) keeping MACs and record, and refusals before anything is made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Template, removeClone, type StoragePool } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { cloneDomain } from '../../src/xml/clone.js';
import { parseTemplateMetadata, templateMetadataXml, type TemplateRecord } from '../../src/xml/metadata.js';

describe('the record of reservations', () => {
  it('round-trips and refuses what it cannot hold', () => {
    const rec: TemplateRecord = {
      role: 'clone', state: 'ready', version: 1,
      reservations: [
        { network: 'lab', mac: '52:54:00:00:00:01', ip: '10.0.0.5', family: 'ipv4', prefix: 24 },
        { network: 'lab', mac: '52:54:00:00:00:01', ip: 'fd00::5', family: 'ipv6', prefix: 64 },
        { network: 'b', mac: '52:54:00:00:00:02', ip: '10.1.0.5', family: 'ipv4' },
      ],
    };
    const xml = templateMetadataXml(rec);
    expect(xml).toContain("<reservation network='lab' mac='52:54:00:00:00:01' ip='10.0.0.5' family='ipv4' prefix='24'/>");
    expect(parseTemplateMetadata(xml)).toEqual(rec);
    expect(xml).toContain("<reservation network='lab' mac='52:54:00:00:00:01' ip='fd00::5' family='ipv6' prefix='64'/>");
    expect(() => templateMetadataXml({ ...rec, reservations: [{ ...rec.reservations![0]!, family: 'ipv5' as 'ipv4' }] })).toThrow(/family/);
    expect(() => parseTemplateMetadata(xml.replace("family='ipv4'", "family='ipx'"))).toThrow(/family/);
  });
});

describe('cloneDomain nicNetworks', () => {
  it('moves a bridge NIC onto a network: type, source after <mac>, no virtualport; the rest stays', () => {
    const src = `<domain type='kvm'><name>s</name><uuid>11111111-2222-3333-4444-555555555555</uuid><memory>65536</memory><os><type>hvm</type></os><devices>
      <interface type='bridge'>
        <mac address='52:54:00:aa:00:01'/>
        <source bridge='br0'/>
        <virtualport type='openvswitch'/>
        <model type='virtio'/>
      </interface>
      <interface type='network'><mac address='52:54:00:aa:00:02'/><source network='keep'/></interface>
    </devices></domain>`;
    const r = cloneDomain(src, { name: 'c', diskMap: () => 'drop', nicNetworks: ['lab'] });
    const nics = new DomainXml(r.xml).interfaces;
    expect(nics.map((n) => [n.type, n.network, n.bridge, n.model])).toEqual([['network', 'lab', undefined, 'virtio'], ['network', 'keep', undefined, undefined]]);
    expect(r.xml).not.toContain('virtualport');
    expect(r.xml).toMatch(/<mac address='[0-9a-f:]+'\/>\s*<source network='lab'\/>\s*<model/);
    expect(() => cloneDomain(src, { name: 'c', diskMap: () => 'drop', nicNetworks: ['a', 'b', 'c'] })).toThrow(/nicNetworks/);
  });
});

describe('deploy with network on the test driver', () => {
  let conn: Connection;
  let pool: StoragePool;
  let vg: StoragePool;
  let tpl: Template;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    pool = await conn.pool('default-pool');
    vg = await conn.createPool("<pool type='logical'><name>dnvg</name><source><name>dnvg</name><format type='lvm2'/></source><target><path>/dev/dnvg</path></target></pool>");
    const a = await pool.createVolume({ name: 'dn-src-vda.qcow2', format: 'qcow2', capacity: 2 ** 20 });
    const src = await conn.defineDomain(`<domain type='test'><name>dn-src</name><memory>65536</memory><os><type>hvm</type></os><devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await a.path()}'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><mac address='52:54:00:bb:00:01'/><source network='default'/></interface>
      </devices></domain>`);
    tpl = await Template.create(conn, { from: src, name: 'dn-tpl', pool, seal: false });
    await conn.defineNetwork({ name: 'dn-nodhcp', mode: 'isolated', bridge: 'dnbr9', ipv4: { address: '10.9.0.1', prefix: 24 } });
    await conn.createNetwork({
      name: 'dn-dual', mode: 'nat', bridge: 'dnbr8',
      ipv4: { address: '10.8.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.8.0.10', end: '10.8.0.20' }] } },
      ipv6: { address: 'fd00:8::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:8::10', end: 'fd00:8::12' }] } },
    });
  });
  afterAll(async () => conn?.close());

  it('into a logical pool (defined without disks, then completed): one MAC, the record keeps the reservation; removal releases it', async () => {
    const net = await conn.network('default');
    const d = await tpl.deploy({ name: 'dn-lv', pool: vg, network: { name: 'default', ip: '192.168.122.77' } });
    const mac = new DomainXml(await d.xml({ inactive: true })).interfaces[0]!.mac;
    expect((await net.reservations()).map((r) => [r.mac, r.ip, r.hostname])).toEqual([[mac, '192.168.122.77', 'dn-lv']]);
    expect((await d.addresses({ source: 'reservation' })).map((a) => [a.mac, a.ip, a.prefix])).toEqual([[mac, '192.168.122.77', 24]]);
    await removeClone(conn, d);
    expect(await net.reservations()).toEqual([]);
  });

  it("a network without DHCP: ip 'none' connects the NIC, 'auto' is refused before anything is made", async () => {
    const d = await tpl.deploy({ name: 'dn-none', network: { name: 'dn-nodhcp', ip: 'none' } });
    expect(new DomainXml(await d.xml({ inactive: true })).interfaces[0]!.network).toBe('dn-nodhcp');
    expect(await d.addresses({ source: 'reservation' })).toEqual([]);
    await removeClone(conn, d);
    const before = (await conn.domains()).length;
    await expect(tpl.deploy({ name: 'dn-auto', network: { name: 'dn-nodhcp' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await conn.domains()).length).toBe(before);
  });

  it('deployMany with one bad network spec makes no clone and no reservation', async () => {
    const net = await conn.network('default');
    const before = (await conn.domains()).length;
    await expect(tpl.deployMany([{ name: 'dn-a', network: { name: 'default' } }, { name: 'dn-b', networks: { 3: { name: 'default' } } }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tpl.deployMany([{ name: 'dn-a', network: { name: 'default', ip: '192.168.122.9' } }, { name: 'dn-b', network: { name: 'default', ip: '192.168.122.9' } }])).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect((await conn.domains()).length).toBe(before);
    expect(await net.reservations()).toEqual([]);
  });

  it("dual-stack: ip6 'auto' reserves one address of each family (IPv6 by DUID-LL), recorded and released; without ip6 only IPv4", async () => {
    const net = await conn.network('dn-dual');
    const d = await tpl.deploy({ name: 'dn-d1', network: { name: 'dn-dual', ip6: 'auto' } });
    const mac = new DomainXml(await d.xml({ inactive: true })).interfaces[0]!.mac!;
    expect((await net.reservations()).map((r) => [r.family, r.mac, r.ip, r.hostname, r.id])).toEqual([
      ['ipv4', mac, '10.8.0.10', 'dn-d1', undefined],
      ['ipv6', mac, 'fd00:8::10', 'dn-d1', `00:03:00:01:${mac}`],
    ]);
    expect((await d.addresses({ source: 'reservation' })).map((a) => [a.family, a.ip, a.prefix])).toEqual([['ipv4', '10.8.0.10', 24], ['ipv6', 'fd00:8::10', 64]]);
    const plain = await tpl.deploy({ name: 'dn-d2', network: { name: 'dn-dual' } });
    expect((await plain.addresses({ source: 'reservation' })).map((a) => a.family)).toEqual(['ipv4']);
    const only6 = await tpl.deploy({ name: 'dn-d3', network: { name: 'dn-dual', ip: 'none', ip6: 'fd00:8::12' } });
    expect((await only6.addresses({ source: 'reservation' })).map((a) => [a.family, a.ip])).toEqual([['ipv6', 'fd00:8::12']]);
    for (const c of [d, plain, only6]) await removeClone(conn, c);
    expect(await net.reservations()).toEqual([]);
  });

  it('dual-stack refusals come before anything is made: bad ip6, no IPv6 range, a taken or full IPv6 range in a batch', async () => {
    const net = await conn.network('dn-dual');
    const before = (await conn.domains()).length;
    const bad: [Parameters<Template['deploy']>[0], string][] = [
      [{ name: 'dn-x', network: { name: 'dn-dual', ip6: '10.8.0.11' } }, 'INVALID_ARGUMENT'],
      [{ name: 'dn-x', network: { name: 'dn-dual', ip6: 'fd00:8::99' } }, 'INVALID_ARGUMENT'], // outside the range
      [{ name: 'dn-x', network: { name: 'default', ip6: 'auto' } }, 'INVALID_ARGUMENT'], // IPv4 only
    ];
    for (const [o, code] of bad) await expect(tpl.deploy(o), JSON.stringify(o)).rejects.toMatchObject({ code });
    const e = await tpl.deploy({ name: 'dn-x', network: { name: 'default', ip6: 'auto' } }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/opts\.network\.ip6/);
    // three addresses in the IPv6 range: a batch of four does not fit, one naming a taken address neither
    const four = ['a', 'b', 'c', 'd'].map((n) => ({ name: `dn-m${n}`, network: { name: 'dn-dual', ip6: 'auto' } }));
    await expect(tpl.deployMany(four)).rejects.toMatchObject({ code: 'ADDRESS_RANGE_FULL' });
    await expect(tpl.deployMany([four[0]!, { name: 'dn-my', network: { name: 'dn-dual', ip6: 'fd00:8::10' } }])).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect((await conn.domains()).length).toBe(before);
    expect(await net.reservations()).toEqual([]);
    // three fit, with distinct addresses
    const three = await tpl.deployMany(four.slice(0, 3));
    const got = await Promise.all(three.map(async (c) => (await c.addresses({ source: 'reservation' })).find((a) => a.family === 'ipv6')!.ip));
    expect(got).toEqual(['fd00:8::10', 'fd00:8::11', 'fd00:8::12']);
    for (const c of three) await removeClone(conn, c);
    expect(await net.reservations()).toEqual([]);
  });
});
