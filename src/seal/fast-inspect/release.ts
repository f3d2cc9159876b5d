// Pure parts of the fast inspection: os-release and release files, package manager, osinfo id and
// ELF architecture, each following libguestfs 1.48 (daemon/inspect_fs_unix.ml, inspect_fs.ml,
// filearch.ml, lib/inspect-osinfo.c) for the distributions handled here. Anything outside that
// throws Unusual, and the caller falls back to libguestfs' own inspection.

/** Thrown when the fast path cannot be sure to answer as libguestfs would. */
export class Unusual extends Error {}

/** What inspection collects for one Linux root (libguestfs' inspection_data, the parts sealing needs). */
export interface ReleaseData {
  distro?: string;
  productName?: string;
  version?: { major: number; minor: number };
}

/** os-release ID to libguestfs' distro string; only the distros the fast path knows end to end. */
const OS_RELEASE_IDS: Record<string, string> = {
  debian: 'debian', ubuntu: 'ubuntu', fedora: 'fedora', rhel: 'rhel', centos: 'centos', rocky: 'rocky',
  sles: 'sles', sled: 'sles', opensuse: 'opensuse', alpine: 'alpinelinux', arch: 'archlinux', kali: 'kalilinux',
};
const ROLLING = new Set(['archlinux']);

