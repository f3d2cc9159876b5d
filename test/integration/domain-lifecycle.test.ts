// A real TCG (type='qemu') domain: define, start, lifecycle events, destroy, undefine.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Connection, type DomainLifecycleEvent } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon } from '../helpers/system.js';

const name = `vkt-life-${process.pid}`;
// Diskless: SeaBIOS finds nothing to boot and idles, which is all a lifecycle test needs.
const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os><features><acpi/></features>
  <devices><serial type='pty'/></devices></domain>`;

describe('domain lifecycle on a real daemon', () => {
  let conn: Connection;
  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
  });
  afterAll(async () => {
    const d = await conn.findDomain(name);
    if (d && (await d.isActive())) await d.destroy();
    if (d) await d.undefine();
    await conn.close();
  });

  it('defines, starts, observes events, destroys and undefines', async () => {
    const events: DomainLifecycleEvent[] = [];
    conn.on('domain-lifecycle', (e: DomainLifecycleEvent) => e.domain === name && events.push(e));
    const dom = await conn.defineDomain(xml);
    await dom.start();
    expect((await dom.state()).state).toBe('running');
    expect(await dom.id()).toBeGreaterThan(0);
    await dom.suspend();
    expect((await dom.state()).state).toBe('paused');
    await dom.resume();
    await dom.destroy();
    expect(await dom.state()).toEqual({ state: 'shutoff', reason: 'destroyed' });
    await dom.undefine();
    for (let i = 0; i < 50 && !events.some((e) => e.event === 'undefined'); i++) await new Promise((r) => setTimeout(r, 100));
    // QEMU adds events of its own (a resume at boot, 'shutdown:host'); ours must come in this order.
    const got = events.map((e) => `${e.event}:${e.detail}`);
    const want = ['defined:added', 'started:booted', 'suspended:paused', 'resumed:unpaused', 'stopped:destroyed', 'undefined:removed'];
    let at = 0;
    for (const w of want) {
      at = got.indexOf(w, at);
      expect(at, `${w} in ${got.join(', ')}`).toBeGreaterThanOrEqual(0);
    }
    expect(await conn.findDomain(name)).toBeUndefined();
  });

  it('tells whether KVM really works', async () => {
    const works = await conn.kvmWorks();
    expect(typeof works).toBe('boolean');
    const caps = await conn.capabilities();
    expect(caps.accelerators).toContain('qemu');
    if (!caps.accelerators.includes('kvm')) expect(works).toBe(false);
    const dc = await conn.domainCapabilities({ virtType: 'qemu' });
    expect(dc.domainType).toBe('qemu');
    expect(dc.diskBuses).toContain('virtio');
  });
});
