// The README's API tour, runnable as is: npx tsx --import ./scripts/text-hooks.mjs examples/tour.ts
// It uses libvirt's built-in test driver, so it needs no daemon and changes nothing real.
import { Connection, VirtError } from '../src/index.js';

await using conn = await Connection.open('test:///default');
console.log(await conn.version());                      // { libvirt: '9.0.0', hypervisor: '...' }

const vm = await conn.domain('test');                    // by name or UUID
console.log(vm, await vm.state());                       // Domain { name: 'test', ... } { state: 'running', reason: 'booted' }
conn.on('domain-lifecycle', (e) => console.log('event:', e.domain, e.event, e.detail));
await vm.shutdown({ wait: true, timeoutMs: 10_000 });

const pool = await conn.pool('default-pool');
const disk = await pool.createVolume({ name: 'tour.img', format: 'raw', capacity: 2 ** 20 });
console.log(disk, await disk.info());                    // Volume { name: 'tour.img', ... } { type: 'file', capacity: 1048576, ... }
await disk.delete();

try {
  await conn.domain('no-such-vm');
} catch (e) {
  if (e instanceof VirtError) console.log(e.code, e.domain);  // VIR_ERR_NO_DOMAIN VIR_FROM_TEST
}
await vm.start();
