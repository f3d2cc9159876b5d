// Run by template.e2e.test.ts: starts Template.create and kills itself (SIGKILL, no clean-up
// possible) when the given step begins, like a crash between steps.
import { Connection, Template } from '../../src/index.js';

const [uri, source, name, poolName, step] = process.argv.slice(2) as [string, string, string, string, string];
const conn = await Connection.open(uri);
const from = await conn.domain(source);
await Template.create(conn, {
  from, name, pool: poolName, seal: { operations: 'defaults' },
  onProgress: (p) => {
    if (p.step === step) process.kill(process.pid, 'SIGKILL');
  },
});
console.log('not killed');
