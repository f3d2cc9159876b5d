// Maps appliance devices back to the drive (and so the guest) they belong to, so several guests
// can share one appliance without an operation reaching into another guest's disks.
import type { SealGuest } from './guest-api.js';

async function list(g: SealGuest, name: string, ...args: unknown[]): Promise<string[]> {
  try {
    return ((await g.call(name, ...args)) as string[]) ?? [];
  } catch {
    return [];
  }
}

/** The drive index of a whole-disk device, e.g. /dev/sdb → 1. */
async function indexOfDisk(g: SealGuest, dev: string): Promise<number> {
  return Number(await g.call('device_index', dev));
}

/** What the appliance sees, indexed by drive. */
export interface DeviceMap {
  /** Drive index of every device, partition, PV-backed LV and mountable filesystem name. */
  driveOf(device: string): number[];
  /** Every device on the given drives (disks, partitions, LVs), for device-level operations. */
  devicesOf(drives: ReadonlySet<number>): string[];
  /** LVM names or PV UUIDs that appear more than once (guests then need separate appliances). */
  lvmClash: boolean;
}

/** Builds the device map of an appliance. */
export async function mapDevices(g: SealGuest): Promise<DeviceMap> {
  const owner = new Map<string, Set<number>>();
  const add = (dev: string, idx: Iterable<number>) => {
    const s = owner.get(dev) ?? new Set<number>();
    for (const i of idx) s.add(i);
    owner.set(dev, s);
  };
  for (const d of await list(g, 'list_devices')) add(d, [await indexOfDisk(g, d)]);
  for (const p of await list(g, 'list_partitions')) add(p, [await indexOfDisk(g, String(await g.call('part_to_dev', p)))]);

  const pvs = await list(g, 'pvs');
  const pvByUuid = new Map<string, string>();
  for (const pv of pvs) pvByUuid.set(String(await g.call('pvuuid', pv)), pv);
  const vgs = await list(g, 'vgs');
  for (const vg of vgs) {
    const drives = new Set<number>();
    for (const u of await list(g, 'vgpvuuids', vg)) for (const i of owner.get(pvByUuid.get(u) ?? '') ?? []) drives.add(i);
    for (const lv of await list(g, 'lvs')) if (lv.startsWith(`/dev/${vg}/`)) add(lv, drives);
    add(`/dev/${vg}`, drives);
  }
  // Identical clones carry identical PV UUIDs; LVM then hides all but one copy.
  let lvmMembers = 0;
  for (const p of [...(await list(g, 'list_partitions')), ...(await list(g, 'list_devices'))]) {
    try {
      if (String(await g.call('vfs_type', p)) === 'LVM2_member') lvmMembers++;
    } catch {
      // No filesystem signature: not an LVM member.
    }
  }
  const lvmClash = new Set(vgs).size !== vgs.length || lvmMembers > pvs.length;

  return {
    driveOf(device) {
      const direct = owner.get(device);
      if (direct) return [...direct];
      // Filesystems on btrfs subvolumes ("/dev/sda2:/@") and mapper names.
      const base = device.split(':')[0]!;
      const m = /^\/dev\/mapper\/([^-]+(?:--[^-]+)*)-/.exec(base);
      if (m) return [...(owner.get(`/dev/${m[1]!.replace(/--/g, '-')}`) ?? [])];
      return [...(owner.get(base) ?? [])];
    },
    devicesOf(drives) {
      return [...owner.entries()].filter(([, s]) => [...s].some((i) => drives.has(i))).map(([d]) => d);
    },
    lvmClash,
  };
}
