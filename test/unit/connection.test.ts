import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, VirtError, VirtkitError, versionString } from '../../src/index.js';

describe('Connection on test:///default', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await conn.close();
  });

  it('reports URI, type, versions, hostname and node info', async () => {
    expect(conn.uri).toBe('test:///default');
    expect(await conn.type()).toBe('TEST');
    const v = await conn.version();
    expect(v.libvirt).toMatch(/^\d+\.\d+\.\d+$/);
    expect(v.hypervisor).toMatch(/^\d+\.\d+\.\d+$/);
    expect(typeof (await conn.hostname())).toBe('string');
    const ni = await conn.nodeInfo();
    expect(ni.cpus).toBeGreaterThan(0);
    expect(ni.memoryKiB).toBeGreaterThan(0);
    expect(conn.isAlive()).toBe(true);
  });

  it('parses capabilities', async () => {
    const caps = await conn.capabilities();
    expect(caps.arch).toBeTruthy();
    expect(caps.guests.length).toBeGreaterThan(0);
    expect(caps.guests[0]!.domainTypes).toContain('test');
    expect(await conn.capabilitiesXml()).toContain('<capabilities>');
  });

  it('reports domain capabilities or a typed error when the driver has none', async () => {
    await expect(conn.domainCapabilities()).rejects.toSatisfy((e: unknown) => e instanceof VirtError && e.code === 'VIR_ERR_NO_SUPPORT');
  });

  it('formats version numbers', () => {
    expect(versionString(9000000)).toBe('9.0.0');
    expect(versionString(7002022)).toBe('7.2.22');
  });

  it('rejects bad URIs with a VirtError, bad arguments with INVALID_ARGUMENT', async () => {
    // libvirt hands an unknown driver to the local daemon: its refusal (a VirtError) while it
    // runs, CONNECTION_REFUSED (the socket's VirtError as cause) while it does not.
    await expect(Connection.open('nosuchdriver:///x')).rejects.toSatisfy(
      (e: unknown) => e instanceof VirtError || (e instanceof VirtkitError && e.code === 'CONNECTION_REFUSED' && e.cause instanceof VirtError),
    );
    await expect(Connection.open('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('shows itself usefully in the REPL', () => {
    expect(inspect(conn)).toBe("Connection { uri: 'test:///default', open }");
  });

  it('opens read-only: reads work, writes are refused by libvirt', async () => {
    const ro = await Connection.open('test:///default', { readOnly: true });
    try {
      expect((await ro.domains()).length).toBeGreaterThan(0);
      const d = await ro.domain('test');
      await expect(d.suspend()).rejects.toMatchObject({ code: 'VIR_ERR_OPERATION_DENIED' });
    } finally {
      await ro.close();
    }
  });

  it('uses LIBVIRT_DEFAULT_URI when no URI is given', async () => {
    const old = process.env.LIBVIRT_DEFAULT_URI;
    process.env.LIBVIRT_DEFAULT_URI = 'test:///default';
    try {
      const c = await Connection.open();
      expect(c.uri).toBe('test:///default');
      await c.close();
    } finally {
      if (old === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
      else process.env.LIBVIRT_DEFAULT_URI = old;
    }
  });
});

describe('Connection lifetime', () => {
  it('close waits for in-flight calls, is idempotent, and later use fails with CLOSED', async () => {
    const c = await Connection.open('test:///default');
    const d = await c.domain('test');
    const pending = Array.from({ length: 50 }, () => d.info());
    const closing = c.close();
    const results = await Promise.allSettled(pending);
    await closing;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    await c.close();
    await expect(c.domains()).rejects.toMatchObject({ name: 'VirtkitError', code: 'CLOSED' });
    await expect(d.info()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(c.isAlive()).toBe(false);
  });

  it('supports await using', async () => {
    let ref: Connection | undefined;
    {
      await using c = await Connection.open('test:///default');
      ref = c;
      expect(c.closed).toBe(false);
    }
    expect(ref!.closed).toBe(true);
  });

  it('1,000 concurrent calls on one connection all succeed', async () => {
    await using c = await Connection.open('test:///default');
    const d = await c.domain('test');
    const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? d.info() : d.state())));
    expect(all).toHaveLength(1000);
    expect(all.every((r) => r.state === 'running')).toBe(true);
  });

  it('errors carry the caller stack, not a worker stack', async () => {
    await using c = await Connection.open('test:///default');
    const err = (await c.domain('no-such-domain-xyz').catch((e: unknown) => e)) as VirtError;
    expect(err).toBeInstanceOf(VirtError);
    expect(err.code).toBe('VIR_ERR_NO_DOMAIN');
    expect(err.number).toBe(42);
    expect(err.domain).toBe('VIR_FROM_TEST');
    expect(err.stack).toContain('connection.test.ts');
  });

  it('misuse of the native layer is a clear error, never a crash', async () => {
    const { native } = await import('../../src/native.js');
    const addon = native() as unknown as Record<string, new (...a: unknown[]) => unknown>;
    expect(() => new addon.Domain!()).toThrow(/created by virtkit/);
    const n = new (native().Connect)();
    expect(() => n.getURI()).toThrow(/connection is closed/);
    await n.open('test:///default', 0, 1);
    expect(() => (n as unknown as { domainLookupByName(x: unknown): unknown }).domainLookupByName(42)).toThrow(/must be a string/);
    await n.close();
    // Through the public API the same misuse is a typed refusal.
    await expect(Connection.open('test:///default', 5 as never)).rejects.toSatisfy((e: unknown) => e instanceof VirtkitError && e.code === 'INVALID_ARGUMENT');
  });
});
