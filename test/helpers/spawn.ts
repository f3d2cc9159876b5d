// An awaitable spawnSync. Vitest's worker answers the runner over an RPC with a fixed 60 s
// timeout, so a test that blocks its event loop that long (spawnSync of virt-sysprep, a CLI seal,
// npm pack) fails the run with "Timeout calling onTaskUpdate" even when every assertion passed.
import { spawnAsync, type SpawnAsyncOptions } from '../../examples/lib/spawn.js';

export { spawnAsync, type Spawned, type SpawnAsyncOptions } from '../../examples/lib/spawn.js';

/** spawnAsync that rejects with the child's stderr when it does not exit 0. */
export async function runAsync(cmd: string, args: string[], opts: SpawnAsyncOptions = {}): Promise<string> {
  const r = await spawnAsync(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}
