// The fast inspection against libguestfs' inspect_os, on the Debian-like and Fedora-like
// fixtures (plus a data-only disk) in ONE appliance launch (after the one that builds them).
// The drives are read-only: writes go to a throwaway overlay, which the fallback case uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest } from '../../src/guest/index.js';
import { Unusual, fastInspect, quickInspect } from '../../src/seal/fast-inspect/index.js';
import { buildFixtureDisks, debianTree, fedoraTree, noOsTree } from '../fixtures/linux-trees.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const dir = mkdtempSync(join(tmpdir(), 'vk-fastinspect-'));
let g: Guest;

beforeAll(async () => {
  const disks = await buildFixtureDisks(dir, [debianTree(), fedoraTree(), noOsTree()], { accel: ACCEL });
  g = await Guest.open({ drives: disks.map((d) => ({ path: d.path, format: 'qcow2', readonly: true })), accel: ACCEL });
}, 600_000);

afterAll(async () => {
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fast inspection', () => {
  it('answers exactly as inspect_os on Debian and Fedora, without running it', async () => {
    // What it asks the appliance: a few file reads, never inspect_os (the timings are a figure only).
    const asked: string[] = [];
    const recorded = new Proxy(g, {
      get(target, key) {
        const v: unknown = Reflect.get(target, key, target);
        if (typeof v !== 'function') return v;
        return (...a: unknown[]) => {
          asked.push(key === 'call' ? String(a[0]) : String(key));
          return (v as (...x: unknown[]) => unknown).apply(target, a);
        };
      },
    });
    let t = performance.now();
    const fast = await fastInspect(recorded);
    const fastMs = performance.now() - t;
    t = performance.now();
    const full = await g.inspect();
    const fullMs = performance.now() - t;
    console.log(`fast ${Math.round(fastMs)} ms, inspect_os ${Math.round(fullMs)} ms`);
    expect(full.map((r) => r.distro)).toEqual(['debian', 'fedora']);
    expect(fast).toEqual(full);
    expect(fast[0]).toMatchObject({ root: '/dev/sda1', distro: 'debian', version: { major: 12, minor: 5 }, hostname: 'golden-deb', packageManagement: 'apt', mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }] });
    expect(fast[1]).toMatchObject({ root: '/dev/sdb1', distro: 'fedora', packageFormat: 'rpm', packageManagement: 'dnf', osinfo: 'fedora39' });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((n) => /^inspect/.test(n))).toEqual([]);
  });

  it('falls back to inspect_os for what it does not know (no os-release, only redhat-release)', async () => {
    await g.mount('/dev/sdb1', '/');
    await g.rm('/etc/os-release');
    await g.umountAll();
    await expect(fastInspect(g)).rejects.toBeInstanceOf(Unusual);
    const r = await quickInspect(g);
    expect(r.path).toBe('full');
    expect(r.reason).toMatch(/redhat-release/);
    expect(r.roots[1]).toMatchObject({ distro: 'fedora', productName: 'Fedora release 39 (Thirty Nine)' });
    expect(r.roots).toEqual(await g.inspect());
  });
});
