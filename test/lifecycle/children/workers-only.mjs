// Only Workers load the addon; each makes calls, leaves events registered and exits by itself
// (connections open or closed), so the addon's env goes while libvirt holds its callbacks.
import { Worker } from 'node:worker_threads';
const [uri, roundsArg] = process.argv.slice(2);
const body = new URL('./worker-calls.mjs', import.meta.url);
for (let i = 0; i < Number(roundsArg); i++) {
  const w = new Worker(body, { workerData: { uri, once: true, leaveOpen: i % 2 === 0 } });
  const code = await new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`worker ${i} exited with ${code}`);
  // Give the event loop thread time to fire callbacks into whatever is left.
  await new Promise((r) => setTimeout(r, 300));
}
console.log('survived');
