// Maps appliance devices back to the drive (and so the guest) they belong to, so several guests
// can share one appliance without an operation reaching into another guest's disks.
import type { InspectedRoot, SealGuest } from './guest-api.js';


/**
 * Drive index of a device name. libguestfs names drives /dev/sda, /dev/sdb, … in the order they
 * were added, whatever the bus, so the name alone gives the index (sda=0, sdz=25, sdaa=26).
 */
export function driveIndexOf(device: string): number | undefined {
  const m = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]+)\d*$/.exec(device);
  if (!m) return undefined;
  let n = 0;
  for (const c of m[1]!) n = n * 26 + (c.charCodeAt(0) - 96);
  return n - 1;
}

/** What the appliance sees, indexed by drive. */
export interface DeviceMap {
  /** Drive indexes a device, partition, md array, LV or btrfs subvolume lives on ([] when unknown). */
  driveOf(device: string): number[];
  /** Every device on the given drives (disks, partitions, md arrays, VGs, LVs), for device-level operations. */
  devicesOf(drives: ReadonlySet<number>): string[];
  /**
   * True when guests must not share this appliance: duplicated VG names or PV UUIDs (clones of
   * one template), or LVM or md arrays that cannot be mapped to drives.
   */
  lvmClash: boolean;
  /** True when the appliance sees any LVM PV (lvm-uuids has nothing to do otherwise). */
  hasLvm: boolean;
}

/**
 * Builds the device map of an appliance. `opened`: LUKS volumes opened in it (seal/luks.ts): each
 * plaintext device belongs to the drives of its encrypted device, and so do the VGs inside it.
 */
