// libvirtd killed and restarted mid-session: pending calls reject with VirtError, 'close'
// fires, the process survives, a new connection works.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Connection, VirtError, type CloseEvent } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon } from '../helpers/system.js';

describe('daemon killed mid-session', () => {
  beforeAll(() => ensureDaemon());
  afterAll(() => ensureDaemon());

  it('rejects pending calls, emits close, and reconnects after a restart', async () => {
    const conn = await Connection.open(SYSTEM_URI);
    const closed = new Promise<CloseEvent>((resolve) => conn.once('close', resolve));
    // Keep calls flowing so some are in flight when the daemon dies.
    const pending: Promise<unknown>[] = [];
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        pending.push(conn.capabilitiesXml().catch((e: unknown) => e));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    execFileSync('pkill', ['-9', '-x', 'libvirtd']);
    const ev = await closed;
    stop = true;
    await pump;
    expect(['eof', 'error', 'keepalive']).toContain(ev.reason);
    const outcomes = await Promise.all(pending);
    const failures = outcomes.filter((o) => o instanceof Error);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f instanceof VirtError || (f as { code?: string }).code === 'CLOSED').toBe(true);
    expect(failures.some((f) => f instanceof VirtError)).toBe(true);
    expect(conn.isAlive()).toBe(false);
    await expect(conn.domains()).rejects.toMatchObject({ code: 'CLOSED' });
    await conn.close();

    ensureDaemon();
    const again = await Connection.open(SYSTEM_URI);
    expect(Array.isArray(await again.domains())).toBe(true);
    await again.close();
  });

  it('keeps an idle call channel alive past the daemon keepalive limit (~30 s)', async () => {
    // Call channels are never woken for by the event loop; the loop must still answer the
    // daemon's keepalive pings on them, or libvirtd drops them after 5 unanswered pings.
    const conn = await Connection.open(SYSTEM_URI, { channels: 2 });
    expect(Array.isArray(await conn.domains())).toBe(true);
    await new Promise((r) => setTimeout(r, 40_000));
    expect(conn.isAlive()).toBe(true);
    const [a, b] = await Promise.all([conn.domains(), conn.domains()]);
    expect(a.length).toBe(b.length);
    await conn.close();
  }, 90_000);

  it('validates the channels option and works with calls on the event connection', async () => {
    await expect(Connection.open(SYSTEM_URI, { channels: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const conn = await Connection.open(SYSTEM_URI, { channels: 0 });
    expect(Array.isArray(await conn.domains())).toBe(true);
    await conn.close();
  });
});
