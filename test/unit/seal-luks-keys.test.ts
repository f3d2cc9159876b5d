// seal()'s `keys` (virt-sysprep's --key): refused with INVALID_ARGUMENT naming the entry before
// any disk is looked at or any appliance starts; key files read on the host; which keys a device
// is tried with. No appliance here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { seal, sealMany, validateSealOptions } from '../../src/seal/index.js';
import { canonicalDevice, keysFor, loadKeys } from '../../src/seal/luks-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'pa55-SECRET-word';

const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(VirtkitError);
  return e as VirtkitError;
};

describe('keys validation (before any launch)', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a string', SECRET, 'keys'],
    ['an object', { key: SECRET }, 'keys'],
    ['null entry', [null], 'keys[0]'],
    ['string entry', [SECRET], 'keys[0]'],
    ['empty entry', [{}], 'keys[0]'],
    ['both key and file', [{ key: SECRET, file: '/k' }], 'keys[0]'],
    ['empty key', [{ key: '' }], 'keys[0].key'],
    ['numeric key', [{ key: 1234 }], 'keys[0].key'],
    ['NUL in key', [{ key: `${SECRET}\0x` }], 'keys[0].key'],
    ['lone surrogate in key', [{ key: `${SECRET}\uD800` }], 'keys[0].key'],
    ['empty file', [{ file: '' }], 'keys[0].file'],
    ['device without /dev/', [{ device: 'sda2', key: SECRET }], 'keys[0].device'],
    ['blank device', [{ device: '  ', key: SECRET }], 'keys[0].device'],
    ['numeric device', [{ device: 2, key: SECRET }], 'keys[0].device'],
    ['unknown field', [{ key: SECRET, passphrase: SECRET }], 'keys[0].passphrase'],
    ['clevis', [{ device: '/dev/sda2', clevis: true }], 'keys[0].clevis'],
    ['second entry', [{ key: SECRET }, { key: SECRET, file: '/k' }], 'keys[1]'],
  ];
  it.each(bad)('%s: INVALID_ARGUMENT naming the entry, the key never quoted', async (_what, keys, argument) => {
    // A disk that does not exist: the keys are refused first, so nothing got as far as the disks.
    const e = await refusal(seal({ disks: ['/nonexistent/vk-disk.qcow2'], keys: keys as never }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details?.['argument']).toBe(argument);
    expect(e.message).not.toContain(SECRET);
  });

  it('is the same check for sealMany jobs and the template paths (validateSealOptions)', async () => {
    const [r] = await sealMany([{ disks: ['/nonexistent/vk-disk.qcow2'], keys: [{ key: '' }] }]);
    expect(r!.ok).toBe(false);
    expect(((r as { error: Error }).error as VirtkitError).code).toBe('INVALID_ARGUMENT');
    // Template.create / import call validateSealOptions({ ...seal, disks: [] }) before copying anything.
    expect(() => validateSealOptions({ disks: [], keys: [{ device: 'sda', key: SECRET }] })).toThrow(/keys\[0\]\.device/);
    expect(() => validateSealOptions({ disks: [], keys: [{ key: SECRET }, { device: '/dev/sda2', file: '/k' }, { device: 'F0E1D2C3-0000-4000-8000-000000000001', key: SECRET }] })).not.toThrow();
  });

  it('a key file is read before the launch: missing is NOT_FOUND, an empty first line or a NUL is INVALID_ARGUMENT', async () => {
    const disk = join(dir, 'disk.img');
    writeFileSync(disk, Buffer.alloc(64 * 1024));
    const missing = await refusal(seal({ disks: [disk], keys: [{ file: join(dir, 'nope.key') }] }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.details?.['argument']).toBe('keys[0].file');
    writeFileSync(join(dir, 'empty.key'), '\nsecond line\n');
    const empty = await refusal(seal({ disks: [disk], keys: [{ file: join(dir, 'empty.key') }] }));
    expect(empty.code).toBe('INVALID_ARGUMENT');
    writeFileSync(join(dir, 'nul.key'), `${SECRET}\0tail\n`);
    const nul = await refusal(seal({ disks: [disk], keys: [{ key: 'ok' }, { file: join(dir, 'nul.key') }] }));
    expect(nul.code).toBe('INVALID_ARGUMENT');
    expect(nul.details?.['argument']).toBe('keys[1].file');
    expect(nul.message).not.toContain(SECRET);
  });
});

