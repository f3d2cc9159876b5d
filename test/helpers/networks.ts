// Test clean-up: the networks a test made (by name prefix), stopped and undefined; errors ignored
// (a test may have removed some itself).
import type { Connection } from '../../src/index.js';

export async function removeNetworks(conn: Connection, prefix: string): Promise<void> {
  for (const n of await conn.networks()) {
    if (!n.name.startsWith(prefix)) continue;
    if (await n.isActive()) await n.stop().catch(() => undefined);
    await n.undefine().catch(() => undefined);
  }
}
