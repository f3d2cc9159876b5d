// Clones on a network, end to end, booted under TCG in the network bed (test/helpers/net-bed.ts):
// the tiny guest with a DHCP client, qemu-guest-agent and an SSH server (buildTinyGuest
// { services: true }) becomes a sealed template; 3 linked clones deployed with
// `network: { name }` boot concurrently and each reports its reserved address from the DHCP
// lease and from the guest agent; dom.waitForPort(22) resolves (run in a child process inside the
// bed's namespace: the guests are reachable only from there); dom.hostKeys(), from the serial
// log and through the agent, equals what the guest's SSH server serves (ssh-keyscan in the
// namespace); removing the clones releases their reservations.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetBed, type NetBed } from '../helpers/net-bed.js';
import { spawnAsync } from '../helpers/spawn.js';
import { Connection, Template, removeClone, type Domain, type HostKey, type Network, type StoragePool } from '../../src/index.js';
import { buildTinyGuest, tinyGuestXml } from '../../examples/lib/tiny-guest.js';
import { missingServiceFiles } from '../../examples/lib/tiny-guest-services.js';

const NET = 'vk-ncl';
const NAMES = ['ncl-a', 'ncl-b', 'ncl-c'];
const BOOT_MS = Number(process.env.VK_NCL_BOOT_MS ?? 360_000);
const kernel = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort().at(-1) : undefined;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (the network bed makes namespaces)';
  if (!existsSync('/usr/sbin/dnsmasq')) return 'no /usr/sbin/dnsmasq (dnsmasq-base)';
  if (!kernel) return 'no kernel in /boot';
  const missing = missingServiceFiles(kernel.slice('vmlinuz-'.length));
  if (missing.length) return `the guest needs ${missing.join(', ')} (scripts/setup-host.sh: qemu-guest-agent, dropbear-bin)`;
  for (const t of ['/usr/bin/ssh-keyscan', '/usr/bin/ssh-keygen']) if (!existsSync(t)) return `no ${t} (openssh-client)`;
  return undefined;
}
const skip = skipReason();

