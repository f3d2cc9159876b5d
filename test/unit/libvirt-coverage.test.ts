// Every public function of libvirt-api.xml and libvirt-qemu-api.xml is bound (the built addon
// imports its symbol) or ignored with a one-line reason (scripts/libvirt-overrides.mjs), like
// libvirt-go-module's api_test.go but counted on the addon's imports. Also: every method the
// generator planned exists on its native class, and the committed generated files are what the
// generator makes from the installed API description (--check).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { native } from '../../src/native.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The binary the library loads (node-gyp-build: a local build, else the prebuild): the package
// test's prebuildify may leave build/Release without one.
const addon = (createRequire(import.meta.url)('node-gyp-build') as { path(dir: string): string }).path(root);

interface PlanEntry { fn: string; file: string; kind: 'generated' | 'override' | 'hand' | 'ignored'; cls?: string; method?: string; reason?: string }
const plan = JSON.parse(readFileSync(`${root}src/generated/libvirt-plan.json`, 'utf8')) as PlanEntry[];

function apiFunctions(variable: string, pkg: string): string[] {
  const path = execFileSync('pkg-config', [`--variable=${variable}`, pkg], { encoding: 'utf8' }).trim();
  return [...readFileSync(path, 'utf8').matchAll(/<function name='(\w+)'/g)].map((m) => m[1]!);
}

function importedSymbols(): Set<string> {
  const out = execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' });
  return new Set([...out.matchAll(/\bU (vir\w+)/g)].map((m) => m[1]!));
}

describe('libvirt coverage', () => {
  const files = {
    'libvirt-api.xml': apiFunctions('libvirt_api', 'libvirt'),
    'libvirt-qemu-api.xml': apiFunctions('libvirt_qemu_api', 'libvirt-qemu'),
  };
  const all = [...files['libvirt-api.xml'], ...files['libvirt-qemu-api.xml']];
  const imported = importedSymbols();
  const ignored = new Map(plan.filter((e) => e.kind === 'ignored').map((e) => [e.fn, e.reason!]));

  it('reads both API descriptions', () => {
    expect(files['libvirt-api.xml'].length).toBeGreaterThan(500);
    expect(files['libvirt-qemu-api.xml'].length).toBeGreaterThan(3);
  });

  it('binds every function or says why not, in one line', () => {
    const unexplained = all.filter((f) => !imported.has(f) && !ignored.has(f));
    expect(unexplained).toEqual([]);
    for (const [fn, why] of ignored) {
      expect(all, `${fn} is an API function`).toContain(fn);
      expect(why.length, fn).toBeGreaterThan(10);
      expect(why, fn).not.toContain('\n');
      // Bound outside the generator (streams by the stream wrappers, events by the event layer) is fine;
      // anything else listed as ignored must really be left out.
      if (imported.has(fn)) expect(why, `${fn} is ignored but the addon imports it`).toMatch(/^(streams|events):/);
    }
  });

  it('binds at least 90% of libvirt-api.xml + libvirt-qemu-api.xml', () => {
    const lines: string[] = [];
    for (const [file, fns] of Object.entries(files)) {
      const bound = fns.filter((f) => imported.has(f)).length;
      lines.push(`${file}: ${bound}/${fns.length}`);
    }
    const bound = all.filter((f) => imported.has(f)).length;
    console.log(`libvirt: ${lines.join(', ')}; total ${bound}/${all.length} (${((100 * bound) / all.length).toFixed(1)}%)`);
    expect(bound / all.length).toBeGreaterThanOrEqual(0.9);
  });

  it('has every planned method on its native class', () => {
    const a = native() as unknown as Record<string, { prototype: Record<string, unknown> }>;
    const missing = plan
      .filter((e) => (e.kind === 'generated' || e.kind === 'override') && typeof a[e.cls!]?.prototype[e.method!] !== 'function')
      .map((e) => `${e.cls}.${e.method} (${e.fn})`);
    expect(missing).toEqual([]);
    expect(plan.filter((e) => e.kind === 'generated').length).toBeGreaterThan(300);
  });

  it('the committed generated files are what the generator makes (--check)', () => {
    // Throws (non-zero exit) when any output differs from what is committed.
    execFileSync(process.execPath, [`${root}scripts/gen-libvirt-bindings.mjs`, '--check'], { cwd: root, encoding: 'utf8' });
  });
});
