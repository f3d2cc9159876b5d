// The generated libguestfs calls (src/generated/guestfs-calls.ts), smoke-tested by category inside
// ONE appliance launch (10-17 s here): three drives, the second added through the generated
// add_drive with optargs by name, the third a scratch drive. Tests run in order and build on
// each other (partitions, then filesystems on them, then files, LVM, LUKS on an LV, ...).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestfsError, VirtkitError } from '../../src/errors.js';
import { Guest, type GuestProgress } from '../../src/guest/index.js';
import { writeDebianLikeTree } from '../fixtures/disks.js';
import { spawnAsync } from '../helpers/spawn.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'vk-gfs-gen-'));
const progress: GuestProgress[] = [];
let g: Guest;

beforeAll(async () => {
  const a = join(dir, 'a.img');
  const b = join(dir, 'b.img');
  writeFileSync(a, '');
  truncateSync(a, 512 * MiB);
  writeFileSync(b, '');
  truncateSync(b, 256 * MiB);
  g = await Guest.open({ drives: [{ path: a, format: 'raw' }], launch: false, accel: 'tcg', onProgress: (p) => progress.push(p) });
  // Generated calls with optional arguments by name, before the launch.
  await g.addDrive(b, { format: 'raw', discard: 'enable', readonly: false });
  await g.addDriveScratch(512 * MiB, { label: 'vkscratch' });
  await g.launch();
});

