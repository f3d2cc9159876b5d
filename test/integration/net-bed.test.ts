// The network test bed (test/helpers/net-bed.ts): a private libvirtd in its own network namespace
// runs libvirt networks (bridge, dnsmasq, NAT rules) that the host never sees, and a DHCP client
// in a further namespace (a stand-in for a guest) gets the address reserved for its MAC.
// The network XML comes from virtkit's builder (src/xml/network.ts), so these also check it
// against the real network driver.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetBed, netNamespaceOf, type NetBed } from '../helpers/net-bed.js';
import { networkXml, networkHostXml, NetworkXml } from '../../src/xml/network.js';
import { allocateAddress } from '../../src/net/allocate.js';
import { spawnAsync } from '../helpers/spawn.js';

const root = process.getuid?.() === 0;
const haveDnsmasq = existsSync('/usr/sbin/dnsmasq');
const BR = 'vkbed0';
const NET = 'bed-nat';
const CLIENT_MAC = '52:54:00:5e:00:21';

function procState(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

describe.skipIf(!root || !haveDnsmasq)('network test bed', () => {
  let bed: NetBed;
  let tmp: string;
  const clients: ChildProcess[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'vk-netbed-'));
    bed = await startNetBed({ tag: 'netbed' });
  });
  afterAll(async () => {
    for (const c of clients) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); // our own children, by handle
    await bed?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the daemon in a network namespace of its own', () => {
    expect(bed.netns).toMatch(/^net:\[\d+\]$/);
    expect(bed.netns).not.toBe(netNamespaceOf('self'));
  });

  it('starts a NAT network with DHCP (IPv4 and IPv6) whose bridge, dnsmasq and rules exist only in the bed', async () => {
    const xml = networkXml({
      name: NET,
      mode: 'nat',
      bridge: BR,
      domain: 'bed.test',
      ipv4: { address: '192.168.230.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.230.10', end: '192.168.230.12' }] } },
      ipv6: { address: 'fd00:230::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:230::10', end: 'fd00:230::ff' }] } },
    });
    await bed.defineNetwork(xml);
    expect((await bed.virsh(['net-list', '--name'])).split('\n').map((s) => s.trim())).toContain(NET);

    // libvirt's view: what we built, plus what it fills in
    const live = new NetworkXml(await bed.virsh(['net-dumpxml', NET]));
    expect(live.mode).toBe('nat');
    expect(live.bridge).toBe(BR);
    expect(live.ips.map((i) => [i.family, i.address, i.prefix, i.ranges])).toEqual([
      ['ipv4', '192.168.230.1', 24, [{ start: '192.168.230.10', end: '192.168.230.12' }]],
      ['ipv6', 'fd00:230::1', 64, [{ start: 'fd00:230::10', end: 'fd00:230::ff' }]],
    ]);

    const pid = bed.dnsmasqPid(NET);
    expect(pid).toBeGreaterThan(0);
    expect(netNamespaceOf(pid!)).toBe(bed.netns);

    const link = await bed.exec('ip', ['-o', 'addr', 'show', 'dev', BR]);
    expect(link.status).toBe(0);
    expect(link.stdout).toContain('192.168.230.1/24');
    expect(link.stdout).toContain('fd00:230::1/64');
    // the host namespace has no such bridge and no rule naming it
    expect(existsSync(`/sys/class/net/${BR}`)).toBe(false);
    expect((await spawnAsync('ip', ['link', 'show', BR])).status).not.toBe(0);
    const rules = await bed.exec('iptables-save', []);
    expect(rules.stdout).toMatch(/-A LIBVIRT_PRT -s 192\.168\.230\.0\/24 ! -d 192\.168\.230\.0\/24 -j MASQUERADE/);
    const hostRules = await spawnAsync('iptables-save', []);
    if (hostRules.status === 0) expect(hostRules.stdout).not.toContain(BR);
  });

  it('gives a DHCP client in the bed the address reserved for its MAC; the lease shows in the network', async () => {
    // the reservation, as phase 2 will make it: allocate, then virNetworkUpdate ADD_LAST ip-dhcp-host
    const def = new NetworkXml(await bed.virsh(['net-dumpxml', NET]));
    const ip = allocateAddress(def, { mac: CLIENT_MAC, ip: '192.168.230.11' });
    await bed.virsh(['net-update', NET, 'add-last', 'ip-dhcp-host', networkHostXml({ mac: CLIENT_MAC, ip, name: 'client1' }), '--live', '--config']);
    const after = new NetworkXml(await bed.virsh(['net-dumpxml', NET]));
    expect(after.ips[0]!.hosts).toEqual([{ mac: CLIENT_MAC, name: 'client1', ip: '192.168.230.11' }]);
    // the allocator now skips it; ADDRESS_IN_USE for it; .10 is the lowest free one
    expect(allocateAddress(after, {})).toBe('192.168.230.10');
    expect(() => allocateAddress(after, { ip: '192.168.230.11' })).toThrow(expect.objectContaining({ code: 'ADDRESS_IN_USE' }));

    // A "guest": a namespace of its own behind a veth pair whose other end is on the bridge.
    const guest = await bed.dhcpClient({ bridge: BR, mac: CLIENT_MAC, hostname: 'client1', listenPort: 2222 });
    expect(guest.ip).toBe('192.168.230.11');
    expect(netNamespaceOf(guest.pid)).not.toBe(bed.netns);
    const leases = await bed.virsh(['net-dhcp-leases', NET]);
    expect(leases).toMatch(new RegExp(`${CLIENT_MAC}\\s+ipv4\\s+192\\.168\\.230\\.11/24\\s+client1`));
    // reachable from the bed's namespace (where later tests run their probes)
    expect(await bed.waitForPort('192.168.230.11', 2222, { timeoutMs: 20_000 })).toBe(true);
    expect(await bed.probePort('192.168.230.11', 2223, 1_000)).toBe(false);

    // a client without a reservation gets a dynamic address, never the reserved one; the
    // allocator, fed the real leases, then picks the one address left
    const other = await bed.dhcpClient({ bridge: BR, mac: '52:54:00:5e:00:22', hostname: 'client2' });
    expect(['192.168.230.10', '192.168.230.12']).toContain(other.ip);
    const real = [...(await bed.virsh(['net-dhcp-leases', NET])).matchAll(/(\S+:\S+)\s+ipv4\s+([0-9.]+)\//g)].map((m) => ({ mac: m[1]!, ip: m[2]! }));
    expect(real).toHaveLength(2);
    const free = allocateAddress(new NetworkXml(await bed.virsh(['net-dumpxml', NET])), { leases: real });
    expect(free).toBe(other.ip === '192.168.230.10' ? '192.168.230.12' : '192.168.230.10');
    expect(() => allocateAddress(new NetworkXml(after.toString()), { leases: real, exclude: [free] })).toThrow(expect.objectContaining({ code: 'ADDRESS_RANGE_FULL' }));
    await other.stop();
    await guest.stop();
    await guest.stop(); // idempotent
  });

  it('starts a domain whose NIC (a tap on the network bridge) lives in the bed namespace', async () => {
    const mac = '52:54:00:5e:00:31';
    const xml = `<domain type='qemu'><name>bed-nic</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><interface type='network'><source network='${NET}'/><mac address='${mac}'/><model type='virtio'/></interface></devices></domain>`;
    const file = join(tmp, 'bed-nic.xml');
    writeFileSync(file, xml);
    await bed.virsh(['create', file]); // transient: gone once destroyed
    try {
      const tap = /^\s*(\S+)\s+network\s+bed-nat\s+virtio\s+52:54:00:5e:00:31\s*$/m.exec(await bed.virsh(['domiflist', 'bed-nic']))?.[1];
      expect(tap).toBeTruthy();
      expect((await bed.exec('ip', ['-o', 'link', 'show', 'dev', tap!])).stdout).toContain(`master ${BR}`);
      // the host has no interface with the tap's MAC (libvirt's tap is fe:<the guest MAC's last five bytes>)
      const hostLinks = (await spawnAsync('ip', ['-o', 'link'])).stdout;
      expect(hostLinks).not.toContain('fe:54:00:5e:00:31');
    } finally {
      await bed.virsh(['destroy', 'bed-nic']);
    }
  });

  it('starts isolated, open and host-bridge networks', async () => {
    await bed.defineNetwork(networkXml({ name: 'bed-iso', mode: 'isolated', bridge: 'vkiso0', mtu: 1400, ipv4: { address: '10.77.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.77.0.100', end: '10.77.0.199' }] } } }));
    await bed.defineNetwork(networkXml({ name: 'bed-open', mode: 'open', bridge: 'vkopen0', ipv4: { address: '10.78.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.78.0.2', end: '10.78.0.9' }] } } }));
    expect((await bed.exec('ip', ['link', 'add', 'vkhostbr0', 'type', 'bridge'])).status).toBe(0);
    await bed.defineNetwork(networkXml({ name: 'bed-br', mode: 'bridge', bridge: 'vkhostbr0' }));
    const active = (await bed.virsh(['net-list', '--name'])).split('\n').map((s) => s.trim());
    expect(active).toEqual(expect.arrayContaining(['bed-iso', 'bed-open', 'bed-br']));
    expect(bed.dnsmasqPid('bed-iso')).toBeGreaterThan(0);
    expect(bed.dnsmasqPid('bed-open')).toBeGreaterThan(0);
    // (/sys shows the host's namespace: sysfs is bound to the namespace that mounted it)
    expect((await bed.exec('ip', ['-o', 'link', 'show', 'vkiso0'])).stdout).toMatch(/ mtu 1400 /);
    // isolated: no forwarding rule lets the subnet out; open: libvirt adds no rules at all
    const rules = (await bed.exec('iptables-save', [])).stdout;
    expect(rules).toMatch(/-A LIBVIRT_FWO -i vkiso0 -j REJECT/);
    expect(rules).not.toContain('vkopen0');
    expect(new NetworkXml(await bed.virsh(['net-dumpxml', 'bed-br'])).mode).toBe('bridge');
  });

  it('a bed whose test process was killed leaves a dnsmasq that the next daemon start ends (by pid file)', async () => {
    const helpers = join(process.cwd(), 'test', 'helpers');
    const child = join(tmp, 'orphan.mts');
    writeFileSync(child, [
      `import { startNetBed } from ${JSON.stringify(join(helpers, 'net-bed.ts'))};`,
      `const bed = await startNetBed({ tag: 'orphan' });`,
      `await bed.defineNetwork(${JSON.stringify(networkXml({ name: 'orph', mode: 'isolated', bridge: 'vkorph0', ipv4: { address: '10.99.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.99.0.10', end: '10.99.0.20' }] } } }))});`,
      `console.log('READY', bed.dnsmasqPid('orph'), bed.daemon.pid, bed.daemon.dir);`,
      'setInterval(() => {}, 1000);',
    ].join('\n'));
    const p = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'pipe'] });
    clients.push(p);
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (let i = 0; !/READY \d+ \d+ \S+/.test(out); i++) {
      if (i > 1200 || p.exitCode !== null) throw new Error(`child bed did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const [, dnsmasq, libvirtd, dir] = /READY (\d+) (\d+) (\S+)/.exec(out)!.map((x, i) => (i > 0 && i < 3 ? Number(x) : x)) as [string, number, number, string];
    expect(procState(dnsmasq)).toMatch(/^[RS]$/);
    p.kill('SIGKILL'); // our child, by its handle
    await new Promise((r) => p.once('exit', r));
    for (let i = 0; procState(libvirtd) !== undefined && procState(libvirtd) !== 'Z'; i++) {
      if (i > 200) throw new Error('the orphaned libvirtd did not get its parent-death signal');
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(procState(dnsmasq)).toMatch(/^[RS]$/); // libvirtd's death does not end its networks' dnsmasq
    // any later test process's first daemon start sweeps the stale directory
    const sweep = join(tmp, 'sweep.mts');
    writeFileSync(sweep, `import { startPrivateDaemon } from ${JSON.stringify(join(helpers, 'private-daemon.ts'))};\nawait (await startPrivateDaemon({ tag: 'sweep' })).stop();\n`);
    const r = await spawnAsync(process.execPath, ['--import', 'tsx', sweep], { timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(['Z', undefined]).toContain(procState(dnsmasq));
    expect(existsSync(dir)).toBe(false);
  });

  it('stop() destroys the networks and ends every dnsmasq by its pid file; the namespace goes with them', async () => {
    const pids = ['bed-nat', 'bed-iso', 'bed-open'].map((n) => bed.dnsmasqPid(n)!);
    expect(pids.every((p) => p > 0)).toBe(true);
    const dir = bed.daemon.dir;
    await bed.stop();
    for (const p of pids) expect(['Z', undefined]).toContain(procState(p)); // ended (pid 1 here does not reap orphans)
    expect(existsSync(dir)).toBe(false);
    expect(bed.daemon.running).toBe(false);
  });
});
