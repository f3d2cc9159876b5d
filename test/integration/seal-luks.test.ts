// Issue 13.7: LUKS guests sealed with keys, in three appliance launches:
//   1. build: LVM-on-LUKS (A), LUKS-on-LVM (B), LUKS on a partition (C) (test/fixtures/luks.ts)
//   2. one sealMany() batch in one shared appliance: A and B with their keys, C with wrong keys
//   3. a read-only launch: seal({ guest }) without keys (NO_OS_FOUND) and as a dry run with keys
//      (seal's own single-guest path), then everything read back through mappings opened here
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { Guest } from '../../src/guest/index.js';
import { seal, sealMany, type SealManyResult, type SealProgress, type SealReport } from '../../src/seal/index.js';
import { buildLuksFixtures, type LuksFixtures } from '../fixtures/luks.js';
import { sha256File } from '../fixtures/linux-trees.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const WRONG = ['wrong-key-one-3b9d', 'wrong-key-two-8e1f'];
let fx: LuksFixtures;
let results: SealManyResult[] = [];
let sumC = { before: '', after: '' };
let rb: Guest;
const logs: string[] = [];

beforeAll(async () => {
  fx = await buildLuksFixtures({ accel: ACCEL });
  sumC.before = await sha256File(fx.luksPart.path);
  results = await sealMany(
    [
      // Keys tried in order: the first opens nothing, the second (by LUKS UUID) opens A.
      { disks: [fx.lvmOnLuks.path], hostname: 'sealed-a', keys: [{ key: 'not-this-one' }, { device: fx.lvmOnLuks.uuid, key: fx.lvmOnLuks.key }] },
      // A key file: its first line is the key.
      { disks: [fx.luksOnLvm.path], hostname: 'sealed-b', keys: [{ file: fx.luksOnLvm.keyFile }] },
      // Wrong keys, one for every device and one naming C's /dev/sda1 (/dev/sdc1 in this appliance).
      { disks: [fx.luksPart.path], hostname: 'sealed-c', keys: [{ key: WRONG[0]! }, { device: '/dev/sda1', key: WRONG[1]! }] },
    ],
    { concurrency: 1, perAppliance: 8, accel: ACCEL },
  );
  sumC.after = await sha256File(fx.luksPart.path);
  rb = await Guest.open({
    drives: [fx.lvmOnLuks, fx.luksOnLvm, fx.luksPart].map((d) => ({ path: d.path, format: 'qcow2', readonly: true })),
    accel: ACCEL,
    trace: true,
    onLog: (l) => logs.push(l),
  });
}, 900_000);

afterAll(async () => {
  await rb?.close();
  if (!process.env.VIRTKIT_KEEP) fx?.cleanup();
});

const ok = (i: number): SealReport => {
  const r = results[i]!;
  if (!r.ok) throw r.error;
  return r.report;
};
const allKeys = () => [fx.lvmOnLuks.key, fx.luksOnLvm.key, fx.luksPart.key, ...WRONG, 'not-this-one'];
const noKeyIn = (text: string) => {
  for (const k of allKeys()) expect(text).not.toContain(k);
};

