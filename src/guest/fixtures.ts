// Test fixtures built through libguestfs itself (no host tools): blank or formatted images, and a
// minimal Debian-like root that libguestfs inspection recognises.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalid } from '../errors.js';
import { Guest } from './guest.js';
import type { GuestOpenOptions } from './options.js';

export interface CreateDiskOptions {
  format: 'qcow2' | 'raw';
  sizeMiB: number;
  /** Make one MBR partition (/dev/sda1) with this filesystem. Without it the disk stays blank. */
  fs?: 'ext4' | 'ext3' | 'ext2' | 'xfs' | 'vfat';
  label?: string;
  /** Called with the filesystem mounted on / (same launch), e.g. populate it. */
  populate?: (g: Guest) => Promise<void>;
  /** Passed to Guest.open (accel, onLog, ...). */
  open?: Omit<GuestOpenOptions, 'drives' | 'launch'>;
}

export interface CreatedDisk {
  path: string;
  format: 'qcow2' | 'raw';
  /** The partition holding the filesystem, when `fs` was given. */
  device?: string;
}

/** Creates an image (replacing any file at `path`), with at most one appliance launch. */
export async function createDisk(path: string, opts: CreateDiskOptions): Promise<CreatedDisk> {
  if (!Number.isInteger(opts.sizeMiB) || opts.sizeMiB < 1) throw invalid('sizeMiB must be a positive integer');
  if (opts.format !== 'qcow2' && opts.format !== 'raw') throw invalid("format must be 'qcow2' or 'raw'");
  if (!opts.fs && (opts.label || opts.populate)) throw invalid('label and populate need fs');
  const abs = resolve(path);
  await rm(abs, { force: true });
  // disk_create runs on the host: a handle that is never launched is enough.
  const maker = await Guest.open({ drives: [{ path: '/dev/null', format: 'raw', readonly: true }], launch: false });
  try {
    await maker.diskCreate(abs, opts.format, opts.sizeMiB * 1024 * 1024, opts.format === 'qcow2' ? { preallocation: 'metadata' } : {});
  } finally {
    await maker.close();
  }
  if (!opts.fs) return { path: abs, format: opts.format };
  const g = await Guest.open({ ...opts.open, drives: [{ path: abs, format: opts.format }] });
  try {
    await g.partDisk('/dev/sda', 'mbr');
    await g.mkfs(opts.fs, '/dev/sda1', opts.label ? { label: opts.label } : {});
    if (opts.populate) {
      await g.mount('/dev/sda1', '/');
      await opts.populate(g);
    }
    await g.shutdown();
  } finally {
    await g.close();
  }
  return { path: abs, format: opts.format, device: '/dev/sda1' };
}

/**
 * Writes the smallest tree libguestfs 1.48 inspects as Debian on the mounted filesystem:
 * /etc with os-release, debian_version, hostname and fstab, plus /bin and /usr/bin.
 * `rootDevice` is how fstab names the root (as the guest would see it).
 */
export async function writeDebianLikeTree(g: Guest, o: { hostname?: string; rootDevice?: string; version?: string } = {}): Promise<void> {
  const version = o.version ?? '12.5';
  const major = version.split('.')[0];
  for (const d of ['/etc', '/bin', '/usr/bin', '/sbin', '/var/lib/dpkg', '/root', '/tmp', '/var/log']) await g.mkdirP(d);
  await g.write(
    '/etc/os-release',
    `PRETTY_NAME="Debian GNU/Linux ${major} (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="${major}"\nVERSION="${major} (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n`,
  );
  await g.write('/etc/debian_version', `${version}\n`);
  await g.write('/etc/hostname', `${o.hostname ?? 'fixture'}\n`);
  await g.write('/etc/fstab', `${o.rootDevice ?? '/dev/sda1'} / ext4 errors=remount-ro 0 1\n`);
  await g.write('/etc/hosts', `127.0.0.1 localhost\n127.0.1.1 ${o.hostname ?? 'fixture'}\n`);
  await g.touch('/bin/sh');
  await g.touch('/usr/bin/apt-get');
  // Debian boots with systemd: sealing hooks its first-boot unit there.
  await g.mkdirP('/lib/systemd');
  await g.touch('/lib/systemd/systemd');
}