export async function mapDevices(g: SealGuest, opened: ReadonlyArray<{ device: string; mapper: string }> = []): Promise<DeviceMap> {
  const owner = new Map<string, Set<number>>();
  const add = (dev: string, idx: Iterable<number>) => {
    const s = owner.get(dev) ?? new Set<number>();
    for (const i of idx) s.add(i);
    owner.set(dev, s);
  };
  const devices = await g.listDevices();
  const parts = await g.listPartitions();
  for (const d of [...devices, ...parts]) {
    const i = driveIndexOf(d);
    if (i !== undefined) add(d, [i]);
  }

  let mapped = true;
  // md RAID arrays (and their partitions) belong to the drives of their members, matched by the
  // array UUID (md_detail's, and blkid's on each linux_raid_member). Done before LVM, whose PVs
  // may sit on an array. Stacked arrays (md over md) are resolved by repeating the pass.
  const mds = (await g.call('list_md_devices')) as string[];
  if (mds.length > 0) {
    const hex = (u: string) => u.toLowerCase().replace(/[^0-9a-f]/g, '');
    const memberUuid = new Map<string, string>();
    const uuidOf = async (d: string) => {
      let t = '';
      try {
        t = await g.vfsType(d);
      } catch {
        // no signature
      }
      if (t !== 'linux_raid_member') return;
      const u = await g.call('vfs_uuid', d);
      if (typeof u === 'string' && u !== '') memberUuid.set(d, hex(u));
    };
    for (const d of [...devices, ...parts]) await uuidOf(d);
    const arrayUuid = new Map<string, string>();
    for (const md of mds) {
      const detail = (await g.call('md_detail', md)) as Record<string, string> | undefined;
      if (detail?.['uuid']) {
        const u = hex(detail['uuid']);
        arrayUuid.set(md, u);
        // Clones of one template carry the same array UUID: more members than the array has.
        const want = Number(detail['devices']);
        if (Number.isInteger(want) && [...memberUuid.values()].filter((m) => m === u).length > want) mapped = false;
      } else mapped = false;
    }
    for (const md of mds) await uuidOf(md);
    for (let pass = 0; pass < 4; pass++) {
      for (const [md, u] of arrayUuid) {
        const drives = [...memberUuid].filter(([, m]) => m === u).flatMap(([d]) => [...(owner.get(d) ?? [])]);
        if (drives.length === 0) continue;
        add(md, drives);
        for (const p of parts) if (p.startsWith(`${md}p`) && /^\d+$/.test(p.slice(md.length + 1))) add(p, drives);
      }
    }
    for (const md of mds) {
      if ((owner.get(md)?.size ?? 0) > 0) continue;
      // Not attributable: it counts as every drive's (a single guest seals it; a batch splits).
      mapped = false;
      add(md, new Set([...owner.values()].flatMap((s) => [...s])));
    }
  }

  const vgs = await g.vgs();
  const pvs = await g.pvs();
  // LUKS mappings: on a partition (known now) or on an LV (known after the LVM pass); LVM inside
  // a mapping needs its owner first. Nesting is shallow: two passes each.
  const addMapped = () => {
    for (const m of opened) add(m.mapper, owner.get(m.device) ?? []);
  };
  const lvmPass = async () => {
    const pvByUuid = new Map<string, string>();
    for (const pv of pvs) {
      const u = await g.call('pvuuid', pv);
      if (typeof u !== 'string') mapped = false;
      else pvByUuid.set(u, pv);
    }
    const lvs = await g.lvs();
    for (const vg of vgs) {
      const uuids = await g.call('vgpvuuids', vg);
      if (!Array.isArray(uuids)) mapped = false;
      const drives = new Set<number>();
      for (const u of (uuids as string[] | undefined) ?? []) for (const i of owner.get(pvByUuid.get(u) ?? '') ?? []) drives.add(i);
      for (const lv of lvs) if (lv.startsWith(`/dev/${vg}/`)) add(lv, drives);
      add(`/dev/${vg}`, drives);
    }
  };
  const onLv = opened.filter((m) => !owner.has(m.device));
  addMapped();
  if (vgs.length > 0) await lvmPass();
  if (onLv.length > 0) {
    addMapped();
    // LVM inside LUKS inside LVM: its VG's owner is known only now.
    if (onLv.some((m) => pvs.includes(m.mapper))) await lvmPass();
  }
  for (const m of opened) if ((owner.get(m.mapper)?.size ?? 0) === 0) mapped = false;
  // Identical clones carry identical PV UUIDs; LVM then hides all but one copy.
  let members = 0;
  for (const p of [...parts, ...devices, ...opened.map((m) => m.mapper)]) {
    try {
      if ((await g.vfsType(p)) === 'LVM2_member') members++;
    } catch {
      // No signature: not an LVM member.
    }
  }
  const lvmClash = new Set(vgs).size !== vgs.length || members > pvs.length || !mapped;

  return {
    driveOf(device) {
      const base = device.split(':')[0]!;
      const direct = owner.get(base);
      if (direct) return [...direct];
      // /dev/mapper/vg-lv names ("-" inside names doubled).
      const m = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(base);
      if (m) return [...(owner.get(`/dev/${m[1]!.replace(/--/g, '-')}`) ?? [])];
      return [];
    },
    devicesOf(drives) {
      return [...owner.entries()].filter(([, s]) => [...s].some((i) => drives.has(i))).map(([d]) => d);
    },
    lvmClash,
    hasLvm: pvs.length > 0 || vgs.length > 0,
  };
}

/**
 * Inspection reads mountpoints from the guest's /etc/fstab, whose device names are the guest's
 * own view: in an appliance shared by several guests, "/dev/sda2" of the third guest names the
 * first guest's disk, and a UUID shared by clones resolves to whichever copy comes first. This
 * pins '/' to the inspected root, shifts /dev/sdX names by the guest's first drive, and returns
 * undefined when a mountpoint still lands outside the guest's drives (the caller then gives
 * the guest an appliance of its own, before anything is written).
 */
export function pinMountpoints<R extends InspectedRoot>(root: R, map: DeviceMap, drives: ReadonlySet<number>, firstDrive: number): R | undefined {
  const mountpoints = [];
  for (const m of root.mountpoints) {
    let device = m.mountpoint === '/' ? root.root : m.device;
    const inside = (d: string) => map.driveOf(d).some((i) => drives.has(i));
    if (!inside(device)) {
      const idx = driveIndexOf(device.split(':')[0]!);
      const shifted = idx === undefined ? undefined : device.replace(/^\/dev\/(?:sd|vd|hd|xvd)[a-z]+/, `/dev/sd${driveName(idx + firstDrive)}`);
      if (!shifted || !inside(shifted)) return undefined;
      device = shifted;
    }
    mountpoints.push({ mountpoint: m.mountpoint, device });
  }
  return { ...root, mountpoints };
}

/** Drive index to the letters of its device name: 0 → "a", 26 → "aa". */
export function driveName(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(97 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}