describe('key files and matching (virt-sysprep --key semantics)', () => {
  it('a key file gives its first line, without the newline', async () => {
    writeFileSync(join(dir, 'two.key'), `${SECRET}\nnot the key\n`);
    writeFileSync(join(dir, 'bare.key'), SECRET);
    const [a, b] = await loadKeys([{ file: join(dir, 'two.key') }, { file: join(dir, 'bare.key') }]);
    expect(a!.secret.toString()).toBe(SECRET);
    expect(b!.secret.toString()).toBe(SECRET);
  });

  it('device names are libguestfs ones: /dev/vda2 is /dev/sda2, /dev/mapper/vg-lv is /dev/vg/lv; shifted in a shared appliance', () => {
    expect(canonicalDevice('/dev/vda2')).toBe('/dev/sda2');
    expect(canonicalDevice('/dev/xvdb')).toBe('/dev/sdb');
    expect(canonicalDevice('/dev/mapper/my--vg-root')).toBe('/dev/my-vg/root');
    expect(canonicalDevice('/dev/sda1', 2)).toBe('/dev/sdc1');
    expect(canonicalDevice('/dev/sdc1', -2)).toBe('/dev/sda1');
    expect(canonicalDevice('/dev/md127')).toBe('/dev/md127');
  });

  it('a device is tried with the keys naming it (name or UUID) and the device-less ones, in the order given', async () => {
    const uuid = '0a1b2c3d-0000-4000-8000-00000000abcd';
    const keys = await loadKeys([
      { key: 'k0' },
      { device: '/dev/vda2', key: 'k1' },
      { device: '/dev/sdb2', key: 'k2' },
      { device: uuid.toUpperCase(), key: 'k3' },
      { device: '/dev/mapper/vg-lv', key: 'k4' },
      { key: 'k5' },
    ]);
    const names = (ks: ReturnType<typeof keysFor>) => ks.map((k) => k.secret.toString());
    expect(names(keysFor(keys, '/dev/sda2', uuid))).toEqual(['k0', 'k1', 'k3', 'k5']);
    expect(names(keysFor(keys, '/dev/sda2', undefined))).toEqual(['k0', 'k1', 'k5']);
    expect(names(keysFor(keys, '/dev/vg/lv', undefined))).toEqual(['k0', 'k4', 'k5']);
    // The guest's disks start at drive 1 of the appliance: its /dev/sda2 is /dev/sdb2 there.
    expect(names(keysFor(keys, '/dev/sdb2', undefined, 1))).toEqual(['k0', 'k1', 'k5']);
  });
});

