// Network on a real network driver (the test bed's private libvirtd in its own network
// namespace): a reservation made through virtkit's Network is what dnsmasq hands the MAC, the
// lease shows in leases(), and release removes the entry live and from the config.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetBed, type NetBed } from '../helpers/net-bed.js';
import { Connection, type Network } from '../../src/index.js';

const root = process.getuid?.() === 0;
const haveDnsmasq = existsSync('/usr/sbin/dnsmasq');
const BR = 'vknet0';
const NET = 'vk-net-nat';
const MAC = '52:54:00:6a:00:31';

describe.skipIf(!root || !haveDnsmasq)('Network on the network bed', () => {
  let bed: NetBed;
  let conn: Connection;
  let net: Network;

  beforeAll(async () => {
    bed = await startNetBed({ tag: 'netapi' });
    conn = await Connection.open(bed.uri);
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    await bed?.stop();
  });

  it('defines and starts a NAT network with DHCP from a spec', async () => {
    net = await conn.defineNetwork({
      name: NET,
      mode: 'nat',
      bridge: BR,
      ipv4: { address: '192.168.231.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.231.10', end: '192.168.231.20' }] } },
    });
    await net.start();
    const info = await net.info();
    expect(info).toMatchObject({ active: true, persistent: true, bridge: BR });
    expect(bed.dnsmasqPid(NET)).toBeGreaterThan(0);
    expect((await conn.networks({ active: true })).map((n) => n.name)).toContain(NET);
    expect(await net.leases()).toEqual([]);
  });

  it('reserves an address for a MAC; the DHCP client gets exactly it; leases() shows it', async () => {
    // a filler entry first, so the lowest free address is not the one dnsmasq would pick anyway
    await net.reserve({ mac: '52:54:00:6a:00:30', ip: '192.168.231.10' });
    const r = await net.reserve({ mac: MAC, ip: '192.168.231.17', hostname: 'clone1' });
    expect(r).toEqual({ mac: MAC, ip: '192.168.231.17', hostname: 'clone1', family: 'ipv4' });
    const auto = await net.reserve({ mac: '52:54:00:6a:00:32' });
    expect(auto.ip).toBe('192.168.231.11');
    // live and persistent
    expect((await net.parsed({ inactive: true })).ips[0]!.hosts.map((h) => h.mac)).toContain(MAC);

    const guest = await bed.dhcpClient({ bridge: BR, mac: MAC, hostname: 'clone1' });
    try {
      expect(guest.ip).toBe('192.168.231.17');
      // dnsmasq's lease helper writes libvirt's status file just after the client is answered
      let leases = await net.leases();
      for (let i = 0; i < 100 && leases.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        leases = await net.leases();
      }
      expect(leases).toHaveLength(1);
      expect(leases[0]).toMatchObject({ mac: MAC, ip: '192.168.231.17', prefix: 24, family: 'ipv4', interface: BR });
      expect((await net.leases({ mac: MAC })).map((l) => l.ip)).toEqual(['192.168.231.17']);
      // the leased address is taken for anyone else
      await expect(net.reserve({ mac: '52:54:00:6a:00:40', ip: '192.168.231.17' })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    } finally {
      await guest.stop();
    }
  }, 120_000);

  it('release removes the entry live and from the config; a second release is a no-op', async () => {
    await net.release(MAC);
    await net.release(MAC);
    expect((await net.reservations()).map((h) => h.mac)).not.toContain(MAC);
    expect((await net.parsed({ inactive: true })).ips[0]!.hosts.map((h) => h.mac)).not.toContain(MAC);
    // libvirt's own refusal of a duplicate (another process got there first) is typed, nothing added
    const before = await net.xml();
    await expect(net.reserve({ mac: '52:54:00:6a:00:30' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await net.xml()).toBe(before);
  });

  it('an entry libvirt refuses though the live XML shows the address free (another writer, config only) is skipped', async () => {
    // a host only in the persistent config: the live XML, which reserve() reads, does not show it
    await bed.virsh(['net-update', NET, 'add-last', 'ip-dhcp-host', "<host mac='52:54:00:6a:00:60' ip='192.168.231.12'/>", '--config']);
    expect((await net.reservations()).map((h) => h.ip)).not.toContain('192.168.231.12');
    const r = await net.reserve({ mac: '52:54:00:6a:00:61' });
    expect(r.ip).toBe('192.168.231.13');
    // the refused attempt left nothing behind, live or in the config
    expect((await net.reservations()).filter((h) => h.mac === '52:54:00:6a:00:61').map((h) => h.ip)).toEqual(['192.168.231.13']);
    expect((await net.parsed({ inactive: true })).ips[0]!.hosts.filter((h) => h.mac === '52:54:00:6a:00:61').map((h) => h.ip)).toEqual(['192.168.231.13']);
    expect((await net.parsed({ inactive: true })).ips[0]!.hosts.map((h) => h.ip)).toEqual(expect.arrayContaining(['192.168.231.12', '192.168.231.13']));
    // a wanted address that libvirt refuses is ADDRESS_IN_USE, not retried elsewhere
    await expect(net.reserve({ mac: '52:54:00:6a:00:62', ip: '192.168.231.12' })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await net.release('52:54:00:6a:00:61');
    await bed.virsh(['net-update', NET, 'delete', 'ip-dhcp-host', "<host mac='52:54:00:6a:00:60' ip='192.168.231.12'/>", '--config']);
  });

  it('a diskless domain on the network: no lease without a guest, so an empty list, TIMEOUT and ABORTED; DOMAIN_NOT_RUNNING once shut off', async () => {
    const mac = '52:54:00:6a:00:50';
    await net.reserve({ mac, hostname: 'diskless' });
    // no option ROM: the NIC must not PXE-boot (iPXE would take a lease itself)
    const xml = `<domain type='qemu'><name>vk-net-dom</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><interface type='network'><source network='${NET}'/><mac address='${mac}'/><model type='virtio'/><rom enabled='no'/></interface></devices></domain>`;
    const dom = await conn.defineDomain(xml);
    await dom.start();
    try {
      const ifs = await dom.interfaceAddresses({ source: 'lease' });
      expect(ifs).toEqual([]);
      expect(await dom.addresses({ source: 'lease' })).toEqual([]);
      // no agent channel: 'any' treats the agent as empty rather than failing
      expect(await dom.addresses()).toEqual([]);
      await expect(dom.interfaceAddresses({ source: 'agent' })).rejects.toMatchObject({ name: 'VirtError' });
      await expect(dom.waitForAddress({ source: 'lease', timeoutMs: 600 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      const ac = new AbortController();
      const p = dom.waitForAddress({ source: 'lease', timeoutMs: 60_000, signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await dom.destroy();
      await net.release(mac);
    }
    await expect(dom.waitForAddress({ timeoutMs: 1000 })).rejects.toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
    await dom.undefine();
  }, 120_000);

  it('ports: made for an owner, listed, looked up, bandwidth read and changed, deleted', async () => {
    const owner = '6c1e5f3a-0b7d-4e2a-9a57-3f1c2b4d5e6f';
    const uuid = 'a1b2c3d4-0000-4000-8000-0000000000aa';
    const port = await net.createPort(`<networkport><uuid>${uuid}</uuid><owner><name>vm-port</name><uuid>${owner}</uuid></owner>` +
      `<mac address='52:54:00:7a:00:01'/><bandwidth><inbound average='1000'/></bandwidth></networkport>`);
    expect(port.uuid).toBe(uuid);
    expect((await net.ports()).map((p) => p.uuid)).toEqual([uuid]);
    expect((await net.port(port.uuid)).uuid).toBe(port.uuid);
    const xml = await port.xml();
    expect(xml).toContain(owner);
    expect(xml).toContain(`<plug type='network' bridge='${BR}'`);
    expect((await port.parameters())['inbound.average']).toBe(1000);
    await port.setParameters({ 'inbound.average': 2000 });
    expect((await port.parameters())['inbound.average']).toBe(2000);
    await port.delete();
    expect(await net.ports()).toEqual([]);
    await expect(net.port(port.uuid)).rejects.toMatchObject({ code: 'VIR_ERR_NO_NETWORK_PORT' });
  });

  it('stops and undefines', async () => {
    await net.stop();
    await net.undefine();
    expect(await conn.findNetwork(NET)).toBeUndefined();
  });
});
