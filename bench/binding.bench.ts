// Binding overhead against libvirt-python (same daemon, same run), overlay creation against
// `qemu-img create`, and the longest event-loop stall seen meanwhile.
// Run: npx tsx --import ./scripts/text-hooks.mjs bench/binding.bench.ts   (needs the system daemon: scripts/ensure-libvirtd.sh)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { Connection } from '../src/index.js';
import { scratchPool, ensureDaemon } from '../test/helpers/system.js';

const URI = process.env.VIRTKIT_BENCH_URI ?? 'qemu:///system';
const N = Number(process.env.VIRTKIT_BENCH_N ?? 2000);
const CONC = 8;
const ROUNDS = Number(process.env.VIRTKIT_BENCH_ROUNDS ?? 3);
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
    // The operation of the goal: look a domain up by name, then read its info. virtkit answers
    // a repeated lookup from its event-synchronised handle cache (the default); `fresh` asks the
    // daemon every time (two RPCs, as libvirt-python does).
    const cached = async () => {
      const d = await conn.domain(name);
      await d.info();
    };
    const fresh = async () => {
      const d = await conn.domain(name, { fresh: true });
      await d.info();
    };
    const serialRate = async (op: () => Promise<void>) => {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await op();
      return N / ((performance.now() - t0) / 1000);
    };
    const concRate = async (op: () => Promise<void>) => {
      const per = Math.floor(N / CONC);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CONC }, async () => { for (let i = 0; i < per; i++) await op(); }));
      return (per * CONC) / ((performance.now() - t0) / 1000);
    };
    for (let i = 0; i < 200; i++) await fresh(); // warm-up
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const vk = { serial: [] as number[], conc: [] as number[], freshSerial: [] as number[], freshConc: [] as number[] };
    const py = { serial: [] as number[], conc: [] as number[] };
    const pyLoop = { serial: [] as number[], conc: [] as number[] };
    const peer = async (extra: string[]) =>
      JSON.parse((await exec('/usr/bin/python3', [new URL('./peers/libvirt_python.py', import.meta.url).pathname, URI, name, String(N), String(CONC), ...extra])).stdout) as {
        serial_ops_per_s: number; concurrent_ops_per_s: number;
      };
    // Alternating rounds, so that both sides see the same machine load.
    for (let round = 0; round < ROUNDS; round++) {
      phase();
      vk.serial.push(await serialRate(cached));
      vk.conc.push(await concRate(cached));
      vk.freshSerial.push(await serialRate(fresh));
      vk.freshConc.push(await concRate(fresh));
      stall.disable(); // spawning the peer blocks the loop in fork(): not virtkit's stall
      const r = await peer([]);
      py.serial.push(r.serial_ops_per_s);
      py.conc.push(r.concurrent_ops_per_s);
      // The same peer as a service runs it: event loop thread and keepalive (virtkit has both).
      const l = await peer(['--event-loop']);
      pyLoop.serial.push(l.serial_ops_per_s);
      pyLoop.conc.push(l.concurrent_ops_per_s);
    }
    results[`lookup+info serial, virtkit ops/s (median of ${ROUNDS})`] = fmt(median(vk.serial));
    results['lookup+info serial, virtkit fresh lookups ops/s'] = fmt(median(vk.freshSerial));
    results['lookup+info serial, libvirt-python ops/s'] = fmt(median(py.serial));
    results['serial ratio (virtkit / python)'] = fmt(median(vk.serial) / median(py.serial));
    results['serial ratio, fresh lookups (virtkit / python)'] = fmt(median(vk.freshSerial) / median(py.serial));
    results[`lookup+info concurrency ${CONC}, virtkit ops/s`] = fmt(median(vk.conc));
    results[`lookup+info concurrency ${CONC}, virtkit fresh lookups ops/s`] = fmt(median(vk.freshConc));
    results[`lookup+info concurrency ${CONC}, libvirt-python threads ops/s`] = fmt(median(py.conc));
    results['concurrent ratio (virtkit / python)'] = fmt(median(vk.conc) / median(py.conc));
    results['concurrent ratio, fresh lookups (virtkit / python)'] = fmt(median(vk.freshConc) / median(py.conc));
    results['libvirt-python with event loop + keepalive, serial ops/s'] = fmt(median(pyLoop.serial));
    results[`libvirt-python with event loop + keepalive, concurrency ${CONC} ops/s`] = fmt(median(pyLoop.conc));
    results['serial ratio vs python with event loop (cached / fresh)'] = `${fmt(median(vk.serial) / median(pyLoop.serial))} / ${fmt(median(vk.freshSerial) / median(pyLoop.serial))}`;
    results['concurrent ratio vs python with event loop (cached / fresh)'] = `${fmt(median(vk.conc) / median(pyLoop.conc))} / ${fmt(median(vk.freshConc) / median(pyLoop.conc))}`;

    // Overlay creation: virtkit (libvirt runs qemu-img for the pool) vs qemu-img create directly.
    const { pool, dir, remove } = await scratchPool(conn, 'bench');
    try {
      const base = await pool.createVolume({ name: 'base.qcow2', format: 'qcow2', capacity: 2 ** 30 });
      const basePath = await base.path();
      const M = 50;
      phase();
      let t0 = performance.now();
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
