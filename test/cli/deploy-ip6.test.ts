// virtkit deploy --ip6: its usage errors (no daemon), then real IPv6 reservations made through the
// CLI on the network bed's private libvirtd (a dual-stack network, dnsmasq in the bed's
// namespace): the IP6 column, JSON addresses, an IPv6-only NIC (--ip none), a batch, and a
// refused address that leaves nothing. The template is imported unsealed; no clone boots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { Connection, Template, removeClone, type StoragePool } from '../../src/index.js';
import { duidLL } from '../../src/net/duid.js';
import { run } from '../helpers/system.js';
import { startNetBed, type NetBed } from '../helpers/net-bed.js';
import { ensureBuilt, json, vk, type Result } from './run.js';

const root = process.getuid?.() === 0;
const haveDnsmasq = existsSync('/usr/sbin/dnsmasq');

function usage(r: Result, text: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toContain(text);
}

beforeAll(() => ensureBuilt(), 180_000);

describe('deploy --ip6 usage', () => {
  it('is in the help, and a bad value or combination exits 2 before any connection', async () => {
    expect((await vk('deploy', '--help')).stdout).toMatch(/--ip6 auto\|none\|IP6 /);
    for (const bad of ['nope', '10.0.0.5', 'fd00::zz', ''])
      usage(await vk('deploy', 't', 'n', '--network', 'lab', '--ip6', bad), `--ip6 takes auto, none or an IPv6 address, got '${bad}'`);
    usage(await vk('deploy', 't', 'n', '--ip6', 'auto'), '--ip6 needs --network');
    usage(await vk('deploy', 't', 'n', '--network', 'lab', '--ip6', 'fd00::5', '--count', '2'), '--ip6 with an address takes one clone');
    // Checked before connecting: a URI nothing answers on is never reached.
    usage(await vk('deploy', 't', 'n', '--network', 'lab', '--ip6', 'x', '-c', 'bogus:///x'), '--ip6 takes');
  });
});

describe.skipIf(!root || !haveDnsmasq)('deploy --ip6 on the network bed', () => {
  const tag = `vkc6${process.pid}`;
  const NET = `${tag}-net`;
  const dir = `/var/lib/virtkit-test/${tag}`;
  let bed: NetBed;
  let conn: Connection;
  let pool: StoragePool;
  let B: string[];
  const tpl = `${tag}-tpl`;

  beforeAll(async () => {
    bed = await startNetBed({ tag: 'cli6' });
    B = ['-c', bed.uri];
    conn = await Connection.open(bed.uri);
    const net = await conn.defineNetwork({
      name: NET, mode: 'isolated', bridge: 'vkc6br0',
      ipv4: { address: '192.168.237.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.237.10', end: '192.168.237.20' }] } },
      ipv6: { address: 'fd00:237::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:237::10', end: 'fd00:237::1f' }] } },
    });
    await net.start();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/pool`, { recursive: true });
    pool = await conn.createDirPool(`${tag}-pool`, `${dir}/pool`, { autostart: false });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${dir}/img.qcow2`, '64M']);
    await Template.import(conn, { name: tpl, pool, image: `${dir}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [{ network: NET }] } });
  }, 180_000);

  afterAll(async () => {
    if (conn) {
      for (const d of await conn.domains().catch(() => [])) if (d.name.startsWith(tag) && d.name !== tpl) await removeClone(conn, d).catch(() => undefined);
      for (const t of await Template.list(conn).catch(() => [])) if (t.name === tpl) await t.delete().catch(() => undefined);
      for (const v of await pool?.volumes().catch(() => []) ?? []) await v.delete().catch(() => undefined);
      await pool?.stop().catch(() => undefined);
      await pool?.undefine().catch(() => undefined);
      await conn.close();
    }
    await bed?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('--ip6 auto: both families reserved, the IP6 column; an address with --ip none: IPv6 only', async () => {
    const r = await vk('deploy', tpl, `${tag}-a`, '--network', NET, '--ip6', 'auto', ...B);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME +STATE +HOSTNAME +IP +IP6 +UUID$/m);
    expect(r.stdout).toMatch(new RegExp(`^${tag}-a +shutoff +${tag}-a +192\\.168\\.237\\.10 +fd00:237::10 `, 'm'));
    const [b] = json(await vk('deploy', tpl, `${tag}-b`, '--network', NET, '--ip', 'none', '--ip6', 'fd00:237::1e', '--json', ...B));
    expect(b.addresses).toEqual([{ network: NET, mac: expect.any(String), ip: 'fd00:237::1e' }]);
    const net = await conn.network(NET);
    const hosts = await net.reservations();
    expect(hosts.find((h) => h.ip === 'fd00:237::1e')).toMatchObject({ family: 'ipv6', mac: b.addresses[0].mac, id: duidLL(b.addresses[0].mac), hostname: `${tag}-b` });
    expect(hosts.map((h) => h.ip).sort()).toEqual(['192.168.237.10', 'fd00:237::10', 'fd00:237::1e']);
    // Without --ip6 (or with none): the table has no IP6 column and nothing IPv6 is reserved.
    const c = await vk('deploy', tpl, `${tag}-c`, '--network', NET, '--ip6', 'none', ...B);
    expect(c.stdout).toMatch(/^NAME +STATE +HOSTNAME +IP +UUID$/m);
    expect((await net.reservations()).filter((h) => h.family === 'ipv6')).toHaveLength(2);
  });

  it('--count with --ip6 auto: distinct addresses; a refused address makes nothing', async () => {
    const made = json(await vk('deploy', tpl, `${tag}-m`, '--count', '2', '--network', NET, '--ip6', 'auto', '--json', ...B));
    const v6 = made.map((m: any) => m.addresses.find((a: any) => a.ip.includes(':')).ip);
    expect(v6).toEqual(['fd00:237::11', 'fd00:237::12']);
    const before = (await (await conn.network(NET)).reservations()).length;
    for (const [ip, code] of [['fd00:99::1', 'INVALID_ARGUMENT'], ['fd00:237::1e', 'ADDRESS_IN_USE']] as const) {
      const r = await vk('deploy', tpl, `${tag}-x`, '--network', NET, '--ip6', ip, ...B);
      expect(r.code, r.stderr).toBe(1);
      expect(r.lines[0]).toMatch(new RegExp(`^virtkit: ${code}: `));
    }
    expect(await conn.findDomain(`${tag}-x`)).toBeUndefined();
    expect((await (await conn.network(NET)).reservations()).length).toBe(before);
  });
});
