// waitForAddress's event path on test:///default: it subscribes to the domain's events while it
// waits, unsubscribes on every way out, and a lifecycle event ends its pause at once.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, Domain } from '../../src/index.js';
import { domainWaiters } from '../../src/domain-events.js';
import { decodeEvent } from '../../src/events.js';

const name = `vk-addrev-${process.pid}`;
const xml = `<domain type='test'>
  <name>${name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><interface type='network'><mac address='52:54:00:ee:01:01'/><source network='default'/></interface></devices>
</domain>`;
const absent = '52:54:00:ee:01:99'; // a MAC the domain does not have: no address ever matches

describe('waitForAddress events on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  const count = () => domainWaiters(conn.core).count(dom.uuid);
  // Until no call of this connection is under way, a turn of the event loop later too: a pending
  // waitForAddress is then in its pause between queries.
  const idle = async () => {
    for (;;) {
      const f = conn.core.inflight;
      if (f.length) await Promise.all(f);
      await new Promise((r) => setImmediate(r));
      if (conn.core.inflight.length === 0) return;
    }
  };
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(xml);
    await dom.start();
  });
  afterAll(async () => {
    const d = await conn.findDomain(name);
    if (d && (await d.isActive())) await d.destroy();
    if (d) await d.undefine().catch(() => undefined);
    await conn.close();
  });

  it('subscribes to lifecycle and agent events while it waits, and leaves none after TIMEOUT, abort or a bad option', async () => {
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });
    const p = dom.waitForAddress({ timeoutMs: 300, mac: absent });
    expect(count()).toEqual({ lifecycle: 1, agent: 1 });
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });

    const ac = new AbortController();
    const q = dom.waitForAddress({ timeoutMs: 60_000, mac: absent, signal: ac.signal });
    await idle();
    expect(count()).toEqual({ lifecycle: 1, agent: 1 });
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: 'ABORTED' });
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });

    await expect(dom.waitForAddress({ intervalMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });

    // a found address ends it too
    expect((await dom.waitForAddress({ timeoutMs: 5000 })).mac).toBe('52:54:00:ee:01:01');
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });
  });

  it('a lifecycle event ends the pause at once: the domain stopping rejects DOMAIN_NOT_RUNNING without waiting for the next poll', async () => {
    // The first poll pause (10 min) outlasts the test: polling alone would still be pausing when
    // the 'stopped' event and every call it caused are over; the event path has settled by then.
    const ac = new AbortController();
    let outcome: unknown = 'still waiting';
    const settled = dom.waitForAddress({ timeoutMs: 600_000, intervalMs: 600_000, mac: absent, signal: ac.signal }).then(
      (v) => (outcome = v),
      (e: unknown) => (outcome = e),
    );
    try {
      await idle(); // its first query is done: it is in the pause
      const stopped = new Promise<void>((resolve) => {
        const on = (e: { uuid: string; event: string }) => {
          if (e.uuid !== dom.uuid || e.event !== 'stopped') return;
          conn.off('domain-lifecycle', on);
          resolve();
        };
        conn.on('domain-lifecycle', on);
      });
      await dom.destroy();
      await stopped;
      await idle(); // the query the event caused, if any, is done
      expect(outcome).toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
    } finally {
      ac.abort();
      await settled;
    }
    expect(count()).toEqual({ lifecycle: 0, agent: 0 });
    await dom.start();
  });

  it('decodes the agent lifecycle event', () => {
    const e = decodeEvent({ kind: 'domain-agent-lifecycle', name: 'd', uuid: 'u', event: 1, detail: 2 });
    expect(e).toEqual({ type: 'domain-agent-lifecycle', domain: 'd', uuid: 'u', state: 'connected', reason: 'channel' });
    expect(decodeEvent({ kind: 'domain-agent-lifecycle', event: 2, detail: 1 })).toMatchObject({ state: 'disconnected', reason: 'domain_started' });
    expect(decodeEvent({ kind: 'domain-agent-lifecycle', event: 9, detail: 9 })).toMatchObject({ state: '9', reason: '9' });
  });
});
