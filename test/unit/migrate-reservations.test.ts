// A migrating clone's DHCP reservations, between two test-driver "hosts": test:///default (the
// source) and a test:///<file> connection (its own driver state: the target). Checked before
// anything is made, made with the source entry's host name, undone exactly (entries the target
// had stay), released on the source; Domain.migrate refuses before anything moves.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Connection, type NetworkSpec } from '../../src/index.js';
import { checkReservations, releaseOnSource, reserveOnTarget } from '../../src/migrate-reservations.js';
import { readRecord, writeRecord } from '../../src/template/record.js';
import type { CloneReservation } from '../../src/xml/metadata.js';
import { duidLL } from '../../src/net/duid.js';
import { removeNetworks } from '../helpers/networks.js';

const tag = `vk-mres-${process.pid}`;
const NET = `${tag}-n`;
const spec = (): NetworkSpec => ({
  name: NET, mode: 'isolated', bridge: 'vkmres0',
  ipv4: { address: '10.77.0.1', prefix: 24, dhcp: { ranges: [{ start: '10.77.0.10', end: '10.77.0.20' }] } },
  ipv6: { address: 'fd00:77::1', prefix: 64, dhcp: { ranges: [{ start: 'fd00:77::10', end: 'fd00:77::1f' }] } },
});
const M1 = '52:54:00:77:00:01';
const M2 = '52:54:00:77:00:02';
const OTHER = '52:54:00:77:00:99';
const list: CloneReservation[] = [
  { network: NET, mac: M1, ip: '10.77.0.10', family: 'ipv4', prefix: 24 },
  { network: NET, mac: M1, ip: 'fd00:77::10', family: 'ipv6', prefix: 64 },
];
const hostsOf = async (c: Connection) => (await (await c.network(NET)).reservations()).map((r) => `${r.family} ${r.mac} ${r.ip} ${r.hostname ?? '-'}`).sort();

describe('migrating reservations (test driver, two hosts)', () => {
  let src: Connection;
  let dst: Connection;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vk-mres-'));
    writeFileSync(join(dir, 'node.xml'), '<node><cpu><mhz>1000</mhz></cpu></node>');
    src = await Connection.open('test:///default');
    dst = await Connection.open(`test://${join(dir, 'node.xml')}`);
    const s = await src.createNetwork(spec());
    await s.reserve({ mac: M1, ip: '10.77.0.10', hostname: 'web1' });
    await s.reserve({ mac: M1, ip: 'fd00:77::10', hostname: 'web1' });
  });
  afterAll(async () => {
    await removeNetworks(src, tag);
    await src.close();
    await dst.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses, changing nothing, when the target has no network of that name, or the address, MAC or name is taken there', async () => {
    await expect(checkReservations(src.core, dst.core, list)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { network: NET, mac: M1 } });
    const t = await dst.createNetwork(spec());
    try {
      await t.reserve({ mac: OTHER, ip: 'fd00:77::10' });
      const before = await hostsOf(dst);
      await expect(checkReservations(src.core, dst.core, list)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', details: { ip: 'fd00:77::10', mac: M1, family: 'ipv6' } });
      await t.release(OTHER);
      await t.reserve({ mac: M1, ip: '10.77.0.11' }); // the MAC has another address there
      await expect(checkReservations(src.core, dst.core, list)).rejects.toMatchObject({ code: 'ALREADY_EXISTS', details: { mac: M1 } });
      await t.release(M1);
      await t.reserve({ mac: OTHER, ip: '10.77.0.12', hostname: 'web1' }); // the name is another host's
      await expect(checkReservations(src.core, dst.core, list)).rejects.toMatchObject({ code: 'ALREADY_EXISTS', details: { hostname: 'web1' } });
      await t.release(OTHER);
      await t.reserve({ mac: OTHER, ip: '10.77.0.10' }); // the address is another MAC's
      await expect(checkReservations(src.core, dst.core, list)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', details: { ip: '10.77.0.10' } });
      await t.release(OTHER);
      expect(before).toEqual(['ipv6 52:54:00:77:00:99 fd00:77::10 -']);
      expect(await hostsOf(dst)).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it('makes the same MAC, address and name there; undo removes only what it made; the source releases its own', async () => {
    const t = await dst.createNetwork(spec());
    try {
      // The target already has the IPv4 entry (e.g. made by hand): kept as it is, not undone.
      await t.reserve({ mac: M1, ip: '10.77.0.10', hostname: 'web1' });
      await t.reserve({ mac: M2, ip: '10.77.0.15' });
      const moving = await checkReservations(src.core, dst.core, list);
      expect(moving.map((m) => m.present)).toEqual([true, false]);
      const undo: (() => Promise<void>)[] = [];
      const rec = await reserveOnTarget(moving, undo);
      expect(rec).toEqual(list);
      expect(undo).toHaveLength(1);
      expect(await t.xml()).toContain(`<host id='${duidLL(M1)}' name='web1' ip='fd00:77::10'/>`);
      expect(await hostsOf(dst)).toEqual([`ipv4 ${M1} 10.77.0.10 web1`, `ipv4 ${M2} 10.77.0.15 -`, `ipv6 ${M1} fd00:77::10 web1`]);
      for (const u of undo.reverse()) await u();
      expect(await hostsOf(dst)).toEqual([`ipv4 ${M1} 10.77.0.10 web1`, `ipv4 ${M2} 10.77.0.15 -`]);

      // Taken between the check and the reservation (another process): typed, and what was made is undone.
      await t.release(M1);
      const again = await checkReservations(src.core, dst.core, list);
      await t.reserve({ mac: OTHER, ip: 'fd00:77::10' });
      const undo2: (() => Promise<void>)[] = [];
      await expect(reserveOnTarget(again, undo2)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', details: { mac: M1, ip: 'fd00:77::10' } });
      expect(undo2).toHaveLength(1); // the IPv4 entry made before the refusal
      for (const u of undo2.reverse()) await u();
      expect(await hostsOf(dst)).toEqual([`ipv4 ${M2} 10.77.0.15 -`, `ipv6 ${OTHER} fd00:77::10 -`]);
    } finally {
      await t.stop();
    }
    const s = await src.network(NET);
    await s.reserve({ mac: M2, ip: '10.77.0.16' });
    await releaseOnSource(src.core, list);
    expect(await hostsOf(src)).toEqual([`ipv4 ${M2} 10.77.0.16 -`]);
    await s.release(M2);
    await s.reserve({ mac: M1, ip: '10.77.0.10', hostname: 'web1' });
    await s.reserve({ mac: M1, ip: 'fd00:77::10', hostname: 'web1' });
  });

  it('Domain.migrate of a clone whose network the target lacks: NOT_FOUND before anything moves', async () => {
    const dom = await src.defineDomain(`<domain type='test'><name>${tag}-c</name><memory unit='MiB'>32</memory><os><type>hvm</type></os></domain>`);
    try {
      await writeRecord(dom, { role: 'clone', state: 'ready', version: 1, template: { name: 'tpl', uuid: '6695eb01-f6a4-8304-79aa-97f2502e1930', version: 1 }, reservations: list });
      await expect(dom.migrate(dst, { live: false })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { network: NET } });
      expect(await dst.findDomain(dom.uuid)).toBeUndefined();
      expect((await readRecord(dom))?.reservations).toEqual(list);
      expect(await hostsOf(src)).toEqual([`ipv4 ${M1} 10.77.0.10 web1`, `ipv6 ${M1} fd00:77::10 web1`]);
    } finally {
      await dom.undefine();
    }
  });
});
