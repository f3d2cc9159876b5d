// libvirtd killed and restarted mid-session: pending calls reject with VirtError, 'close'
// fires, the process survives, a new connection works. All of it against a private libvirtd
// (test/helpers/private-daemon.ts), never the system daemon, which must come out untouched.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { Connection, VirtError, type CloseEvent } from '../../src/index.js';
import { startPrivateDaemon, mountNamespace, type PrivateDaemon } from '../helpers/private-daemon.js';

/** The system libvirtd as "pid@starttime" from /var/run/libvirtd.pid, or undefined when there is none. */
function systemDaemon(): string | undefined {
  try {
    const pid = readFileSync('/var/run/libvirtd.pid', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}@${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

describe('daemon killed mid-session (private libvirtd)', () => {
  let d: PrivateDaemon;
  let system: string | undefined;

  beforeAll(async () => {
    system = systemDaemon();
    // Keepalive pinned to libvirt's defaults: the idle-channel test relies on ~30 s.
    d = await startPrivateDaemon({ tag: 'restart', conf: { keepalive_interval: 5, keepalive_count: 5 } });
  });
  afterAll(async () => {
    await d?.stop();
  });
  // Each test starts from a daemon that answers, whatever the one before did to it (a retried
  // test, or a daemon that went away on its own: it is ours, started again by its own helper).
  beforeEach(async () => {
    if (d && !d.running) await d.restart();
  });

  it('talks to its own daemon, not the system one', async () => {
    expect(d.running).toBe(true);
    expect(String(d.pid)).not.toBe(system?.split('@')[0]);
    expect(mountNamespace(d.pid)).not.toBe(mountNamespace('self'));
    const conn = await Connection.open(d.uri);
    expect(await conn.capabilitiesXml()).toContain(`<uuid>${d.hostUuid}</uuid>`);
    expect(await conn.domains()).toEqual([]);
    expect(Array.isArray(await conn.pools())).toBe(true);
    await conn.close();
  });

  it('rejects pending calls, emits close, ends events(), and reconnects after a restart', { retry: 1 }, async () => {
    const conn = await Connection.open(d.uri);
    const closed = new Promise<CloseEvent>((resolve) => conn.once('close', resolve));
    const iterated = (async () => {
      const seen: string[] = [];
      for await (const e of conn.events()) seen.push(e.type);
      return seen;
    })();
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
    const oldPid = d.pid;
    expect(d.kill('SIGKILL')).toBe(true);
    const ev = await closed;
    stop = true;
    await pump;
    expect(await d.waitForExit(5_000)).toBe(true);
    expect(['eof', 'error', 'keepalive']).toContain(ev.reason);
    const outcomes = await Promise.all(pending);
    const failures = outcomes.filter((o) => o instanceof Error);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f instanceof VirtError || (f as { code?: string }).code === 'CLOSED').toBe(true);
    // Which comes first is a race: libvirt's own failure (VirtError), or CLOSED when the close
    // event rejects what is still pending; both are typed, never a hang.
    expect(conn.isAlive()).toBe(false);
    await expect(conn.domains()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await iterated).toContain('close'); // the iterator ended with the connection
    await conn.close();

    // A fresh daemon process on the same socket: the same URI works again.
    await d.restart();
    expect(d.pid).not.toBe(oldPid);
    const again = await Connection.open(d.uri);
    expect(Array.isArray(await again.domains())).toBe(true);
    await again.close();
  });

  it('waits out a hung daemon and carries on once it answers again', async () => {
    const conn = await Connection.open(d.uri);
    expect(Array.isArray(await conn.domains())).toBe(true);
    d.pause();
    let settled = false;
    const call = conn.capabilitiesXml().finally(() => (settled = true));
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
    } finally {
      d.resume();
    }
    expect(await call).toContain(`<uuid>${d.hostUuid}</uuid>`);
    expect(conn.isAlive()).toBe(true);
    await conn.close();
  });

  it('keeps an idle call channel alive past the daemon keepalive limit (~30 s)', async () => {
    // Call channels are never woken for by the event loop; the loop must still answer the
    // daemon's keepalive pings on them, or libvirtd drops them after 5 unanswered pings.
    const conn = await Connection.open(d.uri, { channels: 2 });
    expect(Array.isArray(await conn.domains())).toBe(true);
    await new Promise((r) => setTimeout(r, 40_000));
    expect(conn.isAlive()).toBe(true);
    const [a, b] = await Promise.all([conn.domains(), conn.domains()]);
    expect(a.length).toBe(b.length);
    await conn.close();
  }, 90_000);

  it('validates the channels option and works with calls on the event connection', async () => {
    await expect(Connection.open(d.uri, { channels: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const conn = await Connection.open(d.uri, { channels: 0 });
    expect(Array.isArray(await conn.domains())).toBe(true);
    await conn.close();
  });

  it('stops by pid, idempotently, and leaves the system daemon as it was', async () => {
    const extra = await startPrivateDaemon({ tag: 'restart-stop' });
    const { pid, dir } = extra;
    await Promise.all([extra.stop(), extra.stop()]);
    await extra.stop();
    expect(extra.running).toBe(false);
    expect(extra.kill('SIGKILL')).toBe(false); // a stopped daemon is never signalled again
    let gone = false;
    try {
      readFileSync(`/proc/${pid}/stat`);
    } catch {
      gone = true;
    }
    expect(gone).toBe(true);
    expect(() => readFileSync(`${dir}/libvirtd.conf`)).toThrow();
    expect(systemDaemon()).toBe(system);
  });
});
