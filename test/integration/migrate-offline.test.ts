// dom.migrate(target, { live: false }) of a shut-off linked clone between two private daemons
// (each its own host_uuid, test/helpers/private-daemon.ts): the overlay streams to the target,
// re-pointed at the replica's disk, the clone is defined there with its record, and with
// undefineSource the source domain and overlay go. The clone's DHCP reservations (IPv4 and IPv6)
// go with it to the network of the same name there: a target without that network, or with the
// address another MAC's, is refused before anything moves; a failure after the copy leaves no
// volume and no reservation of ours there; once moved, the source's reservations are released.
// Each daemon loads the network driver in its own network namespace. No VM boots.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { Connection, StoragePool, Template, removeClone, type Domain, type MigrateProgress, type NetworkSpec, type TemplateRecord } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VIRTKIT_NS, parseTemplateMetadata } from '../../src/xml/metadata.js';
import { run } from '../helpers/system.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';
import { removeNetworks } from '../helpers/networks.js';
import { readRecord } from '../../src/template/record.js';

const MiB = 2 ** 20;
const OTHER_MAC = '52:54:00:7e:00:99';

describe('Domain.migrate of a shut-off linked clone (offline, two private daemons)', () => {
  const tag = `vkmoff${process.pid}`;
  const base = `/var/lib/virtkit-test/migoff-${process.pid}`;
  const dirs = [`${base}/h1`, `${base}/h2`, `${base}/src`];
  const daemons: PrivateDaemon[] = [];
  let c1: Connection;
  let c2: Connection;
  let pool1: StoragePool;
  let pool2: StoragePool;
  let tpl: Template;
  let clone: Domain;
  let rec0: TemplateRecord;
  const NET = `${tag}-net`;
  // The same network on both hosts (each in its own namespace, so one bridge name fits both).
  const netSpec: NetworkSpec = {
    name: NET, mode: 'isolated', bridge: 'vkmoff0',
    ipv4: { address: '192.168.236.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.236.10', end: '192.168.236.20' }] } },
    ipv6: { address: 'fd00:236::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:236::10', end: 'fd00:236::1f' }] } },
  };
  const defineNet = async (c: Connection) => {
    const n = await c.defineNetwork(netSpec);
    await n.start();
    return n;
  };
  const hostsOn = async (c: Connection) => (await (await c.network(NET)).reservations()).map((r) => ({ family: r.family, mac: r.mac, ip: r.ip, hostname: r.hostname }));

  beforeAll(async () => {
    rmSync(base, { recursive: true, force: true });
    for (const d of dirs) mkdirSync(d, { recursive: true });
    for (const n of [1, 2]) daemons.push(await startPrivateDaemon({ tag: `migoff${n}`, drivers: ['qemu', 'storage', 'network'] }));
    c1 = await Connection.open(daemons[0]!.uri);
    c2 = await Connection.open(daemons[1]!.uri);
    pool1 = await c1.createDirPool(`${tag}-p1`, dirs[0]!, { autostart: false });
    pool2 = await c2.createDirPool(`${tag}-p2`, dirs[1]!, { autostart: false });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${dirs[2]}/img.qcow2`, String(64 * MiB)]);
    run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x11 0 ${4 * MiB}`, `${dirs[2]}/img.qcow2`]);
    await defineNet(c1);
    await defineNet(c2);
    tpl = await Template.import(c1, { name: `${tag}-tpl`, pool: pool1, image: `${dirs[2]}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [{ network: NET }] } });
    clone = await tpl.deploy({ name: `${tag}-c1`, pool: pool1, network: { name: NET, ip6: 'auto' } });
    rec0 = (await readRecord(clone))!;
  }, 300_000);

  afterAll(async () => {
    for (const c of [c2, c1]) {
      if (!c) continue;
      for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await removeClone(c, d).catch(() => undefined);
      for (const t of await Template.list(c).catch(() => [])) if (t.name.startsWith(tag)) await t.delete({ localOnly: true }).catch(() => undefined);
      for (const d of await c.domains().catch(() => [])) if (d.name.startsWith(tag)) await d.undefine().catch(() => undefined);
    }
    for (const [c, p] of [[c1, pool1], [c2, pool2]] as const) {
      if (!c || !p) continue;
      for (const v of await p.volumes().catch(() => [])) await v.delete().catch(() => undefined);
      await p.stop().catch(() => undefined);
      await p.undefine().catch(() => undefined);
    }
    for (const c of [c1, c2]) if (c) await removeNetworks(c, tag).catch(() => undefined);
    await c2?.close();
    await c1?.close();
    for (const d of daemons) await d.stop();
    rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it('refuses while the template has no replica on the target, changing nothing', async () => {
    await expect(clone.migrate(c2, { live: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await pool2.volumes()).toHaveLength(0);
    expect(await hostsOn(c2)).toEqual([]);
  });

  it('refuses before anything moves while the target lacks the network, or has the address for another MAC', async () => {
    // deploy reserved both families for the clone's MAC, named after the clone
    const mac = rec0.reservations![0]!.mac;
    expect(rec0.reservations).toEqual([
      { network: NET, mac, ip: '192.168.236.10', family: 'ipv4', prefix: 24 },
      { network: NET, mac, ip: 'fd00:236::10', family: 'ipv6', prefix: 64 },
    ]);
    expect(await hostsOn(c1)).toEqual([
      { family: 'ipv4', mac, ip: '192.168.236.10', hostname: clone.name },
      { family: 'ipv6', mac, ip: 'fd00:236::10', hostname: clone.name },
    ]);
    await tpl.replicate(c2, { pool: pool2 });
    const before = (await pool2.volumes()).map((v) => v.name).sort();
    const n2 = await c2.network(NET);
    await n2.stop();
    await n2.undefine();
    const seen: MigrateProgress[] = [];
    await expect(clone.migrate(c2, { live: false, onProgress: (p) => seen.push(p) })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { network: NET, mac } });
    const n2b = await defineNet(c2);
    await n2b.reserve({ mac: OTHER_MAC, ip: 'fd00:236::10' });
    await expect(clone.migrate(c2, { live: false, onProgress: (p) => seen.push(p) })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', details: { network: NET, mac, ip: 'fd00:236::10' } });
    expect(seen).toEqual([]); // not even the overlay copy started
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await hostsOn(c2)).toEqual([{ family: 'ipv6', mac: OTHER_MAC, ip: 'fd00:236::10', hostname: undefined }]);
    await n2b.release(OTHER_MAC);
    expect((await readRecord(clone))?.reservations).toEqual(rec0.reservations);
    expect(await hostsOn(c1)).toHaveLength(2);
  });

  it('a failure after the copy (a domain of that name on the target) leaves nothing of ours there', async () => {
    const before = (await pool2.volumes()).map((v) => v.name).sort();
    // Someone else's domain with the clone's name (another UUID): libvirt refuses the definition.
    const squatter = await c2.defineDomain(`<domain type='qemu'><name>${clone.name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
    try {
      const seen: MigrateProgress[] = [];
      await expect(clone.migrate(c2, { onProgress: (p) => seen.push(p) })).rejects.toThrow();
      expect(seen.some((p) => p.step === 'copy')).toBe(true); // it failed after streaming the overlay
      expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
      expect(await c2.findDomain(clone.uuid)).toBeUndefined();
      expect(await hostsOn(c2)).toEqual([]); // the reservations made before the job are released
      expect((await c2.domain(clone.name)).uuid).toBe(squatter.uuid); // theirs stays
      expect(await c1.findDomain(clone.uuid)).toBeDefined();
    } finally {
      await squatter.undefine();
    }
    // Aborted before it starts, or while the overlay streams: ABORTED, nothing left there either.
    const ac = new AbortController();
    ac.abort();
    await expect(clone.migrate(c2, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const mid = new AbortController();
    await expect(clone.migrate(c2, { signal: mid.signal, onProgress: (p) => p.step === 'copy' && mid.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await pool2.volumes()).map((v) => v.name).sort()).toEqual(before);
    expect(await c2.findDomain(clone.uuid)).toBeUndefined();
    expect(await c1.findDomain(clone.uuid)).toBeDefined();
  });

  it('copies the overlay, re-pointed at the replica, defines the clone there and removes it here', async () => {
    const replica = await Template.get(c2, tpl.name);
    const replicaDisk = replica.disks[0]!.path;
    const srcOverlay = DomainXml.parse(await clone.xml()).disks[0]!.path!;
    // The clone's own data: 2 MiB over the template's, 2 MiB where the template has none.
    run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x5a ${2 * MiB} ${2 * MiB}`, '-c', `write -P 0x6b ${40 * MiB} ${2 * MiB}`, srcOverlay]);
    const seen: MigrateProgress[] = [];
    const moved = await clone.migrate(c2, { live: false, undefineSource: true, onProgress: (p) => seen.push(p) });
    expect(moved.uuid).toBe(clone.uuid);
    expect(await moved.isActive()).toBe(false);
    expect(await moved.isPersistent()).toBe(true);
    // Its disk is an overlay in host 2's pool whose header names the replica's disk.
    const d = DomainXml.parse(await moved.xml({ inactive: true })).disks[0]!;
    expect(d.path!.startsWith(dirs[1]!)).toBe(true);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', '-U', d.path!])) as { 'backing-filename'?: string; format: string };
    expect(info.format).toBe('qcow2');
    expect(info['backing-filename']).toBe(replicaDisk);
    run('qemu-img', ['check', '-U', d.path!]);
    const chain = await (await c2.volumeByPath(d.path!)).backingChain();
    expect(chain.map((l) => l.path)).toContain(replicaDisk);
    // The guest sees the clone's data over the template's, through the replica.
    run('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P 0x11 0 ${2 * MiB}`, '-c', `read -P 0x5a ${2 * MiB} ${2 * MiB}`, '-c', `read -P 0x6b ${40 * MiB} ${2 * MiB}`, '-c', `read -P 0 ${48 * MiB} ${MiB}`, d.path!]);
    // The record names the new overlay and the template; the source is gone with its overlay.
    const rec = parseTemplateMetadata((await moved.metadata(VIRTKIT_NS))!);
    expect(rec).toMatchObject({ role: 'clone', template: { uuid: tpl.uuid }, disks: [{ target: 'vda', path: d.path }] });
    expect(await c1.findDomain(clone.uuid)).toBeUndefined();
    expect(existsSync(srcOverlay)).toBe(false);
    // Its reservations: the same MAC, addresses and host name on host 2's network, noted in the
    // record there; released on host 1 with the source definition.
    const mac = rec0.reservations![0]!.mac;
    expect(rec?.reservations).toEqual(rec0.reservations);
    expect(await hostsOn(c2)).toEqual([
      { family: 'ipv4', mac, ip: '192.168.236.10', hostname: clone.name },
      { family: 'ipv6', mac, ip: 'fd00:236::10', hostname: clone.name },
    ]);
    expect(await hostsOn(c1)).toEqual([]);
    expect((await moved.addresses({ source: 'reservation' })).map((a) => a.ip)).toEqual(['192.168.236.10', 'fd00:236::10']);
    const copied = seen.filter((p) => p.step === 'copy');
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.at(-1)!.diskProcessed).toBeGreaterThanOrEqual(4 * MiB);
    expect(seen.at(-1)!.step).toBe('done');
    // Guards on the target: its replica is in use by the migrated clone.
    await expect(replica.delete({ localOnly: true })).rejects.toMatchObject({ code: 'TEMPLATE_IN_USE' });
    expect((await replica.clones()).map((c) => c.name)).toContain(clone.name);
  });
});
