// Volume streams against virsh, same machine, same run: a 2 GiB qcow2 file holding 300 MiB of data
// (holes at the start, in the middle and at the end) moved with `sparse: true`:
//  - upload: virtkit vol.upload(file) vs `virsh vol-upload --sparse`, each into a fresh raw volume;
//  - download: virtkit vol.download(file) vs `virsh vol-download --sparse`, each to a fresh file.
// Rounds alternate which tool goes first. Reported: median times and their ratio (virsh / virtkit,
// goal >= 1.0), the target's allocation against the source's (goal <= 1.1), and the longest
// event-loop stall while virtkit transfers (perf_hooks monitorEventLoopDelay, goal <= 10 ms).
// Run: npx tsx --import ./scripts/text-hooks.mjs bench/streams.bench.ts   (env VIRTKIT_BENCH_ROUNDS, default 5)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync, statSync } from 'node:fs';
import { Connection } from '../src/connection.js';
import { ensureDaemon, scratchPool } from '../test/helpers/system.js';

const exec = promisify(execFile);
const URI = process.env.VIRTKIT_BENCH_URI ?? 'qemu:///system';
const ROUNDS = Number(process.env.VIRTKIT_BENCH_ROUNDS ?? 7);
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const out: [string, string][] = [];
const rec = (k: string, v: number | string, unit = '') => out.push([k, typeof v === 'number' ? `${v.toFixed(v < 10 ? 2 : 0)}${unit}` : v]);
const now = () => performance.now();
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const allocated = (p: string) => statSync(p).blocks * 512;

ensureDaemon();
const conn = await Connection.open(URI);
const { pool, dir, remove } = await scratchPool(conn, 'bench-streams');
try {
  // The source: qcow2 with metadata preallocation, so the file is 2 GiB long and its clusters sit
  // at their guest offsets: three 100 MiB data runs, holes before, between and after them.
  const src = `${dir}/src.qcow2`;
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'preallocation=metadata', src, '2G']);
  for (const [i, off] of [256 * MiB, 1024 * MiB, 1600 * MiB].entries())
    await exec('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x${(0x41 + i).toString(16)} ${off} 100M`, src]);
  await pool.refresh();
  const srcVol = await pool.volume('src.qcow2');
  const srcSize = statSync(src).size;
  const srcAlloc = allocated(src);
  console.log(`source: ${(srcSize / GiB).toFixed(2)} GiB file, ${(srcAlloc / MiB).toFixed(0)} MiB allocated`);

  const t = { vkUp: [] as number[], vsUp: [] as number[], vkDown: [] as number[], vsDown: [] as number[] };
  const alloc = { vkUp: [] as number[], vsUp: [] as number[], vkDown: [] as number[], vsDown: [] as number[] };
  // The loop's delay is watched during every transfer: during virsh's too, where this process
  // does nothing, which shows what the host's two cores alone cost (scheduling, not blocking).
  const stalls = { vk: [] as number[], vs: [] as number[] };
  // And how long the loop was busy at all (event-loop utilization: time outside epoll).
  const busy = { vk: [] as number[], vs: [] as number[] };
  const watched = async (who: 'vk' | 'vs', fn: () => Promise<unknown>): Promise<number> => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const elu = performance.eventLoopUtilization();
    const t0 = now();
    await fn();
    const ms = now() - t0;
    busy[who].push(performance.eventLoopUtilization(elu).active);
    h.disable();
    stalls[who].push(h.max / 1e6);
    return ms;
  };
  const virtkit = (fn: () => Promise<unknown>) => watched('vk', fn);
  const virsh = (args: string[]) => watched('vs', () => exec('virsh', ['-q', '-c', URI, ...args]));
  const fresh = async (name: string) => {
    await pool.findVolume(name).then((v) => v?.delete());
    return pool.createVolume({ name, format: 'raw', capacity: srcSize });
  };

  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['vk', 'vs'] : ['vs', 'vk'];
    for (const who of order) {
      const name = `up-${who}.raw`;
      const vol = await fresh(name);
      const path = await vol.path();
      let ms: number;
      if (who === 'vk') ms = await virtkit(() => vol.upload(src, { sparse: true }));
      else ms = await virsh(['vol-upload', '--pool', pool.name, '--sparse', name, src]);
      (who === 'vk' ? t.vkUp : t.vsUp).push(ms);
      (who === 'vk' ? alloc.vkUp : alloc.vsUp).push(allocated(path));
      await vol.delete();
    }
    for (const who of order) {
      const file = `${dir}/down-${who}.qcow2`;
      rmSync(file, { force: true });
      let ms: number;
      if (who === 'vk') ms = await virtkit(() => srcVol.download(file, { sparse: true }));
      else ms = await virsh(['vol-download', '--pool', pool.name, '--sparse', 'src.qcow2', file]);
      (who === 'vk' ? t.vkDown : t.vsDown).push(ms);
      (who === 'vk' ? alloc.vkDown : alloc.vsDown).push(allocated(file));
      if (statSync(file).size !== srcSize) throw new Error(`${who} download has the wrong size`);
      rmSync(file);
    }
  }
  await pool.refresh();

  rec('rounds', String(ROUNDS));
  rec('upload, virtkit vol.upload sparse (ms)', med(t.vkUp));
  rec('upload, virsh vol-upload --sparse (ms)', med(t.vsUp));
  rec('upload ratio (virsh / virtkit)', med(t.vsUp) / med(t.vkUp), 'x');
  rec('download, virtkit vol.download sparse (ms)', med(t.vkDown));
  rec('download, virsh vol-download --sparse (ms)', med(t.vsDown));
  rec('download ratio (virsh / virtkit)', med(t.vsDown) / med(t.vkDown), 'x');
  rec('upload target allocation / source, virtkit', med(alloc.vkUp) / srcAlloc, 'x');
  rec('upload target allocation / source, virsh', med(alloc.vsUp) / srcAlloc, 'x');
  rec('download target allocation / source, virtkit', med(alloc.vkDown) / srcAlloc, 'x');
  rec('download target allocation / source, virsh', med(alloc.vsDown) / srcAlloc, 'x');
  rec('longest event-loop stall during virtkit transfers (ms)', Math.max(...stalls.vk));
  rec('  median of the per-transfer longest stalls (ms)', med(stalls.vk));
  rec('  event loop busy per virtkit transfer, median (ms)', med(busy.vk));
  rec('longest loop delay while virsh transfers (host load) (ms)', Math.max(...stalls.vs));
  rec('  median of the per-transfer longest delays (ms)', med(stalls.vs));
  console.log(`per-transfer longest stalls, virtkit: ${stalls.vk.map((x) => x.toFixed(0)).join(' ')}; virsh: ${stalls.vs.map((x) => x.toFixed(0)).join(' ')}`);
} finally {
  await remove();
  await conn.close();
}
for (const [k, v] of out) console.log(`${k.padEnd(58)} ${v}`);
