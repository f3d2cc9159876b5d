// A domain's IP addresses (virDomainInterfaceAddresses from DHCP leases, the guest agent or the
// ARP table), waiting for one to appear, and waiting for a TCP port on it.
import { connect } from 'node:net';
import type { NativeDomain } from './native.js';
import type { Core } from './core.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { abortError, sleep, wakeableSleep } from './util/abort.js';
import { argInt, argOptEnum, argOptSignal, argOptString, argOptTimeout, argOptions } from './args.js';
import { validateMac } from './validate.js';
import { virDomainInterfaceAddressesSource, virIPAddrType } from './generated/libvirt-enums.js';
import { tryParseIp, type IpFamily } from './net/ip.js';
import { parseTemplateMetadata } from './xml/metadata.js';
import { domainWaiters } from './domain-events.js';

/** Where libvirt reads a domain's addresses from. */
export type AddressSource = 'lease' | 'agent' | 'arp';
const SOURCES: readonly AddressSource[] = ['lease', 'agent', 'arp'];
const SRC: Record<AddressSource, number> = {
  lease: virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
  agent: virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
  arp: virDomainInterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
};

/** One interface as virDomainInterfaceAddresses reports it. */
export interface DomainInterfaceAddresses {
  /** Interface name (the host tap device for 'lease'/'arp', the guest's name for 'agent'). */
  interface: string;
  mac: string | undefined;
  addrs: { ip: string; prefix: number; family: IpFamily }[];
}

/** One address of a domain, flattened ({@link Domain.addresses}). */
export interface DomainAddress {
  /** The interface's name ('' for a 'reservation': a clone has no device before it runs). */
  interface: string;
  mac: string | undefined;
  ip: string;
  prefix: number;
  family: IpFamily;
  /** Where it was read: a libvirt source, or 'reservation' (the clone's record of what deploy reserved). */
  source: AddressSource | 'reservation';
  /** For a 'reservation': the libvirt network holding it. */
  network?: string;
}

/** Options of {@link Domain.waitForAddress}. */
export interface WaitForAddressOptions {
  /** Give up after this many ms with TIMEOUT (default 120 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Default 'any': lease, then agent, then arp. */
  source?: AddressSource | 'any';
  /** Only an address of the NIC with this MAC. */
  mac?: string;
  /** Only addresses of this family. */
  family?: IpFamily;
  /** First pause between polls in ms (default 250; doubles up to 4 s, or this when larger). Events end a pause early. */
  intervalMs?: number;
}

/** Options of {@link Domain.waitForPort}. */
export interface WaitForPortOptions {
  /** Address to connect to; default: the domain's first address ({@link Domain.waitForAddress}, in the same deadline). */
  host?: string;
  /** Give up after this many ms with TIMEOUT (default 120 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where to look the address up when `host` is not given (default 'any'). */
  source?: AddressSource | 'any';
}

/** @internal */
export async function interfaceAddresses(core: Core, n: NativeDomain, opts: { source?: AddressSource } = {}): Promise<DomainInterfaceAddresses[]> {
  argOptions('opts', opts);
  const source = argOptEnum('opts.source', opts.source, SOURCES) ?? 'lease';
  const list = await core.call(() => n.interfaceAddresses(SRC[source], 0));
  return list.map((i) => ({
    interface: i.name ?? '',
    mac: i.hwaddr?.toLowerCase() ?? undefined,
    addrs: i.addrs
      .filter((a) => a.addr)
      .map((a) => ({ ip: a.addr!, prefix: a.prefix, family: a.type === virIPAddrType.VIR_IP_ADDR_TYPE_IPV6 ? ('ipv6' as const) : ('ipv4' as const) })),
  }));
}

// Loopback and IPv6 link-local addresses say nothing about how to reach the guest.
function reachable(ip: string): boolean {
  const a = tryParseIp(ip);
  if (!a) return false;
  if (a.family === 'ipv4') return a.value >> 24n !== 127n;
  return a.value !== 1n && a.value >> 118n !== 0x3fan;
}


/** @internal */
export async function addresses(core: Core, n: NativeDomain, opts: { source?: AddressSource | 'any' } = {}): Promise<DomainAddress[]> {
  argOptions('opts', opts);
  const source = argOptEnum('opts.source', opts.source, [...SOURCES, 'any'] as const) ?? 'any';
  const flat = (src: AddressSource, l: DomainInterfaceAddresses[]): DomainAddress[] =>
    l.flatMap((i) => i.addrs.filter((a) => reachable(a.ip)).map((a) => ({ interface: i.interface, mac: i.mac, ip: a.ip, prefix: a.prefix, family: a.family, source: src })));
  if (source !== 'any') return flat(source, await interfaceAddresses(core, n, { source }));
  for (const s of SOURCES) {
    try {
      const out = flat(s, await interfaceAddresses(core, n, { source: s }));
      if (out.length) return out;
    } catch (e) {
      // The lease source answers for every running domain, so its errors are real. The agent and
      // ARP sources fail for reasons that mean "nothing from here now" (no agent channel, agent not
      // up; libvirt 9.0's ARP reader fails with "wrong nlmsg len" in some namespaces): skip them.
      if (s === 'lease' || !isVirtError(e)) throw e;
    }
  }
  return [];
}

/**
 * @internal The addresses deploy reserved for a clone, from its virtkit record (`md`: the
 * metadata element, or undefined): known before the clone first boots. None for other domains.
 */
