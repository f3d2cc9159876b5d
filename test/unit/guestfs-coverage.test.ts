// Every public libguestfs action of guestfs.h is bound (the addon imports its symbol) or listed
// as not bound with a reason; deprecated ones are listed with their replacement. Like
// libvirt-go-module's api_test.go, but counted on the built addon's imports. Also: the committed
// generated files are what the generator makes from the installed headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { guestfsCallInfo, guestfsDeprecated, guestfsNotBound, guestfsSignatures } from '../../src/generated/guestfs-calls.js';
import { guestfsCallNames } from '../../src/guest/native.js';
import { Guest } from '../../src/guest/guest.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The libguestfs addon's binary as the library loads it (node-gyp-build: a local build, else the
// prebuild; the package test's prebuildify may leave build/Release without one).
const addon = (createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string }).path(join(root, 'guestfs-addon'));

/** The actions of guestfs.h's public section: name -> replacement (null: none) when deprecated. */
function headerActions(): Map<string, { deprecated: boolean; replacement: string | null }> {
  const h = readFileSync('/usr/include/guestfs.h', 'utf8');
  const actions = h.slice(h.indexOf('/* Actions. */'), h.indexOf('/* Private functions. */'));
  const out = new Map<string, { deprecated: boolean; replacement: string | null }>();
  for (const block of actions.split(/^(?=#define GUESTFS_HAVE_\w+ 1$)/m).slice(1)) {
    const macro = /^#define GUESTFS_HAVE_(\w+) 1/.exec(block)![1]!.toLowerCase();
    const protos = [...block.matchAll(/\bguestfs_(\w+) \(guestfs_h \*g/g)].map((m) => m[1]!);
    const name = protos.find((p) => p.toLowerCase() === macro) ?? macro;
    const dep = /GUESTFS_DEPRECATED_(?:REPLACED_BY \("(\w+)"\)|NO_REPLACEMENT)/.exec(block);
    out.set(name, { deprecated: !!dep, replacement: dep?.[1] ?? null });
  }
  return out;
}

function importedSymbols(): Set<string> {
  const out = execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' });
  return new Set([...out.matchAll(/\bU (guestfs_\w+)/g)].map((m) => m[1]!));
}

describe('libguestfs coverage', () => {
  const actions = headerActions();
  const imported = importedSymbols();
  const nonDeprecated = [...actions].filter(([, a]) => !a.deprecated).map(([n]) => n);
  const isBound = (n: string) => imported.has(`guestfs_${n}`) || imported.has(`guestfs_${n}_argv`);

  it('lives in its own binary: the libvirt addon links no libguestfs, and this one no libvirt', () => {
    const needed = (f: string) => [...execFileSync('readelf', ['-d', f], { encoding: 'utf8' }).matchAll(/NEEDED.*\[(.+)\]/g)].map((m) => m[1]!);
    const virtAddon = (createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string }).path(root);
    expect(needed(addon)).toContain('libguestfs.so.0');
    expect(needed(addon).filter((l) => l.startsWith('libvirt'))).toEqual([]);
    expect(needed(virtAddon)).toContain('libvirt.so.0');
    expect(needed(virtAddon).filter((l) => l.startsWith('libguestfs'))).toEqual([]);
    const undef = (f: string) => execFileSync('nm', ['-D', '--undefined-only', f], { encoding: 'utf8' });
    expect(undef(virtAddon)).not.toMatch(/\bguestfs_/);
    expect(undef(addon)).not.toMatch(/\bvir[A-Z]/);
  });

  it('finds the actions of guestfs.h', () => {
    expect(actions.size).toBeGreaterThan(500);
  });

  it('binds every non-deprecated action or says why not (one line each)', () => {
    const unexplained = nonDeprecated.filter((n) => !isBound(n) && !(n in guestfsNotBound));
    expect(unexplained).toEqual([]);
    for (const [n, why] of Object.entries(guestfsNotBound)) {
      expect(actions.get(n)?.deprecated, `${n} is a non-deprecated action`).toBe(false);
      expect(isBound(n), `${n} is listed as not bound but the addon imports it`).toBe(false);
      expect(why.length).toBeGreaterThan(10);
      expect(why).not.toContain('\n');
    }
  });

  it('binds at least 90% of the non-deprecated actions', () => {
    const bound = nonDeprecated.filter(isBound);
    const deprecated = [...actions.values()].filter((a) => a.deprecated).length;
    console.log(
      `libguestfs: ${bound.length}/${nonDeprecated.length} non-deprecated actions bound ` +
        `(${((100 * bound.length) / nonDeprecated.length).toFixed(1)}%), ` +
        `${Object.keys(guestfsNotBound).length} not bound with a reason, ${deprecated} deprecated`,
    );
    expect(bound.length / nonDeprecated.length).toBeGreaterThanOrEqual(0.9);
  });

  it('lists every deprecated action with the replacement guestfs.h names', () => {
    const dep = Object.fromEntries([...actions].filter(([, a]) => a.deprecated).map(([n, a]) => [n, a.replacement]));
    expect(guestfsDeprecated).toEqual(dep);
    // A replacement is a public action or, for a few, one of the private functions.
    const header = readFileSync('/usr/include/guestfs.h', 'utf8');
    for (const r of Object.values(dep)) if (r !== null) expect(header, `replacement ${r}`).toContain(`guestfs_${r} (`);
  });

  it('has the generated table in the addon, and a Guest method for every call', () => {
    expect([...guestfsCallNames()].sort()).toEqual(Object.keys(guestfsCallInfo).sort());
    expect(Object.keys(guestfsSignatures).sort()).toEqual(Object.keys(guestfsCallInfo).sort());
    const proto = Guest.prototype as unknown as Record<string, unknown>;
    const missing = Object.values(guestfsCallInfo).filter((i) => typeof proto[i.method] !== 'function');
    expect(missing).toEqual([]);
  });

  it('the committed generated files are what the generator makes (--check)', () => {
    const out = execFileSync(process.execPath, [`${root}scripts/gen-guestfs-calls.mjs`, '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/^checked: \d+ calls bound/);
  });
});

// Generated methods on a handle that is never launched: host-side calls reach libguestfs, results
// are typed (booleans, void, null-able strings, int64, lists), bad arguments never reach C.
describe('generated Guest methods without an appliance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-gfs-cov-'));
  const img = join(dir, 'a.img');
  writeFileSync(img, Buffer.alloc(1 << 20));
  let g: Guest;
  beforeAll(async () => {
    g = await Guest.open({ drives: [{ path: img, format: 'raw' }], launch: false, accel: 'tcg' });
  });
  afterAll(async () => {
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('converts results by the call table', async () => {
    expect(await g.setTrace(false)).toBeUndefined(); // void
    expect(await g.getTrace()).toBe(false); // bool
    await g.setMemsize(640);
    expect(await g.getMemsize()).toBe(640); // int
    expect(await g.diskVirtualSize(img)).toBe(1 << 20); // int64
    expect(await g.diskFormat(img)).toBe('raw'); // string
    expect(await g.getAppend()).toMatch(/^virtkit\.gfs=/); // const char*, may be null
    expect(await g.getBackendSettings()).toContain('force_tcg=1'); // string[]
    expect(await g.call('get_trace')).toBe(0); // call(): the native number
  });

  it('refuses bad arguments before C, naming them', async () => {
    await expect(g.addDriveScratch(1 << 20, { bogus: 'x' } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'optargs.bogus', call: 'add_drive_scratch' },
    });
    await expect(g.addDriveScratch(1 << 20, { blocksize: 'big' } as never)).rejects.toMatchObject({ details: { argument: 'optargs.blocksize' } });
    await expect(g.setMemsize(2 ** 31)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'memsize' } });
    await expect(g.diskFormat(`${img}\0x`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'filename' } });
    await expect((g.getMemsize as (...a: unknown[]) => Promise<number>)(1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await g.getMemsize()).toBe(640);
  });
});