describe('the CLI --key flag (virt-sysprep selectors)', () => {
  it('ID:key:KEY, ID:file:FILE and all:…, keys never echoed in a usage error', async () => {
    const { parseLuksKeys } = await import('../../src/cli/seal-flags.js');
    expect(parseLuksKeys(['/dev/sda2:key:a:b', 'all:file:/k', '0a1b2c3d-0000-4000-8000-00000000abcd:key:x'], 'seal')).toEqual([
      { device: '/dev/sda2', key: 'a:b' },
      { file: '/k' },
      { device: '0a1b2c3d-0000-4000-8000-00000000abcd', key: 'x' },
    ]);
    expect(parseLuksKeys([], 'seal')).toBeUndefined();
    for (const bad of [`/dev/sda2:pass:${SECRET}`, `${SECRET}`, `:key:${SECRET}`, '/dev/sda2:key:']) {
      let msg = '';
      try {
        parseLuksKeys([bad], 'seal');
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/--key #1 takes/);
      expect(msg).not.toContain(SECRET);
    }
  });
});

describe('unlockLuks against a scripted appliance (no launch)', () => {
  /** A SealGuest double: LUKS devices with their passphrase, what gets opened, every call made. */
  function fakeAppliance(luks: Record<string, { uuid: string; key: string; inside?: string }>, o: { errorQuotesKey?: boolean } = {}) {
    const calls: string[] = [];
    const open = new Map<string, string>();
    const lvs: string[] = [];
    const g = {
      vfsType: async (d: string) => (luks[d] ? 'crypto_LUKS' : d.startsWith('/dev/mapper/') ? 'ext4' : ''),
      pvs: async () => [],
      vgs: async () => [],
      call: async (name: string, ...args: unknown[]) => {
        calls.push(name);
        if (name === 'list_dm_devices') return [...open.keys()].map((n) => `/dev/mapper/${n}`);
        if (name === 'luks_uuid') return luks[args[0] as string]!.uuid;
        if (name === 'lvm_scan') {
          for (const d of open.values()) if (luks[d]!.inside) lvs.push(luks[d]!.inside!);
          return 0;
        }
        if (name === 'cryptsetup_open') {
          const [dev, key, map] = args as [string, Buffer, string];
          if (key.toString() !== luks[dev]!.key) throw new Error(`cryptsetup_open: No key available with this passphrase.${o.errorQuotesKey ? ` (${key.toString()})` : ''}`);
          open.set(map, dev);
          return 0;
        }
        if (name === 'cryptsetup_close') return open.delete((args[0] as string).replace('/dev/mapper/', ''));
        throw new Error(`unexpected ${name}`);
      },
    };
    return { g: g as never, calls, open, lvs };
  }
  const candidates = (base: string[], extra: () => string[]) => async (round: number) => (round === 0 ? base : [...base, ...extra()]);

  it('tries the keys in order, names mappings luks-<uuid>, rescans LVM and opens an LV that is LUKS (LUKS in LVM in LUKS)', async () => {
    const { unlockLuks } = await import('../../src/seal/luks.js');
    const f = fakeAppliance({
      '/dev/sda2': { uuid: 'u-outer', key: 'outer', inside: '/dev/vg/secret' },
      '/dev/vg/secret': { uuid: 'u-inner', key: 'inner' },
    });
    const keys = await loadKeys([{ key: 'nope' }, { key: 'outer' }, { device: '/dev/vg/secret', key: 'inner' }]);
    const s = await unlockLuks(f.g, keys, { readonly: false, candidates: candidates(['/dev/sda1', '/dev/sda2'], () => f.lvs) });
    expect(s.opened).toEqual([
      { device: '/dev/sda2', mapper: '/dev/mapper/luks-u-outer' },
      { device: '/dev/vg/secret', mapper: '/dev/mapper/luks-u-inner' },
    ]);
    expect(f.calls.filter((c) => c === 'lvm_scan')).toHaveLength(2);
    // lvm-uuids on "vg": the mapping on its LV is closed around the change, then back.
    let during: string[] = [];
    await s.releasing(['vg'], async () => {
      during = [...f.open.keys()];
    });
    expect(during).toEqual(['luks-u-outer']);
    expect([...f.open.keys()].sort()).toEqual(['luks-u-inner', 'luks-u-outer']);
    expect(await s.close()).toEqual([]);
    expect(f.open.size).toBe(0);
  });

  it('DECRYPT_FAILED closes what it had opened; a libguestfs message quoting a key is withheld; a device without keys is left locked', async () => {
    const { unlockLuks } = await import('../../src/seal/luks.js');
    const f = fakeAppliance({ '/dev/sda1': { uuid: 'u1', key: 'one' }, '/dev/sdb1': { uuid: 'u2', key: 'two' } }, { errorQuotesKey: true });
    const keys = await loadKeys([{ device: '/dev/sda1', key: 'one' }, { device: '/dev/sdb1', key: SECRET }]);
    const e = await refusal(unlockLuks(f.g, keys, { readonly: true, candidates: async () => ['/dev/sda1', '/dev/sdb1'] }));
    expect(e.code).toBe('DECRYPT_FAILED');
    expect(e.details).toEqual({ device: '/dev/sdb1', uuid: 'u2', keys: [1] });
    expect(e.message).toContain('withheld');
    expect(e.message).not.toContain(SECRET);
    expect(f.open.size).toBe(0);

    const only = await loadKeys([{ device: '/dev/sda1', key: 'one' }]);
    const s = await unlockLuks(f.g, only, { readonly: true, candidates: async () => ['/dev/sda1', '/dev/sdb1'] });
    expect(s.locked).toEqual(['/dev/sdb1']);
    await s.close();
  });
});
