// Fast OS inspection for sealing. libguestfs' inspect_os takes ~11 s under TCG here (it mounts
// every filesystem and runs Augeas and helper programs inside the appliance); reading the few files
// it looks at through ordinary calls takes ~20 of them (~17 ms each). The answer must equal
// inspect_os': whenever a guest is not one of the well-known cases, this gives up and runs it.
import { sortMountpoints } from '../../guest/inspect.js';
import type { InspectedRoot, SealGuest } from '../guest-api.js';
import { mountpointsOf, parseFstab, resolveFstab } from './fstab.js';
import { RELEASE_FILES, Unusual, elfArch, osinfoOf, packaging, parseGeneric, parseOsRelease, type ReleaseData } from './release.js';

export { Unusual } from './release.js';

/** Filesystem types whose OS detection the fast path knows (others: libguestfs decides). */
const KNOWN_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'vfat']);
const SKIPPED_FS = new Set(['swap', 'unknown', '']);
/** Top-level names that make libguestfs look for a non-Linux OS or a /usr (case-insensitive). */
const OTHER_OS_MARKERS = /^(windows|winnt|win32|win|reactos|boot\.ini|fdos|dos|hurd|netbsd|bsd|service|system volume information)$/i;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const SMALL_FILE = 2 * 1048 * 1024;
const AUGEAS_MAX = 100 * 1000;
const ARCH_BINARIES = ['/bin/bash', '/bin/ls', '/bin/echo', '/bin/rm', '/bin/sh'];

export interface InspectOutcome {
  roots: InspectedRoot[];
  /** 'fast' when read directly, 'full' when libguestfs' inspect_os answered. */
  path: 'fast' | 'full';
  /** Why the fast path gave up. */
  reason?: string;
}

type Call = (name: string, ...args: unknown[]) => Promise<unknown>;
interface Stat {
  ino: number;
  mode: number;
  size: number;
}

/** Inspects the guest, fast when it can be sure to answer as inspect_os would. */
export async function quickInspect(g: SealGuest): Promise<InspectOutcome> {
  let reason: string;
  try {
    return { roots: await fastInspect(g), path: 'fast' };
  } catch (e) {
    reason = e instanceof Unusual ? e.message : `error: ${(e as Error).message}`;
    await Promise.resolve(g.umountAll()).catch(() => undefined);
  }
  return { roots: await g.inspect(), path: 'full', reason };
}

/**
 * The fast path alone: the roots, sorted by device like Guest.inspect(). Throws Unusual when
 * libguestfs must decide (also when no root is found: proving "no OS" needs all its rules).
 */
export async function fastInspect(g: SealGuest): Promise<InspectedRoot[]> {
  const roots = await fastRoots(g);
  if (roots.length === 0) throw new Unusual('no root found');
  return roots.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
}

/**
 * The filesystems inspect_os would try. list_filesystems costs ~5 s under TCG (it asks parted
 * about every device); this asks blkid (vfs_type, ~160 ms) about partitions and unpartitioned
 * disks, LVM only when a PV is seen, and device-mapper devices only when a LUKS volume is.
 */
async function filesystems(g: SealGuest): Promise<Array<[string, string]>> {
  if (((await g.call('list_md_devices')) as string[]).length > 0) throw new Unusual('md devices');
  const devices = await g.listDevices();
  const parts = await g.listPartitions();
  const partitioned = (d: string) => parts.some((p) => p.startsWith(d) && /^\d+$/.test(p.slice(d.length)));
  const out: Array<[string, string]> = [];
  const probe = async (d: string) => {
    let t = '';
    try {
      t = await g.vfsType(d);
    } catch {
      // no signature
    }
    out.push([d, t]);
  };
  const probeNew = async (ds: readonly string[]) => {
    for (const d of ds) if (!out.some(([x]) => x === d)) await probe(d);
  };
  const seen = (type: string) => out.some(([, t]) => t === type);
  // LUKS volumes opened with seal's `keys` are device-mapper devices (list_filesystems lists them
  // too): LVM may sit inside one (LVM-on-LUKS), and an LV may be one (LUKS-on-LVM).
  const dm = async () => (seen('crypto_LUKS') ? probeNew((await g.call('list_dm_devices')) as string[]) : undefined);
  await probeNew([...devices.filter((d) => !partitioned(d)), ...parts]);
  await dm();
  if (seen('LVM2_member')) await probeNew(await g.lvs());
  await dm();
  return out;
}