export function reservedAddresses(md: string | undefined): DomainAddress[] {
  const rec = md === undefined ? undefined : parseTemplateMetadata(md);
  return (rec?.reservations ?? []).map((r) => ({ interface: '', mac: r.mac, ip: r.ip, prefix: r.prefix ?? (r.family === 'ipv6' ? 128 : 32), family: r.family, source: 'reservation' as const, network: r.network }));
}

function deadlineError(what: string, timeoutMs: number, details: Record<string, unknown>): VirtkitError {
  return new VirtkitError('TIMEOUT', `${what} within ${timeoutMs} ms`, { details: { timeoutMs, ...details } });
}

/**
 * @internal Asks at once on each event that may bring an address (the domain's lifecycle events:
 * started, resumed, and stopped, which ends the wait; its guest agent connecting), and polls with
 * backoff (`intervalMs`, default 250 ms, doubling to 4 s) in between, since a DHCP lease in
 * dnsmasq raises no libvirt event. Ends at an address, the deadline, abort or an error; it
 * unsubscribes on every one of them.
 */
export async function waitForAddress(core: Core, n: NativeDomain, name: string, opts: WaitForAddressOptions = {}): Promise<DomainAddress> {
  argOptions('opts', opts);
  const timeoutMs = argOptTimeout('opts.timeoutMs', opts.timeoutMs, 120_000);
  const signal = argOptSignal('opts.signal', opts.signal);
  const source = argOptEnum('opts.source', opts.source, [...SOURCES, 'any'] as const) ?? 'any';
  const mac = opts.mac === undefined ? undefined : validateMac(opts.mac, 'opts.mac');
  const family = argOptEnum('opts.family', opts.family, ['ipv4', 'ipv6'] as const);
  const intervalMs = argOptTimeout('opts.intervalMs', opts.intervalMs, 250, { min: 1 });
  const maxDelay = Math.max(4000, intervalMs);
  const end = Date.now() + timeoutMs;
  // Subscribed before the first query, so an event between a query and the pause is not missed.
  const woken = { pending: false, wake: undefined as (() => void) | undefined };
  const off = core.domains.enabled
    ? domainWaiters(core).subscribe(n.getUUIDString(), () => {
        woken.pending = true;
        woken.wake?.();
      }, { agent: true })
    : undefined;
  try {
    let delay = intervalMs;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      woken.pending = false;
      if (!(await core.call(() => n.isActive(), { signal }))) {
        throw new VirtkitError('DOMAIN_NOT_RUNNING', `domain ${name} is not running: it has no address to wait for`, { details: { domain: name } });
      }
      const list = await addresses(core, n, { source }).catch((e: unknown) => {
        // An agent that is not up yet (the guest booting, qemu-ga not started) means "no address
        // yet" to a waiter: its connecting wakes the wait (agent lifecycle event).
        if (source === 'agent' && isVirtError(e) && (e.code === 'VIR_ERR_AGENT_UNRESPONSIVE' || e.code === 'VIR_ERR_AGENT_UNSYNCED')) return [];
        throw e;
      });
      const found = list.find((a) => (!mac || a.mac === mac) && (!family || a.family === family));
      if (found) return found;
      const left = end - Date.now();
      if (left <= 0) throw deadlineError(`domain ${name} got no address (source ${source})`, timeoutMs, { domain: name, source, mac });
      if (!woken.pending) await wakeableSleep(Math.min(delay, left), woken, signal);
      // after an event the address may follow soon (an agent that just connected): the backoff starts over
      delay = woken.pending ? intervalMs : Math.min(delay * 2, maxDelay);
    }
  } finally {
    off?.();
  }
}

// One TCP connect attempt: true when it is accepted, false when refused or unanswered within `ms`.
function tryConnect(host: string, port: number, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: ms, signal });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

/**
 * @internal Connects from this process, retrying with backoff until a TCP connect succeeds.
 * A guest in another network namespace (virtkit's test bed) is reachable only from a caller
 * running in that namespace.
 */
export async function waitForPort(core: Core, n: NativeDomain, name: string, port: number, opts: WaitForPortOptions = {}): Promise<{ host: string; port: number }> {
  argInt('port', port, { min: 1, max: 65535 });
  argOptions('opts', opts);
  const timeoutMs = argOptTimeout('opts.timeoutMs', opts.timeoutMs, 120_000);
  const signal = argOptSignal('opts.signal', opts.signal);
  let host = argOptString('opts.host', opts.host, { nonEmpty: true });
  if (host !== undefined && !tryParseIp(host) && !/^[A-Za-z0-9.-]+$/.test(host)) throw invalid(`opts.host must be an IP address or host name, got ${JSON.stringify(host)}`, { argument: 'opts.host' });
  const source = argOptEnum('opts.source', opts.source, [...SOURCES, 'any'] as const);
  const end = Date.now() + timeoutMs;
  if (host === undefined) host = (await waitForAddress(core, n, name, { timeoutMs, signal, source })).ip;
  let delay = 250;
  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    const left = end - Date.now();
    if (left <= 0) throw deadlineError(`port ${port} of domain ${name} (${host}) did not accept a connection`, timeoutMs, { domain: name, host, port });
    if (await tryConnect(host, port, Math.min(2000, left), signal)) return { host, port };
    if (signal?.aborted) throw abortError(signal);
    const after = end - Date.now();
    if (after <= 0) continue;
    await sleep(Math.min(delay, after), signal);
    delay = Math.min(delay * 2, 4000);
  }
}
