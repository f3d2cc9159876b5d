// Issue 13 on the system libvirtd (qemu:///system), no appliance launch: one unsealed template
// (seal: false) serves every round. Item 13: 8 deploys racing for one name, round after round,
// leave exactly one clone and ALREADY_EXISTS for the others, nothing half-made. Items 4 and 6 as
// libvirt's qemu driver sees them: each clone has its own serial files and its own floppy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Template, VirtkitError, removeClone, type Domain, type StoragePool } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { SYSTEM_URI, ensureDaemon, scratchPool } from '../helpers/system.js';

const tag = `race${process.pid}`;
const SRC = `${tag}-src`;
const TPL = `${tag}-tpl`;
let conn: Connection;
let pool: StoragePool;
let dir: string;
let removePool: () => Promise<void>;
let tpl: Template;

beforeAll(async () => {
  ensureDaemon();
  conn = await Connection.open(SYSTEM_URI);
  ({ pool, dir, remove: removePool } = await scratchPool(conn, 'race'));
  await pool.createVolume({ name: `${SRC}-vda.qcow2`, format: 'qcow2', capacity: 16 * 2 ** 20 });
  await pool.createVolume({ name: `${SRC}-fda.raw`, format: 'raw', capacity: 1440 * 1024 });
  const src = await conn.defineDomain(`<domain type='qemu'>
  <name>${SRC}</name>
  <title>race source</title>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${dir}/${SRC}-vda.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='floppy'><driver name='qemu' type='raw'/><source file='${dir}/${SRC}-fda.raw'/><target dev='fda' bus='fdc'/></disk>
    <serial type='file'><source path='${dir}/${SRC}-serial0.log'/><target port='0'/></serial>
    <serial type='file'><source path='${dir}/${SRC}-serial1.log'/><target port='1'/></serial>
    <console type='file'><source path='${dir}/${SRC}-serial0.log'/><target type='serial' port='0'/></console>
  </devices>
</domain>`);
  tpl = await Template.create(conn, { from: src, name: TPL, pool, seal: false });
});

afterAll(async () => {
  for (const d of await conn.domains()) if (d.name.startsWith(tag)) await d.undefine().catch(() => undefined);
  await removePool?.();
  await conn?.close();
});

const ours = async () => (await conn.domains()).map((d) => d.name).filter((n) => n.startsWith(tag)).sort();
const volumeNames = async () => {
  await pool.refresh();
  return (await pool.volumes()).map((v) => v.name).sort();
};

describe('the template', () => {
  it('copied the writable floppy like any disk, and has its own serial files', async () => {
    expect(tpl.disks.map((d) => d.target)).toEqual(['vda', 'fda']);
    const x = new DomainXml(await tpl.domain.xml({ inactive: true }));
    expect(x.serials.map((s) => s.path)).toEqual([`${dir}/${TPL}-serial0.log`, `${dir}/${TPL}-serial1.log`]);
    expect(x.consoles[0]!.path).toBe(`${dir}/${TPL}-serial0.log`);
    expect(x.title).toBeUndefined();
  });
});

describe('same-name deploy race', () => {
  const rounds: ('linked' | 'full' | 'mixed')[] = [...Array<'linked'>(16).fill('linked'), ...Array<'full'>(5).fill('full'), ...Array<'mixed'>(4).fill('mixed')];
  it(`${rounds.length} rounds of 8 concurrent deploys of one name: one winner, 7 ALREADY_EXISTS, nothing half-made`, async () => {
    const base = await volumeNames();
    const tally = { won: 0, lost: 0 };
    for (const [r, kind] of rounds.entries()) {
      const name = `${tag}-c${r}`;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => tpl.deploy({ name, mode: kind === 'mixed' ? (i % 2 ? 'full' : 'linked') : kind, identity: { hostname: `h${i}` } })),
      );
      const won = results.filter((x): x is PromiseFulfilledResult<Domain> => x.status === 'fulfilled');
      const lost = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => x.reason as unknown);
      expect(won, `round ${r} (${kind})`).toHaveLength(1);
      for (const e of lost) {
        expect(e).toBeInstanceOf(VirtkitError);
        expect(e).toMatchObject({ code: 'ALREADY_EXISTS' });
      }
      // exactly the winner's domain and volumes, which are whole and its own
      expect(await ours()).toEqual([SRC, `${name}`, TPL].sort());
      expect(await volumeNames()).toEqual([...base, `${name}-fda.qcow2`, `${name}-vda.qcow2`].sort());
      const x = new DomainXml(await won[0]!.value.xml({ inactive: true }));
      expect(x.disks.map((d) => d.path)).toEqual([`${dir}/${name}-vda.qcow2`, `${dir}/${name}-fda.qcow2`]);
      expect(x.uuid).toBe(won[0]!.value.uuid);
      for (const d of x.disks) expect((await conn.volumeByPath(d.path!)).name).toBe(d.path!.slice(dir.length + 1));
      tally.won += won.length;
      tally.lost += lost.length;
      await removeClone(conn, won[0]!.value);
      expect(await volumeNames()).toEqual(base);
    }
    console.log(`deploy race: ${rounds.length} rounds, ${tally.won} won, ${tally.lost} ALREADY_EXISTS`);
    expect(tally).toEqual({ won: rounds.length, lost: rounds.length * 7 });
  }, 600_000);
});

describe('clones on the qemu driver', () => {
  it('each clone writes its own serial files and its own floppy; no title is copied', async () => {
    const [a, b] = await Promise.all([tpl.deploy({ name: `${tag}-web1` }), tpl.deploy({ name: `${tag}-web2`, mode: 'full', title: 'second web' })]);
    const xa = new DomainXml(await a!.xml({ inactive: true }));
    const xb = new DomainXml(await b!.xml({ inactive: true }));
    expect(xa.serials.map((s) => s.path)).toEqual([`${dir}/${tag}-web1-serial0.log`, `${dir}/${tag}-web1-serial1.log`]);
    expect(xa.consoles[0]!.path).toBe(`${dir}/${tag}-web1-serial0.log`);
    expect(xb.serials.map((s) => s.path)).toEqual([`${dir}/${tag}-web2-serial0.log`, `${dir}/${tag}-web2-serial1.log`]);
    expect(xa.disks.find((d) => d.device === 'floppy')!.path).toBe(`${dir}/${tag}-web1-fda.qcow2`);
    expect((await (await conn.volumeByPath(`${dir}/${tag}-web1-fda.qcow2`)).backingChain()).map((l) => l.path)).toEqual([`${dir}/${tag}-web1-fda.qcow2`, `${dir}/${TPL}-fda.qcow2`]);
    expect([xa.title, xb.title]).toEqual([undefined, 'second web']);
    await removeClone(conn, a!);
    await removeClone(conn, b!);
  });
});