async function fastRoots(g: SealGuest): Promise<InspectedRoot[]> {
  const call: Call = async (name, ...args) => g.call(name, ...args);
  const fses = await filesystems(g);
  const devices = await g.listDevices();
  const roots: InspectedRoot[] = [];
  for (const [dev, type] of fses) {
    // A LUKS header does not mount (inspect_os skips it so): its opened plaintext, if any, is probed.
    if (SKIPPED_FS.has(type) || type.endsWith('_member') || type === 'crypto_LUKS') continue;
    if (!KNOWN_FS.has(type)) throw new Unusual(`${dev} is ${type}`);
    try {
      await call('mount_ro', dev, '/');
    } catch {
      continue; // as inspect_os: a filesystem that does not mount is not an OS
    }
    try {
      const root = await inspectMounted(call, dev, devices);
      if (root) roots.push(root);
    } finally {
      await call('umount_all');
    }
  }
  return roots;
}

async function lstats(call: Call, dir: string, names: string[]): Promise<Map<string, Stat>> {
  const m = new Map<string, Stat>();
  if (names.length === 0) return m;
  const st = (await call('lstatnslist', dir, names)) as Stat[];
  names.forEach((n, i) => {
    if (st[i] && st[i].ino !== -1) m.set(n, st[i]);
  });
  return m;
}
const isType = (s: Stat | undefined, t: number) => s !== undefined && (s.mode & S_IFMT) === t;

