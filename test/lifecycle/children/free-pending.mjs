// free() on domains, pools and volumes while calls on them are in flight (remote driver): the
// calls hold references of their own, so they finish, never touch freed memory. Uses the raw
// addon, since the public classes defer free() until their calls settle.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const addon = require('node-gyp-build')(new URL('../../..', import.meta.url).pathname);
const [uri, poolName, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 50);
const c = new addon.Connect();
await c.open(uri, 0, 2);
let ok = 0, failed = 0;
for (let i = 0; i < rounds; i++) {
  const pool = await c.storagePoolLookupByName(poolName);
  const vols = await pool.listAllVolumes(0);
  const doms = await c.listAllDomains(0);
  const calls = [pool.getInfo(), pool.getXMLDesc(0)];
  for (const v of vols) calls.push(v.getInfo(), v.getXMLDesc(0), v.getPath());
  for (const d of doms) calls.push(d.getInfo(), d.getXMLDesc(0), d.getState());
  for (const v of vols) v.free();
  for (const d of doms) d.free();
  pool.free();
  for (const r of await Promise.allSettled(calls)) r.status === 'fulfilled' ? ok++ : failed++;
  // A freed handle refuses new calls clearly.
  try { pool.getInfo(); failed++; } catch (e) { if (!/freed/.test(e.message)) failed++; }
}
await c.close();
console.log(JSON.stringify({ ok, failed }));