describe('sealing LUKS guests with keys', { timeout: 600_000 }, () => {
  it('LVM-on-LUKS and LUKS-on-LVM are opened, inspected and sealed through their mappings', () => {
    const a = ok(0);
    expect(a.guest.root).toBe('/dev/vkluks/root');
    expect(a.guest.hostname).toBe('golden-luks-a');
    expect(a.luks).toEqual([{ device: '/dev/sda2', mapper: `/dev/mapper/luks-${fx.lvmOnLuks.uuid}` }]);
    const b = ok(1);
    // Drive 1 of the shared appliance: its LV keeps its name.
    expect(b.guest.root).toBe(`/dev/mapper/luks-${fx.luksOnLvm.uuid}`);
    expect(b.luks).toEqual([{ device: '/dev/vkcrypt/root', mapper: `/dev/mapper/luks-${fx.luksOnLvm.uuid}` }]);
    for (const r of [a, b]) {
      expect(r.dryRun).toBe(false);
      expect(r.operations.find((op) => op.name === 'machine-id')!.changed).toContain('/etc/machine-id');
      expect(r.operations.find((op) => op.name === 'lvm-uuids')!.changed.length).toBeGreaterThan(0);
    }
  });

  it('a wrong key rejects with DECRYPT_FAILED naming the device (as the guest names it), never a key, and C is unchanged', () => {
    const r = results[2]!;
    expect(r.ok).toBe(false);
    const e = (r as { error: Error }).error as VirtkitError;
    expect(e).toBeInstanceOf(VirtkitError);
    expect(e.code).toBe('DECRYPT_FAILED');
    expect(e.message).toContain('/dev/sda1');
    expect(e.details).toMatchObject({ device: '/dev/sda1', uuid: fx.luksPart.uuid, keys: [0, 1] });
    noKeyIn(e.message);
    noKeyIn(JSON.stringify(e.details));
    noKeyIn(String(e.stack));
    expect(sumC.after).toBe(sumC.before);
  });

  it('seal({ guest }) without keys: NO_OS_FOUND telling to pass keys, listing the encrypted devices', async () => {
    const err = await seal({ guest: rb, dryRun: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('NO_OS_FOUND');
    expect((err as VirtkitError).message).toMatch(/LUKS.*keys/);
    expect((err as VirtkitError).details?.['encrypted']).toEqual(expect.arrayContaining(['/dev/sda2', '/dev/vkcrypt/root', '/dev/sdc1']));
  });

  it('seal({ guest, dryRun, keys }) opens every volume with the keys meant for all devices, reports, and closes its mappings', async () => {
    const progress: SealProgress[] = [];
    const report = await seal({
      // Few operations: the point is seal()'s own path through the LUKS volumes, not the catalogue.
      guest: rb, dryRun: true, operations: 'machine-id,ssh-hostkeys,lvm-uuids',
      keys: [{ key: fx.lvmOnLuks.key }, { key: fx.luksOnLvm.key }, { key: fx.luksPart.key }],
      onProgress: (p) => progress.push(p),
    });
    expect(report.dryRun).toBe(true);
    expect(report.roots.map((r) => r.guest.hostname).sort()).toEqual(['golden-luks-c', 'sealed-a', 'sealed-b']);
    expect(report.luks!.map((v) => v.device).sort()).toEqual(['/dev/sda2', '/dev/sdc1', '/dev/vkcrypt/root']);
    // The Guest passed in is left as it came: no mapping stays open.
    expect(await rb.listDmDevices()).toEqual([]);
    noKeyIn(JSON.stringify(progress));
    noKeyIn(JSON.stringify(report));
  });

  it('read back independently: sealed effects inside A and B, LVM identity changed, C untouched', async () => {
    await rb.cryptsetupOpen('/dev/sda2', fx.lvmOnLuks.key, 'rb-a', { readonly: true });
    await rb.cryptsetupOpen('/dev/vkcrypt/root', fx.luksOnLvm.key, 'rb-b', { readonly: true });
    await rb.cryptsetupOpen('/dev/sdc1', fx.luksPart.key, 'rb-c', { readonly: true });
    await rb.lvmScan(true);
    expect(await rb.pvuuid('/dev/mapper/rb-a')).not.toBe(fx.pvUuidA);
    expect(await rb.vguuid('vkcrypt')).not.toBe(fx.vgUuidB);
    const look = async (dev: string) => {
      await rb.mountRo(dev, '/');
      try {
        return {
          hostname: (await rb.readFile('/etc/hostname')).toString(),
          machineId: (await rb.readFile('/etc/machine-id')).toString(),
          hostKey: await rb.exists('/etc/ssh/ssh_host_ed25519_key'),
          history: await rb.exists('/root/.bash_history'),
          notes: await rb.exists('/home/u/notes.txt'),
        };
      } finally {
        await rb.umountAll();
      }
    };
    expect(await look('/dev/vkluks/root')).toEqual({ hostname: 'sealed-a\n', machineId: '', hostKey: false, history: false, notes: true });
    expect(await look('/dev/mapper/rb-b')).toEqual({ hostname: 'sealed-b\n', machineId: '', hostKey: false, history: false, notes: true });
    expect(await look('/dev/mapper/rb-c')).toMatchObject({ hostname: 'golden-luks-c\n', hostKey: true, history: true });
    await rb.mountRo('/dev/sda1', '/');
    expect(await rb.exists('/vmlinuz-6.1')).toBe(true);
    await rb.umountAll();
  });

  it('keys never reach the trace: libguestfs prints them as ***', () => {
    const opens = logs.filter((l) => l.startsWith('cryptsetup_open "'));
    expect(opens.length).toBeGreaterThanOrEqual(6);
    for (const l of opens) expect(l).toContain('"***"');
    noKeyIn(logs.join('\n'));
  });
});
