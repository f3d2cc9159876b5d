// Issue 15 (and 13.8) on real images, in three appliance launches:
//   1. build: LVM over md RAID (two drives: /boot on md, the VG on a second array), a guest whose
//      fstab names a /var that is not on its disks (twice: refused, and sealed with
//      allowMountFailures), a guest with no init virtkit can hook, a guest with a separate /usr
//   2. one sealMany() batch in one shared appliance
//   3. a read-only launch that reads everything back
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { Guest } from '../../src/guest/index.js';
import { sealMany, type SealManyResult, type SealReport } from '../../src/seal/index.js';
import { mapDevices } from '../../src/seal/devices.js';
import { debianTree, layTree, sha256File, type TreeEntry } from '../fixtures/linux-trees.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const dir = mkdtempSync(join(tmpdir(), 'vk-layouts-'));
const img = (n: string) => join(dir, `${n}.qcow2`);
const NAMES = ['md1', 'md2', 'novar', 'novar2', 'nohook', 'usr'] as const;
const MISSING_UUID = '0badc0de-0000-4000-8000-000000000001';
const before: Record<string, string> = {};
const sums: Record<string, string> = {};
let results: SealManyResult[] = [];
let rb: Guest;
let mdNamesAtBuild: string[] = [];

const tree = (hostname: string, fstab: string, drop: (e: TreeEntry) => boolean = () => false): TreeEntry[] =>
  [...debianTree(hostname).entries.filter((e) => !drop(e) && e.path !== '/etc/fstab'), { path: '/etc/fstab', content: fstab }];

beforeAll(async () => {
  const maker = await Guest.open({ drives: [{ path: '/dev/null', format: 'raw', readonly: true }], launch: false });
  for (const n of NAMES) await maker.diskCreate(img(n), 'qcow2', 256 * 1024 * 1024);
  await maker.close();
  const g = await Guest.open({ drives: NAMES.map((n) => ({ path: img(n), format: 'qcow2' })), accel: ACCEL });
  try {
    // LVM over md RAID1: sda1+sdb1 = /boot, sda2+sdb2 = PV of vgmd (root LV).
    for (const d of ['/dev/sda', '/dev/sdb']) {
      await g.call('part_init', d, 'mbr');
      await g.call('part_add', d, 'p', 2048, 133119);
      await g.call('part_add', d, 'p', 133120, -2048);
    }
    await g.call('md_create', 'vkboot', ['/dev/sda1', '/dev/sdb1'], { level: 'raid1' });
    await g.call('md_create', 'vkpv', ['/dev/sda2', '/dev/sdb2'], { level: 'raid1' });
    await g.mkfs('ext4', '/dev/md/vkboot');
    await g.call('pvcreate', '/dev/md/vkpv');
    await g.call('vgcreate', 'vgmd', ['/dev/md/vkpv']);
    await g.call('lvcreate', 'root', 'vgmd', 120);
    await g.mkfs('ext4', '/dev/vgmd/root');
    before.bootFs = (await g.call('vfs_uuid', '/dev/md/vkboot')) as string;
    before.rootFs = (await g.call('vfs_uuid', '/dev/vgmd/root')) as string;
    before.pv = (await g.call('pvuuid', (await g.pvs())[0]!)) as string;
    before.vg = (await g.call('vguuid', 'vgmd')) as string;
    mdNamesAtBuild = (await g.call('list_md_devices')) as string[];
    await g.mount('/dev/vgmd/root', '/');
    await layTree(g, tree('golden-md', `/dev/vgmd/root / ext4 defaults 0 1\nUUID=${before.bootFs} /boot ext4 defaults 0 2\n`));
    await g.mkdirP('/boot');
    await g.mount('/dev/md/vkboot', '/boot');
    await g.write('/boot/vmlinuz-6.1', 'kernel\n');
    await g.umountAll();
    // A /var named by a UUID that no disk has (twice, built apart so their own UUIDs differ).
    for (const [dev, host] of [['/dev/sdc', 'novar'], ['/dev/sdd', 'novar2']] as const) {
      await g.partDisk(dev, 'mbr');
      await g.mkfs('ext4', `${dev}1`);
      await g.mount(`${dev}1`, '/');
      await layTree(g, tree(host, `/dev/sda1 / ext4 defaults 0 1\nUUID=${MISSING_UUID} /var ext4 defaults 0 2\nproc /proc proc defaults 0 0\n`));
      await g.umountAll();
    }
    // No init virtkit can hook (runit).
    await g.partDisk('/dev/sde', 'mbr');
    await g.mkfs('ext4', '/dev/sde1');
    await g.mount('/dev/sde1', '/');
    await layTree(g, [...tree('nohook', '/dev/sda1 / ext4 defaults 0 1\n', (e) => e.path.includes('systemd')), { path: '/sbin/init', link: '/usr/bin/runit-init' }, { path: '/etc/runit/1', content: '#!/bin/sh\n' }]);
    await g.umountAll();
    // A separate /usr (sdf2), as CoreOS has it.
    await g.call('part_init', '/dev/sdf', 'mbr');
    await g.call('part_add', '/dev/sdf', 'p', 2048, 264191);
    await g.call('part_add', '/dev/sdf', 'p', 264192, -2048);
    await g.mkfs('ext4', '/dev/sdf1');
    await g.mkfs('ext4', '/dev/sdf2');
    await g.mount('/dev/sdf1', '/');
    const all = tree('usr', '/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 /usr ext4 defaults 0 2\n', (e) => e.path.includes('systemd/systemd'));
    await layTree(g, all.filter((e) => !e.path.startsWith('/usr/')));
    await g.mkdirP('/usr');
    await g.mount('/dev/sdf2', '/usr');
    await layTree(g, [...all.filter((e) => e.path.startsWith('/usr/')), { path: '/usr/lib/systemd/systemd', content: 'x\n' }]);
    await g.umountAll();
    await g.shutdown();
  } finally {
    await g.close();
  }
  for (const n of ['novar', 'nohook']) sums[n] = await sha256File(img(n));

  const t = Date.now();
  results = await sealMany(
    [
      { disks: [img('md1'), img('md2')], hostname: 'md-clone', enable: ['fs-uuids'] },
      { disks: [img('novar')], hostname: 'nv' },
      { disks: [img('novar2')], hostname: 'nv2', allowMountFailures: true },
      { disks: [img('nohook')], hostname: 'nh' },
      { disks: [img('usr')], hostname: 'usr-clone', firstbootCommands: ['echo hi'] },
    ],
    { concurrency: 1, perAppliance: 8, accel: ACCEL },
  );
  console.log(`sealMany of 5 layouts: ${Date.now() - t} ms`);
  rb = await Guest.open({ drives: NAMES.map((n) => ({ path: img(n), format: 'qcow2', readonly: true })), accel: ACCEL });
}, 900_000);

