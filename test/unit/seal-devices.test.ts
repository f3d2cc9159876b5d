import { describe, expect, it } from 'vitest';
import { driveIndexOf, driveName, pinMountpoints, type DeviceMap } from '../../src/seal/devices.js';
import { segmentRegExp } from '../../src/seal/glob.js';

describe('device helpers', () => {
  it('maps device names to drive indexes and back', () => {
    expect(driveIndexOf('/dev/sda')).toBe(0);
    expect(driveIndexOf('/dev/sdb3')).toBe(1);
    expect(driveIndexOf('/dev/sdz')).toBe(25);
    expect(driveIndexOf('/dev/sdaa1')).toBe(26);
    expect(driveIndexOf('/dev/vg/root')).toBeUndefined();
    for (const i of [0, 1, 25, 26, 51, 52, 701, 702]) expect(driveIndexOf(`/dev/sd${driveName(i)}`)).toBe(i);
  });

  it("pins '/' to the inspected root and shifts fstab names to the guest's drives", () => {
    const map: DeviceMap = { driveOf: (d) => { const i = driveIndexOf(d); return i === undefined ? [] : [i]; }, devicesOf: () => [], lvmClash: false, hasLvm: false };
    const root = {
      root: '/dev/sdc1', type: 'linux', distro: 'debian', version: { major: 12, minor: 0 }, productName: '', packageFormat: 'deb',
      packageManagement: 'apt', hostname: 'h', arch: 'x86_64', osinfo: 'debian12',
      mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }, { mountpoint: '/boot', device: '/dev/sda2' }],
    };
    expect(pinMountpoints(root, map, new Set([2]), 2)!.mountpoints).toEqual([{ mountpoint: '/', device: '/dev/sdc1' }, { mountpoint: '/boot', device: '/dev/sdc2' }]);
    // A mountpoint that lands outside the guest's drives even after the shift: refused.
    expect(pinMountpoints({ ...root, mountpoints: [...root.mountpoints, { mountpoint: '/data', device: '/dev/sdb1' }] }, map, new Set([2]), 2)).toBeUndefined();
  });

  it('matches glob segments like glob(3)', () => {
    expect(segmentRegExp('*.log*').test('syslog.log.1')).toBe(true);
    expect(segmentRegExp('*').test('.hidden')).toBe(false);
    expect(segmentRegExp('.*').test('.hidden')).toBe(true);
    expect(segmentRegExp('__db.*').test('__db.001')).toBe(true);
    expect(segmentRegExp('btmp*').test('wtmp')).toBe(false);
    expect(segmentRegExp('pacct[0-9]').test('pacct1')).toBe(true);
    expect(segmentRegExp('a+b(c)').test('a+b(c)')).toBe(true);
  });
});
