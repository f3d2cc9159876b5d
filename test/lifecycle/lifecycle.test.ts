// Lifetimes a long-running service puts the native layer through, each in a child process so a
// crash shows as a signal instead of taking the runner down: exit with connections open, Workers
// terminated mid-call, Worker-only loads, garbage-collected connections, free() with calls in
// flight (also under valgrind). The children use dist/ (built by the test command).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection, type StoragePool } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, scratchPool } from '../helpers/system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = (name: string) => fileURLToPath(new URL(`./children/${name}`, import.meta.url));

// Asynchronous, so the test runner's own RPCs keep flowing while a child (valgrind) runs long.
function runChild(args: string[], opts: { timeoutMs?: number; prefix?: string[] } = {}) {
  const cmd = opts.prefix ? opts.prefix[0]! : process.execPath;
  const argv = opts.prefix ? [...opts.prefix.slice(1), process.execPath, ...args] : args;
  return new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 120_000); // only our own child
    c.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

describe('native lifetimes', () => {
  let pool: StoragePool;
  let removePool: () => Promise<void>;
  let conn: Connection;

  beforeAll(async () => {
    ensureDaemon();
    if (!existsSync(`${root}/dist/index.js`)) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' });
    conn = await Connection.open(SYSTEM_URI);
    const s = await scratchPool(conn, 'life');
    pool = s.pool;
    removePool = s.remove;
    for (let i = 0; i < 3; i++) await pool.createVolume({ name: `v${i}.img`, format: 'raw', capacity: 2 ** 20 });
  });
  afterAll(async () => {
    await removePool?.();
    await conn?.close();
  });

  it.each([
    ['test:///default', 3],
    [SYSTEM_URI, 3],
  ])('keeps the exit code when the process exits with %s connections open (x%i)', async (uri, n) => {
    const r = await runChild([child('exit-open.mjs'), ...Array(n).fill(uri)]);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(7);
  });

  it.each(['test:///default', SYSTEM_URI])('survives 30 Workers terminated in the middle of calls on %s', async (uri) => {
    const r = await runChild([child('workers-terminate.mjs'), uri, '30', 'main']);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('survived 30');
  });

  it('survives Workers that alone load the addon and exit, with connections open or closed', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runChild([child('workers-only.mjs'), SYSTEM_URI, '6']);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it.each(['test:///default', SYSTEM_URI])('collects unreferenced, unclosed connections on %s and warns where they were opened', async (uri) => {
    const r = await runChild(['--expose-gc', child('gc-unclosed.mjs'), uri, '10']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: number; during: number; after: number; warnings: number; sample: string };
    expect(out.warnings).toBe(10);
    expect(out.sample).toMatch(/garbage-collected without close\(\) \(opened at .*gc-unclosed\.mjs:\d+/);
    expect(out.sample).not.toContain('\n');
    // Their sockets are closed too (the remote driver opens 3 per connection).
    if (uri === SYSTEM_URI) expect(out.during).toBeGreaterThanOrEqual(out.before + 10);
    expect(out.after).toBe(out.before);
  });

  it('lets free() drop a handle while calls on it are in flight', async () => {
    const r = await runChild([child('free-pending.mjs'), SYSTEM_URI, pool.name, '30']);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ failed: 0 });
  });

  const valgrind = existsSync('/usr/bin/valgrind');
  it.skipIf(!valgrind)('reads no freed memory under valgrind: free() with calls pending, exit with connections open', async () => {
    const vg = ['valgrind', '--error-exitcode=99', '--leak-check=no', '--quiet'];
    const a = await runChild([child('free-pending.mjs'), SYSTEM_URI, pool.name, '3'], { prefix: vg, timeoutMs: 300_000 });
    expect(a.status, a.stderr.slice(-4000)).toBe(0);
    expect(a.stderr).not.toMatch(/Invalid (read|write)/);
    const b = await runChild([child('exit-open.mjs'), SYSTEM_URI, SYSTEM_URI], { prefix: vg, timeoutMs: 300_000 });
    expect(b.status, b.stderr.slice(-4000)).toBe(7);
    expect(b.stderr).not.toMatch(/Invalid (read|write)/);
  }, 600_000);
});