/** libguestfs' shell_unquote for the simple cases; anything with escapes or expansions is Unusual. */
export function shellUnquote(v: string): string {
  if (!/["'\\$`]/.test(v)) return v;
  const n = v.length;
  if (n >= 2 && v[0] === '"' && v[n - 1] === '"' && !/["\\$`]/.test(v.slice(1, -1))) return v.slice(1, -1);
  if (n >= 2 && v[0] === "'" && v[n - 1] === "'" && !v.slice(1, -1).includes("'")) return v.slice(1, -1);
  throw new Unusual(`shell quoting not handled: ${v}`);
}

/** parse_version_from_major_minor: the first "N.M", else the first "N" (unanchored, like PCRE.matches). */
export function versionOf(s: string): { major: number; minor: number } | undefined {
  const mm = /(\d+)\.(\d+)/.exec(s);
  if (mm) return { major: Number(mm[1]), minor: Number(mm[2]) };
  const m = /(\d+)/.exec(s);
  return m ? { major: Number(m[1]), minor: 0 } : undefined;
}

/** parse_os_release: true when it settled distro, product and version (else the next file is tried). */
export function parseOsRelease(text: string, d: ReleaseData): boolean {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const raw = eq < 0 ? '' : line.slice(eq + 1);
    if (key === 'ID') {
      const v = shellUnquote(raw);
      const distro = OS_RELEASE_IDS[v];
      // An ID libguestfs knows but the fast path does not (or one it does not know): let it decide.
      if (!distro) throw new Unusual(`os-release ID=${v}`);
      d.distro = distro;
    } else if (key === 'PRETTY_NAME') d.productName = shellUnquote(raw);
    else if (key === 'VERSION_ID') {
      const v = shellUnquote(raw);
      if (/^V(\d+)Update(\d+)$/.test(v)) throw new Unusual('NeoKylin VERSION_ID');
      const ver = versionOf(v);
      if (ver) d.version = ver;
    }
  }
  if (d.distro === undefined || d.productName === undefined) return false;
  // Debian and CentOS give only the major version there: libguestfs then reads the release files.
  if ((d.distro === 'debian' || d.distro === 'centos' || d.distro === 'rocky') && d.version?.minor === 0) return false;
  if (d.version === undefined) {
    if (ROLLING.has(d.distro)) {
      d.version = { major: 0, minor: 0 };
      return true;
    }
    return false;
  }
  return true;
}

/** parse_generic without a regular expression: product = first line, version parsed from it. */
export function parseGeneric(text: string, distro: string, d: ReleaseData): boolean {
  const first = text.split('\n')[0] ?? '';
  if (first === '') return false;
  d.productName = first;
  d.distro = distro;
  const v = versionOf(first);
  if (v) d.version = v;
  return true;
}

/**
 * The release files libguestfs tries after os-release, in its order. Only /etc/debian_version is
 * parsed here; if another one is present first, the fast path gives up.
 */
export const RELEASE_FILES = [
  'lsb-release', 'openmandriva-release', 'oracle-release', 'centos-release', 'rocky-release', 'altlinux-release',
  'redhat-release', 'debian_version', 'pardus-release', 'arch-release', 'gentoo-release', 'meego-release',
  'slackware-version', 'ttylinux-target', 'SuSE-release', 'cirros', 'br-version', 'alpine-release',
  'frugalware-release', 'pld-release',
] as const;

/** check_package_format / check_package_management for the distros above. */
export function packaging(distro: string, major: number, hasDnf: boolean): { format: string; management: string } {
  switch (distro) {
    case 'debian': case 'ubuntu': case 'kalilinux':
      return { format: 'deb', management: 'apt' };
    case 'fedora':
      return { format: 'rpm', management: major >= 22 && hasDnf ? 'dnf' : major >= 1 ? 'yum' : 'unknown' };
    case 'rhel': case 'centos': case 'rocky':
      return { format: 'rpm', management: major >= 8 ? 'dnf' : major >= 5 ? 'yum' : major >= 2 ? 'up2date' : 'unknown' };
    case 'sles': case 'opensuse':
      return { format: 'rpm', management: 'zypper' };
    case 'alpinelinux':
      return { format: 'apk', management: 'apk' };
    case 'archlinux':
      return { format: 'pacman', management: 'pacman' };
    default:
      throw new Unusual(`no packaging rule for ${distro}`);
  }
}

/** guestfs_inspect_get_osinfo for Linux. */
export function osinfoOf(distro: string, major: number, minor: number): string {
  switch (distro) {
    case 'centos':
      if (major >= 8) return `centos${major}`;
      if (major === 7) return 'centos7.0';
      if (major === 6) return `centos6.${minor}`;
      break;
    case 'rocky':
      if (major >= 8) return `rocky${major}`;
      break;
    case 'debian':
      if (major >= 4) return `debian${major}`;
      break;
    case 'fedora':
      return `fedora${major}`;
    case 'sles':
      return minor === 0 ? `sles${major}` : `sles${major}sp${minor}`;
    case 'ubuntu':
      return `ubuntu${major}.${String(minor).padStart(2, '0')}`;
    case 'archlinux':
      return 'archlinux';
  }
  return distro !== 'unknown' && (major > 0 || minor > 0) ? `${distro}${major}.${minor}` : 'unknown';
}

/**
 * The architecture libguestfs' file_architecture gives an ELF binary (it parses file(1) output),
 * from the ELF header. 'not-elf' when it is not an ELF file file(1) would call an executable,
 * shared object or relocatable; undefined when the fast path cannot tell (ask libguestfs).
 */
export function elfArch(head: Buffer): string | 'not-elf' | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) {
    // PE, cpio and compressed files have their own rules in file_architecture.
    const magic = head.subarray(0, 6).toString('latin1');
    if (magic.startsWith('MZ') || magic.startsWith('07070') || magic.startsWith('\x1f\x8b') || magic.startsWith('BZh') ||
      magic.startsWith('\xfd7zXZ') || magic.startsWith('\x28\xb5\x2f\xfd') || magic.startsWith('\xc7\x71') || magic.startsWith('\x71\xc7')) return undefined;
    return 'not-elf';
  }
  const bits = head[4] === 2 ? 64 : head[4] === 1 ? 32 : 0;
  const le = head[5] === 1;
  if (!bits || (head[5] !== 1 && head[5] !== 2)) return undefined;
  const type = le ? head.readUInt16LE(16) : head.readUInt16BE(16);
  if (type < 1 || type > 3) return 'not-elf';
  const machine = le ? head.readUInt16LE(18) : head.readUInt16BE(18);
  switch (machine) {
    case 3: return 'i386';
    case 62: return 'x86_64';
    case 183: return 'aarch64';
    case 40: return 'arm';
    case 20: return 'ppc';
    case 21: return le ? 'ppc64le' : 'ppc64';
    case 22: return bits === 64 ? 's390x' : 's390';
    case 243: return `riscv${bits}`;
    case 43: return 'sparc64';
    case 50: return 'ia64';
    default: return undefined;
  }
}
