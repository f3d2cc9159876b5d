// Deploy with an address, on the network bed's private libvirtd (real network driver, dnsmasq in
// the bed's namespace): the clone's NIC is put on the network and its new MAC gets a static DHCP
// host entry before the clone is defined; the record lists it; every failure path (full range,
// taken address, abort after the reservation, a name lost at define, a batch failing part-way)
// leaves no reservation; removeClone and recover release exactly the clone's. No clone boots.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetBed, type NetBed } from '../helpers/net-bed.js';
import { Connection, DomainXml, Template, removeClone, type Domain, type Network, type StoragePool } from '../../src/index.js';
import { readRecord, writeRecord } from '../../src/template/record.js';
import { runAsync } from '../helpers/spawn.js';

const root = process.getuid?.() === 0;
const haveDnsmasq = existsSync('/usr/sbin/dnsmasq');
const NET = 'vk-dnet';
const TINY = 'vk-dnet-tiny';
const TPL_MAC0 = '52:54:00:7d:00:01';
const TPL_MAC1 = '52:54:00:7d:00:02';
const MiB = 2 ** 20;
const kernel = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort().at(-1) : undefined;

// The booted guest: the host's kernel and initrd with a small cpio put first whose /vkinit loads
// virtio-net from the initrd's modules and asks for an address with a static busybox's udhcpc,
// then stays up. No disk is read and no appliance is launched.
const INIT = `#!/vk/busybox sh
/vk/busybox mkdir -p /proc /sys /dev; /vk/busybox mount -t proc proc /proc; /vk/busybox mount -t sysfs sys /sys; /vk/busybox mount -t devtmpfs dev /dev
for m in virtio_pci virtio_net; do /usr/sbin/modprobe $m 2>/dev/null || /vk/busybox modprobe $m; done
i=0; while ! /vk/busybox ip link show eth0 >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 100 ] || break; /vk/busybox sleep 0.2; done
/vk/busybox ip link set lo up; /vk/busybox ip link set eth0 up
/vk/busybox udhcpc -i eth0 -q -t 60 -T 2 -s /vkdhcp.sh > /dev/ttyS0 2>&1
echo VK-DHCP-DONE > /dev/ttyS0
exec /vk/busybox sleep 1000000
`;
const DHCP_SCRIPT = '#!/vk/busybox sh\ncase "$1" in bound|renew) /vk/busybox ip addr add "$ip/$mask" dev "$interface"; echo "VK-LEASE $ip" ;; esac\n';

async function buildInitrd(dir: string, version: string): Promise<string> {
  const extra = `${dir}/initrd-extra`;
  mkdirSync(extra, { recursive: true });
  mkdirSync(`${extra}/vk`, { recursive: true });
  copyFileSync('/bin/busybox', `${extra}/vk/busybox`); // named busybox: only then does it take its applet from argv[1]
  writeFileSync(`${extra}/vkinit`, INIT);
  writeFileSync(`${extra}/vkdhcp.sh`, DHCP_SCRIPT);
  for (const f of ['vk/busybox', 'vkinit', 'vkdhcp.sh']) chmodSync(`${extra}/${f}`, 0o755);
  const out = `${dir}/initrd.img`;
  // ours first, uncompressed (nothing may follow a compressed archive), run with rdinit=/vkinit
  await runAsync('sh', ['-c', `cd '${extra}' && printf 'vkinit\\nvk\\nvk/busybox\\nvkdhcp.sh\\n' | cpio -o -H newc -R 0:0 --quiet > '${out}' && cat '/boot/initrd.img-${version}' >> '${out}'`]);
  return out;
}

