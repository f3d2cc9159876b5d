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
      reservations: [{ network: 'lab', mac: '52:54:00:00:00:01', ip: '10.0.0.5', family: 'ipv4', prefix: 24 }, { network: 'b', mac: '52:54:00:00:00:02', ip: '10.1.0.5', family: 'ipv4' }],
    };
    const xml = templateMetadataXml(rec);
    expect(xml).toContain("<reservation network='lab' mac='52:54:00:00:00:01' ip='10.0.0.5' family='ipv4' prefix='24'/>");
    expect(parseTemplateMetadata(xml)).toEqual(rec);
    expect(() => templateMetadataXml({ ...rec, reservations: [{ ...rec.reservations![0]!, family: 'ipv6' as 'ipv4' }] })).toThrow(/family/);
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
});
