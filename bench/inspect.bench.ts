// Fast vs full (inspect_os) inspection in one appliance: time and equality.
// Run: npx tsx --import ./scripts/text-hooks.mjs bench/inspect.bench.ts   (env: VIRTKIT_ACCEL, BENCH_DIR to keep the images)
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guest } from '../src/guest/index.js';
import { fastInspect } from '../src/seal/fast-inspect/index.js';
import { buildFixtureDisks, debianTree, fedoraTree } from '../test/fixtures/linux-trees.js';

const ACCEL = (process.env.VIRTKIT_ACCEL as 'auto' | 'kvm' | 'tcg' | undefined) ?? 'tcg';
const dir = process.env.BENCH_DIR ?? join(tmpdir(), 'vk-inspect-bench');
mkdirSync(dir, { recursive: true });

async function main(): Promise<void> {
  const paths = [join(dir, '0-debian.qcow2'), join(dir, '1-fedora.qcow2')];
  if (!paths.every((p) => existsSync(p))) await buildFixtureDisks(dir, [debianTree(), fedoraTree()], { accel: ACCEL });
  let t = performance.now();
  let calls = 0;
  const g = await Guest.open({ drives: paths.map((path) => ({ path, format: 'qcow2', readonly: true })), accel: ACCEL });
  console.log(`launch ${Math.round(performance.now() - t)} ms`);
  try {
    // Counts and (TRACE=1) times every call; methods stay bound to the Guest (private fields).
    const counting = new Proxy(g, {
      get: (o, k) => {
        const v: unknown = Reflect.get(o, k, o);
        if (typeof v !== 'function') return v;
        return async (...a: unknown[]) => {
          calls++;
          const t0 = performance.now();
          try {
            return await (v as (...x: unknown[]) => Promise<unknown>).apply(o, a);
          } finally {
            if (process.env.TRACE) console.log(`  ${Math.round(performance.now() - t0)} ms ${String(k)} ${JSON.stringify(a).slice(0, 90)}`);
          }
        };
      },
    });
    t = performance.now();
    const fast = await fastInspect(counting);
    console.log(`fast inspection ${Math.round(performance.now() - t)} ms, ${calls} calls`);
    t = performance.now();
    const full = await g.inspect();
    console.log(`inspect_os ${Math.round(performance.now() - t)} ms`);
    const same = JSON.stringify(fast) === JSON.stringify(full);
    console.log(same ? 'identical' : `DIFFERENT\nfast ${JSON.stringify(fast, null, 1)}\nfull ${JSON.stringify(full, null, 1)}`);
  } finally {
    await g.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
