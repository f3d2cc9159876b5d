// A Worker body: calls in a loop until terminated. Posts 'ready' after the first answer.
import { parentPort, workerData } from 'node:worker_threads';
import { Connection } from '../../../dist/index.js';
const conn = await Connection.open(workerData.uri);
conn.on('event', () => undefined);
let first = true;
for (;;) {
  const all = [];
  for (let i = 0; i < 8; i++) all.push(conn.domains().then((ds) => Promise.all(ds.map((d) => d.info().catch(() => undefined)))));
  all.push(conn.capabilitiesXml());
  await Promise.all(all);
  if (first) parentPort.postMessage('ready');
  first = false;
  if (workerData.once) break;
}
if (workerData.leaveOpen) process.exitCode = 0;
else await conn.close();