describe.skipIf(!root || !haveDnsmasq)('deploy with an address (network bed)', () => {
  let bed: NetBed;
  let conn: Connection;
  let net: Network;
  let tiny: Network;
  let pool: StoragePool;
  let tpl: Template;
  const dir = `/var/tmp/vk-dnet-${process.pid}`;

  const hostsOf = async (n: Network) => (await n.reservations()).map((r) => ({ mac: r.mac, ip: r.ip, hostname: r.hostname }));
  const configHostsOf = async (n: Network) => (await n.parsed({ inactive: true })).ips[0]!.hosts.map((h) => h.mac);
  const volumesLeft = async (prefix: string) => (await pool.volumes()).map((v) => v.name).filter((v) => v.startsWith(prefix));

  beforeAll(async () => {
    bed = await startNetBed({ tag: 'dnet' });
    conn = await Connection.open(bed.uri);
    net = await conn.defineNetwork({
      name: NET, mode: 'nat', bridge: 'vkdnet0',
      ipv4: { address: '192.168.232.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.232.10', end: '192.168.232.60' }] } },
    });
    await net.start();
    tiny = await conn.defineNetwork({
      name: TINY, mode: 'isolated', bridge: 'vkdnet1',
      ipv4: { address: '192.168.233.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.233.10', end: '192.168.233.11' }] } },
    });
    await tiny.start();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/pool`, { recursive: true });
    pool = await conn.createDirPool('vk-dnet-pool', `${dir}/pool`, { autostart: false });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', `${dir}/img.qcow2`, String(64 * MiB)]);
    // two NICs: one on the network already, one user-mode (deploy moves it onto a network by MAC)
    tpl = await Template.import(conn, {
      name: 'vk-dnet-tpl', pool, image: `${dir}/img.qcow2`, seal: false,
      domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [{ network: NET, mac: TPL_MAC0 }, { user: true, mac: TPL_MAC1 }] },
    });
  }, 120_000);
  afterAll(async () => {
    for (const d of (await conn?.domains().catch(() => [])) ?? []) if (d.name.startsWith('dn')) await removeClone(conn, d).catch(() => undefined);
    await tpl?.delete().catch(() => undefined);
    await pool?.stop().catch(() => undefined);
    await conn?.close();
    await bed?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploy with network: the NIC is on the network with a new MAC, its reservation is live, in the config and in the record; removeClone releases it', async () => {
    const steps: string[] = [];
    const d = await tpl.deploy({ name: 'dn-one', network: { name: NET }, onProgress: (p) => steps.push(p.step) });
    expect(steps.indexOf('reserve')).toBeGreaterThanOrEqual(0);
    expect(steps.indexOf('reserve')).toBeLessThan(steps.indexOf('define'));
    const nics = new DomainXml(await d.xml({ inactive: true })).interfaces;
    const mac = nics[0]!.mac!;
    expect(mac).not.toBe(TPL_MAC0);
    expect(nics[0]!.network).toBe(NET);
    expect(nics[1]!.type).toBe('user'); // not named: keeps its template source
    expect(await hostsOf(net)).toEqual([{ mac, ip: '192.168.232.10', hostname: 'dn-one' }]);
    expect(await configHostsOf(net)).toEqual([mac]);
    expect((await readRecord(d))!.reservations).toEqual([{ network: NET, mac, ip: '192.168.232.10', family: 'ipv4', prefix: 24 }]);
    // before any boot: the reserved address, from the record
    expect(await d.addresses({ source: 'reservation' })).toEqual([{ interface: '', mac, ip: '192.168.232.10', prefix: 24, family: 'ipv4', source: 'reservation', network: NET }]);
    expect(await tpl.domain.addresses({ source: 'reservation' })).toEqual([]);
    await removeClone(conn, d);
    expect(await hostsOf(net)).toEqual([]);
    expect(await configHostsOf(net)).toEqual([]);
  });

  it('networks per NIC: by template MAC (a user NIC moved onto a network) and by index, with a wanted ip and ip none', async () => {
    const d = await tpl.deploy({ name: 'dn-two', networks: { [TPL_MAC1.toUpperCase()]: { name: TINY, ip: '192.168.233.11' }, 0: { name: NET, ip: 'none' } } });
    try {
      const nics = new DomainXml(await d.xml({ inactive: true })).interfaces;
      expect(nics.map((n) => [n.type, n.network])).toEqual([['network', NET], ['network', TINY]]);
      expect(await hostsOf(net)).toEqual([]);
      expect(await hostsOf(tiny)).toEqual([{ mac: nics[1]!.mac, ip: '192.168.233.11', hostname: 'dn-two' }]);
      expect((await d.addresses({ source: 'reservation' })).map((a) => [a.network, a.ip])).toEqual([[TINY, '192.168.233.11']]);
    } finally {
      await removeClone(conn, d);
    }
    expect(await hostsOf(tiny)).toEqual([]);
  });

  it('deployMany of 8 at once: 8 distinct addresses, in spec order; removal releases every one', async () => {
    const specs = Array.from({ length: 8 }, (_, i) => ({ name: `dn-m${i}`, network: { name: NET } }));
    const made = await tpl.deployMany(specs, { concurrency: 8 });
    try {
      const got = await Promise.all(made.map(async (d) => (await d.addresses({ source: 'reservation' }))[0]!));
      expect(got.map((a) => a.ip)).toEqual(Array.from({ length: 8 }, (_, i) => `192.168.232.${10 + i}`));
      const live = await hostsOf(net);
      expect(live).toHaveLength(8);
      for (const [i, a] of got.entries()) expect(live).toContainEqual({ mac: a.mac, ip: a.ip, hostname: `dn-m${i}` });
    } finally {
      for (const d of made) await removeClone(conn, d);
    }
    expect(await hostsOf(net)).toEqual([]);
  }, 120_000);

  it('a full range, a taken address, an unknown network, a missing NIC: typed errors before anything is made', async () => {
    await tiny.reserve({ mac: '52:54:00:7d:01:01', ip: '192.168.233.10' });
    const domainsBefore = (await conn.domains()).length;
    try {
      await tiny.reserve({ mac: '52:54:00:7d:01:02', ip: '192.168.233.11' });
      const before = await tiny.xml();
      await expect(tpl.deploy({ name: 'dn-full', networks: { 1: { name: TINY } } })).rejects.toMatchObject({ name: 'VirtkitError', code: 'ADDRESS_RANGE_FULL' });
      await net.reserve({ mac: '52:54:00:7d:01:03', ip: '192.168.232.20' });
      await expect(tpl.deploy({ name: 'dn-taken', network: { name: NET, ip: '192.168.232.20' } })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
      await net.release('52:54:00:7d:01:03');
      await expect(tpl.deploy({ name: 'dn-out', network: { name: NET, ip: '10.0.0.1' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(tpl.deploy({ name: 'dn-nonet', network: { name: 'vk-no-such-net' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(tpl.deploy({ name: 'dn-nonic', networks: { 2: { name: NET } } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(tpl.deploy({ name: 'dn-nomac', networks: { '52:54:00:00:00:99': { name: NET } } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(tpl.deploy({ name: 'dn-both', network: { name: NET }, networks: { 0: { name: NET } } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(tpl.deploy({ name: 'dn-badip', network: { name: NET, ip: 'fe80::1' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      // a batch that does not fit: refused before its first clone is made
      await expect(tpl.deployMany([{ name: 'dn-b0', network: { name: NET } }, { name: 'dn-b1', networks: { 1: { name: TINY } } }])).rejects.toMatchObject({ code: 'ADDRESS_RANGE_FULL' });
      expect(await tiny.xml()).toBe(before);
      expect(await hostsOf(net)).toEqual([]);
      expect((await conn.domains()).length).toBe(domainsBefore);
      expect(await volumesLeft('dn-')).toEqual([]);
    } finally {
      await tiny.release('52:54:00:7d:01:01');
      await tiny.release('52:54:00:7d:01:02');
    }
  }, 60_000);

  it('an abort after the reservation (at define) releases it: no domain, no volume, no host entry', async () => {
    const ac = new AbortController();
    const p = tpl.deploy({ name: 'dn-abort', network: { name: NET }, signal: ac.signal, onProgress: (s) => s.step === 'define' && ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await conn.findDomain('dn-abort')).toBeUndefined();
    expect(await volumesLeft('dn-abort')).toEqual([]);
    expect(await hostsOf(net)).toEqual([]);
    expect(await configHostsOf(net)).toEqual([]);
  });

  it('two deploys racing for one name (no host name in the entry): the loser fails at define and releases its reservation', async () => {
    // 'dn_race' is no host name label, so the host entries carry no name and both reservations succeed
    const results = await Promise.allSettled([tpl.deploy({ name: 'dn_race', network: { name: NET } }), tpl.deploy({ name: 'dn_race', network: { name: NET } })]);
    const won = results.filter((r): r is PromiseFulfilledResult<Domain> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: 'ALREADY_EXISTS' });
    const mac = new DomainXml(await won[0]!.value.xml({ inactive: true })).interfaces[0]!.mac;
    expect((await hostsOf(net)).map((h) => [h.mac, h.hostname])).toEqual([[mac, undefined]]);
    await removeClone(conn, won[0]!.value);
    expect(await hostsOf(net)).toEqual([]);
  });

  it('a deployMany failing part-way releases every reservation of the call', async () => {
    // a foreign volume where the 4th clone's disk would go: that clone fails, the batch is undone
    const foreign = await pool.createVolume({ name: 'dn-p3-vda.qcow2', format: 'qcow2', capacity: MiB });
    try {
      const specs = Array.from({ length: 6 }, (_, i) => ({ name: `dn-p${i}`, network: { name: NET } }));
      await expect(tpl.deployMany(specs, { concurrency: 3 })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      for (const s of specs) expect(await conn.findDomain(s.name)).toBeUndefined();
      expect(await hostsOf(net)).toEqual([]);
      expect(await configHostsOf(net)).toEqual([]);
      expect(await volumesLeft('dn-p')).toEqual(['dn-p3-vda.qcow2']);
    } finally {
      await foreign.delete();
    }
  }, 120_000);

  it.skipIf(!kernel || !existsSync('/usr/bin/cpio'))('a booted clone (TCG) asks for an address and gets the reserved one: waitForAddress from the lease, then removal releases it', async () => {
    const version = kernel!.slice('vmlinuz-'.length);
    const initrd = await buildInitrd(dir, version);
    const disk = await pool.createVolume({ name: 'dn-bootsrc-vda.qcow2', format: 'qcow2', capacity: 16 * MiB });
    const src = await conn.defineDomain(DomainXml.create({
      name: 'dn-bootsrc', type: 'qemu', memoryMiB: 384, vcpus: 1,
      kernel: `/boot/${kernel}`, initrd, cmdline: 'console=ttyS0 panic=-1 quiet rdinit=/vkinit',
      disks: [{ path: await disk.path(), format: 'qcow2', target: 'vda', bus: 'virtio' }],
      interfaces: [{ network: NET, model: 'virtio' }],
      serialLog: `${dir}/dn-bootsrc-serial.log`,
    }).toString());
    const btpl = await Template.create(conn, { from: src, name: 'dn-boottpl', pool, seal: false });
    let d: Domain | undefined;
    try {
      await src.undefine();
      await disk.delete();
      // a filler, so the reserved address is not the one dnsmasq would have picked anyway
      await net.reserve({ mac: '52:54:00:7d:02:01', ip: '192.168.232.10' });
      d = await btpl.deploy({ name: 'dn-boot', network: { name: NET }, start: true });
      const [reserved] = await d.addresses({ source: 'reservation' });
      expect(reserved!.ip).toBe('192.168.232.11');
      const got = await d.waitForAddress({ source: 'lease', timeoutMs: Number(process.env.VK_DNET_BOOT_MS ?? 240_000) }).catch((e: Error) => {
        const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => `${f}:\n${readFileSync(`${dir}/${f}`, 'utf8').slice(-3000)}`);
        throw new Error(`${e.message}\n${logs.join('\n')}`);
      });
      expect(got).toMatchObject({ ip: reserved!.ip, mac: reserved!.mac, family: 'ipv4', prefix: 24, source: 'lease' });
      const log = readFileSync(`${dir}/dn-boot-serial.log`, 'utf8');
      expect(log).toContain(`VK-LEASE ${reserved!.ip}`);
      await removeClone(conn, d);
      d = undefined;
      expect((await hostsOf(net)).map((h) => h.mac)).toEqual(['52:54:00:7d:02:01']);
    } finally {
      if (d) await removeClone(conn, d).catch(() => undefined);
      await net.release('52:54:00:7d:02:01');
      await btpl.delete().catch(() => undefined);
    }
  }, 300_000);

  it('Template.recover releases the reservations of a half-made clone whose process is gone', async () => {
    const d = await tpl.deploy({ name: 'dn-crash', network: { name: NET } });
    const rec = (await readRecord(d))!;
    expect(rec.reservations).toHaveLength(1);
    // as a crashed deploy leaves it: still 'creating', written by a process that has exited
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeRecord(d, { ...rec, state: 'creating', createdBy: { pid: Number(dead.stdout), host: hostname() } });
    const report = await Template.recover(conn);
    expect(report.removedClones).toContain('dn-crash');
    expect(await conn.findDomain('dn-crash')).toBeUndefined();
    expect(await hostsOf(net)).toEqual([]);
  });
});
