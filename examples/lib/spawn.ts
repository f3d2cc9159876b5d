// A child process run to completion without blocking the event loop, its output collected.
// Shared by the network bed and the tests (test/helpers/spawn.ts re-exports it).
import { spawn, type SpawnOptions } from 'node:child_process';

export interface Spawned {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnAsyncOptions extends SpawnOptions {
  /** Past this many ms the child gets `killSignal` (by its handle: only the child we spawned). */
  timeout?: number;
  /** Default SIGTERM (as spawnSync does). */
  killSignal?: NodeJS.Signals;
  /** Written to the child's stdin, then closed; without it stdin is /dev/null. */
  input?: string;
}

/** Runs `cmd` to completion; resolves with its exit and output, rejects only when it cannot start. */
export function spawnAsync(cmd: string, args: string[], opts: SpawnAsyncOptions = {}): Promise<Spawned> {
  const { timeout, killSignal = 'SIGTERM', input, ...rest } = opts;
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...rest, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (p.stdin) {
      p.stdin.on('error', () => undefined); // a child that exits without reading its input
      p.stdin.end(input);
    }
    const timer = timeout ? setTimeout(() => p.kill(killSignal), timeout) : undefined;
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
