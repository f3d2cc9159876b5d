import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtkitError } from '../../src/errors.js';
import { normalizeOpenOptions, checkDrives } from '../../src/guest/options.js';
import { accelPlan, noteKvmBroken, resetAccelMemory, resolveAccel } from '../../src/guest/accel.js';
import { sortMountpoints } from '../../src/guest/inspect.js';
import { Guest } from '../../src/guest/guest.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-guest-unit-'));
const img = join(dir, 'a.img');
writeFileSync(img, Buffer.alloc(1024));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof VirtkitError ? e.code : `not a VirtkitError: ${String(e)}`;
  }
  return undefined;
}

describe('normalizeOpenOptions', () => {
  it('refuses empty or malformed drives', () => {
    expect(code(() => normalizeOpenOptions({ drives: [] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({} as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: '' }] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img, format: 'qcow2; rm -rf' }] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img, readonly: 'yes' as never }] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img, name: 'sda/../x' }] }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses bad numbers, accel values and force_* settings', () => {
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img }], memsizeMiB: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img }], smp: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img }], accel: 'hvf' as never }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img }], backendSettings: ['force_tcg'] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => normalizeOpenOptions({ drives: [{ path: img }], onLog: 'x' as never }))).toBe('INVALID_ARGUMENT');
  });

  it('fills defaults and normalizes paths and names', () => {
    const n = normalizeOpenOptions({ drives: [{ path: 'rel/disk.qcow2', format: 'qcow2', name: 'sdb' }] }, {});
    expect(n.drives[0]).toEqual({ path: join(process.cwd(), 'rel/disk.qcow2'), format: 'qcow2', readonly: false, name: '/dev/sdb' });
    expect(n.backend).toBe('direct');
    expect(n.accel).toBe('auto');
    expect(n.launch).toBe(true);
    expect(n.kvmProbeSilenceMs).toBe(30_000);
    expect(normalizeOpenOptions({ drives: [{ path: img }] }, { LIBGUESTFS_BACKEND: 'libvirt' }).backend).toBe('libvirt');
  });
});

describe('accel', () => {
  afterEach(() => resetAccelMemory());

  it('resolves option, then VIRTKIT_ACCEL, then auto', () => {
    expect(resolveAccel(undefined, {})).toBe('auto');
    expect(resolveAccel(undefined, { VIRTKIT_ACCEL: 'TCG' })).toBe('tcg');
    expect(resolveAccel('kvm', { VIRTKIT_ACCEL: 'tcg' })).toBe('kvm');
    expect(code(() => resolveAccel(undefined, { VIRTKIT_ACCEL: 'fast' }))).toBe('INVALID_ARGUMENT');
  });

  it('plans KVM then TCG for auto, and TCG only once KVM is known broken', () => {
    expect(accelPlan('auto', true)).toEqual(['kvm', 'tcg']);
    expect(accelPlan('auto', false)).toEqual(['tcg']);
    expect(accelPlan('kvm', false)).toEqual(['kvm']);
    expect(accelPlan('tcg', true)).toEqual(['tcg']);
    noteKvmBroken('failed to set MSR 0x10a');
    expect(accelPlan('auto', true)).toEqual(['tcg']);
  });
});

describe('sortMountpoints', () => {
  it('puts parents before children', () => {
    const s = sortMountpoints({ '/boot/efi': '/dev/sda1', '/var': '/dev/sda4', '/': '/dev/sda3', '/boot': '/dev/sda2', '/var/lib/x': '/dev/sdb1' });
    expect(s.map((m) => m.mountpoint)).toEqual(['/', '/var', '/boot', '/boot/efi', '/var/lib/x']);
    expect(s[0]).toEqual({ mountpoint: '/', device: '/dev/sda3' });
  });
});

describe('Guest.open refusals (no appliance)', () => {
  it('reports a missing drive as NOT_FOUND before launching', async () => {
    const t = Date.now();
    const err = await Guest.open({ drives: [{ path: join(dir, 'missing.qcow2'), format: 'qcow2' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirtkitError);
    expect((err as VirtkitError).code).toBe('NOT_FOUND');
    expect((err as VirtkitError).message).toContain('missing.qcow2');
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('reports empty drives as INVALID_ARGUMENT', async () => {
    await expect(Guest.open({ drives: [] })).rejects.toMatchObject({ name: 'VirtkitError', code: 'INVALID_ARGUMENT' });
  });

  it('checkDrives passes for existing files', async () => {
    await expect(checkDrives([{ path: img, readonly: true }])).resolves.toBeUndefined();
  });
});