afterAll(async () => {
  await rb?.close();
  if (!process.env.VIRTKIT_KEEP) rmSync(dir, { recursive: true, force: true });
});

const ok = (i: number): SealReport => {
  const r = results[i]!;
  if (!r.ok) throw r.error;
  return r.report;
};
const refused = (i: number): VirtkitError => {
  const r = results[i]!;
  expect(r.ok).toBe(false);
  expect((r as { error: Error }).error).toBeInstanceOf(VirtkitError);
  return (r as { error: Error }).error as VirtkitError;
};

describe('LVM over md RAID (issue 15.1, 13.8)', () => {
  it('changes PV, VG and filesystem UUIDs on md-backed storage, and says so', async () => {
    const r = ok(0);
    const changed = (op: string) => r.operations.find((o) => o.name === op)!.changed;
    expect(changed('lvm-uuids').some((p) => p.endsWith('(PV UUID)'))).toBe(true);
    expect(changed('lvm-uuids')).toContain('vgmd (VG UUID)');
    // fs-uuids reaches both md-backed filesystems (the ext4s are checked first when tune2fs asks).
    const fsRec = r.operations.find((o) => o.name === 'fs-uuids')!;
    console.log('fs-uuids', JSON.stringify(fsRec));
    expect(fsRec.warnings).toBeUndefined();
    expect(fsRec.changed.join('\n')).toMatch(/\/dev\/md\d+ \(filesystem UUID\)/);
    expect(fsRec.changed).toContain('/dev/vgmd/root (filesystem UUID)');
    expect(r.firstboot?.kind).toBe('systemd');
    // Read back through a separate appliance.
    const pv = (await rb.pvs())[0]!;
    expect(await rb.call('pvuuid', pv)).not.toBe(before.pv);
    expect(await rb.call('vguuid', 'vgmd')).not.toBe(before.vg);
    expect(await rb.call('vfs_uuid', '/dev/vgmd/root')).not.toBe(before.rootFs);
    const mds = (await rb.call('list_md_devices')) as string[];
    const bootMd: string[] = [];
    for (const md of mds) if ((await rb.vfsType(md)) === 'ext4') bootMd.push(md);
    expect(bootMd).toHaveLength(1);
    expect(await rb.call('vfs_uuid', bootMd[0]!)).not.toBe(before.bootFs);
  });

  it('maps every md array (and the VG on one) to the two drives under it', async () => {
    const map = await mapDevices(rb);
    const mds = (await rb.call('list_md_devices')) as string[];
    expect(mds).toHaveLength(2);
    for (const md of mds) expect(map.driveOf(md).sort()).toEqual([0, 1]);
    expect(map.driveOf('/dev/vgmd/root').sort()).toEqual([0, 1]);
    expect(map.devicesOf(new Set([0, 1]))).toEqual(expect.arrayContaining([...mds, '/dev/vgmd/root']));
    // Another guest's drives do not reach into the arrays.
    expect(map.devicesOf(new Set([2]))).not.toEqual(expect.arrayContaining([mds[0]]));
    expect(map.lvmClash).toBe(false);
  });

  it('uses libguestfs\' own md names (13.8): the report and the map name what list_md_devices lists', async () => {
    expect(ok(0).guest.root).toBe('/dev/vgmd/root');
    const mds = (await rb.call('list_md_devices')) as string[];
    const map = await mapDevices(rb);
    expect(map.devicesOf(new Set([0, 1])).filter((d) => d.startsWith('/dev/md')).sort()).toEqual([...mds].sort());
    const fsRec = ok(0).operations.find((o) => o.name === 'fs-uuids')!;
    for (const m of [...fsRec.changed, ...(fsRec.warnings ?? [])].join('\n').match(/\/dev\/md\d+/g) ?? []) expect(mds).toContain(m);
    console.log(`md names: build ${mdNamesAtBuild.join(',')}; read-back ${mds.join(',')}`);
  });
});

