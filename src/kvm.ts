// Does KVM really work on this host? Offering it (capabilities) is not proof: with broken
// nested virtualisation QEMU aborts ("failed to set MSR 0x10a") or the guest hangs once the
// kernel runs (a BIOS alone may still spin happily, so the probe boots a real kernel).
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Domain } from './domain.js';
import type { HostCapabilities } from './capabilities.js';
import { DomainXml } from './xml/domain.js';
import { setText } from './xml/doc.js';
import { sleep } from './util/abort.js';

/** What the probe needs of a connection (Connection satisfies it; named here so kvm.ts needs nothing of connection.ts). */
export interface ProbeHost {
  readonly uri: string;
  /** True for a daemon on this machine, whose /boot the probe may boot from. */
  readonly core: { readonly isLocal: boolean };
  capabilities(): Promise<Pick<HostCapabilities, 'accelerators'>>;
  defineDomain(xml: string): Promise<Domain>;
}

const cache = new Map<string, Promise<boolean>>();

/** The host's newest kernel, when the daemon is local and one is in /boot. */
function hostKernel(): string | undefined {
  try {
    const k = readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort().at(-1);
    return k ? `/boot/${k}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A diskless KVM domain booting `kernel` with no root: a working KVM panics within a second or
 * two ("unable to mount root"), and panic=-1 + on_reboot=destroy turns that into a shut-off domain.
 */
export function probeXml(kernel: string, type = 'kvm'): string {
  const dom = new DomainXml('<domain/>');
  dom.type = type === 'kvm' ? 'kvm' : 'qemu';
  dom.name = `virtkit-kvm-probe-${randomUUID().slice(0, 8)}`;
  dom.memoryKiB = 131072;
  dom.vcpus = 1;
  const os = dom.os;
  os.type = 'hvm';
  os.kernel = kernel;
  os.cmdline = 'panic=-1 root=/dev/virtkit-none console=ttyS0 quiet';
  setText(dom.ensure('on_reboot'), 'destroy');
  dom.ensure('devices');
  return dom.toString();
}

export function probeKvm(conn: ProbeHost, timeoutMs = 12_000): Promise<boolean> {
  const key = conn.uri;
  let p = cache.get(key);
  if (!p) {
    p = run(conn, timeoutMs);
    cache.set(key, p);
  }
  return p;
}

async function run(conn: ProbeHost, timeoutMs: number): Promise<boolean> {
  const forced = process.env.VIRTKIT_ACCEL;
  if (forced === 'tcg') return false;
  const caps = await conn.capabilities().catch(() => undefined);
  if (!caps?.accelerators.includes('kvm')) return false;
  if (forced === 'kvm') return true;
  const kernel = conn.core.isLocal ? hostKernel() : undefined;
  if (!kernel) return false; // cannot prove it works: TCG is the safe answer
  // Persistent, so that the reason it stopped can still be read once it has stopped.
  let dom;
  try {
    dom = await conn.defineDomain(probeXml(kernel));
    await dom.start();
  } catch {
    await dom?.undefine().catch(() => undefined);
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const s = await dom.state();
      // A clean stop is the kernel's panic reboot turned into destroy; QEMU aborting is 'crashed'/'failed'.
      if (s.state === 'shutoff') return s.reason === 'destroyed' || s.reason === 'shutdown';
      if (s.state === 'crashed') return false;
      await sleep(200);
    }
    return false; // hung
  } catch {
    return false;
  } finally {
    await dom.destroy().catch(() => undefined);
    await dom.undefine().catch(() => undefined);
  }
}
