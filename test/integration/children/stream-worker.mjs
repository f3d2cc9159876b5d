// Child of streams.test.ts: a Worker uploading into a volume (one whole-file job, or chunks) is
// terminated mid-transfer; the transfer stops and libvirtd closes its side of the stream.
// argv: volume path, source file. Prints JSON { file: {during, after}, chunks: {during, after} }.
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
const [vpath, src] = process.argv.slice(2);
const addonPath = new URL('../../../build/Release/virtkit.node', import.meta.url).pathname;

function holds() {
  for (const pid of execFileSync('sh', ['-c', 'pgrep -x libvirtd || true'], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const f of fds) {
      try { if (readlinkSync(`/proc/${pid}/fd/${f}`) === vpath) return true; } catch { /* gone */ }
    }
  }
  return false;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = {};
for (const mode of ['file', 'chunks']) {
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const a = require(${JSON.stringify(addonPath)});
    (async () => {
      const c = new a.Connect();
      await c.open('qemu:///system', 0, 1);
      const v = await c.storageVolLookupByPath(${JSON.stringify(vpath)});
      const vs = new a.VolStream();
      await v.upload(vs, 0, 0, 0);
      parentPort.postMessage('open');
      if (${JSON.stringify(mode)} === 'file') await vs.sendFile(${JSON.stringify(src)}, false, true);
      else for (;;) await vs.send(Buffer.alloc(1 << 20, 3));
    })();
  `, { eval: true });
  await new Promise((r) => w.once('message', r));
  await sleep(200);
  const during = holds();
  await w.terminate();
  let after = true;
  for (let i = 0; i < 50 && after; i++) {
    await sleep(100);
    after = holds();
  }
  out[mode] = { during, after };
}
console.log(JSON.stringify(out));