afterAll(async () => {
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Under TCG on a loaded 2-core host a LUKS format + two opens take over a minute.
describe('generated libguestfs calls (one appliance)', { timeout: 300_000 }, () => {
  it('sees the three drives, the scratch one by its label', async () => {
    expect(await g.listDevices()).toEqual(['/dev/sda', '/dev/sdb', '/dev/sdc']);
    expect(await g.blockdevGetsize64('/dev/sdb')).toBe(256 * MiB);
    expect(await g.listDiskLabels()).toEqual({ vkscratch: '/dev/sdc' });
    expect(await g.getState()).toBe(2); // READY
  });

  it('partitioning: part_init, part_add, part_list (typed structs), names', async () => {
    await g.partInit('/dev/sda', 'gpt');
    await g.partAdd('/dev/sda', 'p', 2048, 264191);
    await g.partAdd('/dev/sda', 'p', 264192, -2048);
    const parts = await g.partList('/dev/sda');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toEqual({ part_num: 1, part_start: 2048 * 512, part_end: 264192 * 512 - 1, part_size: 262144 * 512 });
    expect(parts[1]!.part_num).toBe(2);
    expect(await g.partGetParttype('/dev/sda')).toBe('gpt');
    await g.partSetName('/dev/sda', 1, 'vkdata');
    expect(await g.partGetName('/dev/sda', 1)).toBe('vkdata');
    expect(await g.partGetBootable('/dev/sda', 1)).toBe(false); // RBool -> boolean
    expect(await g.partToPartnum('/dev/sda2')).toBe(2);
  });

  it('filesystems: mkfs, tune2fs (optargs by name), tune2fs_l (a hash), resize2fs, fstrim', async () => {
    await g.mkfs('ext4', '/dev/sda1');
    await g.setLabel('/dev/sda1', 'vkfs');
    await g.tune2fs('/dev/sda1', { maxmountcount: 25, lastmounteddirectory: '/vk' });
    const l = await g.tune2fsL('/dev/sda1');
    expect(l['Filesystem volume name']).toBe('vkfs');
    expect(l['Maximum mount count']).toBe('25');
    expect(l['Last mounted on']).toBe('/vk');
    const blocks = Number(l['Block count']);
    const bsize = Number(l['Block size']);
    await g.e2fsck('/dev/sda1', { forceall: true });
    await g.resize2fsSize('/dev/sda1', 64 * MiB);
    expect(Number((await g.tune2fsL('/dev/sda1'))['Block count'])).toBe((64 * MiB) / bsize);
    await g.e2fsck('/dev/sda1', { correct: true });
    await g.resize2fs('/dev/sda1');
    expect(Number((await g.tune2fsL('/dev/sda1'))['Block count'])).toBe(blocks);
    expect(await g.vfsLabel('/dev/sda1')).toBe('vkfs');

    await g.mkfs('ext4', '/dev/sdb');
    await g.mount('/dev/sda1', '/');
    await g.mkdir('/trim');
    await g.mount('/dev/sdb', '/trim');
    await expect(g.fstrim('/trim', { minimumfreeextent: 4096 })).resolves.toBeUndefined();
    const vfs = await g.statvfs('/trim');
    expect(vfs.bsize).toBeGreaterThan(0);
    await g.umount('/trim', { force: false }); // umount -> umount_opts, optargs by name
    expect(await g.mountpoints()).toEqual({ '/dev/sda1': '/' });
  });

  it('files: copy_in/copy_out, tar_in, pwrite/pread with NUL, statns structs, booleans', async () => {
    const src = join(dir, 'indir');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'one.txt'), 'one\n');
    writeFileSync(join(src, 'sub', 'two.bin'), Buffer.from([0, 1, 2, 255]));
    await g.copyIn(src, '/');
    expect(await g.cat('/indir/one.txt')).toBe('one\n');
    const out = join(dir, 'out');
    mkdirSync(out);
    await g.copyOut('/indir', out);
    expect(readFileSync(join(out, 'indir', 'sub', 'two.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));

    const tarball = join(dir, 't.tar.gz');
    const tar = await spawnAsync('tar', ['-czf', tarball, '-C', src, '.']);
    expect(tar.status).toBe(0);
    await g.mkdir('/untar');
    await g.tarIn(tarball, '/untar', { compress: 'gzip' });
    expect((await g.find('/untar')).sort()).toEqual(['/one.txt', '/sub', '/sub/two.bin']);

    expect(await g.pwrite('/indir/one.txt', Buffer.from('A\0B'), 1)).toBe(3);
    expect(await g.pread('/indir/one.txt', 4, 0n)).toEqual(Buffer.from('oA\0B')); // int64 takes a bigint too

    const st = await g.statns('/indir/one.txt');
    expect(st.st_size).toBe(4);
    expect(st.st_mode & 0o170000).toBe(0o100000);
    // The older shapes stay: Guest.stat and call('statns') in camelCase.
    expect((await g.stat('/indir/one.txt')).size).toBe(4);
    expect(((await g.call('statns', '/indir/one.txt')) as { size: number }).size).toBe(4);
    const list = await g.lstatnslist('/indir', ['one.txt', 'missing']);
    expect(list[0]!.st_ino).toBe(st.st_ino);
    expect(list[1]!.st_ino).toBe(-1);
    const ents = await g.readdir('/indir');
    expect(ents.find((e) => e.name === 'sub')).toMatchObject({ ftyp: 'd' });

    await g.fill('/zero', 4096, 0);
    expect(await g.isZero('/zero')).toBe(true);
    expect(await g.isZero('/indir/one.txt')).toBe(false);
    // Paths are the mounted guest's: a block device node made there, and a symlink to it.
    await g.mknodB(0o600, 8, 0, '/blk');
    await g.lnS('/blk', '/blklink');
    expect(await g.isBlockdev('/blk')).toBe(true);
    expect(await g.isBlockdev('/blklink')).toBe(false);
    expect(await g.isBlockdev('/blklink', { followsymlinks: true })).toBe(true);
    expect(await g.isDir('/indir')).toBe(true);
  });

  it('LVM: pvcreate, vgcreate, lvcreate, lvs_full (typed structs), lvresize', async () => {
    await g.pvcreate('/dev/sdc');
    await g.vgcreate('vgvk', ['/dev/sdc']);
    await g.lvcreate('lvdata', 'vgvk', 128);
    await g.lvcreateFree('lvrest', 'vgvk', 20);
    const lvs = await g.lvsFull();
    const lv = lvs.find((x) => x.lv_name === 'lvdata')!;
    expect(lv.lv_size).toBe(128 * MiB);
    expect(lv.lv_uuid).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(lv.snap_percent).toBe(-1);
    expect((await g.vgsFull())[0]).toMatchObject({ vg_name: 'vgvk', pv_count: 1, lv_count: 2 });
    // pvs_full's pv_name is the appliance kernel's name, which async SCSI probing may give to
    // another drive than libguestfs's /dev/sdc; pvs() (an RDevice list) is translated back.
    const pvs = await g.pvsFull();
    expect(pvs).toHaveLength(1);
    expect(pvs[0]!.pv_uuid).toBe((await g.pvuuid('/dev/sdc')).replace(/-/g, ''));
    expect(await g.pvs()).toEqual(['/dev/sdc']);
    await g.lvresize('/dev/vgvk/lvdata', 160);
    expect((await g.lvsFull()).find((x) => x.lv_name === 'lvdata')!.lv_size).toBe(160 * MiB);
    expect(await g.lvs()).toEqual(['/dev/vgvk/lvdata', '/dev/vgvk/lvrest']);
    expect(await g.isLv('/dev/vgvk/lvdata')).toBe(true);
  });

  it('LUKS: luks_format, cryptsetup_open (optargs by name) and close, add_key', async () => {
    expect(await g.featureAvailable(['luks'])).toBe(true);
    const dev = '/dev/vgvk/lvdata';
    await g.luksFormat(dev, 'first-key', 0);
    expect(await g.vfsType(dev)).toBe('crypto_LUKS');
    expect(await g.luksUuid(dev)).toMatch(/^[0-9a-f-]{36}$/);
    await g.cryptsetupOpen(dev, 'first-key', 'vkcrypt', { readonly: false });
    await g.mkfs('ext4', '/dev/mapper/vkcrypt');
    await g.mkdir('/crypt');
    await g.mount('/dev/mapper/vkcrypt', '/crypt');
    await g.write('/crypt/secret.txt', 'inside LUKS\n');
    await g.umount('/crypt');
    await g.cryptsetupClose('/dev/mapper/vkcrypt');
    await g.luksAddKey(dev, 'first-key', 'second-key', 1);
    await expect(g.cryptsetupOpen(dev, 'wrong-key', 'vkcrypt')).rejects.toBeInstanceOf(GuestfsError);
    await g.cryptsetupOpen(dev, 'second-key', 'vkcrypt', { readonly: true });
    await g.mount('/dev/mapper/vkcrypt', '/crypt');
    expect(await g.cat('/crypt/secret.txt')).toBe('inside LUKS\n');
    await g.umount('/crypt');
    await g.cryptsetupClose('/dev/mapper/vkcrypt');
  });

  it('Augeas: aug_init, aug_get, aug_label, aug_defnode (an int_bool struct)', async () => {
    await g.mkdir('/etc');
    await g.write('/etc/hosts', '127.0.0.1 localhost\n10.0.0.1 vkhost\n');
    await g.augInit('/', 0);
    expect(await g.augGet('/files/etc/hosts/2/canonical')).toBe('vkhost');
    expect(await g.augLabel('/files/etc/hosts/1/ipaddr')).toBe('ipaddr');
    expect(await g.augDefnode('vkn', '/files/etc/hosts/3/ipaddr', '10.0.0.2')).toEqual({ i: 1, b: 1 });
    expect(await g.augGet('$vkn')).toBe('10.0.0.2');
    await g.augClose();
  });

  it('hivex: a file that is no hive is refused by libguestfs (the call reaches C)', async () => {
    await expect(g.hivexOpen('/etc/hosts', { write: false })).rejects.toBeInstanceOf(GuestfsError);
  });

  const hive = process.env['VIRTKIT_TEST_HIVE'];
  it.skipIf(!hive || !existsSync(hive))('hivex: opens a registry hive (VIRTKIT_TEST_HIVE) and walks its root', async () => {
    await g.upload(hive!, '/hive');
    await g.hivexOpen('/hive', { write: false });
    const rootNode = await g.hivexRoot();
    expect(typeof (await g.hivexNodeName(rootNode))).toBe('string');
    const children = await g.hivexNodeChildren(rootNode);
    expect(Array.isArray(children)).toBe(true);
    await g.hivexClose();
  });

  it('refuses a bad optarg name, a wrong type and NUL before C, with nothing changed', async () => {
    const e = await g.tune2fs('/dev/sda1', { maxmountcount: 7, bogus: 1 } as never).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtkitError);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'optargs.bogus', call: 'tune2fs' } });
    expect((e as Error).message).toContain('known: ');
    await expect(g.partList(42 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'device' } });
    await expect(g.luksFormat('/dev/vgvk/lvrest\0x', 'k', 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'device' } });
    await expect(g.lvcreate('x', 'vgvk', 2 ** 31)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'mbytes' } });
    await expect(g.fstrim('/', { length: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'optargs.length' } });
    expect((await g.tune2fsL('/dev/sda1'))['Maximum mount count']).toBe('25');
    expect((await g.lvs()).length).toBe(2);
  });

  it('inspection on a scratch root: inspect_os, typed getters, inspect_list_applications2', async () => {
    await g.mkfs('ext4', '/dev/sda2');
    await g.umountAll();
    await g.mount('/dev/sda2', '/');
    await writeDebianLikeTree(g, { hostname: 'vkgen', rootDevice: '/dev/sda2' });
    await g.write(
      '/var/lib/dpkg/status',
      'Package: vkpkg\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\nDescription: virtkit test package\n\n',
    );
    await g.umountAll();
    const roots = await g.inspectOs();
    expect(roots).toEqual(['/dev/sda2']);
    expect(await g.inspectGetDistro('/dev/sda2')).toBe('debian');
    expect(await g.inspectGetMajorVersion('/dev/sda2')).toBe(12);
    expect(await g.inspectGetHostname('/dev/sda2')).toBe('vkgen');
    expect(await g.inspectGetMountpoints('/dev/sda2')).toEqual({ '/': '/dev/sda2' });
    expect(await g.inspectGetType('/dev/sda2')).toBe('linux');
    expect(await g.inspectGetPackageFormat('/dev/sda2')).toBe('deb');
    await g.mountRo('/dev/sda2', '/');
    const apps = await g.inspectListApplications2('/dev/sda2');
    expect(apps.find((x) => x.app2_name === 'vkpkg')).toMatchObject({ app2_version: '1.2', app2_release: '3', app2_arch: 'amd64' });
    await g.umountAll();
  });

  it('long-running calls report progress through onProgress (count is not asserted)', async () => {
    await g.zeroDevice('/dev/sdb');
    console.log(`zero_device (256 MiB): ${progress.length} progress events`);
    expect(progress.every((p) => p.position <= p.total)).toBe(true);
  });
});
