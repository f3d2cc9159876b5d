// Exits with connections still open (and calls in flight): the exit code must survive.
import { Connection } from '../../../dist/index.js';
const uris = process.argv.slice(2);
const conns = [];
for (const u of uris) conns.push(await Connection.open(u));
for (const c of conns) {
  void c.domains().catch(() => undefined);
  c.on('domain-lifecycle', () => undefined);
}
process.exitCode = 7;
