// The published package: pack it, install the tarball into an empty directory, and use it the
// way people will: ESM import, CommonJS require, TypeScript types for both, and the CLI via npx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { runAsync, spawnAsync } from '../helpers/spawn.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'vk-pack-'));
const app = join(out, 'app');
const pkgDir = join(app, 'node_modules/virtkit');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

function node(file: string, env: NodeJS.ProcessEnv = {}) {
  return spawnAsync(process.execPath, [file], { cwd: app, env: { ...process.env, ...env }, timeout: 30_000 });
}
function npx(...args: string[]) {
  return spawnAsync('npx', ['--no-install', ...args], { cwd: app, timeout: 60_000 });
}
function tsc(skipLibCheck: boolean) {
  return spawnAsync(
    join(ROOT, 'node_modules/.bin/tsc'),
    ['--noEmit', '--strict', `--skipLibCheck`, String(skipLibCheck), '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'es2022,esnext.disposable', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'check-esm.mts', 'check-cjs.cts'],
    { cwd: app },
  );
}

beforeAll(async () => {
  if (process.env.VIRTKIT_SKIP_PACK_TEST) return;
  await runAsync('bash', [join(ROOT, 'scripts/pack-test.sh'), out], { cwd: ROOT });
  writeFileSync(join(app, 'esm.mjs'), `import { Connection, Template } from 'virtkit';
const conn = await Connection.open('test:///default');
console.log(JSON.stringify({ domains: (await conn.domains()).map((d) => d.name), templates: (await Template.list(conn)).length }));
await conn.close();
`);
  writeFileSync(join(app, 'cjs.cjs'), `const { Connection, VirtError } = require('virtkit');
(async () => {
  const conn = await Connection.open('test:///default');
  const names = (await conn.domains()).map((d) => d.name);
  const err = await conn.domain('nope').catch((e) => e);
  console.log(JSON.stringify({ domains: names, code: err instanceof VirtError ? err.code : String(err) }));
  await conn.close();
})();
`);
  // Both builds in one process: an error made by one is an instance of the other's classes.
  writeFileSync(join(app, 'dual.mjs'), `import { createRequire } from 'node:module';
import * as esm from 'virtkit';
const cjs = createRequire(import.meta.url)('virtkit');
const conn = await cjs.Connection.open('test:///default');
const virt = await conn.domain('nope').catch((e) => e);
const kit = await conn.domain('').catch((e) => e);
await conn.close();
const econn = await esm.Connection.open('test:///default');
const evirt = await econn.domain('nope').catch((e) => e);
await econn.close();
console.log(JSON.stringify({
  distinctClasses: cjs.VirtError !== esm.VirtError,
  cjsVirtIsEsm: virt instanceof esm.VirtError, cjsVirtIsEsmHelper: esm.isVirtError(virt, 'VIR_ERR_NO_DOMAIN'),
  cjsKitIsEsm: kit instanceof esm.VirtkitError, cjsKitCode: kit.code,
  esmVirtIsCjs: evirt instanceof cjs.VirtError && cjs.isVirtError(evirt, 'VIR_ERR_NO_DOMAIN'),
  notOtherClass: !(virt instanceof esm.VirtkitError) && !(kit instanceof esm.VirtError) && !(virt instanceof esm.GuestfsError),
}));
`);
  writeFileSync(join(app, 'check-esm.mts'), `import { Connection, VirtError, type DomainState, type TemplateProgress } from 'virtkit';
const conn: Connection = await Connection.open('test:///default');
const s: DomainState = (await (await conn.domain('test')).state()).state;
const p: TemplateProgress['step'] = 'copy';
console.log(s, p, VirtError.name);
`);
  writeFileSync(join(app, 'check-cjs.cts'), `import virtkit = require('virtkit');
const open: (uri?: string) => Promise<virtkit.Connection> = virtkit.Connection.open;
void open;
`);
}, 600_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

// Needs the npm registry (the tarball's dependencies): VIRTKIT_SKIP_PACK_TEST=1 skips it offline.
describe.skipIf(!!process.env.VIRTKIT_SKIP_PACK_TEST)('the packed tarball', () => {
  it('ships the bundle, types, prebuild, addon sources and install script, and no tests', async () => {
    const files = execFileSync('tar', ['tzf', join(out, `virtkit-${version}.tgz`)], { encoding: 'utf8' }).split('\n');
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'prebuilds/linux-x64/virtkit.node', 'binding.gyp', 'native/addon.cc', 'scripts/install.cjs',
      'guestfs-addon/binding.gyp', 'guestfs-addon/prebuilds/linux-x64/virtkit_guestfs.node', 'native/guestfs_addon.cc'])
      expect(files).toContain(`package/${f}`);
    expect(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/build/') || f.startsWith('package/guestfs-addon/build/'))).toBe(false);
    // Nothing nobody loads: the CommonJS CLI (bin is the ESM one) and source maps.
    expect(files.filter((f) => f.endsWith('.map') || f === 'package/dist/cli.cjs')).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/dist/')).sort()).toEqual(['cli.js', 'index.cjs', 'index.d.cts', 'index.d.ts', 'index.js'].map((f) => `package/dist/${f}`));
  });

  it('installed from the tarball; the prebuild is used (no compile at install)', async () => {
    expect(existsSync(join(pkgDir, 'prebuilds/linux-x64/virtkit.node'))).toBe(true);
    expect(existsSync(join(pkgDir, 'guestfs-addon/prebuilds/linux-x64/virtkit_guestfs.node'))).toBe(true);
    expect(existsSync(join(pkgDir, 'build'))).toBe(false);
    expect(existsSync(join(pkgDir, 'guestfs-addon/build'))).toBe(false);
  });

  it('ESM: import { Connection } from "virtkit"', async () => {
    const r = await node('esm.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ domains: ['test'], templates: 0 });
  });

  it('CommonJS: require("virtkit"), typed errors included', async () => {
    const r = await node('cjs.cjs');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ domains: ['test'], code: 'VIR_ERR_NO_DOMAIN' });
  });

  it('one error identity across import and require: a CJS-thrown error is instanceof the ESM class, and back', async () => {
    const r = await node('dual.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      distinctClasses: true, cjsVirtIsEsm: true, cjsVirtIsEsmHelper: true, cjsKitIsEsm: true, cjsKitCode: 'INVALID_ARGUMENT', esmVirtIsCjs: true, notOtherClass: true,
    });
  });

  it('TypeScript resolves the types of both entry points (ESM .d.ts, CJS .d.cts)', async () => {
    const r = await tsc(true);
    expect(r.status, r.stdout).toBe(0);
  });

  it('the bundled .d.ts type-checks without skipLibCheck', async () => {
    const r = await tsc(false);
    expect(r.status, r.stdout).toBe(0);
  });

  it('npx virtkit works', async () => {
    const v = await npx('virtkit', '--version');
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toBe(`virtkit ${version}\n`);
    const l = await npx('virtkit', 'template', 'list', '-c', 'test:///default', '--json');
    expect(l.status, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout)).toEqual([]);
  });

  it('without any addon: import works, use throws the clear error', async () => {
    renameSync(join(pkgDir, 'prebuilds'), join(pkgDir, 'prebuilds.off'));
    try {
      const r = await node('esm.mjs');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('VirtkitError: the native addon could not be loaded');
      expect(r.stderr).toContain("code: 'ADDON_NOT_LOADED'");
      expect(r.stderr).toContain('apt-get install libvirt-dev');
      // The CLI: one line, exit 1; --version needs no addon.
      const c = await npx('virtkit', 'template', 'list', '-c', 'test:///default');
      expect(c.status).toBe(1);
      const lines = c.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^virtkit: ADDON_NOT_LOADED: the native addon could not be loaded .*setup-host\.sh`\.$/);
      expect((await npx('virtkit', '--version')).status).toBe(0);
    } finally {
      renameSync(join(pkgDir, 'prebuilds.off'), join(pkgDir, 'prebuilds'));
    }
  });

  it('the install script names the Debian packages when it cannot build', async () => {
    renameSync(join(pkgDir, 'prebuilds'), join(pkgDir, 'prebuilds.off'));
    renameSync(join(pkgDir, 'guestfs-addon/prebuilds'), join(pkgDir, 'guestfs-addon/prebuilds.off'));
    try {
      // PATH without pkg-config: as on a host without the -dev packages.
      const r = await node(join(pkgDir, 'scripts/install.cjs'), { PATH: '/nonexistent' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('apt-get install libvirt-dev pkg-config g++ make python3');
      expect(r.stderr).toContain('apt-get install libguestfs-dev pkg-config g++ make python3');
      expect(r.stderr).toContain('scripts/setup-host.sh');
    } finally {
      renameSync(join(pkgDir, 'prebuilds.off'), join(pkgDir, 'prebuilds'));
      renameSync(join(pkgDir, 'guestfs-addon/prebuilds.off'), join(pkgDir, 'guestfs-addon/prebuilds'));
    }
    // With the prebuild in place the install script only checks that it loads.
    const ok = await node(join(pkgDir, 'scripts/install.cjs'));
    expect(ok.status, ok.stderr).toBe(0);
  });

  // As on a host without libguestfs0 (test/helpers/without-libguestfs.sh hides its files in a
  // private mount namespace): the install succeeds and says what is missing, libvirt work runs,
  // Guest and seal reject with GUESTFS_UNAVAILABLE naming the Debian packages.
  it('installs and runs the libvirt half on a host without libguestfs', async () => {
    const bare = join(out, 'bare');
    mkdirSync(bare);
    writeFileSync(join(bare, 'package.json'), '{"name":"virtkit-bare","version":"1.0.0","private":true}');
    const hide = join(ROOT, 'test/helpers/without-libguestfs.sh');
    const inst = await spawnAsync(hide, ['npm', 'install', join(out, `virtkit-${version}.tgz`), '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: bare, timeout: 180_000 });
    expect(inst.status, inst.stderr).toBe(0);
    expect(inst.stderr).toContain('note: no prebuild of the libguestfs addon');
    expect(inst.stderr).toContain('sudo apt-get install libguestfs-dev');
    expect(inst.stderr).toContain('Guest and seal reject with GUESTFS_UNAVAILABLE');
    writeFileSync(join(bare, 'use.mjs'), `import { Connection, Guest, seal, guestfsAvailable } from 'virtkit';
const conn = await Connection.open('test:///default');
const domains = (await conn.domains()).map((d) => d.name);
await conn.close();
const guest = await Guest.open({ drives: [{ path: '/nonexistent.img' }] }).then(() => 'opened', (e) => e);
const sealed = await seal({ disks: [{ path: '/nonexistent.img', format: 'raw' }] }).then(() => 'sealed', (e) => e);
console.log(JSON.stringify({ domains, available: guestfsAvailable(), guest: [guest.name, guest.code, guest.message], seal: [sealed.code] }));
`);
    const r = await spawnAsync(hide, [process.execPath, 'use.mjs'], { cwd: bare, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.domains).toEqual(['test']);
    expect(j.available).toBe(false);
    expect(j.guest.slice(0, 2)).toEqual(['VirtkitError', 'GUESTFS_UNAVAILABLE']);
    expect(j.guest[2]).toContain('apt-get install libguestfs0');
    expect(j.seal).toEqual(['GUESTFS_UNAVAILABLE']);
    // The same install outside the namespace: both halves load.
    const both = await spawnAsync(process.execPath, ['use.mjs'], { cwd: bare, timeout: 30_000 });
    expect(both.status, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout).available).toBe(true);
    expect(JSON.parse(both.stdout).guest[1]).toBe('NOT_FOUND');
  }, 240_000);
});
