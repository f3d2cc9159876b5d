// Child of streams.test.ts (run with --expose-gc): an upload stream left open and unreferenced is
// aborted when its wrapper is collected (on a pool thread), so libvirtd closes its side.
// argv: volume path. Prints JSON { whileOpen, afterGc } (does libvirtd hold the file open?).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
const require = createRequire(import.meta.url);
const addon = require('../../../build/Release/virtkit.node');
const path = process.argv[2];

function daemonHolds() {
  const pids = execFileSync('sh', ['-c', 'pgrep -x libvirtd || true'], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) return true; } catch { /* gone */ }
    }
  }
  return false;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const c = new addon.Connect();
await c.open('qemu:///system', 0, 1);
const vol = await c.storageVolLookupByPath(path);
await (async () => {
  const vs = new addon.VolStream();
  await vol.upload(vs, 0, 0, 0);
  await vs.send(Buffer.alloc(65536, 1));
})();
const whileOpen = daemonHolds();
let afterGc = true;
for (let i = 0; i < 40 && afterGc; i++) {
  globalThis.gc();
  await sleep(100);
  afterGc = daemonHolds();
}
vol.free();
await c.close();
console.log(JSON.stringify({ whileOpen, afterGc }));
