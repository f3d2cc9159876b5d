// The NoCloud seed image as Linux reads it: the libguestfs appliance's kernel (Debian's, with
// iso9660 and Joliet) mounts the ISO virtkit wrote and sees the lower-case names cloud-init
// opens (meta-data, user-data, network-config) with their exact contents, and the label cidata.
// (This host's own kernel has no iso9660 driver, so the appliance is the Linux that mounts it.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest } from '../../src/guest/index.js';
import { noCloudSeed, noCloudSeedIso, type NoCloudSeedInput } from '../../src/cloudinit/seed.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const dir = mkdtempSync(join(tmpdir(), 'vk-cidata-'));
const INPUT: NoCloudSeedInput = {
  instanceId: 'iid-appliance-1',
  hostname: 'seeded',
  sshAuthorizedKeys: { root: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3ZfK0c0Yx virtkit@test'] },
  networkConfig: { version: 2, ethernets: { nic0: { match: { macaddress: '52:54:00:00:00:01' }, dhcp4: true } } },
};
let g: Guest;

beforeAll(async () => {
  const path = join(dir, 'seed.iso');
  writeFileSync(path, noCloudSeedIso(INPUT));
  g = await Guest.open({ drives: [{ path, format: 'raw', readonly: true }], accel: ACCEL });
}, 300_000);

afterAll(async () => {
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cidata seed mounted by Linux', () => {
  it('is an iso9660 filesystem labelled cidata', async () => {
    expect(await g.call('vfs_type', '/dev/sda')).toBe('iso9660');
    expect(await g.call('vfs_label', '/dev/sda')).toBe('cidata');
  });

  it('shows the files under the names cloud-init opens, byte for byte', async () => {
    await g.call('mount_ro', '/dev/sda', '/');
    const names = ((await g.call('ls', '/')) as string[]).slice().sort();
    expect(names).toEqual(['meta-data', 'network-config', 'user-data']);
    const files = noCloudSeed(INPUT);
    for (const [name, content] of Object.entries(files)) {
      expect(await g.call('cat', `/${name}`), name).toBe(content);
      expect(((await g.call('statns', `/${name}`)) as { size: number }).size, name).toBe(Buffer.byteLength(content));
    }
  });
});