/** The role of the filesystem mounted on /: a Linux root (its facts), or undefined (not an OS). */
async function inspectMounted(call: Call, dev: string, devices: readonly string[]): Promise<InspectedRoot | undefined> {
  const top = (await call('ls', '/')) as string[];
  if (top.some((n) => OTHER_OS_MARKERS.test(n))) throw new Unusual(`${dev} has /${top.find((n) => OTHER_OS_MARKERS.test(n))}`);
  const names = new Set(top);
  if (!names.has('etc')) {
    if (names.has('bin') && names.has('share')) throw new Unusual(`${dev} looks like a /usr`);
    return undefined;
  }
  const st = await lstats(call, '/', ['etc', 'bin'].filter((n) => names.has(n)));
  let binOk = isType(st.get('bin'), S_IFDIR);
  if (!binOk && isType(st.get('bin'), S_IFLNK)) binOk = (await call('readlink', '/bin')) === 'usr/bin';
  const etcNames = isType(st.get('etc'), S_IFDIR) ? ((await call('ls', '/etc')) as string[]) : [];
  const wanted = ['fstab', 'hosts', 'os-release', 'HOSTNAME', 'hostname', 'sysconfig', ...RELEASE_FILES];
  const etc = await lstats(call, '/etc', wanted.filter((n) => etcNames.includes(n)));
  const linuxRoot = binOk && (isType(etc.get('fstab'), S_IFREG) || isType(etc.get('hosts'), S_IFREG));
  if (!linuxRoot) throw new Unusual(`${dev} has /etc but is not a plain Linux root`);
  if (names.has('grub') || names.has('grub2')) throw new Unusual(`${dev} has /grub next to /etc`);

  // Regular files as libguestfs sees them: symlinks followed inside the guest (realpath runs chrooted).
  const file = async (name: string, max: number): Promise<string | undefined> => {
    const s = etc.get(name);
    if (!s) return undefined;
    let path = `/etc/${name}`;
    let size = s.size;
    if (isType(s, S_IFLNK)) {
      path = (await call('realpath', path)) as string;
      const t = (await call('lstatns', path)) as Stat;
      if (!isType(t, S_IFREG)) return undefined;
      size = t.size;
    } else if (!isType(s, S_IFREG)) return undefined;
    if (size > max) throw new Unusual(`${path} is large`);
    // pread: one message; read_file goes through a file transfer (~170 ms here).
    return size === 0 ? '' : ((await call('pread', path, size, 0)) as Buffer).toString('utf8');
  };

  const d: ReleaseData = {};
  const osRelease = await file('os-release', SMALL_FILE);
  if (!(osRelease !== undefined && parseOsRelease(osRelease, d))) {
    const next = RELEASE_FILES.find((n) => etc.has(n));
    if (next !== 'debian_version') throw new Unusual(`release file ${next ?? '(none)'}`);
    const text = await file('debian_version', SMALL_FILE);
    if (text === undefined || !parseGeneric(text, 'debian', d)) throw new Unusual('debian_version unreadable');
  }
  if (!d.distro) throw new Unusual('no distro');
  const major = d.version?.major ?? 0;
  const minor = d.version?.minor ?? 0;
  const hasDnf = d.distro === 'fedora' && major >= 22 ? ((await call('is_file', '/usr/bin/dnf', { followsymlinks: true })) as boolean) : false;
  const pkg = packaging(d.distro, major, hasDnf);

  let hostname: string | undefined;
  for (const n of ['HOSTNAME', 'hostname']) {
    const text = await file(n, SMALL_FILE);
    const lines = text?.split('\n');
    if (lines && !(lines.length === 1 && lines[0] === '')) {
      hostname = lines[0];
      break;
    }
  }
  if (hostname === undefined && etc.has('sysconfig')) {
    if ((await call('is_file', '/etc/sysconfig/network')) as boolean) throw new Unusual('hostname in /etc/sysconfig/network');
  }

  const fstabText = await file('fstab', AUGEAS_MAX).catch((e: unknown) => {
    // A large fstab is ignored by libguestfs (not given to Augeas).
    if (e instanceof Unusual) return undefined;
    throw e;
  });
  const pairs = await resolveFstab(parseFstab(fstabText ?? ''), {
    root: dev,
    devices,
    findUuid: (u) => optional(call('findfs_uuid', u)),
    findLabel: (l) => optional(call('findfs_label', l)),
    canonicalLv: async (s) => (await optional(call('lvm_canonical_lv_name', s))) ?? s,
  });

  return {
    root: dev, type: 'linux', distro: d.distro, version: { major, minor }, productName: d.productName ?? 'unknown',
    packageFormat: pkg.format, packageManagement: pkg.management, hostname: hostname ?? 'unknown',
    arch: await archOf(call), osinfo: osinfoOf(d.distro, major, minor),
    mountpoints: sortMountpoints(mountpointsOf(pairs, dev)),
  };
}

async function optional(p: Promise<unknown>): Promise<string | undefined> {
  try {
    return (await p) as string;
  } catch {
    return undefined;
  }
}

/** check_architecture: the first of the binaries whose architecture can be told. */
async function archOf(call: Call): Promise<string> {
  for (const bin of ARCH_BINARIES) {
    if (!((await call('is_file', bin, { followsymlinks: true })) as boolean)) continue;
    let real: string;
    try {
      real = (await call('realpath', bin)) as string;
    } catch {
      continue;
    }
    const head = (await call('pread', real, 64, 0)) as Buffer;
    const a = elfArch(head);
    if (a === 'not-elf') continue;
    if (a !== undefined) return a;
    const viaFile = await optional(call('file_architecture', real));
    if (viaFile !== undefined) return viaFile;
  }
  return 'unknown';
}
