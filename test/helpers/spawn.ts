// An awaitable spawnSync. Vitest's worker answers the runner over an RPC with a fixed 60 s
// timeout, so a test that blocks its event loop that long (spawnSync of virt-sysprep, a CLI seal,
// npm pack) fails the run with "Timeout calling onTaskUpdate" even when every assertion passed.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface Spawned {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` to completion; `timeout` sends SIGTERM to that child when it passes (as spawnSync does). */
export function spawnAsync(cmd: string, args: string[], opts: SpawnOptions & { timeout?: number } = {}): Promise<Spawned> {
  const { timeout, ...rest } = opts;
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...rest, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = timeout ? setTimeout(() => p.kill('SIGTERM'), timeout) : undefined;
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** spawnAsync that rejects with the child's stderr when it does not exit 0. */
export async function runAsync(cmd: string, args: string[], opts: SpawnOptions & { timeout?: number } = {}): Promise<string> {
  const r = await spawnAsync(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}
