// Issue 13 item 5 (UEFI): every clone gets its own copy of the template's variable store.
// The XML transform here; the volume flow on libvirt's test driver below; a real OVMF boot in
// test/e2e/uefi-clone.e2e.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Template, VirtkitError, removeClone, type StoragePool } from '../../src/index.js';
import { cloneDomain } from '../../src/xml/clone.js';
import { DomainXml } from '../../src/xml/domain.js';

const CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const uefi = (nvram: string, os = '') => `<domain type='kvm'><name>tpl</name><uuid>11111111-2222-3333-4444-555555555555</uuid><memory>65536</memory>
  <os${os}><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>${CODE}</loader>${nvram}<boot dev='hd'/></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/pool/tpl-vda.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
const TEXT = uefi(`<nvram template='${VARS}'>/pool/tpl_VARS.fd</nvram>`);
const SOURCE = uefi(`<nvram type='file' template='${VARS}'><source file='/pool/tpl_VARS.fd'/></nvram>`, " firmware='efi'");
const diskMap = () => ({ path: '/pool/web1-vda.qcow2', format: 'qcow2' });

describe('cloneDomain and the UEFI variable store', () => {
  it.each([
    ['a text <nvram>', TEXT],
    ["<nvram type='file'><source file>", SOURCE],
  ])('points %s at the clone\'s own copy, keeping loader, template and firmware', (_what, xml) => {
    const before = new DomainXml(xml).os;
    const out = new DomainXml(cloneDomain(xml, { name: 'web1', diskMap, nvramPath: '/pool/web1_VARS.fd' }).xml).os;
    expect(out.nvram).toEqual({ path: '/pool/web1_VARS.fd', template: VARS });
    expect(out.loader).toEqual({ path: CODE, readonly: true, type: 'pflash', secure: undefined });
    expect(out.firmware).toBe(before.firmware);
    // exactly one <nvram>, and it no longer names the template's file anywhere
    const clone = cloneDomain(xml, { name: 'web1', diskMap, nvramPath: '/pool/web1_VARS.fd' }).xml;
    expect(clone.match(/<nvram/g)).toHaveLength(1);
    expect(clone).not.toContain('tpl_VARS.fd');
  });

  it('without a path of its own, never shares the template\'s store (libvirt makes one from the template)', () => {
    for (const xml of [TEXT, SOURCE]) {
      const out = cloneDomain(xml, { name: 'web1', diskMap }).xml;
      expect(new DomainXml(out).os.nvram).toEqual({ path: undefined, template: VARS });
      expect(out).not.toContain('tpl_VARS.fd');
    }
  });

  it('refuses an nvramPath that is the template\'s store (also an alias of it) or a disk', () => {
    for (const nvramPath of ['/pool/tpl_VARS.fd', '/pool//tpl_VARS.fd', '/pool/./x/../tpl_VARS.fd', '/pool/tpl-vda.qcow2', '/pool/web1-vda.qcow2']) {
      let err: unknown;
      try {
        cloneDomain(SOURCE, { name: 'web1', diskMap, nvramPath });
      } catch (e) {
        err = e;
      }
      expect(err, nvramPath).toBeInstanceOf(VirtkitError);
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'nvramPath' } });
    }
    expect(() => cloneDomain(SOURCE, { name: 'web1', diskMap, nvramPath: 'relative_VARS.fd' })).toThrow(VirtkitError);
  });

  it('leaves a BIOS domain without <nvram> unless asked', () => {
    const bios = TEXT.replace(/<loader.*<\/nvram>/, '');
    expect(new DomainXml(cloneDomain(bios, { name: 'web1', diskMap }).xml).os.nvram).toBeUndefined();
  });
});

describe('templates and clones own their VARS volume (test driver)', () => {
  let conn: Connection;
  let pool: StoragePool;
  let tpl: Template;
  const names = async () => (await pool.volumes()).map((v) => v.name).sort();

  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    pool = await conn.pool('default-pool');
    const disk = await pool.createVolume({ name: 'uefi-src-vda.qcow2', format: 'qcow2', capacity: 2 ** 20 });
    const vars = await pool.createVolume({ name: 'uefi-src_VARS.fd', format: 'raw', capacity: 540672 });
    await conn.defineDomain(`<domain type='test'><name>uefi-src</name><memory>65536</memory>
      <os><type>hvm</type><loader readonly='yes' type='pflash'>${CODE}</loader><nvram template='${VARS}'>${await vars.path()}</nvram></os><devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await disk.path()}'/><target dev='vda' bus='virtio'/></disk>
      </devices></domain>`);
  });
  afterAll(async () => conn?.close());

  it('Template.create copies the source VM\'s VARS into the template, leaving the source\'s', async () => {
    tpl = await Template.create(conn, { from: await conn.domain('uefi-src'), name: 'uefi-tpl', pool, seal: false });
    const os = new DomainXml(await tpl.domain.xml({ inactive: true })).os;
    expect(os.nvram).toEqual({ path: '/default-pool/uefi-tpl_VARS.fd', template: VARS });
    expect(await names()).toEqual(expect.arrayContaining(['uefi-src_VARS.fd', 'uefi-tpl_VARS.fd']));
    expect(new DomainXml(await (await conn.domain('uefi-src')).xml()).os.nvram?.path).toBe('/default-pool/uefi-src_VARS.fd');
  });

  it('each clone gets a VARS copy of its own, removed with the clone (linked and full, one and many)', async () => {
    const before = await names();
    const a = await tpl.deploy({ name: 'uefi-a' });
    const b = await tpl.deploy({ name: 'uefi-b', mode: 'full' });
    const many = await tpl.deployMany([{ name: 'uefi-m0' }, { name: 'uefi-m1' }], { concurrency: 2 });
    const clones = [a, b, ...many];
    const paths = await Promise.all(clones.map(async (c) => new DomainXml(await c.xml({ inactive: true })).os.nvram?.path));
    expect(paths).toEqual(clones.map((c) => `/default-pool/${c.name}_VARS.fd`));
    for (const c of clones) expect(await pool.findVolume(`${c.name}_VARS.fd`)).toBeDefined();
    for (const c of clones) await removeClone(conn, c);
    expect(await names()).toEqual(before);
  });

  it('a clone whose disks go to a block pool keeps its VARS file beside the template\'s', async () => {
    const vg = await conn.createPool("<pool type='logical'><name>uefivg</name><source><name>uefivg</name><format type='lvm2'/></source><target><path>/dev/uefivg</path></target></pool>");
    const before = await names();
    const c = await tpl.deploy({ name: 'uefi-lv', pool: vg });
    const x = new DomainXml(await c.xml({ inactive: true }));
    expect(x.disks[0]!.path).toBe('/dev/uefivg/uefi-lv-vda.qcow2');
    expect(x.os.nvram?.path).toBe('/default-pool/uefi-lv_VARS.fd');
    await removeClone(conn, c);
    expect(await names()).toEqual(before);
    expect((await vg.volumes()).map((v) => v.name)).toEqual([]);
  });

  it('a failed deploy removes the VARS copy it made', async () => {
    const before = await names();
    const steps: string[] = [];
    // Offline personalization runs after the domain is defined and the VARS copied; on the test
    // driver the disks are not real files, so it fails there and everything made is undone.
    const err = await tpl
      .deploy({ name: 'uefi-fail', personalize: 'offline', identity: { hostname: 'x' }, onProgress: (p) => void steps.push(p.step) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toContain('uefi-fail-vda.qcow2');
    expect(steps).toEqual(expect.arrayContaining(['define', 'overlay', 'personalize']));
    expect(await conn.findDomain('uefi-fail')).toBeUndefined();
    expect(await pool.findVolume('uefi-fail_VARS.fd')).toBeUndefined();
    expect(await names()).toEqual(before);
  });

  it('a VARS name already taken in the pool is ALREADY_EXISTS before anything is made', async () => {
    const before = await names();
    const taken = await pool.createVolume({ name: 'uefi-t_VARS.fd', format: 'raw', capacity: 4096 });
    await expect(tpl.deploy({ name: 'uefi-t' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await conn.findDomain('uefi-t')).toBeUndefined();
    expect(await pool.findVolume('uefi-t-vda.qcow2')).toBeUndefined();
    await taken.delete();
    expect(await names()).toEqual(before);
  });

  it('recover() removes the VARS of a crashed template and of a crashed clone', async () => {
    const { readRecord, writeRecord } = await import('../../src/template/record.js');
    const { hostname } = await import('node:os');
    const dead = { pid: 2 ** 22 + 12345, host: hostname() }; // above pid_max's default: no such process
    const before = await names();
    const crashedTpl = await Template.create(conn, { from: await conn.domain('uefi-src'), name: 'uefi-crash-tpl', pool, seal: false });
    const crashedClone = await tpl.deploy({ name: 'uefi-crash-c' });
    for (const d of [crashedTpl.domain, crashedClone]) await writeRecord(d, { ...(await readRecord(d))!, state: d === crashedClone ? 'creating' : 'sealing', createdBy: dead });
    expect(await pool.findVolume('uefi-crash-tpl_VARS.fd')).toBeDefined();
    expect(await pool.findVolume('uefi-crash-c_VARS.fd')).toBeDefined();
    const report = await Template.recover(conn);
    expect(report.removed).toEqual(['uefi-crash-tpl']);
    expect(report.removedClones).toEqual(['uefi-crash-c']);
    expect(await conn.findDomain('uefi-crash-tpl')).toBeUndefined();
    expect(await conn.findDomain('uefi-crash-c')).toBeUndefined();
    expect(await names()).toEqual(before);
  });

  it('Template.delete removes the template\'s VARS copy', async () => {
    await tpl.delete();
    expect(await pool.findVolume('uefi-tpl_VARS.fd')).toBeUndefined();
    expect(await pool.findVolume('uefi-src_VARS.fd')).toBeDefined();
  });
});
