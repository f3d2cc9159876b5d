// Where the quick start runs. As root with no explicit connection: a private libvirtd in a network
// namespace of its own (net-bed.ts) with an isolated network, so the clones get addresses and no
// packet leaves the machine. Otherwise (not root, an explicit URI, no namespaces or no dnsmasq):
// the default connection as before, with the reason the clones have no network.
import { existsSync } from 'node:fs';
import { Connection, type Network } from '../../src/index.js';
import { startNetBed, type NetBed } from './net-bed.js';

/** The clones' network inside the bed: isolated (no forward), DHCP for the guests. */
export const QUICKSTART_NETWORK = {
  name: 'vk-quickstart', mode: 'isolated' as const, bridge: 'vkqs0',
  ipv4: { address: '192.168.77.1', prefix: 24, dhcp: { ranges: [{ start: '192.168.77.10', end: '192.168.77.99' }] } },
};

export interface QuickstartSite {
  conn: Connection;
  /** The private daemon, when the clones get a network. */
  bed?: NetBed;
  /** The clones' network (in the bed). */
  network?: Network;
  /** Why the clones have no network, when they have none. */
  noNetwork?: string;
  /** Destroys the bed's running domains, closes the connection, stops the bed (by pid). Idempotent. */
  close(): Promise<void>;
}

/** Opens where the quick start runs; `uri` is the --uri argument. */
export async function openQuickstartSite(uri?: string): Promise<QuickstartSite> {
  const explicit = uri ?? process.env.LIBVIRT_DEFAULT_URI;
  const plain = async (why: string): Promise<QuickstartSite> => {
    const conn = await Connection.open(explicit);
    return { conn, noNetwork: why, close: () => conn.close() };
  };
  if (explicit) return plain(`a connection was given (${explicit}): the quick start makes networks only in its own private daemon`);
  if (process.getuid?.() !== 0) return plain('not root: the clones\' network needs a private libvirtd in a network namespace of its own');
  if (!existsSync('/usr/sbin/dnsmasq')) return plain('no /usr/sbin/dnsmasq (dnsmasq-base): libvirt cannot serve DHCP');
  let bed: NetBed;
  try {
    // A process group of its own: Ctrl-C reaches the quick start, which removes the guests first.
    bed = await startNetBed({ tag: 'quickstart', ownProcessGroup: true });
  } catch (e) {
    return plain(`no private daemon in a network namespace (${(e as Error).message.split('\n')[0]})`);
  }
  let conn: Connection | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // libvirtd leaves QEMU running when it exits: end the guests while the daemon still answers.
      for (const d of (await conn?.domains().catch(() => [])) ?? []) {
        if (await d.isActive().catch(() => false)) await d.destroy().catch(() => undefined);
      }
      await conn?.close().catch(() => undefined);
      await bed.stop();
    })());
  try {
    conn = await Connection.open(bed.uri);
    const network = await conn.createNetwork(QUICKSTART_NETWORK);
    return { conn, bed, network, close };
  } catch (e) {
    await close();
    throw e;
  }
}
