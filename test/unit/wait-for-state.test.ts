// Domain.waitForState on lifecycle events (test:///default emits them), polling only where no
// events flow; and the typed on()/once() of Connection.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Connection, type CloseEvent, type Domain, type DomainLifecycleEvent, type PoolLifecycleEvent, type VirtEvent } from '../../src/index.js';

const xmlFor = (name: string) => `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;

describe('waitForState', () => {
  let conn: Connection;
  let dom: Domain;
  const name = `vk-wait-${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(xmlFor(name));
  });
  afterAll(async () => {
    if (await dom.isActive().catch(() => false)) await dom.destroy();
    await dom.undefine().catch(() => undefined);
    await conn.close();
  });

  it('wakes on the lifecycle event: the state is read once per event, not every intervalMs', async () => {
    expect(conn.core.domains.enabled).toBe(true); // the test driver has events
    const reads = vi.spyOn(dom, 'state');
    try {
      const started = new Promise<void>((resolve) => setTimeout(() => void conn.domain(name, { fresh: true }).then((d) => d.start()).then(resolve), 300));
      // intervalMs: 1 would read the state hundreds of times in 300 ms if this polled.
      await dom.waitForState('running', { intervalMs: 1, timeoutMs: 30_000 });
      await started;
      expect((await dom.state()).state).toBe('running');
      // The first read, one per event of this domain (started/booted), and the read above.
      expect(reads.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      reads.mockRestore();
    }
    await dom.destroy();
  });

  it('polls every intervalMs where no events flow', async () => {
    conn.core.domains.enabled = false;
    const reads = vi.spyOn(dom, 'state');
    try {
      const t = setTimeout(() => void dom.start(), 100);
      await dom.waitForState('running', { intervalMs: 10, timeoutMs: 30_000 });
      clearTimeout(t);
      expect(reads.mock.calls.length).toBeGreaterThan(1);
    } finally {
      reads.mockRestore();
      conn.core.domains.enabled = true;
    }
    await dom.destroy();
  });

  it('rejects with TIMEOUT and ABORTED, and unsubscribes', async () => {
    await expect(dom.waitForState('paused', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const ac = new AbortController();
    const waiting = dom.waitForState('paused', { timeoutMs: 30_000, signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    expect(await waiting).toMatchObject({ code: 'ABORTED' });
    // Later events reach no stale waiter (a started/stopped cycle after both gave up).
    await dom.start();
    await dom.destroy();
    expect((await dom.state()).state).toBe('shutoff');
  });

  it('rejects with CLOSED when the connection closes under the wait', async () => {
    const c = await Connection.open('test:///default');
    const d = await c.domain(name);
    const waiting = d.waitForState('paused', { timeoutMs: 30_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await c.close();
    expect(await waiting).toMatchObject({ code: 'CLOSED' });
  });
});

describe('Connection events are typed', () => {
  it('on/once/off take the event names that exist, with their payload types', async () => {
    const conn = await Connection.open('test:///default');
    try {
      const got: string[] = [];
      const onLife = (e: DomainLifecycleEvent) => got.push(e.detail);
      conn.on('domain-lifecycle', (e) => {
        expectTypeOf(e).toEqualTypeOf<DomainLifecycleEvent>();
      });
      conn.on('domain-lifecycle', onLife);
      conn.once('pool-lifecycle', (e) => expectTypeOf(e).toEqualTypeOf<PoolLifecycleEvent>());
      conn.once('close', (e) => expectTypeOf(e).toEqualTypeOf<CloseEvent>());
      conn.on('event', (e) => expectTypeOf(e).toEqualTypeOf<VirtEvent>());
      // @ts-expect-error an event that does not exist
      conn.on('domain-lifecyle', () => undefined);
      // @ts-expect-error the wrong payload for the name
      conn.on('close', (e: DomainLifecycleEvent) => e.detail);
      const d = await conn.defineDomain(xmlFor(`vk-typed-${process.pid}`));
      await d.undefine();
      await new Promise((r) => setTimeout(r, 100));
      conn.off('domain-lifecycle', onLife);
      expect(got).toEqual(expect.arrayContaining(['added', 'removed']));
    } finally {
      await conn.close();
    }
  });
});