/** `ssh-keygen -lf -` over ssh-keyscan's lines: each served key's type and SHA256 fingerprint, sorted. */
async function servedKeys(scan: string): Promise<{ type: string; fingerprint: string }[]> {
  const lines = scan.split('\n').filter((l) => l && !l.startsWith('#'));
  const out: { type: string; fingerprint: string }[] = [];
  for (const l of lines) {
    const r = await spawnAsync('sh', ['-c', 'printf "%s\\n" "$1" | ssh-keygen -lf -', 'sh', l], { timeout: 10_000 });
    if (r.status !== 0) throw new Error(`ssh-keygen -lf: ${r.stderr}`);
    out.push({ type: l.split(' ')[1]!, fingerprint: r.stdout.split(' ')[1]! });
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
}
const typesAndPrints = (keys: HostKey[]) => keys.map((k) => ({ type: k.type, fingerprint: k.fingerprint })).sort((a, b) => a.type.localeCompare(b.type));

describe.skipIf(skip !== undefined)(`clones on a network, booted (TCG, network bed)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let bed: NetBed;
  let conn: Connection;
  let net: Network;
  let pool: StoragePool;
  let tpl: Template;
  const dir = `/var/tmp/vk-ncl-${process.pid}`;
  const serial = (name: string) => `${dir}/pool/${name}-serial.log`;
  const logsOf = (names: string[]) =>
    names.map((n) => `--- ${n} serial:\n${existsSync(serial(n)) ? readFileSync(serial(n), 'utf8').slice(-4000) : '(none)'}`).join('\n');

  beforeAll(async () => {
    bed = await startNetBed({ tag: 'ncl' });
    conn = await Connection.open(bed.uri);
    net = await conn.defineNetwork({
      name: NET, mode: 'isolated', bridge: 'vkncl0',
      ipv4: { address: '192.168.234.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.234.10', end: '192.168.234.60' }] } },
    });
    await net.start();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/pool`, { recursive: true });
    pool = await conn.createDirPool('vk-ncl-pool', `${dir}/pool`, { autostart: false });
    const disk = `${dir}/pool/ncl-src.qcow2`;
    await buildTinyGuest({ path: disk, hostname: 'ncl-source', services: true });
    await pool.refresh();
    const src = await conn.defineDomain(tinyGuestXml({ name: 'ncl-src', disk, serialLog: serial('ncl-src'), type: 'qemu', memoryMiB: 384, guestAgent: true }));
    tpl = await Template.create(conn, { from: src, name: 'ncl-tpl', pool, seal: { operations: 'defaults' } });
    await src.undefine();
  }, 600_000);

  afterAll(async () => {
    for (const d of (await conn?.domains().catch(() => [])) ?? []) {
      if (NAMES.includes(d.name)) await removeClone(conn, d).catch(() => undefined);
    }
    await tpl?.delete().catch(() => undefined);
    const src = await conn?.findDomain('ncl-src').catch(() => undefined);
    await src?.undefine().catch(() => undefined);
    await pool?.stop().catch(() => undefined);
    await conn?.close();
    await bed?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('3 linked clones with network: { name }: reserved address from the lease and the agent, port 22 up, hostKeys() = the served keys; removal releases the reservations', async () => {
    const clones: Domain[] = await tpl.deployMany(NAMES.map((name) => ({ name, mode: 'linked' as const, network: { name: NET }, start: true })), { concurrency: 3 });
    try {
      // Reserved at deploy, before the guests asked: 3 distinct addresses in the range, named after the clones.
      const reserved = await Promise.all(clones.map(async (c) => (await c.addresses({ source: 'reservation' }))[0]!));
      expect(new Set(reserved.map((r) => r.ip)).size).toBe(3);
      for (const r of reserved) {
        expect(r.ip.startsWith('192.168.234.')).toBe(true);
        expect(Number(r.ip.split('.')[3])).toBeGreaterThanOrEqual(10);
        expect(Number(r.ip.split('.')[3])).toBeLessThanOrEqual(60);
      }
      const live = (await net.reservations()).map((r) => ({ mac: r.mac, ip: r.ip, hostname: r.hostname }));
      for (const [i, r] of reserved.entries()) expect(live).toContainEqual({ mac: r.mac, ip: r.ip, hostname: NAMES[i] });

      // The guests' DHCP clients got exactly the reserved addresses (dnsmasq's lease), and the
      // agent inside each guest reports the same address on the same MAC.
      // Both waits start now, while the guests boot: the agent ones before any agent is up (an
      // agent not connected yet is 'no address yet' to a waiter, not an error).
      const agentWaits = Promise.all(clones.map((c, i) => c.waitForAddress({ source: 'agent', mac: reserved[i]!.mac, family: 'ipv4', timeoutMs: BOOT_MS + 120_000 })));
      agentWaits.catch(() => undefined);
      const fromLease = await Promise.all(clones.map((c, i) => c.waitForAddress({ source: 'lease', mac: reserved[i]!.mac, family: 'ipv4', timeoutMs: BOOT_MS })))
        .catch((e: Error) => { throw new Error(`${e.message}\n${logsOf(NAMES)}`); });
      const fromAgent = await agentWaits.catch((e: Error) => { throw new Error(`${e.message}\n${logsOf(NAMES)}`); });
      for (const [i, r] of reserved.entries()) {
        expect(fromLease[i]).toMatchObject({ ip: r.ip, mac: r.mac, prefix: 24, family: 'ipv4', source: 'lease' });
        expect(fromAgent[i]).toMatchObject({ ip: r.ip, mac: r.mac, prefix: 24, family: 'ipv4', source: 'agent' });
        expect(readFileSync(serial(NAMES[i]!), 'utf8')).toContain(`VK-LEASE ${r.ip}`);
      }

      // dom.waitForPort(22) itself, from a child process in the bed's namespace.
      const child = bed.command(process.execPath, [
        '--import', 'tsx', '--import', new URL('../../scripts/text-hooks.mjs', import.meta.url).pathname,
        new URL('./wait-port-child.ts', import.meta.url).pathname, bed.uri, '22', '180000', ...NAMES,
      ]);
      const r = await spawnAsync(child[0]!, child.slice(1), { timeout: 240_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { netns: string; results: { name: string; host?: string; port?: number; error?: unknown }[] };
      expect(out.netns).toBe(bed.netns);
      expect(out.results, logsOf(NAMES)).toEqual(NAMES.map((name, i) => ({ name, host: reserved[i]!.ip, port: 22 })));

      // The host keys first boot made, as virtkit reads them (serial log; guest agent), against
      // the keys the guest's SSH server serves.
      for (const [i, c] of clones.entries()) {
        const bySerial = await c.hostKeys({ source: 'serial', timeoutMs: 60_000 });
        const byAgent = await c.hostKeys({ source: 'agent', timeoutMs: 60_000 });
        expect(bySerial.map((k) => k.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
        expect(typesAndPrints(byAgent)).toEqual(typesAndPrints(bySerial));
        const scan = await bed.exec('ssh-keyscan', ['-T', '30', '-t', 'rsa,ecdsa,ed25519', reserved[i]!.ip], { timeoutMs: 60_000 });
        expect(scan.status, scan.stderr).toBe(0);
        expect(await servedKeys(scan.stdout)).toEqual(typesAndPrints(bySerial));
      }
      // Each clone has keys of its own.
      const ed = await Promise.all(clones.map(async (c) => (await c.hostKeys({ source: 'agent' })).find((k) => k.type === 'ssh-ed25519')!.fingerprint));
      expect(new Set(ed).size).toBe(3);
      console.log('clones on the network:\n' + NAMES.map((n, i) => `  ${n}: ${reserved[i]!.mac} ${reserved[i]!.ip} lease(${fromLease[i]!.interface}) agent(${fromAgent[i]!.interface}) ed25519 ${ed[i]}`).join('\n'));
    } finally {
      for (const c of clones) await removeClone(conn, c);
    }
    expect(await net.reservations()).toEqual([]);
    expect((await net.parsed({ inactive: true })).ips[0]!.hosts).toEqual([]);
    for (const n of NAMES) expect(await conn.findDomain(n)).toBeUndefined();
  }, 900_000);
});
