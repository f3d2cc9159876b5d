// The pure parts of the fast inspection (no appliance): fstab as libguestfs 1.48 reads it,
// os-release and release files, packaging, osinfo, ELF architecture.
import { describe, expect, it } from 'vitest';
import { canonicalPath, mountpointsOf, parseFstab, resolveFstab, type FstabResolver } from '../../src/seal/fast-inspect/fstab.js';
import { Unusual, elfArch, osinfoOf, packaging, parseGeneric, parseOsRelease, shellUnquote, type ReleaseData } from '../../src/seal/fast-inspect/release.js';
import { quickInspect } from '../../src/seal/fast-inspect/index.js';
import { MemoryGuest, debianTree } from '../fixtures/linux-trees.js';

const resolver = (o: Partial<FstabResolver> = {}): FstabResolver => ({
  root: '/dev/sda2',
  devices: ['/dev/sda', '/dev/sdb'],
  findUuid: async (u) => ({ 'aaaa-1': '/dev/sda1', 'bbbb-2': '/dev/sdb1' })[u],
  findLabel: async (l) => (l === 'home' ? '/dev/vg/home' : undefined),
  canonicalLv: async (s) => (s === '/dev/mapper/vg-root' ? '/dev/vg/root' : s),
  ...o,
});

describe('fstab', () => {
  it('parses entries, skipping comments, blank lines and trailing comments', () => {
    const e = parseFstab('# /etc/fstab\n\nUUID=aaaa-1 / ext4 errors=remount-ro 0 1 # root\n  /dev/sdb1\t/home  xfs defaults\nproc /proc proc defaults 0 0\n');
    expect(e).toEqual([
      { spec: 'UUID=aaaa-1', file: '/', vfstype: 'ext4' },
      { spec: '/dev/sdb1', file: '/home', vfstype: 'xfs' },
      { spec: 'proc', file: '/proc', vfstype: 'proc' },
    ]);
  });

  it('gives up on lines Augeas may read differently', () => {
    for (const bad of ['/dev/sda1 /\n', '/dev/sda1 / ext4,ext3 defaults 0 1\n', '/dev/sda1 / ext4 defaults x 1\n', 'LABEL=my\\040disk /d ext4 defaults 0 0\n', '/dev/sda1 / btrfs subvol=@ 0 0\n', 'a b c d 0 0 extra\n']) {
      expect(() => parseFstab(bad), bad).toThrow(Unusual);
    }
  });

  it('canonicalizes mountpoints', () => {
    expect(canonicalPath('///usr//local//')).toBe('/usr/local');
    expect(canonicalPath('/')).toBe('/');
  });

  it('resolves UUID=, LABEL= (quoted too), /dev/mapper, /dev/root, /dev/vdX and ignores what libguestfs ignores', async () => {
    const text = [
      'UUID=aaaa-1 /boot ext4 defaults 0 2', '/dev/root / ext4 defaults 0 1', 'LABEL="home" /home ext4 defaults 0 2',
      '/dev/mapper/vg-root /srv ext4 defaults 0 0', '/dev/vdb1 /data ext4 defaults 0 0', '/dev/xvda3 /x ext4 defaults 0 0',
      'PARTUUID=1234-01 /p ext4 defaults 0 0', 'UUID=missing /m ext4 defaults 0 0', 'tmpfs /tmp tmpfs defaults 0 0',
      '/dev/cdrom /media/cdrom iso9660 ro 0 0', '/dev/fd0 /mnt/floppy auto noauto 0 0', '/dev/sdb2 /media/usb ext4 defaults 0 0',
      '/dev/sda5 none swap sw 0 0', '/dev/vg/var /var ext4 defaults 0 0', '/dev/sdz1 /z ext4 defaults 0 0',
    ].join('\n');
    const pairs = await resolveFstab(parseFstab(text), resolver());
    expect(pairs).toEqual([
      ['/dev/sda1', '/boot'], ['/dev/sda2', '/'], ['/dev/vg/home', '/home'], ['/dev/vg/root', '/srv'], ['/dev/sdb1', '/data'],
      ['/dev/sda3', '/x'], ['/dev/sda5', 'none'], ['/dev/vg/var', '/var'], ['/dev/sdz1', '/z'],
    ]);
    expect(mountpointsOf(pairs, '/dev/sda2')).toMatchObject({ '/': '/dev/sda2', '/boot': '/dev/sda1', '/data': '/dev/sdb1' });
    expect(mountpointsOf(pairs, '/dev/sda2')).not.toHaveProperty('none');
  });

  it('maps /dev/sdX, /dev/vdX, /dev/hdX by drive order; a disk without a partition number stays as is', async () => {
    const pairs = await resolveFstab(parseFstab('/dev/vda1 / ext4 d 0 1\n/dev/hdb2 /b ext4 d 0 0\n/dev/sdb /w ext4 d 0 0\n'), resolver({ devices: ['/dev/sda', '/dev/sdb'] }));
    expect(pairs).toEqual([['/dev/sda1', '/'], ['/dev/sdb2', '/b'], ['/dev/sdb', '/w']]);
  });

  it('gives up on md, by-id, BSD names, btrfs and a mountpoint given twice', async () => {
    for (const bad of ['/dev/md0 / ext4 d 0 1', '/dev/disk/by-id/ata-X-part1 / ext4 d 0 1', '/dev/ada0p2 / ufs d 0 1', '/dev/sda1 / btrfs defaults 0 0']) {
      await expect(resolveFstab(parseFstab(bad), resolver()), bad).rejects.toThrow(Unusual);
    }
    expect(() => mountpointsOf([['/dev/sda1', '/'], ['/dev/sda2', '/']], '/dev/sda1')).toThrow(Unusual);
  });

  it('an empty (or all-ignored) fstab gives just the root', () => {
    expect(mountpointsOf([], '/dev/sdc1')).toEqual({ '/': '/dev/sdc1' });
  });
});

