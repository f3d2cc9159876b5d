// OS inspection: libguestfs finds operating systems on the drives; we collect what sealing needs.

/** One operating system found by inspection. Strings are libguestfs' ('unknown' when it could not tell). */
export interface OsRoot {
  /** The root filesystem device, e.g. '/dev/sda1' or '/dev/vg/root'. */
  root: string;
  /** 'linux', 'windows', 'freebsd', ... */
  type: string;
  /** 'debian', 'ubuntu', 'fedora', 'rhel', ... */
  distro: string;
  version: { major: number; minor: number };
  productName: string;
  /** 'deb', 'rpm', ... */
  packageFormat: string;
  /** 'apt', 'dnf', 'yum', ... */
  packageManagement: string;
  hostname: string;
  arch: string;
  /** libosinfo short id, e.g. 'debian12'. */
  osinfo: string;
  /** In mount order: parents before children ('/' first). */
  mountpoints: Array<{ mountpoint: string; device: string }>;
}

/** Mount order: fewer path components first, so '/' precedes '/boot' precedes '/boot/efi'. */
export function sortMountpoints(map: Record<string, string>): Array<{ mountpoint: string; device: string }> {
  const depth = (p: string) => (p === '/' ? 0 : p.split('/').filter(Boolean).length);
  return Object.entries(map)
    .map(([mountpoint, device]) => ({ mountpoint, device }))
    .sort((a, b) => depth(a.mountpoint) - depth(b.mountpoint) || a.mountpoint.length - b.mountpoint.length || (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0));
}

type Caller = (name: string, ...args: unknown[]) => Promise<unknown>;

/** Runs inspect_os and reads every root's facts. An empty array means no OS was found. */
export async function inspectRoots(call: Caller): Promise<OsRoot[]> {
  const roots = (await call('inspect_os')) as string[];
  const out: OsRoot[] = [];
  for (const root of [...roots].sort()) {
    const s = async (what: string) => (await call(`inspect_get_${what}`, root)) as string;
    const n = async (what: string) => (await call(`inspect_get_${what}`, root)) as number;
    out.push({
      root,
      type: await s('type'),
      distro: await s('distro'),
      version: { major: await n('major_version'), minor: await n('minor_version') },
      productName: await s('product_name'),
      packageFormat: await s('package_format'),
      packageManagement: await s('package_management'),
      hostname: await s('hostname'),
      arch: await s('arch'),
      osinfo: await s('osinfo'),
      mountpoints: sortMountpoints((await call('inspect_get_mountpoints', root)) as Record<string, string>),
    });
  }
  return out;
}
