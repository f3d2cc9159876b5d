import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, Domain, VirtError, VIRTKIT_NS, type VirtEvent } from '../../src/index.js';

const xmlFor = (name: string) => `<domain type='test'>
  <name>${name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;

describe('Domain on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  const name = `vk-unit-${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(xmlFor(name));
  });
  afterAll(async () => {
    const d = await conn.findDomain(name);
    if (d && (await d.isActive())) await d.destroy();
    if (d) await d.undefine().catch(() => undefined);
    await conn.close();
  });

  it('looks up by name, UUID and id; lists with filters', async () => {
    expect(dom.name).toBe(name);
    expect((await conn.domain(dom.uuid)).name).toBe(name);
    expect((await conn.domain(name)).uuid).toBe(dom.uuid);
    const test = await conn.domain('test');
    const id = await test.id();
    expect((await conn.domainById(id)).name).toBe('test');
    expect(await dom.id()).toBe(-1);
    const inactive = (await conn.domains({ inactive: true })).map((d) => d.name);
    expect(inactive).toContain(name);
    expect((await conn.domains({ active: true })).map((d) => d.name)).not.toContain(name);
    expect((await conn.domains({ persistent: true })).map((d) => d.name)).toContain(name);
    expect(await conn.findDomain('nope-nope')).toBeUndefined();
    await expect(conn.domainById(-3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('runs the lifecycle and reports state with reasons, with events', async () => {
    const seen: VirtEvent[] = [];
    const onEv = (e: VirtEvent) => seen.push(e);
    conn.on('event', onEv);
    expect(await dom.isActive()).toBe(false);
    expect(await dom.isPersistent()).toBe(true);
    await dom.start();
    expect(await dom.state()).toEqual({ state: 'running', reason: 'booted' });
    await dom.suspend();
    expect((await dom.info()).state).toBe('paused');
    await dom.resume();
    await dom.reboot();
    await dom.shutdown({ wait: true, timeoutMs: 5000 });
    expect((await dom.state()).state).toBe('shutoff');
    await dom.start();
    await dom.destroy();
    expect(await dom.state()).toEqual({ state: 'shutoff', reason: 'destroyed' });
    await new Promise((r) => setTimeout(r, 200));
    conn.off('event', onEv);
    const mine = seen.filter((e) => e.type === 'domain-lifecycle' && e.domain === name).map((e) => (e as { event: string }).event);
    expect(mine).toEqual(expect.arrayContaining(['started', 'suspended', 'resumed', 'stopped']));
  });

  it('reads XML with flags, autostart, title and description', async () => {
    expect(await dom.xml()).toContain(`<name>${name}</name>`);
    expect(await dom.xml({ inactive: true, secure: true, migratable: true })).toContain('<domain');
    await dom.setAutostart(true);
    expect(await dom.autostart()).toBe(true);
    await dom.setAutostart(false);
    expect(await dom.autostart()).toBe(false);
    expect(await dom.text('title')).toBeUndefined();
    await dom.setText('title', 'A <title> & "quotes"');
    expect(await dom.text('title')).toBe('A <title> & "quotes"');
    await dom.setText('description', 'desc');
    expect(await dom.text('description')).toBe('desc');
  });

  it('reads and writes metadata in a namespace', async () => {
    const ns = 'https://example.org/ns/1';
    expect(await dom.metadata(ns)).toBeUndefined();
    await dom.setMetadata(ns, 'ex', '<thing a="1&amp;2"><x>y</x></thing>');
    const md = await dom.metadata(ns);
    expect(md).toContain('a="1&amp;2"');
    await dom.setMetadata(ns, 'ex', null);
    expect(await dom.metadata(ns)).toBeUndefined();
    await expect(dom.setMetadata(ns, 'bad prefix', '<a/>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses to start a virtkit template', async () => {
    await dom.setMetadata(VIRTKIT_NS, 'virtkit', '<template role="template" state="ready" version="1"/>');
    expect(await dom.isTemplate()).toBe(true);
    await expect(dom.start()).rejects.toMatchObject({ code: 'IS_TEMPLATE' });
    expect(await dom.isActive()).toBe(false);
    await dom.setMetadata(VIRTKIT_NS, 'virtkit', null);
    expect(await dom.isTemplate()).toBe(false);
  });

  it('creates, lists, reverts and deletes snapshots', async () => {
    expect(await dom.currentSnapshot()).toBeUndefined();
    const s1 = await dom.createSnapshot({ name: 's1', description: 'first <one>' });
    expect(s1.name).toBe('s1');
    const s2 = await dom.createSnapshot(`<domainsnapshot><name>s2</name></domainsnapshot>`);
    expect(s2.name).toBe('s2');
    expect((await dom.snapshotNames()).sort()).toEqual(['s1', 's2']);
    expect((await dom.currentSnapshot())?.name).toBe('s2');
    expect(await dom.snapshotXml('s1')).toContain('first &lt;one&gt;');
    await dom.revertToSnapshot('s1');
    expect((await dom.currentSnapshot())?.name).toBe('s1');
    await dom.deleteSnapshot('s2');
    await dom.deleteSnapshot('s1');
    expect(await dom.snapshots()).toEqual([]);
    await expect(dom.deleteSnapshot('nope')).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN_SNAPSHOT' });
  });

  it('renames a shut-off domain and validates the new name', async () => {
    await dom.rename(`${name}-r`);
    expect(dom.name).toBe(`${name}-r`);
    await dom.rename(name);
    await expect(dom.rename('a/b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.rename('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.rename('x'.repeat(10_000))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(dom.name).toBe(name);
  });

  it('creates transient domains and undefines persistent ones', async () => {
    const t = await conn.createDomain(xmlFor(`${name}-t`));
    expect(await t.isPersistent()).toBe(false);
    expect(await t.isActive()).toBe(true);
    await t.destroy();
    expect(await conn.findDomain(`${name}-t`)).toBeUndefined();
    const p = await conn.defineDomain(xmlFor(`${name}-u`));
    await p.undefine();
    await expect(p.info()).rejects.toBeInstanceOf(VirtError);
  });

  it('bad XML and names with markup are typed errors that change nothing', async () => {
    const before = (await conn.domains()).length;
    await expect(conn.defineDomain('<domain')).rejects.toBeInstanceOf(VirtError);
    await expect(conn.defineDomain('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.domain('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(conn.domain('<&"\'../')).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
    expect((await conn.domains()).length).toBe(before);
  });

  it('shows name and uuid in the REPL', () => {
    expect(inspect(dom)).toContain(`name: '${name}'`);
  });

  it('delivers events through the async iterator', async () => {
    const ac = new AbortController();
    const got: VirtEvent[] = [];
    const reader = (async () => {
      for await (const e of conn.events({ signal: ac.signal })) {
        got.push(e);
        if (e.type === 'domain-lifecycle' && e.event === 'stopped') ac.abort();
      }
    })();
    await dom.start();
    await dom.destroy();
    await reader;
    expect(got.map((e) => e.type === 'domain-lifecycle' && e.event)).toContain('started');
  });
});
