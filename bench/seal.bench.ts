// virt-sysprep vs virtkit seal on the same image and operations, then a batch of 4.
// Run: npx tsx --import ./scripts/text-hooks.mjs bench/seal.bench.ts   (env: VIRTKIT_ACCEL=tcg|kvm|auto, BENCH_DIR=/path to keep images)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seal, sealMany } from '../src/seal/index.js';
import { buildFixtureDisks, debianTree } from '../test/fixtures/linux-trees.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const OPS = 'defaults';
const HOSTNAME = 'bench-host';
const dir = process.env.BENCH_DIR ?? join(tmpdir(), 'vk-seal-bench');
mkdirSync(dir, { recursive: true });

function sysprep(path: string): number {
  const t = performance.now();
  const r = spawnSync('virt-sysprep', ['--format', 'qcow2', '-a', path, '--operations', OPS, '--hostname', HOSTNAME, '-q'], {
    env: { ...process.env, LIBGUESTFS_BACKEND: 'direct', ...(ACCEL === 'kvm' ? {} : { LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' }) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`virt-sysprep: ${r.stderr}`);
  return performance.now() - t;
}

function copies(base: string, tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const p = join(dir, `${tag}-${i}.qcow2`);
    copyFileSync(base, p);
    return p;
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const base = join(dir, '0-debian.qcow2');
  if (!existsSync(base)) await buildFixtureDisks(dir, [debianTree()], { accel: ACCEL });
  console.log(`image: ${base} (Debian-like fixture), operations: ${OPS} + hostname, accel: ${ACCEL}, cores: ${(await import('node:os')).cpus().length}`);

  // Warm-up: the first libguestfs launch may build the appliance cache; charge it to nobody.
  sysprep(copies(base, 'warm', 1)[0]!);

  const [a] = copies(base, 'single-sysprep', 1);
  const [b] = copies(base, 'single-virtkit', 1);
  const tSys = sysprep(a!);
  const t0 = performance.now();
  const r = await seal({ disks: [b!], operations: OPS, hostname: HOSTNAME, accel: ACCEL });
  const tVk = performance.now() - t0;
  console.log('\n== one guest');
  console.log(`virt-sysprep  ${s(tSys)}`);
  console.log(`virtkit seal  ${s(tVk)}  (launch ${s(r.timings.launchMs)}, inspect ${s(r.timings.inspectMs)}, operations ${s(r.timings.operationsMs)})`);
  console.log(`ratio virt-sysprep / virtkit = ${(tSys / tVk).toFixed(2)}x`);
  const slow = [...r.operations].sort((x, y) => (y.ms ?? 0) - (x.ms ?? 0)).slice(0, 6);
  console.log(`slowest operations: ${slow.map((o) => `${o.name} ${o.ms} ms`).join(', ')}`);

  const N = 4;
  const sysBatch = copies(base, 'batch-sysprep', N);
  const t1 = performance.now();
  for (const p of sysBatch) sysprep(p);
  const tSysBatch = performance.now() - t1;
  console.log(`\n== batch of ${N}`);
  console.log(`virt-sysprep x${N} (sequential)              ${s(tSysBatch)}`);
  for (const [label, o] of [
    ['sealMany, 1 appliance of 4          ', { concurrency: 1, perAppliance: N }],
    ['sealMany, 2 appliances of 2 (default)', { concurrency: 2 }],
  ] as const) {
    const vkBatch = copies(base, 'batch-virtkit', N);
    const t2 = performance.now();
    const results = await sealMany(vkBatch.map((p) => ({ disks: [p], operations: OPS, hostname: HOSTNAME })), { accel: ACCEL, ...o });
    const tVkBatch = performance.now() - t2;
    const failed = results.filter((x) => !x.ok);
    if (failed.length) throw (failed[0] as { error: Error }).error;
    console.log(`virtkit ${label}  ${s(tVkBatch)}  ratio ${(tSysBatch / tVkBatch).toFixed(2)}x`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
