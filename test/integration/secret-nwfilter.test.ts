// Secrets, network filters and filter bindings for real: the test driver has neither, so one
// private libvirtd (its own mount and network namespace, only the qemu, secret and nwfilter
// drivers; test/helpers/private-daemon.ts) serves the whole file. Never the system daemon.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, NWFilter, NWFilterBinding, Secret, VirtError, type SecretLifecycleEvent, type SecretValueChangedEvent } from '../../src/index.js';
import { startPrivateDaemon, type PrivateDaemon } from '../helpers/private-daemon.js';

const tag = `vk-hostobj-${process.pid}`;
const VALUE = 'correct horse battery staple';

describe('secrets and nwfilters on a private libvirtd', () => {
  let d: PrivateDaemon;
  let conn: Connection;
  beforeAll(async () => {
    d = await startPrivateDaemon({ tag: 'hostobj', drivers: ['qemu', 'secret', 'nwfilter'] });
    conn = await Connection.open(d.uri);
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await d?.stop();
  });

  it('defines a secret with a value, reads it back, looks it up by UUID and usage, undefines it', async () => {
    const path = `/var/lib/virtkit-test/${tag}.qcow2`;
    const s = await conn.defineSecret({ type: 'volume', usage: path, description: 'disk key' }, { value: VALUE });
    expect(s).toBeInstanceOf(Secret);
    expect(s.usageType).toBe('volume');
    expect(s.usage).toBe(path);
    expect((await s.value()).toString()).toBe(VALUE);
    expect(inspect(s)).not.toContain(VALUE);
    expect((await s.xml())).not.toContain(VALUE);
    const p = await s.parsed();
    expect([p.type, p.usage, p.description, p.ephemeral, p.private]).toEqual(['volume', path, 'disk key', false, false]);
    expect((await conn.secret(s.uuid)).uuid).toBe(s.uuid);
    expect((await conn.secret(s.uuid.replace(/-/g, '').toUpperCase())).uuid).toBe(s.uuid);
    expect((await conn.secret({ type: 'volume', usage: path })).uuid).toBe(s.uuid);
    expect((await conn.secrets()).map((x) => x.uuid)).toContain(s.uuid);
    expect((await conn.secrets({ private: true })).map((x) => x.uuid)).not.toContain(s.uuid);

    const bytes = Buffer.from([0, 1, 2, 255]);
    await s.setValue(bytes);
    expect(await s.value()).toEqual(bytes);

    // a second secret with the same usage is refused by libvirt, nothing else changes
    await expect(conn.defineSecret({ type: 'volume', usage: path })).rejects.toBeInstanceOf(VirtError);
    expect((await conn.secrets()).filter((x) => x.usage === path)).toHaveLength(1);

    await s.undefine();
    await expect(conn.secret(s.uuid)).rejects.toMatchObject({ code: 'VIR_ERR_NO_SECRET' });
    expect(await conn.findSecret({ type: 'volume', usage: path })).toBeUndefined();
  });

  it('emits secret-lifecycle and secret-value-changed events, typed, with the usage', async () => {
    const usage = `/var/lib/virtkit-test/${tag}-events.qcow2`;
    type Ev = SecretLifecycleEvent | SecretValueChangedEvent;
    const got: Ev[] = [];
    const arrived = new Promise<void>((resolve) => {
      const timer = setTimeout(done, 10_000); // on a miss, the expectations below show what came
      function done(): void {
        clearTimeout(timer);
        conn.off('secret-lifecycle', on);
        conn.off('secret-value-changed', on);
        resolve();
      }
      function on(e: Ev): void {
        if (e.usageId !== usage) return;
        got.push(e);
        if (e.type === 'secret-lifecycle' && e.event === 'undefined') done();
      }
      conn.on('secret-lifecycle', on);
      conn.on('secret-value-changed', on);
    });
    const s = await conn.defineSecret({ type: 'volume', usage }, { value: VALUE });
    await s.undefine();
    await arrived;
    const base = { uuid: s.uuid, usageType: 'volume', usageId: usage };
    expect(got).toEqual([
      { type: 'secret-lifecycle', ...base, event: 'defined', detail: 0 },
      { type: 'secret-value-changed', ...base },
      { type: 'secret-lifecycle', ...base, event: 'undefined', detail: 0 },
    ]);
  });

  it('a private secret keeps its value from the API; an ephemeral one is listed as such', async () => {
    const s = await conn.defineSecret({ type: 'ceph', usage: `${tag} ceph`, private: true, ephemeral: true }, { value: VALUE });
    try {
      const e = await s.value().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VirtError);
      expect((e as Error).message).not.toContain(VALUE);
      expect((await conn.secrets({ ephemeral: true, private: true })).map((x) => x.uuid)).toContain(s.uuid);
      expect((await conn.secrets({ ephemeral: false })).map((x) => x.uuid)).not.toContain(s.uuid);
    } finally {
      await s.undefine();
    }
  });

  it('a value that cannot be set removes the secret the call defined', async () => {
    const usage = `${tag}-tls`;
    const before = (await conn.secrets()).length;
    // past the RPC's 64 KiB limit for a secret value: defined, then the value fails, then removed
    const e = await conn.defineSecret({ type: 'tls', usage }, { value: Buffer.alloc(70_000, 1) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtError);
    expect(await conn.findSecret({ type: 'tls', usage })).toBeUndefined();
    expect((await conn.secrets()).length).toBe(before);
    // a redefinition of an existing secret (by UUID) keeps it when the value fails
    const kept = await conn.defineSecret({ type: 'tls', usage }, { value: VALUE });
    await expect(conn.defineSecret({ type: 'tls', usage, uuid: kept.uuid }, { value: Buffer.alloc(70_000, 1) })).rejects.toBeInstanceOf(VirtError);
    expect((await conn.secret(kept.uuid)).usage).toBe(usage);
    await kept.undefine();
    // a bad value never reaches the daemon: nothing is defined
    await expect(conn.defineSecret({ type: 'tls', usage }, { value: 7 as unknown as string })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await conn.findSecret({ type: 'tls', usage })).toBeUndefined();
  });

  it('defines a filter from a spec, finds it by name and UUID, and undefines it', async () => {
    const stock = (await conn.nwfilters()).map((f) => f.name);
    expect(stock).toContain('clean-traffic');
    const f = await conn.defineNWFilter({
      name: `${tag}-ssh`,
      chain: 'ipv4',
      filterrefs: ['allow-arp'],
      rules: [{ action: 'accept', direction: 'in', priority: 100, protocol: 'tcp', match: { dstportstart: 22 } }],
    });
    expect(f).toBeInstanceOf(NWFilter);
    expect(inspect(f)).toContain(`name: '${tag}-ssh'`);
    const p = await f.parsed();
    expect(p.chain).toBe('ipv4');
    expect(p.filterrefs).toEqual([{ filter: 'allow-arp' }]);
    expect(p.rules).toEqual([{ action: 'accept', direction: 'in', priority: 100, protocol: 'tcp', match: { dstportstart: '22' } }]);
    expect((await conn.nwfilter(f.uuid)).name).toBe(f.name);
    expect((await conn.nwfilter(f.name)).uuid).toBe(f.uuid);
    expect((await conn.nwfilters()).map((x) => x.name)).toContain(f.name);
    // without its UUID a second definition of the name is refused; with it, the rules are replaced
    await expect(conn.defineNWFilter({ name: f.name, chain: 'ipv4' })).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_OPERATION_FAILED' });
    const again = await conn.defineNWFilter({ name: f.name, uuid: f.uuid, chain: 'ipv4', rules: [{ action: 'drop', direction: 'in', protocol: 'tcp' }] });
    expect(again.uuid).toBe(f.uuid);
    expect((await again.parsed()).rules.map((r) => r.action)).toEqual(['drop']);
    await f.undefine();
    await expect(conn.nwfilter(f.name)).rejects.toMatchObject({ code: 'VIR_ERR_NO_NWFILTER' });
    expect(await conn.findNWFilter(f.name)).toBeUndefined();
  });

  it('binds a filter to a port, looks the binding up by port, deletes it', async () => {
    const spec = {
      owner: { name: `${tag}-dom`, uuid: 'c3a4e3a6-2e6b-4a1d-8b6f-1d3e9e5a0b11' },
      portdev: 'vkvnet0',
      mac: '52:54:00:12:34:56',
      filter: 'allow-arp',
    };
    const b = await conn.createNWFilterBinding(spec);
    try {
      expect(b).toBeInstanceOf(NWFilterBinding);
      expect([b.portDev, b.filterName]).toEqual(['vkvnet0', 'allow-arp']);
      expect(await b.parsed()).toEqual(spec);
      expect((await conn.nwfilterBinding('vkvnet0')).filterName).toBe('allow-arp');
      expect((await conn.nwfilterBindings()).map((x) => x.portDev)).toContain('vkvnet0');
    } finally {
      await b.delete();
    }
    await expect(conn.nwfilterBinding('vkvnet0')).rejects.toMatchObject({ code: 'VIR_ERR_NO_NWFILTER_BINDING' });
  });
});
