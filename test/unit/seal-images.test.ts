// Image checks before any appliance starts (issues 13.9, 15.5, 15.7): a missing backing file, a
// damaged qcow2, a declared format the file is not in, the same disk twice. Images are made with
// qemu-img (the test may use the tool; the library reads the headers itself). Every refusal is
// typed, names the file, and leaves the images byte-identical.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { backingChain, checkQcow2, imageLocked } from '../../src/guest/image.js';
import { Guest } from '../../src/guest/index.js';
import { resolveDisks } from '../../src/seal/disks.js';
import { seal } from '../../src/seal/index.js';
import { sha256File } from '../fixtures/linux-trees.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-images-'));
const p = (n: string) => join(dir, n);
const img = (...args: string[]) => execFileSync('qemu-img', ['create', '-q', ...args], { cwd: dir });

async function refusal(f: () => unknown): Promise<VirtkitError> {
  const e = await Promise.resolve().then(f).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(VirtkitError);
  return e as VirtkitError;
}

beforeAll(() => {
  img('-f', 'qcow2', p('base.qcow2'), '64M');
  // Relative backing names resolve against the overlay's own directory, as qemu does.
  img('-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', p('mid.qcow2'));
  img('-f', 'qcow2', '-b', p('mid.qcow2'), '-F', 'qcow2', p('top.qcow2'));
  img('-f', 'qcow2', p('gone-base.qcow2'), '64M');
  img('-f', 'qcow2', '-b', 'gone-base.qcow2', '-F', 'qcow2', p('orphan.qcow2'));
  unlinkSync(p('gone-base.qcow2'));
  img('-f', 'qcow2', '-o', 'preallocation=metadata', p('full.qcow2'), '64M');
  copyFileSync(p('full.qcow2'), p('half.qcow2'));
  truncateSync(p('half.qcow2'), Math.floor(statSync(p('full.qcow2')).size / 2));
  img('-f', 'raw', p('plain.raw'), '16M');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backing chain (issue 13.9)', () => {
  it('walks a healthy chain top first, with each format', () => {
    expect(backingChain(p('top.qcow2'))).toEqual([
      { path: p('top.qcow2'), format: 'qcow2' },
      { path: p('mid.qcow2'), format: 'qcow2' },
      { path: p('base.qcow2'), format: 'qcow2' },
    ]);
    expect(resolveDisks([p('top.qcow2')])).toEqual([{ path: p('top.qcow2'), format: 'qcow2' }]);
  });

  it('refuses a missing backing file with BACKING_MISSING naming it, before any launch, writing nothing', async () => {
    const before = await sha256File(p('orphan.qcow2'));
    const e = await refusal(() => resolveDisks([p('orphan.qcow2')]));
    expect(e.code).toBe('BACKING_MISSING');
    expect(e.details).toMatchObject({ path: p('gone-base.qcow2'), image: p('orphan.qcow2'), backing: 'gone-base.qcow2' });
    expect(e.message).toContain(p('gone-base.qcow2'));
    // Through seal() (no appliance is launched: this returns in milliseconds) and Guest.open.
    const t = performance.now();
    expect((await refusal(() => seal({ disks: [p('orphan.qcow2')], accel: 'tcg' }))).code).toBe('BACKING_MISSING');
    expect((await refusal(() => seal({ disks: [{ path: p('orphan.qcow2'), format: 'qcow2' }], dryRun: true }))).code).toBe('BACKING_MISSING');
    expect((await refusal(() => Guest.open({ drives: [{ path: p('orphan.qcow2'), format: 'qcow2', readonly: true }], accel: 'tcg' }))).code).toBe('BACKING_MISSING');
    expect(performance.now() - t).toBeLessThan(2000);
    expect(await sha256File(p('orphan.qcow2'))).toBe(before);
  });

  it('names the missing link deep in a chain', async () => {
    copyFileSync(p('base.qcow2'), p('base.keep'));
    unlinkSync(p('base.qcow2'));
    try {
      const e = await refusal(() => resolveDisks([p('top.qcow2')]));
      expect(e.code).toBe('BACKING_MISSING');
      expect(e.details).toMatchObject({ path: p('base.qcow2'), image: p('mid.qcow2'), chain: [p('top.qcow2'), p('mid.qcow2')] });
    } finally {
      copyFileSync(p('base.keep'), p('base.qcow2'));
    }
  });
});

describe('damaged images, formats, duplicates (issue 15.5, 15.7)', () => {
  it('refuses a qcow2 truncated to half its size with IMAGE_CORRUPT (qemu-img check agrees), nothing written', async () => {
    expect(spawnSync('qemu-img', ['check', p('half.qcow2')]).status).not.toBe(0);
    expect(() => checkQcow2(p('full.qcow2'))).not.toThrow();
    const before = await sha256File(p('half.qcow2'));
    const e = await refusal(() => seal({ disks: [p('half.qcow2')], accel: 'tcg' }));
    expect(e.code).toBe('IMAGE_CORRUPT');
    expect(e.details).toMatchObject({ path: p('half.qcow2') });
    expect(await sha256File(p('half.qcow2'))).toBe(before);
  });

  it('refuses a declared format the file is not in, and the same image twice', async () => {
    let e = await refusal(() => resolveDisks([{ path: p('full.qcow2'), format: 'raw' }]));
    expect(e.code).toBe('FORMAT_MISMATCH');
    expect(e.details).toMatchObject({ path: p('full.qcow2'), declared: 'raw', found: 'qcow2' });
    e = await refusal(() => resolveDisks([{ path: p('plain.raw'), format: 'qcow2' }]));
    expect(e.code).toBe('FORMAT_MISMATCH');
    e = await refusal(() => resolveDisks([p('full.qcow2'), join(dir, '.', 'full.qcow2')]));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/given twice/);
    expect(resolveDisks([p('plain.raw')])).toEqual([{ path: p('plain.raw'), format: 'raw' }]);
  });
});

describe('an image held by a running qemu-nbd (issue 15.5)', () => {
  it('is refused with IMAGE_IN_USE before any launch, and accepted once qemu-nbd has ended', { timeout: 30_000 }, async () => {
    const path = p('full.qcow2');
    const before = await sha256File(path);
    const nbd = spawn('qemu-nbd', ['-k', p('nbd.sock'), '-f', 'qcow2', path], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      while (!imageLocked(path) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(imageLocked(path)).toBe(true);
      const e = await refusal(() => seal({ disks: [path], accel: 'tcg' }));
      expect(e.code).toBe('IMAGE_IN_USE');
      expect(e.details).toMatchObject({ path });
    } finally {
      if (nbd.exitCode === null && nbd.signalCode === null) {
        const exited = new Promise((r) => nbd.once('exit', r));
        nbd.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (nbd.exitCode === null && nbd.signalCode === null) nbd.kill('SIGKILL');
      }
    }
    expect(imageLocked(path)).toBe(false);
    expect(resolveDisks([path])).toEqual([{ path, format: 'qcow2' }]);
    expect(await sha256File(path)).toBe(before);
  });
});
