// Run by network-clones.e2e.test.ts inside the network bed's namespace (nsenter --net), where
// the clones' addresses are reachable: dom.waitForPort(port) for each named domain, concurrently,
// its results (and the child's namespace) as one JSON line on stdout. A rejection is printed with its code, not thrown.
import { readlinkSync } from 'node:fs';
import { Connection } from '../../src/index.js';

const [uri, port, timeoutMs, ...names] = process.argv.slice(2) as [string, string, string, ...string[]];
const conn = await Connection.open(uri);
try {
  const results = await Promise.all(
    names.map(async (name) => {
      const dom = await conn.domain(name);
      return dom.waitForPort(Number(port), { timeoutMs: Number(timeoutMs), source: 'lease' }).then(
        (r) => ({ name, ...r }),
        (e: { code?: string; message?: string }) => ({ name, error: { code: e.code, message: e.message } }),
      );
    }),
  );
  console.log(JSON.stringify({ netns: readlinkSync('/proc/self/ns/net'), results }));
} finally {
  await conn.close();
}
