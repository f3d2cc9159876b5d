// /etc/fstab as libguestfs 1.48 inspection reads it (Augeas' Fstab lens, then
// daemon/inspect_fs_unix_fstab.ml), in TypeScript. Lines Augeas might read differently, and device
// schemes whose mapping needs more than a name (md, by-id, BSD, btrfs subvolumes), are Unusual.
import { Unusual, shellUnquote } from './release.js';

export interface FstabEntry {
  spec: string;
  file: string;
  vfstype: string;
}

/** Splits fstab into entries. Comments and blank lines are skipped; anything odd is Unusual. */
export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    const f = line.trim().split(/[ \t]+/);
    if (f.length < 3 || f.length > 6) throw new Unusual(`fstab line ${i + 1}: ${f.length} fields`);
    const [spec, file, vfstype, opts, dump, passno] = f as [string, string, string, string?, string?, string?];
    // Augeas stores a comma list of types as several nodes, and libguestfs then skips the entry.
    if (vfstype.includes(',') || spec.startsWith(',') || /\\/.test(line)) throw new Unusual(`fstab line ${i + 1}: ${raw}`);
    if ((dump !== undefined && !/^\d+$/.test(dump)) || (passno !== undefined && !/^\d+$/.test(passno))) throw new Unusual(`fstab line ${i + 1}: dump/passno`);
    if (opts !== undefined && /(^|,)subvol(id)?=/.test(opts)) throw new Unusual('btrfs subvolume in fstab');
    out.push({ spec, file, vfstype });
  }
  return out;
}

/** unix_canonical_path: "///usr//local//" -> "/usr/local". */
export function canonicalPath(p: string): string {
  const parts = p.split('/').filter(Boolean);
  return (p.startsWith('/') ? '/' : '') + parts.join('/');
}

const IGNORED_MP = /^\/(dev|proc|selinux|sys)(\/|$)|^\/media\//;

/** How names are resolved in the appliance (calls into libguestfs, injected for unit tests). */
export interface FstabResolver {
  /** The root filesystem being inspected (for /dev/root). */
  root: string;
  /** list_devices, in drive order. */
  devices: readonly string[];
  findUuid(uuid: string): Promise<string | undefined>;
  findLabel(label: string): Promise<string | undefined>;
  /** /dev/mapper/VG-LV to /dev/VG/LV (lvm_canonical_lv_name); the name itself when not an LV. */
  canonicalLv(spec: string): Promise<string>;
}

/** libguestfs' drive_index: "a" -> 0, "z" -> 25, "aa" -> 26. */
function driveIndex(letters: string): number {
  let n = 0;
  for (const c of letters) n = n * 26 + (c.charCodeAt(0) - 96);
  return n - 1;
}

/** resolve_fstab_device for Linux guests. */
async function resolveDevice(spec: string, r: FstabResolver): Promise<string> {
  if (spec.startsWith('/dev/mapper')) return r.canonicalLv(spec);
  const x = /^\/dev\/(h|s|v|xv)d([a-z]+)(\d*)$/.exec(spec);
  if (x) {
    const i = driveIndex(x[2]!);
    // is_partition only looks at the name: a partition number is enough.
    return x[3] !== '' && i >= 0 && i < r.devices.length ? `${r.devices[i]!}${x[3]!}` : spec;
  }
  if (/^\/dev\/cciss\//.test(spec)) return spec;
  if (/^\/dev\/md\d+$/.test(spec) || /^\/dev\/disk\/by-id\/.*-part\d+$/.test(spec) || /^\/dev\/(ada?|vtbd)\d+[ps]/.test(spec) || /^\/dev\/hd\d+s\d+$/.test(spec)) {
    throw new Unusual(`fstab device ${spec} needs libguestfs' mapping`);
  }
  return spec;
}

/** check_fstab_entry for each entry: [device, mountpoint] pairs, in file order. */
export async function resolveFstab(entries: readonly FstabEntry[], r: FstabResolver): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const e of entries) {
    const s = e.spec;
    if (/^\/dev\/(fd|cd)\d/.test(s) || s === '/dev/floppy' || s === '/dev/cdrom' || s.startsWith('/dev/iso9660/')) continue;
    const mp = canonicalPath(e.file);
    if (IGNORED_MP.test(mp)) continue;
    let dev: string | undefined;
    if (s.startsWith('UUID=')) dev = await r.findUuid(shellUnquote(s.slice(5)));
    else if (s.startsWith('LABEL=')) dev = await r.findLabel(shellUnquote(s.slice(6)));
    else if (s === '/dev/root') dev = r.root;
    else if (s.startsWith('/dev/')) dev = await resolveDevice(s, r);
    else if (/^[0-9a-f]{16}\.[a-z]/.test(s)) throw new Unusual('OpenBSD DUID in fstab');
    // PARTUUID=, tmpfs, proc, ...: libguestfs 1.48 skips them too.
    if (dev === undefined) continue;
    if (e.vfstype === 'btrfs') throw new Unusual('btrfs in fstab');
    out.push([dev, mp]);
  }
  return out;
}

/** inspect_get_mountpoints: mountpoint -> device; just the root when fstab gave nothing. */
export function mountpointsOf(pairs: ReadonlyArray<[string, string]>, root: string): Record<string, string> {
  if (pairs.length === 0) return { '/': root };
  const map: Record<string, string> = {};
  for (const [dev, mp] of pairs) {
    if (!mp.startsWith('/')) continue;
    if (mp in map) throw new Unusual(`fstab mounts ${mp} twice`);
    map[mp] = dev;
  }
  return map;
}
