// The connection's domain handle cache answers repeated lookups without an RPC and never outlives
// a change: its own define/undefine/rename, or another client's, seen through lifecycle events.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, VirtError } from '../../src/index.js';

const xml = (name: string, uuid?: string) =>
  `<domain type='test'><name>${name}</name>${uuid ? `<uuid>${uuid}</uuid>` : ''}<memory>65536</memory><os><type>hvm</type></os></domain>`;

async function until(cond: () => Promise<boolean>, ms = 2_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('domain lookup cache', () => {
  let a: Connection;
  let b: Connection;
  beforeAll(async () => {
    a = await Connection.open('test:///default');
    b = await Connection.open('test:///default');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('answers a second lookup from the cache, by name and by UUID, with independent handles', async () => {
    const d1 = await a.domain('test');
    const d2 = await a.domain('test');
    const d3 = await a.domain(d1.uuid);
    expect(d2.uuid).toBe(d1.uuid);
    expect(d3.name).toBe('test');
    await d2.free(); // freeing one handle leaves the others usable
    expect((await d1.info()).state).toBeDefined();
    expect((await d3.state()).state).toBeDefined();
  });

  it('forgets a domain this connection undefines, and sees a new one defined under the same name', async () => {
    const first = await a.defineDomain(xml('vk-cache-1', '11111111-2222-3333-4444-555555555555'));
    expect((await a.domain('vk-cache-1')).uuid).toBe(first.uuid);
    await first.undefine();
    await expect(a.domain('vk-cache-1')).rejects.toBeInstanceOf(VirtError);
    const second = await a.defineDomain(xml('vk-cache-1', '11111111-2222-3333-4444-666666666666'));
    expect((await a.domain('vk-cache-1')).uuid).toBe(second.uuid);
    await second.undefine();
  });

  it('drops an entry when another client undefines or redefines the domain (lifecycle events)', async () => {
    const mine = await a.defineDomain(xml('vk-cache-2', '11111111-2222-3333-4444-777777777777'));
    expect((await a.domain('vk-cache-2')).uuid).toBe(mine.uuid);
    // b changes it behind a's back.
    await (await b.domain('vk-cache-2')).undefine();
    const theirs = await b.defineDomain(xml('vk-cache-2', '11111111-2222-3333-4444-888888888888'));
    await until(async () => (await a.domain('vk-cache-2')).uuid === theirs.uuid);
    await (await b.domain('vk-cache-2')).undefine();
    await until(async () => (await a.findDomain('vk-cache-2')) === undefined);
  });

  it('asks the daemon when told to, and after a rename', async () => {
    const d = await a.defineDomain(xml('vk-cache-3'));
    await a.domain('vk-cache-3');
    await d.rename('vk-cache-3b');
    await expect(a.domain('vk-cache-3')).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
    expect((await a.domain('vk-cache-3b', { fresh: true })).uuid).toBe(d.uuid);
    await d.undefine();
    await expect(a.domain('vk-cache-3b', { fresh: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('test:///<file> connections', () => {
  it('see one driver state: a domain defined is found at once, every time', async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'vk-testfile-'));
    const file = join(dir, 'node.xml');
    writeFileSync(file, `<node><cpu><mhz>1000</mhz></cpu>${xml('vk-file-a')}</node>`);
    const c = await Connection.open(`test://${file}`);
    try {
      await c.defineDomain(xml('vk-file-b'));
      for (let i = 0; i < 6; i++) {
        expect((await c.domain('vk-file-b', { fresh: true })).name).toBe('vk-file-b');
        expect((await c.domain('vk-file-a', { fresh: true })).name).toBe('vk-file-a');
      }
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