describe('mounts that fail (issue 15.4)', () => {
  it('refuses with MOUNT_FAILED naming /var and its fstab spec, image byte-identical', async () => {
    const e = refused(1);
    expect(e.code).toBe('MOUNT_FAILED');
    expect(e.message).toContain('/var');
    expect(e.details?.['failed']).toEqual([expect.objectContaining({ mountpoint: '/var', device: `UUID=${MISSING_UUID}` })]);
    expect(await sha256File(img('novar'))).toBe(sums.novar);
  });

  it('with allowMountFailures seals and reports the failure', () => {
    const r = ok(2);
    expect(r.mountFailures).toEqual([expect.objectContaining({ mountpoint: '/var', device: `UUID=${MISSING_UUID}` })]);
    expect(r.roots[0]!.mountFailures).toEqual(r.mountFailures);
  });
});

describe('first-boot hook and separate /usr (issue 15.2, 15.3)', () => {
  it('refuses a guest with no init it can hook (NO_FIRSTBOOT_HOOK), image byte-identical', async () => {
    const e = refused(3);
    expect(e.code).toBe('NO_FIRSTBOOT_HOOK');
    expect(e.details?.['found']).toEqual(expect.arrayContaining(['/sbin/init -> /usr/bin/runit-init']));
    expect(await sha256File(img('nohook'))).toBe(sums.nohook);
  });

  it('writes nothing into a separate /usr; the script and commands live under /etc/virtkit', async () => {
    const r = ok(4);
    expect(r.firstboot).toMatchObject({ kind: 'systemd', script: '/etc/virtkit/firstboot.sh' });
    const usrDev = '/dev/sdf2';
    await rb.mount(usrDev, '/');
    try {
      expect(((await rb.find('/')) as string[]).filter((p) => /virtkit/.test(p))).toEqual([]);
    } finally {
      await rb.umountAll();
    }
    await rb.mount('/dev/sdf1', '/');
    try {
      expect(await rb.isFile('/etc/virtkit/firstboot.sh')).toBe(true);
      expect((await rb.readFile('/etc/virtkit/firstboot.d/0001.sh')).toString()).toContain('echo hi');
      expect((await rb.readFile('/etc/systemd/system/virtkit-firstboot.service')).toString()).toContain('ExecStart=/etc/virtkit/firstboot.sh');
      expect(await rb.exists('/usr/lib/virtkit')).toBe(false);
    } finally {
      await rb.umountAll();
    }
  });
});
