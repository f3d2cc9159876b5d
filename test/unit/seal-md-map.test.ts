// The device map over md RAID (issue 15.1), against a small double answering as libguestfs does:
// md arrays and what sits on them belong to the drives of their members (by array UUID).
import { describe, expect, it } from 'vitest';
import { mapDevices } from '../../src/seal/devices.js';
import type { SealGuest } from '../../src/seal/guest-api.js';

function appliance(o: { parts: string[]; members: Record<string, string>; mds: Record<string, { uuid: string; devices: number; fs: string }>; pvs?: string[]; vgs?: Record<string, string[]> }): SealGuest {
  const pvUuid = (pv: string) => `pv-${pv}`;
  const g = {
    listDevices: () => [...new Set(o.parts.filter((p) => p.startsWith('/dev/sd')).map((p) => p.replace(/\d+$/, '')))],
    listPartitions: () => o.parts,
    vfsType: (d: string) => (o.members[d] ? 'linux_raid_member' : o.mds[d]?.fs ?? 'ext4'),
    pvs: () => o.pvs ?? [],
    vgs: () => Object.keys(o.vgs ?? {}),
    lvs: () => Object.keys(o.vgs ?? {}).map((vg) => `/dev/${vg}/root`),
    call: (name: string, arg: string) => {
      if (name === 'list_md_devices') return Object.keys(o.mds);
      if (name === 'vfs_uuid') return o.members[arg] ?? '';
      if (name === 'md_detail') return { uuid: o.mds[arg]!.uuid.replace(/-/g, '').replace(/(.{8})(?=.)/g, '$1:'), devices: String(o.mds[arg]!.devices) };
      if (name === 'pvuuid') return pvUuid(arg);
      if (name === 'vgpvuuids') return (o.vgs ?? {})[arg]!.map(pvUuid);
      throw new Error(`unknown libguestfs call '${name}'`);
    },
  };
  return g as unknown as SealGuest;
}

const A = 'a1b2c3d4-0000-1111-2222-333344445555';
const B = 'b1b2c3d4-0000-1111-2222-333344445555';

describe('mapDevices over md RAID', () => {
  it('gives md arrays, their partitions and the LVM on them to the member drives', async () => {
    const map = await mapDevices(appliance({
      parts: ['/dev/sda1', '/dev/sda2', '/dev/sdb1', '/dev/sdb2', '/dev/sdc1', '/dev/md127p1'],
      members: { '/dev/sda1': A, '/dev/sdb1': A, '/dev/sda2': B, '/dev/sdb2': B },
      mds: { '/dev/md127': { uuid: A, devices: 2, fs: 'ext4' }, '/dev/md126': { uuid: B, devices: 2, fs: 'LVM2_member' } },
      pvs: ['/dev/md126'], vgs: { vgmd: ['/dev/md126'] },
    }));
    expect(map.driveOf('/dev/md127').sort()).toEqual([0, 1]);
    expect(map.driveOf('/dev/md127p1').sort()).toEqual([0, 1]);
    expect(map.driveOf('/dev/md126').sort()).toEqual([0, 1]);
    expect(map.driveOf('/dev/vgmd/root').sort()).toEqual([0, 1]);
    expect(map.driveOf('/dev/mapper/vgmd-root').sort()).toEqual([0, 1]);
    expect(map.devicesOf(new Set([0, 1]))).toEqual(expect.arrayContaining(['/dev/md127', '/dev/md126', '/dev/vgmd', '/dev/vgmd/root']));
    expect(map.devicesOf(new Set([2])).sort()).toEqual(['/dev/sdc', '/dev/sdc1']);
    expect(map.lvmClash).toBe(false);
  });

  it('refuses to share when two guests carry one array UUID (clones) or an array cannot be attributed', async () => {
    const clones = await mapDevices(appliance({
      parts: ['/dev/sda1', '/dev/sdb1', '/dev/sdc1', '/dev/sdd1'],
      members: { '/dev/sda1': A, '/dev/sdb1': A, '/dev/sdc1': A, '/dev/sdd1': A },
      mds: { '/dev/md127': { uuid: A, devices: 2, fs: 'ext4' } },
    }));
    expect(clones.lvmClash).toBe(true);
    const orphan = await mapDevices(appliance({ parts: ['/dev/sda1'], members: {}, mds: { '/dev/md127': { uuid: A, devices: 2, fs: 'ext4' } } }));
    expect(orphan.lvmClash).toBe(true);
    // Still sealed as the single guest's: it counts as every drive's.
    expect(orphan.driveOf('/dev/md127')).toEqual([0]);
  });
});
