// Issue 13 item 13 on libvirt's test driver (the real-daemon version is
// test/integration/deploy-race.test.ts): concurrent deploys of one name, into a dir pool (the
// final definition claims the name) and into a logical pool (unpredictable volume paths: a
// definition without disks claims it and is completed once the volumes exist).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Template, VirtkitError, removeClone, type Domain, type StoragePool } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { parseTemplateMetadata } from '../../src/xml/metadata.js';

let conn: Connection;
let pool: StoragePool;
let vg: StoragePool;
let tpl: Template;

beforeAll(async () => {
  conn = await Connection.open('test:///default');
  pool = await conn.pool('default-pool');
  vg = await conn.createPool("<pool type='logical'><name>claimvg</name><source><name>claimvg</name><format type='lvm2'/></source><target><path>/dev/claimvg</path></target></pool>");
  const a = await pool.createVolume({ name: 'claim-src-vda.qcow2', format: 'qcow2', capacity: 2 ** 20 });
  const b = await pool.createVolume({ name: 'claim-src-vdb.qcow2', format: 'qcow2', capacity: 2 ** 20 });
  const src = await conn.defineDomain(`<domain type='test'><name>claim-src</name><memory>65536</memory><os><type>hvm</type></os><devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await a.path()}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await b.path()}'/><target dev='vdb' bus='virtio'/></disk>
    </devices></domain>`);
  tpl = await Template.create(conn, { from: src, name: 'claim-tpl', pool, seal: false });
});
afterAll(async () => conn?.close());

const names = async (p: StoragePool) => (await p.volumes()).map((v) => v.name).sort();

describe.each([
  ['a dir pool', () => pool],
  ['a logical pool', () => vg],
])('8 deploys of one name into %s', (_what, target) => {
  it('give one clone, 7 ALREADY_EXISTS, and nothing else, round after round', async () => {
    const p = target();
    const before = await names(p);
    for (let r = 0; r < 6; r++) {
      const name = `claim-${p.name}-${r}`;
      // (full copies only into the template's pool: the test driver looks a copy's source up in the target pool)
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => tpl.deploy({ name, pool: p, mode: p === pool && i % 3 === 0 ? 'full' : 'linked' })));
      const won = results.filter((x): x is PromiseFulfilledResult<Domain> => x.status === 'fulfilled');
      const lost = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => x.reason as unknown);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(7);
      for (const e of lost) expect(e instanceof VirtkitError && e.code === 'ALREADY_EXISTS').toBe(true);
      expect(await names(p)).toEqual([...before, `${name}-vda.qcow2`, `${name}-vdb.qcow2`].sort());
      const xml = await won[0]!.value.xml();
      const dir = p === pool ? '/default-pool' : '/dev/claimvg';
      expect(new DomainXml(xml).disks.map((d) => d.path)).toEqual([`${dir}/${name}-vda.qcow2`, `${dir}/${name}-vdb.qcow2`]);
      expect(parseTemplateMetadata(xml)).toMatchObject({ role: 'clone', state: 'ready', disks: [{ target: 'vda' }, { target: 'vdb' }] });
      await removeClone(conn, won[0]!.value);
      expect(await names(p)).toEqual(before);
      expect(await conn.findDomain(name)).toBeUndefined();
    }
  });
});

it('a deploy over an existing domain or volume is ALREADY_EXISTS and touches neither', async () => {
  const other = await conn.defineDomain("<domain type='test'><name>claim-taken</name><memory>65536</memory><os><type>hvm</type></os></domain>");
  await expect(tpl.deploy({ name: 'claim-taken' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  expect((await conn.domain('claim-taken')).uuid).toBe(other.uuid);
  const stray = await pool.createVolume({ name: 'claim-vol-vdb.qcow2', format: 'qcow2', capacity: 2 ** 20 });
  await expect(tpl.deploy({ name: 'claim-vol' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  expect(await conn.findDomain('claim-vol')).toBeUndefined();
  expect(await pool.findVolume('claim-vol-vda.qcow2')).toBeUndefined();
  expect(await stray.path()).toBe('/default-pool/claim-vol-vdb.qcow2');
});
