// What a long-running service sees: the event loop and libuv's pool while virtkit is busy or
// its daemon hangs, and memory over many calls and many open/close cycles.
//   - fs.readFile latency while 40 calls hang on a stopped (private) daemon, and while 8
//     libguestfs appliances launch;
//   - longest event-loop stall during 1000 concurrent calls;
//   - RSS growth over 100k calls and over 2,000 open/close cycles (after warm-up and GC).
// Run: node --expose-gc --import tsx --import ./scripts/text-hooks.mjs bench/lifetime.bench.ts
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Connection, Guest } from '../src/index.js';
import { ensureDaemon } from '../test/helpers/system.js';
import { startPrivateDaemon } from '../test/helpers/private-daemon.js';

const URI = process.env.VIRTKIT_BENCH_URI ?? 'qemu:///system';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const results: Record<string, string> = {};
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));

/** Worst and median fs.readFile latency (ms) sampled every 20 ms until `busy` settles. */
async function fsLatency(busy: Promise<unknown>): Promise<{ worst: number; median: number; samples: number }> {
  const s: number[] = [];
  let done = false;
  void busy.then(() => (done = true), () => (done = true));
  while (!done) {
    const t0 = performance.now();
    await readFile('/proc/self/status');
    s.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  s.sort((a, b) => a - b);
  return { worst: s.at(-1) ?? 0, median: s[Math.floor(s.length / 2)] ?? 0, samples: s.length };
}

async function stalledDaemon(): Promise<void> {
  const d = await startPrivateDaemon({ tag: 'bench' });
  try {
    const conn = await Connection.open(d.uri, { callTimeoutMs: 0 });
    await conn.domains();
    d.pause();
    const t0 = performance.now();
    const calls = Promise.allSettled(Array.from({ length: 40 }, () => conn.capabilitiesXml()));
    const lat = await fsLatency(calls);
    results['40 calls on a stopped daemon: all rejected after s'] = fmt((performance.now() - t0) / 1000);
    results['  fs.readFile worst latency meanwhile, ms (goal <= 50)'] = fmt(lat.worst);
    results['  fs.readFile median latency meanwhile, ms'] = fmt(lat.median);
    const c0 = performance.now();
    await conn.close();
    results['  close() after the daemon was lost, ms'] = fmt(performance.now() - c0);
  } finally {
    d.resume();
    await d.stop();
  }
}

async function launches(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vk-bench-'));
  try {
    const disks = Array.from({ length: 8 }, (_, i) => join(dir, `d${i}.img`));
    for (const p of disks) execFileSync('truncate', ['-s', '64M', p]);
    const t0 = performance.now();
    const all = Promise.all(disks.map((path) => Guest.open({ drives: [{ path, format: 'raw' }] })));
    const lat = await fsLatency(all);
    const guests = await all;
    results['8 appliance launches at once, s'] = fmt((performance.now() - t0) / 1000);
    results['  fs.readFile worst latency meanwhile (launches), ms (goal <= 50)'] = fmt(lat.worst);
    results['  fs.readFile median latency meanwhile (launches), ms'] = fmt(lat.median);
    await Promise.all(guests.map((g) => g.close()));
    // Baseline: the same fs sampling while 8 plain CPU-bound processes run for as long (what the
    // scheduler alone costs on this host, with no virtkit and no libvirt in the process).
    const spinners = Array.from({ length: 8 }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
    const base = await fsLatency(new Promise((r) => setTimeout(r, Math.min(60_000, performance.now() - t0))));
    for (const c of spinners) c.kill('SIGKILL'); // only the processes started just above
    results['  baseline: fs.readFile worst latency with 8 CPU-bound processes, ms'] = fmt(base.worst);
    results['  baseline: fs.readFile median latency with 8 CPU-bound processes, ms'] = fmt(base.median);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function stallAndMemory(): Promise<void> {
  const conn = await Connection.open(URI);
  try {
    const dom = (await conn.domains())[0];
    const call = () => (dom ? dom.info() : conn.type());
    // (a) 1000 calls started in one synchronous loop: the stall includes the caller's own loop.
    let h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let r = 0; r < 5; r++) await Promise.all(Array.from({ length: 1000 }, call));
    h.disable();
    results['longest stall, 1000 calls started in one loop x5, ms'] = fmt(h.max / 1e6);
    // (b) 1000 calls in flight, started 50 per turn: what virtkit's completions cost the loop.
    // The longest GC pause in the same window is printed beside it (V8's, not virtkit's).
    let gcMax = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
    });
    obs.observe({ entryTypes: ['gc'] });
    h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const w0 = performance.now();
    for (let r = 0; r < 5; r++) {
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        for (let k = 0; k < 50; k++) all.push(call());
        await new Promise((res) => setImmediate(res));
      }
      await Promise.all(all);
    }
    h.disable();
    obs.disconnect();
    // Baseline: the same histogram over as long a window with no calls at all (host noise).
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((r) => setTimeout(r, performance.now() - w0));
    idle.disable();
    results['  baseline: longest stall over as long a window with no calls, ms'] = fmt(idle.max / 1e6);
    results['longest stall, 1000 calls in flight (50 started per turn) x5, ms (goal <= 10)'] = fmt(h.max / 1e6);
    results['  longest GC pause in that window, ms'] = fmt(gcMax);

    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const calls = async (n: number) => {
      for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, () => conn.type()));
    };
    await calls(10_000);
    gc();
    const r0 = rss();
    await calls(100_000);
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    results['RSS growth over 100k calls, MiB (goal within 5)'] = fmt(rss() - r0);
  } finally {
    await conn.close();
  }
  for (const uri of ['test:///default', URI]) {
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const c = await Connection.open(uri);
        await c.close();
      }
    };
    await cycles(1000); // warm-up: allocator arenas and libvirt's caches settle
    gc();
    const r0 = process.memoryUsage().rss / 2 ** 20;
    await cycles(2000);
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    results[`RSS growth over 2000 open/close on ${uri}, MiB (goal within 5)`] = fmt(process.memoryUsage().rss / 2 ** 20 - r0);
  }
}

ensureDaemon();
await stallAndMemory();
await stalledDaemon();
if (!process.env.VIRTKIT_BENCH_SKIP_GUESTFS) await launches();
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(70)} ${v}`);
