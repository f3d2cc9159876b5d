import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:net';
import { Connection, Domain, VirtkitError } from '../../src/index.js';

const name = `vk-addr-${process.pid}`;
const xml = (withNic: boolean) => `<domain type='test'>
  <name>${name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>${withNic ? "<interface type='network'><mac address='52:54:00:ee:00:01'/><source network='default'/></interface>" : ''}</devices>
</domain>`;

describe('Domain addresses on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(xml(true));
  });
  afterAll(async () => {
    const d = await conn.findDomain(name);
    if (d && (await d.isActive())) await d.destroy();
    if (d) await d.undefine().catch(() => undefined);
    await conn.close();
  });

  it('reports the interfaces of a running domain, and flattens them', async () => {
    await dom.start();
    const list = await dom.interfaceAddresses({ source: 'lease' });
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]!.mac).toBe('52:54:00:ee:00:01');
    const flat = await dom.addresses({ source: 'lease' });
    expect(flat.length).toBeGreaterThan(0);
    expect(flat[0]).toMatchObject({ mac: '52:54:00:ee:00:01', source: 'lease' });
    expect(typeof flat[0]!.ip).toBe('string');
    const any = await dom.addresses();
    expect(any[0]!.source).toBe('lease');
    const got = await dom.waitForAddress({ timeoutMs: 5000, mac: '52:54:00:ee:00:01' });
    expect(got.ip).toBe(flat[0]!.ip);
  });

  it('waitForAddress: TIMEOUT when no address matches, ABORTED on the signal, refuses bad options', async () => {
    await expect(dom.waitForAddress({ timeoutMs: 300, mac: '52:54:00:ee:00:99' })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const ac = new AbortController();
    const p = dom.waitForAddress({ timeoutMs: 60_000, mac: '52:54:00:ee:00:99', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    for (const o of [{ source: 'dns' }, { timeoutMs: -1 }, { mac: 'x' }, { family: 'ipx' }, { signal: 1 }]) {
      await expect(dom.waitForAddress(o as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(dom.interfaceAddresses({ source: 'any' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('waitForAddress on a shut-off domain is DOMAIN_NOT_RUNNING', async () => {
    await dom.destroy();
    await expect(dom.waitForAddress({ timeoutMs: 1000 })).rejects.toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
  });

  describe('waitForPort', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((s) => s.end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('resolves when the port accepts, TIMEOUT when it refuses, refuses bad input', async () => {
      expect(await dom.waitForPort(port, { host: '127.0.0.1', timeoutMs: 5000 })).toEqual({ host: '127.0.0.1', port });
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const free = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const e = await dom.waitForPort(free, { host: '127.0.0.1', timeoutMs: 400 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VirtkitError);
      expect(e).toMatchObject({ code: 'TIMEOUT' });
      const ac = new AbortController();
      ac.abort();
      await expect(dom.waitForPort(free, { host: '127.0.0.1', signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
      for (const p of [0, 70000, 1.5, NaN]) await expect(dom.waitForPort(p)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(dom.waitForPort(22, { host: 'a b' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
});
