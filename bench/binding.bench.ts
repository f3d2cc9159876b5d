// Binding overhead against libvirt-python (same daemon, same run), overlay creation against
// `qemu-img create`, and the longest event-loop stall seen meanwhile.
// Run: npx tsx bench/binding.bench.ts   (needs the system daemon: scripts/ensure-libvirtd.sh)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { Connection } from '../src/index.js';
import { scratchPool, ensureDaemon } from '../test/helpers/system.js';

const URI = process.env.VIRTKIT_BENCH_URI ?? 'qemu:///system';
const N = Number(process.env.VIRTKIT_BENCH_N ?? 2000);
const CONC = 8;
// Async subprocesses only: a sync one would block the loop and spoil the stall figure.
const exec = promisify(execFile);
const name = `vk-bench-${process.pid}`;
const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

async function main(): Promise<void> {
  ensureDaemon();
  // One histogram per virtkit phase: the peers' spawns (fork in the main thread) are not ours,
  // and a histogram re-enabled after a pause counts the pause.
  const stalls: ReturnType<typeof monitorEventLoopDelay>[] = [];
  let stall = monitorEventLoopDelay({ resolution: 1 });
  const phase = () => {
    stall = monitorEventLoopDelay({ resolution: 1 });
    stalls.push(stall);
    stall.enable();
  };
  const conn = await Connection.open(URI);
  const dom = await conn.defineDomain(xml);
  const results: Record<string, number | string> = {};
  try {
    const op = async () => {
      const d = await conn.domain(name);
      await d.info();
    };
    for (let i = 0; i < 200; i++) await op(); // warm-up
    phase();
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await op();
    const serial = N / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    const per = Math.floor(N / CONC);
    await Promise.all(Array.from({ length: CONC }, async () => { for (let i = 0; i < per; i++) await op(); }));
    const concurrent = (per * CONC) / ((performance.now() - t0) / 1000);
    stall.disable(); // spawning the peers blocks the loop in fork(): not virtkit's stall
    const py = JSON.parse((await exec('/usr/bin/python3', [new URL('./peers/libvirt_python.py', import.meta.url).pathname, URI, name, String(N), String(CONC)])).stdout) as {
      serial_ops_per_s: number; concurrent_ops_per_s: number;
    };
    results['lookup+info serial, virtkit ops/s'] = fmt(serial);
    results['lookup+info serial, libvirt-python ops/s'] = fmt(py.serial_ops_per_s);
    results['serial ratio (virtkit / python)'] = fmt(serial / py.serial_ops_per_s);
    results[`lookup+info concurrency ${CONC}, virtkit ops/s`] = fmt(concurrent);
    results[`lookup+info concurrency ${CONC}, libvirt-python threads ops/s`] = fmt(py.concurrent_ops_per_s);
    results['concurrent ratio (virtkit / python)'] = fmt(concurrent / py.concurrent_ops_per_s);

    // Overlay creation: virtkit (libvirt runs qemu-img for the pool) vs qemu-img create directly.
    const { pool, dir, remove } = await scratchPool(conn, 'bench');
    try {
      const base = await pool.createVolume({ name: 'base.qcow2', format: 'qcow2', capacity: 2 ** 30 });
      const basePath = await base.path();
      const M = 50;
      phase();
      t0 = performance.now();
      for (let i = 0; i < M; i++) await pool.createVolume({ name: `ov${i}.qcow2`, backing: base });
      const vk = (performance.now() - t0) / M;
      stall.disable();
      t0 = performance.now();
      for (let i = 0; i < M; i++)
        await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=1.1', '-b', basePath, '-F', 'qcow2', `${dir}/qi${i}.qcow2`]);
      const qi = (performance.now() - t0) / M;
      for (let i = 0; i < M; i++) rmSync(`${dir}/qi${i}.qcow2`, { force: true });
      results['overlay create, virtkit ms'] = fmt(vk);
      results['overlay create, qemu-img subprocess ms'] = fmt(qi);
      results['overlay ratio (qemu-img / virtkit)'] = fmt(qi / vk);
    } finally {
      await remove();
    }
    stall.disable();
    results['longest event-loop stall ms'] = fmt(Math.max(...stalls.map((h) => h.max)) / 1e6);
    results['p99 event-loop delay ms'] = fmt(Math.max(...stalls.map((h) => h.percentile(99))) / 1e6);
  } finally {
    await dom.undefine().catch(() => undefined);
    await conn.close();
  }
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(52)} ${v}`);
}

await main();
