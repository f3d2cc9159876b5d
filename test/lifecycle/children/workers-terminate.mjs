// Terminates Workers in the middle of their calls, again and again, then checks the main thread
// can still work. Args: uri rounds
import { Worker } from 'node:worker_threads';
const [uri, roundsArg, mainLoads] = process.argv.slice(2);
const rounds = Number(roundsArg);
const body = new URL('./worker-calls.mjs', import.meta.url);
for (let i = 0; i < rounds; i++) {
  const w = new Worker(body, { workerData: { uri } });
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (c) => reject(new Error(`worker exited ${c} before ready`)));
  });
  // Let calls get under way again, then pull the env out from under them.
  await new Promise((r) => setTimeout(r, i % 5));
  await w.terminate();
}
if (mainLoads === 'main') {
  const { Connection } = await import('../../../dist/index.js');
  const c = await Connection.open(uri);
  await c.domains();
  await c.close();
}
console.log('survived', rounds);
