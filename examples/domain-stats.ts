// The README's "Running domains" stats example, runnable as is:
//   npx tsx --import ./scripts/text-hooks.mjs examples/domain-stats.ts
// On libvirt's built-in test driver (no daemon; it reports the state group and per-device
// counters); VIRTKIT_EXAMPLE_URI=qemu:///system shows every group of the running domains.
import { Connection } from '../src/index.js';

await using conn = await Connection.open(process.env.VIRTKIT_EXAMPLE_URI ?? 'test:///default');
for (const s of await conn.domainStats({ running: true, groups: ['state', 'cpu', 'balloon', 'block', 'interface'] })) {
  const disks = (s.block ?? []).map((b) => `${b.name}: ${b.rdBytes ?? 0n} B read, ${b.wrBytes ?? 0n} B written`);
  console.log(s.domain.name, s.state, s.cpu?.timeNs, s.balloon?.currentKiB, disks, s.interfaces?.map((i) => i.name));
}
const test = await conn.domain(process.env.VIRTKIT_EXAMPLE_DOMAIN ?? 'test');
console.log(await test.blockStats('vda'));     // { rdReqs: 179614440467769n, rdBytes: ..., wrReqs: ..., wrBytes: ..., errors: ... }
console.log(await test.memoryStats());         // { actualKiB: 2097152, swapInKiB: 0, ..., rssKiB: 1048576, ... }
