// Events of the other object kinds, for real on test:///default: networks, storage pools (lifecycle
// and refresh) and node devices, each decoded into its own typed payload, through `on()` and the
// async iterator. (The test driver has no secret driver: secret events are exercised in
// test/integration/secret-nwfilter.test.ts on a private daemon.)
import { describe, it, expect, expectTypeOf, beforeAll, afterAll } from 'vitest';
import {
  Connection, type NetworkLifecycleEvent, type NodeDeviceLifecycleEvent, type NodeDeviceUpdateEvent, type PoolLifecycleEvent,
  type PoolRefreshEvent, type SecretLifecycleEvent, type SecretValueChangedEvent, type VirtEvent,
} from '../../src/index.js';
import { removeNetworks } from '../helpers/networks.js';

const tag = `vk-evo-${process.pid}`;

// Collects the events of `conn` that `keep` selects until `done` says the list is complete (or
// 10 s pass: the test then fails on its expectations, showing what did arrive).
function collect<E extends VirtEvent>(conn: Connection, keep: (e: VirtEvent) => e is E, done: (got: E[]) => boolean): Promise<E[]> {
  return new Promise((resolve) => {
    const got: E[] = [];
    const finish = () => {
      clearTimeout(timer);
      conn.off('event', on);
      resolve(got);
    };
    const on = (e: VirtEvent) => {
      if (!keep(e)) return;
      got.push(e);
      if (done(got)) finish();
    };
    const timer = setTimeout(finish, 10_000);
    conn.on('event', on);
  });
}

describe('network, pool and node device events on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await removeNetworks(conn, tag);
    for (const p of await conn.pools()) {
      if (!p.name.startsWith(tag)) continue;
      if (await p.isActive()) await p.stop().catch(() => undefined);
      await p.undefine().catch(() => undefined);
    }
    await conn.close();
  });

  it('on() and the map type each new event name with its payload', () => {
    conn.once('network-lifecycle', (e) => expectTypeOf(e).toEqualTypeOf<NetworkLifecycleEvent>());
    conn.once('pool-refresh', (e) => expectTypeOf(e).toEqualTypeOf<PoolRefreshEvent>());
    conn.once('pool-lifecycle', (e) => expectTypeOf(e).toEqualTypeOf<PoolLifecycleEvent>());
    conn.once('node-device-lifecycle', (e) => expectTypeOf(e).toEqualTypeOf<NodeDeviceLifecycleEvent>());
    conn.once('node-device-update', (e) => expectTypeOf(e).toEqualTypeOf<NodeDeviceUpdateEvent>());
    conn.once('secret-lifecycle', (e) => expectTypeOf(e).toEqualTypeOf<SecretLifecycleEvent>());
    conn.once('secret-value-changed', (e) => expectTypeOf(e).toEqualTypeOf<SecretValueChangedEvent>());
    // @ts-expect-error the wrong payload for the name
    conn.once('network-lifecycle', (e: PoolRefreshEvent) => e.pool);
    for (const n of ['network-lifecycle', 'pool-refresh', 'pool-lifecycle', 'node-device-lifecycle', 'node-device-update', 'secret-lifecycle', 'secret-value-changed'] as const)
      conn.removeAllListeners(n);
  });

  it('a network defined, started, stopped and undefined: network-lifecycle, by name and UUID, through the iterator', async () => {
    const name = `${tag}-net`;
    const ac = new AbortController();
    const got: NetworkLifecycleEvent[] = [];
    const reading = (async () => {
      for await (const e of conn.events({ signal: ac.signal })) {
        if (e.type !== 'network-lifecycle' || e.network !== name) continue;
        got.push(e);
        if (e.event === 'undefined') break;
      }
    })();
    const named: NetworkLifecycleEvent[] = [];
    const onNet = (e: NetworkLifecycleEvent) => {
      if (e.network === name) named.push(e);
    };
    conn.on('network-lifecycle', onNet);
    const net = await conn.defineNetwork({ name, mode: 'nat', bridge: 'vkevo0', ipv4: { address: '10.61.0.1', prefix: 24 } });
    await net.start();
    await net.stop();
    await net.undefine();
    const timer = setTimeout(() => ac.abort(), 10_000);
    await reading;
    clearTimeout(timer);
    conn.off('network-lifecycle', onNet);
    expect(got.map((e) => e.event)).toEqual(['defined', 'started', 'stopped', 'undefined']);
    expect(got.every((e) => e.uuid === net.uuid && e.detail === 0)).toBe(true);
    expect(named).toEqual(got);
  });

  it('a pool defined, started, refreshed, stopped and undefined: pool-lifecycle and pool-refresh', async () => {
    const name = `${tag}-pool`;
    const ofPool = (e: VirtEvent): e is PoolLifecycleEvent | PoolRefreshEvent => (e.type === 'pool-lifecycle' || e.type === 'pool-refresh') && e.pool === name;
    const events = collect(conn, ofPool, (g) => g.some((e) => e.type === 'pool-lifecycle' && e.event === 'undefined'));
    const p = await conn.definePool(`<pool type='dir'><name>${name}</name><target><path>/tmp/${name}</path></target></pool>`);
    await p.start();
    await p.refresh();
    await p.stop();
    await p.undefine();
    const got = await events;
    expect(got.map((e) => (e.type === 'pool-refresh' ? 'refresh' : e.event))).toEqual(['defined', 'started', 'refresh', 'stopped', 'undefined']);
    expect(got.every((e) => e.uuid === p.uuid)).toBe(true);
    expect(got.find((e) => e.type === 'pool-refresh')).toEqual({ type: 'pool-refresh', pool: name, uuid: p.uuid });
  });

  it('a vHBA created and destroyed: node-device-lifecycle created, then deleted', async () => {
    const ofDevice = (e: VirtEvent): e is NodeDeviceLifecycleEvent => e.type === 'node-device-lifecycle';
    const events = collect(conn, ofDevice, (g) => g.some((e) => e.event === 'deleted'));
    const dev = await conn.createNodeDevice(`<device>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <capability type='fc_host'>
      <wwnn>2000000012349876</wwnn>
      <wwpn>1000000012349876</wwpn>
    </capability>
  </capability>
</device>`);
    await dev.destroy();
    const got = (await events).filter((e) => e.device === dev.name);
    expect(got).toEqual([
      { type: 'node-device-lifecycle', device: dev.name, event: 'created', detail: 0 },
      { type: 'node-device-lifecycle', device: dev.name, event: 'deleted', detail: 0 },
    ]);
  });
});
