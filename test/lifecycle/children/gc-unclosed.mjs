// Opens connections, drops them unclosed, collects garbage: each is closed (its sockets go) and
// a warning names where it was opened. Run with --expose-gc. Prints JSON.
import { readdirSync, readlinkSync } from 'node:fs';
import { Connection } from '../../../dist/index.js';
const uri = process.argv[2];
const rounds = Number(process.argv[3] ?? 20);
const sockets = () => readdirSync('/proc/self/fd').filter((f) => { try { return readlinkSync(`/proc/self/fd/${f}`).startsWith('socket:'); } catch { return false; } }).length;
const warnings = [];
process.on('warning', (w) => { if (w.code === 'VIRTKIT_UNCLOSED_CONNECTION') warnings.push(w.message); });
const warm = await Connection.open(uri); await warm.close();
await new Promise((r) => setTimeout(r, 200));
const before = sockets();
async function leak() {
  const c = await Connection.open(uri);
  await c.domains();
  c.on('event', () => undefined);
}
for (let i = 0; i < rounds; i++) await leak();
const during = sockets();
for (let i = 0; i < 20 && (warnings.length < rounds || sockets() > before); i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 100));
}
const closedOne = await Connection.open(uri); await closedOne.close();
globalThis.gc(); await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify({ before, during, after: sockets(), warnings: warnings.length, sample: warnings[0] ?? '' }));
