// Many-host and at-scale benchmarks against the peer tools, same machine, same run:
//  (one linked clone against the peer recipe is bench/template.bench.ts)
//  1. replicate a template (a 2 GiB qcow2 holding ~300 MiB) to a second daemon: virtkit
//     tpl.replicate (read-back verify, and verify: 'sent') vs `virsh vol-upload --sparse` of the
//     same file into the same kind of pool
//  2. 1,000 linked clones with deployMany, then the cost of one pool refresh with them listed
// The second "host" is a private libvirtd in its own mount namespace (test/helpers/private-daemon.ts).
// Run: npx tsx --import ./scripts/text-hooks.mjs bench/fleet.bench.ts   (env VIRTKIT_BENCH_CLONES=N, default 1000)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { Connection, Template, removeClone } from '../src/index.js';
import { ensureDaemon, scratchPool } from '../test/helpers/system.js';
import { startPrivateDaemon } from '../test/helpers/private-daemon.js';

const exec = promisify(execFile);
const URI = process.env.VIRTKIT_BENCH_URI ?? 'qemu:///system';
const N = Number(process.env.VIRTKIT_BENCH_CLONES ?? 1000);
const ROUNDS = Number(process.env.VIRTKIT_BENCH_ROUNDS ?? 5);
const tag = `vkfb${process.pid}`;
const out: [string, string][] = [];
const rec = (k: string, v: number | string, unit = '') => out.push([k, typeof v === 'number' ? `${v.toFixed(v < 10 ? 2 : 0)}${unit}` : v]);
const now = () => performance.now();
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const MiB = 2 ** 20;

ensureDaemon();
const conn = await Connection.open(URI);
const { pool, dir, remove } = await scratchPool(conn, 'bench-fleet');
const h2 = await startPrivateDaemon({ tag: 'bench-fleet' });
const c2 = await Connection.open(h2.uri);
const dir2 = `/var/lib/virtkit-test/bench-fleet-h2-${process.pid}`;
rmSync(dir2, { recursive: true, force: true });
mkdirSync(dir2, { recursive: true });
const pool2 = await c2.createDirPool(`${tag}-p2`, dir2, { autostart: false });
try {
  // A 2 GiB qcow2 with ~300 MiB of data: at the start, the middle and the end.
  const img = `${dir}/${tag}-src.qcow2`;
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', img, '2G']);
  await exec('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 100M', '-c', 'write -P 0x22 1000M 100M', '-c', 'write -P 0x33 1948M 100M', img]);
  const tpl = await Template.import(conn, { name: `${tag}-tpl`, pool, image: img, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
  rmSync(img);
  await pool.refresh();
  const tplDisk = tpl.disks[0]!.path;

  // 1. Replicate vs virsh vol-upload --sparse, alternating, ROUNDS rounds each (the first replicate also
  //    hashes the template once, whole and by segment: it is not timed).
  const vkRep: number[] = [];
  const peerRep: number[] = [];
  const vkSent: number[] = [];
  await (await tpl.replicate(c2, { pool: pool2 })).delete({ localOnly: true });
  for (let i = 0; i < ROUNDS; i++) {
    let t = now();
    const r = await tpl.replicate(c2, { pool: pool2 });
    vkRep.push(now() - t);
    if (i === 0) rec('replica allocation / source allocation', statSync(r.disks[0]!.path).blocks / statSync(tplDisk).blocks, 'x');
    await r.delete({ localOnly: true });
    t = now();
    const rs = await tpl.replicate(c2, { pool: pool2, verify: 'sent' });
    vkSent.push(now() - t);
    await rs.delete({ localOnly: true });
    t = now();
    const name = `${tag}-peer.qcow2`;
    await exec('virsh', ['-c', h2.uri, 'vol-create-as', pool2.name, name, '1M', '--format', 'qcow2']);
    await exec('virsh', ['-c', h2.uri, 'vol-upload', '--sparse', '--pool', pool2.name, name, tplDisk]);
    peerRep.push(now() - t);
    await exec('virsh', ['-c', h2.uri, 'vol-delete', '--pool', pool2.name, name]);
  }
  rec('replicate 2 GiB qcow2 (300 MiB data), virtkit incl. SHA-256 verify (ms)', med(vkRep));
  rec('virsh vol-create-as + vol-upload --sparse (ms)', med(peerRep));
  rec('ratio (peer / virtkit; >= 1 is faster)', med(peerRep) / med(vkRep), 'x');
  rec("replicate, verify: 'sent' (digest of the bytes sent vs the record, no read-back) (ms)", med(vkSent));
  rec("ratio (peer / virtkit verify: 'sent')", med(peerRep) / med(vkSent), 'x');
  rec('per round, peer / read-back', vkRep.map((v, i) => (peerRep[i]! / v).toFixed(2)).join(' '));
  rec("per round, peer / 'sent'", vkSent.map((v, i) => (peerRep[i]! / v).toFixed(2)).join(' '));

  // 2. N linked clones (one clone against qemu-img + virt-clone: bench/template.bench.ts).
  let t = now();
  const many = await tpl.deployMany(Array.from({ length: N }, (_, i) => ({ name: `${tag}-m${i}` })), { concurrency: 16 });
  rec(`${N} linked clones, virtkit deployMany (s; goal <= 5 for 1000)`, (now() - t) / 1000);
  const listed = (await pool.volumes()).filter((v) => v.name.startsWith(`${tag}-m`)).length;
  rec('clone volumes the pool lists', `${listed} of ${N}`);
  t = now();
  await pool.refresh();
  rec(`one pool refresh with ${N} clones listed (ms)`, now() - t);
  t = now();
  for (let i = 0; i < many.length; i += 16) await Promise.all(many.slice(i, i + 16).map((d) => removeClone(conn, d)));
  rec('removing them (s)', (now() - t) / 1000);
  await tpl.delete({ localOnly: true }).catch(() => undefined);
} finally {
  for (const d of await conn.domains()) if (d.name.startsWith(tag)) await removeClone(conn, d).catch(() => d.undefine().catch(() => undefined));
  for (const v of await pool2.volumes().catch(() => [])) await v.delete().catch(() => undefined);
  await pool2.stop().catch(() => undefined);
  await pool2.undefine().catch(() => undefined);
  await c2.close();
  await h2.stop();
  rmSync(dir2, { recursive: true, force: true });
  await exec('chmod', ['-R', 'u+w', dir]).catch(() => undefined);
  await remove();
  await conn.close();
}
for (const [k, v] of out) console.log(`${k.padEnd(84)} ${v}`);
