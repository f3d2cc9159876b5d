// Runs the built CLI (dist/cli.js), building it first when it is missing or older than src/.
import { spawn, execFileSync } from 'node:child_process';
import { spawnAsync } from '../helpers/spawn.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ with tsup when dist/cli.js is missing or stale. */
export function ensureBuilt(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return;
  execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: 'ignore' });
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines. */
  lines: string[];
}

const env = { ...process.env, LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? 'direct', NO_COLOR: '1' };

/** Runs the CLI to completion, without blocking the test worker's event loop (see helpers/spawn.ts). */
export async function vk(...args: string[]): Promise<Result> {
  const r = await spawnAsync(process.execPath, [CLI, ...args], { env, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

/** Starts the CLI, sends SIGINT after `afterMs`, resolves with the outcome. */
export function vkInterrupted(afterMs: number, ...args: string[]): Promise<Result & { ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGINT'), afterMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: stderr.split('\n').filter(Boolean), ms: Date.now() - t0 });
    });
  });
}

/** JSON of stdout (fails the test with the CLI's stderr when it is not JSON). */
export function json<T = any>(r: Result): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
