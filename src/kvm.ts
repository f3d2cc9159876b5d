// Does KVM really work on this host? Offering it (capabilities) is not proof: with broken
// nested virtualisation QEMU aborts ("failed to set MSR 0x10a") or hangs at vCPU start.
import { randomUUID } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { Connection } from './connection.js';
import { sleep } from './core.js';

const cache = new Map<string, Promise<boolean>>();

/** A diskless KVM domain that runs the BIOS and spins; enough to exercise vCPU setup. */
function probeXml(): string {
  const doc = new DOMParser().parseFromString('<domain type="kvm"/>', 'text/xml');
  const root = doc.documentElement!;
  const add = (parent: typeof root, tag: string, text?: string, attrs: Record<string, string> = {}) => {
    const el = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.appendChild(doc.createTextNode(text));
    parent.appendChild(el);
    return el;
  };
  add(root, 'name', `virtkit-kvm-probe-${randomUUID().slice(0, 8)}`);
  add(root, 'memory', '32768', { unit: 'KiB' });
  add(root, 'vcpu', '1');
  const os = add(root, 'os');
  add(os, 'type', 'hvm');
  add(root, 'devices');
  return new XMLSerializer().serializeToString(doc);
}

export function probeKvm(conn: Connection): Promise<boolean> {
  const key = conn.uri;
  let p = cache.get(key);
  if (!p) {
    p = run(conn);
    cache.set(key, p);
  }
  return p;
}

async function run(conn: Connection): Promise<boolean> {
  if (process.env.VIRTKIT_ACCEL === 'tcg') return false;
  const caps = await conn.capabilities().catch(() => undefined);
  if (!caps?.accelerators.includes('kvm')) return false;
  let dom;
  try {
    dom = await conn.createDomain(probeXml(), { autodestroy: true });
  } catch {
    return false;
  }
  try {
    const t0 = (await dom.info()).cpuTimeNs;
    await sleep(1500);
    const i = await dom.info();
    // A working vCPU burns CPU time in the BIOS; an aborted QEMU is gone, a hung one is idle.
    return i.state === 'running' && i.cpuTimeNs > t0;
  } catch {
    return false;
  } finally {
    await dom.destroy().catch(() => undefined);
  }
}