describe('release files', () => {
  it('Debian: os-release gives only the major version, so debian_version decides product and version', () => {
    const d: ReleaseData = {};
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n', d)).toBe(false);
    expect(parseGeneric('12.5\n', 'debian', d)).toBe(true);
    expect(d).toEqual({ distro: 'debian', productName: '12.5', version: { major: 12, minor: 5 } });
  });

  it('Fedora, Ubuntu, RHEL, Arch from os-release alone', () => {
    const f: ReleaseData = {};
    expect(parseOsRelease('NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (Server Edition)"\n', f)).toBe(true);
    expect(f).toEqual({ distro: 'fedora', productName: 'Fedora Linux 39 (Server Edition)', version: { major: 39, minor: 0 } });
    const u: ReleaseData = {};
    expect(parseOsRelease("ID=ubuntu\nPRETTY_NAME='Ubuntu 22.04.3 LTS'\nVERSION_ID=\"22.04\"\n", u)).toBe(true);
    expect(u.version).toEqual({ major: 22, minor: 4 });
    const a: ReleaseData = {};
    expect(parseOsRelease('ID=arch\nPRETTY_NAME="Arch Linux"\n', a)).toBe(true);
    expect(a.version).toEqual({ major: 0, minor: 0 });
  });

  it('unknown IDs and shell escapes are left to libguestfs', () => {
    expect(() => parseOsRelease('ID=nixos\nPRETTY_NAME=x\nVERSION_ID=1.2\n', {})).toThrow(Unusual);
    expect(() => shellUnquote('"a\\"b"')).toThrow(Unusual);
    expect(shellUnquote('"a b"')).toBe('a b');
  });

  it('packaging and osinfo as libguestfs', () => {
    expect(packaging('fedora', 39, true)).toEqual({ format: 'rpm', management: 'dnf' });
    expect(packaging('fedora', 39, false)).toEqual({ format: 'rpm', management: 'yum' });
    expect(packaging('rhel', 7, false).management).toBe('yum');
    expect(packaging('debian', 12, false)).toEqual({ format: 'deb', management: 'apt' });
    expect(osinfoOf('debian', 12, 5)).toBe('debian12');
    expect(osinfoOf('ubuntu', 22, 4)).toBe('ubuntu22.04');
    expect(osinfoOf('rhel', 9, 2)).toBe('rhel9.2');
    expect(osinfoOf('centos', 7, 9)).toBe('centos7.0');
  });

  it('ELF architecture from the header; scripts are not binaries; PE/cpio are left to file_architecture', () => {
    const elf = (cls: number, data: number, type: number, machine: number) => {
      const b = Buffer.alloc(64);
      b.writeUInt32BE(0x7f454c46, 0);
      b[4] = cls;
      b[5] = data;
      if (data === 1) { b.writeUInt16LE(type, 16); b.writeUInt16LE(machine, 18); } else { b.writeUInt16BE(type, 16); b.writeUInt16BE(machine, 18); }
      return b;
    };
    expect(elfArch(elf(2, 1, 3, 62))).toBe('x86_64');
    expect(elfArch(elf(2, 1, 2, 183))).toBe('aarch64');
    expect(elfArch(elf(1, 1, 2, 3))).toBe('i386');
    expect(elfArch(elf(2, 2, 2, 21))).toBe('ppc64');
    expect(elfArch(elf(2, 1, 2, 21))).toBe('ppc64le');
    expect(elfArch(elf(2, 2, 2, 22))).toBe('s390x');
    expect(elfArch(elf(2, 1, 4, 62))).toBe('not-elf');
    expect(elfArch(Buffer.from('#!/bin/sh\necho hi\n'))).toBe('not-elf');
    expect(elfArch(Buffer.from('x\n'))).toBe('not-elf');
    expect(elfArch(Buffer.from('MZ\x90\x00'))).toBeUndefined();
    expect(elfArch(elf(2, 1, 2, 9999))).toBeUndefined();
  });
});

describe('quickInspect on a guest without the calls it needs', () => {
  it('falls back to the guest\'s own inspection', async () => {
    const g = MemoryGuest.of(debianTree());
    const r = await quickInspect(g);
    expect(r.path).toBe('full');
    expect(r.roots[0]).toMatchObject({ distro: 'debian', root: '/dev/sda1' });
  });
});
