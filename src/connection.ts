// Connection: a libvirt connection and the entry point to domains, pools and volumes.
import { EventEmitter, on } from 'node:events';
import { inspect } from 'node:util';
import { native, type NativeConnect, type NativeDomain } from './native.js';
import { Core, closedError } from './core.js';
import { C } from './generated/libvirt-tables.js';
import { VirtkitError, callNative, invalid, isVirtError } from './errors.js';
import { Domain } from './domain.js';
import { type DomainStats, type DomainStatsOptions, connectionStats } from './domain/stats.js';
import { type SaveOptions, restore as restoreImage, saveImageXml } from './domain/save.js';
import { StoragePool, Volume } from './storage.js';
import { Network } from './network.js';
import { listSecrets, lookupSecret, findSecret, defineSecret, type Secret, type SecretFilter, type SecretRef, type DefineSecretOptions } from './secret.js';
import type { SecretSpec } from './xml/secret.js';
import { listNodeDevices, lookupNodeDevice, findNodeDevice, makeNodeDevice, type NodeDevice, type NodeDeviceFilter } from './node-device.js';
import { listHostInterfaces, lookupHostInterface, findHostInterface, defineHostInterface, changeHostInterfaces, type HostInterface, type HostInterfaceFilter } from './host-interface.js';
import {
  listNWFilters, lookupNWFilter, findNWFilter, defineNWFilter, listNWFilterBindings, lookupNWFilterBinding, createNWFilterBinding,
  type NWFilter, type NWFilterBinding,
} from './nwfilter.js';
import type { NWFilterSpec, NWFilterBindingSpec } from './xml/nwfilter.js';
import { virConnectListAllNetworksFlags } from './generated/libvirt-enums.js';
import { networkXml, type NetworkSpec } from './xml/network.js';
import { checkName, normalizeUuid } from './validate.js';
import { INT32, argInt, argOptBool, argOptions, argString, argTimeout } from './args.js';
import { decodeEvent, type ConnectionEvents, type VirtEvent } from './events.js';
import { domainWaiters } from './domain-events.js';
import { blockJobEvents } from './domain/block-job-events.js';
import { parseCapabilities, parseDomainCapabilities, type DomainCapabilities, type HostCapabilities } from './capabilities.js';
import { PoolXml, dirPoolXml } from './xml/pool.js';
import { probeKvm } from './kvm.js';
import { AuthSession, CRED_TYPES, openError, type AuthCallback } from './connect-auth.js';

/** Options of {@link Connection.open}. */
export interface OpenOptions {
  /** Open read-only (VIR_CONNECT_RO). */
  readOnly?: boolean;
  /**
   * Connections to the daemon that carry calls, round-robin (default 2; 0 sends calls over the
   * event connection). libvirtd serves at most 5 calls at once per connection
   * (max_client_requests), so more channels raise concurrency; each is one socket.
   */
  channels?: number;
  /**
   * Default deadline of every call on this connection, in ms (default 60 000; 0: none). A call
   * past it rejects with VirtkitError `TIMEOUT`. Long operations (volume copies, wipes) have no
   * default deadline and take a `signal` instead. Every call also takes its own `timeoutMs`.
   */
  callTimeoutMs?: number;
  /** Deadline of the open itself, in ms (default 30 000): a daemon that accepts but never answers. */
  timeoutMs?: number;
  /** Gives the open up: rejects with VirtkitError `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Answers the daemon's credential requests (virConnectOpenAuth): SASL user name and password,
   * a libssh key passphrase, ... One answer per credential, in order; may be async, and runs
   * within `timeoutMs`. Each distinct request is put to it once per open (the call channels ask
   * again; the answers are reused, then forgotten). Without it virtkit never prompts on the
   * terminal: a daemon that asks for credentials refuses with `AUTH_FAILED`.
   * @example
   * await Connection.open('qemu+tcp://h2/system', {
   *   auth: (creds) => creds.map((c) => (c.type === 'authname' ? 'admin' : c.type === 'passphrase' ? secret : c.defresult ?? '')),
   * });
   */
  auth?: AuthCallback;
}

/** Warns once about each connection collected without close(), naming where it was opened. */
const unclosed = new FinalizationRegistry<{ closed: boolean; uri: string; site: string }>((held) => {
  if (held.closed) return;
  process.emitWarning(`a Connection to ${held.uri} was garbage-collected without close() (opened ${held.site})`, {
    code: 'VIRTKIT_UNCLOSED_CONNECTION',
  });
});

/** libvirt's test driver keeps per-connection state for a file URI: calls must share one connection. */
function privateStateUri(uri: string): boolean {
  return /^test:\/\/\//.test(uri) && !/^test:\/\/\/default(\?|$)/.test(uri);
}

/** Filter of {@link Connection.domains}. Flags combine as libvirt's VIR_CONNECT_LIST_DOMAINS_* do; none set lists every domain. */
export interface DomainFilter {
  /** Running or paused domains only. */
  active?: boolean;
  /** Shut-off domains only. */
  inactive?: boolean;
  /** Defined (persistent) domains only. */
  persistent?: boolean;
  /** Transient domains only. */
  transient?: boolean;
}

function defaultUri(): string {
  return process.env.LIBVIRT_DEFAULT_URI || 'qemu:///session';
}

/** libvirt's version numbers (major * 1e6 + minor * 1e3 + release) as 'major.minor.release'. */
export function versionString(n: number): string {
  return `${Math.floor(n / 1e6)}.${Math.floor((n % 1e6) / 1e3)}.${n % 1e3}`;
}

/** Host CPU and memory, as {@link Connection.nodeInfo} gives them. */
export interface NodeInfo {
  /** CPU model. */
  model: string;
  /** Memory, in KiB. */
  memoryKiB: number;
  /** Logical CPUs. */
  cpus: number;
  mhz: number;
  /** NUMA nodes. */
  nodes: number;
  /** Sockets per node. */
  sockets: number;
  /** Cores per socket. */
  cores: number;
  /** Threads per core. */
  threads: number;
}

/**
 * A connection to a libvirt daemon. Emits 'event' with every VirtEvent, and typed events by
 * kind: 'domain-lifecycle', 'domain-reboot', 'domain-io-error', 'domain-block-job', 'domain-agent-lifecycle',
 * 'pool-lifecycle', 'pool-refresh', 'network-lifecycle', 'node-device-lifecycle', 'node-device-update',
 * 'secret-lifecycle', 'secret-value-changed', and 'close' when the daemon goes away. `on`/`once`/`off` are typed by
 * {@link ConnectionEvents}: `conn.on('domain-lifecycle', (e) => e.detail)`.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  readonly #n: NativeConnect;
  readonly #core: Core;
  #closing?: Promise<void>;

  readonly #iterators = new Set<AbortController>();

  private constructor(n: NativeConnect, uri: string, callTimeoutMs: number) {
    super();
    // Once node:domain is loaded (the REPL does), EventEmitter gives every emitter an own
    // `domain` property, which would hide Connection.prototype.domain().
    if (Object.prototype.hasOwnProperty.call(this, 'domain')) delete (this as { domain?: unknown }).domain;
    this.#n = n;
    this.#core = new Core(n, uri, callTimeoutMs);
  }

  /**
   * Opens `uri` (default: LIBVIRT_DEFAULT_URI, else qemu:///session).
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad URI or option (or an `auth` answer of the
   * wrong shape), `AUTH_FAILED` when the daemon refuses the credentials, wants some and no `auth`
   * was given, or `auth` throws (its error as `cause`), `CONNECTION_REFUSED` when nothing listens
   * there, `HOST_UNREACHABLE` when the host cannot be reached, `TIMEOUT` when the daemon (or
   * `auth`) does not answer within `timeoutMs`, `ABORTED`; VirtError when libvirt refuses otherwise.
   */
  static async open(uri?: string, opts: OpenOptions = {}): Promise<Connection> {
    if (opts === null || typeof opts !== 'object') throw invalid('opts must be an object', { argument: 'opts' });
    const target = uri ?? defaultUri();
    argString('uri', target, { nonEmpty: true });
    const channels = privateStateUri(target) ? 0 : (opts.channels ?? 2);
    if (!Number.isInteger(channels) || channels < 0 || channels > 64) throw invalid('channels must be an integer from 0 to 64', { argument: 'channels' });
    const callTimeoutMs = argTimeout('callTimeoutMs', opts.callTimeoutMs ?? 60_000);
    const openTimeoutMs = argTimeout('timeoutMs', opts.timeoutMs ?? 30_000);
    if (opts.readOnly !== undefined && typeof opts.readOnly !== 'boolean') throw invalid('readOnly must be a boolean', { argument: 'readOnly' });
    if (opts.auth !== undefined && typeof opts.auth !== 'function') throw invalid('auth must be a function', { argument: 'auth' });
    const site = (new Error().stack?.split('\n')[2] ?? '').trim() || 'at an unknown place';
    const n = new (native().Connect)();
    // The open runs under a deadline of its own; an open given up on is closed when it lands.
    const opener = new Core(n, target, 0);
    const session = opts.auth ? new AuthSession(opts.auth, target, (id, a) => n.authReply(id, a)) : undefined;
    // The native wait for an answer is bounded too, a little past the open's deadline (which ends it first).
    const authWaitMs = openTimeoutMs > 0 ? openTimeoutMs + 1_000 : 0;
    const opening = callNative(() =>
      session ? n.open(target, opts.readOnly ? C.VIR_CONNECT_RO : 0, channels, session.handler, CRED_TYPES, authWaitMs) : n.open(target, opts.readOnly ? C.VIR_CONNECT_RO : 0, channels),
    );
    let events = 0;
    try {
      events = await opener.call(() => opening, { timeoutMs: openTimeoutMs, signal: opts.signal });
    } catch (e) {
      opening.then(() => n.close(), () => undefined).catch(() => undefined);
      if (e instanceof VirtkitError && (e.code === 'TIMEOUT' || e.code === 'ABORTED')) throw e;
      throw openError(e, target, session);
    } finally {
      session?.end(); // unanswered requests fail now (their call threads return); the answers are forgotten
    }
    const resolved = await callNative(() => n.getURI()).catch(async (e: unknown) => {
      await callNative(() => n.close()).catch(() => undefined);
      throw e;
    });
    const conn = new Connection(n, resolved, callTimeoutMs);
    conn.#core.domains.enabled = events > 0; // lifecycle events keep the lookup cache true
    n.setEventHandler((e) => conn.#dispatch(decodeEvent(e)));
    unclosed.register(conn, Object.assign(conn.#core.state, { uri: resolved, site }), conn.#core.state);
    return conn;
  }

  #dispatch(e: VirtEvent): void {
    if (e.type === 'close') this.#lost(e.reason);
    else if (e.type === 'domain-lifecycle') {
      this.#core.domains.drop(e.domain, e.uuid);
      domainWaiters(this.#core).changed(e.uuid);
    } else if (e.type === 'domain-agent-lifecycle') domainWaiters(this.#core).agent(e.uuid);
    else if (e.type === 'domain-block-job') blockJobEvents(this.#core).emit(e.uuid, e);
    // Each event under its own name: the map pairs the name with this very type.
    (this.emit as (name: VirtEvent['type'], e: VirtEvent) => boolean)(e.type, e);
    this.emit('event', e);
  }

  // The daemon went away (EOF, error, keepalive): every call in flight rejects now, and the
  // native side has shut the call channels' sockets, so their threads come back too.
  #lost(reason: string): void {
    this.#core.closed = true;
    this.#core.domains.enabled = false;
    this.#core.domains.clear();
    this.#core.failAll(closedError(reason));
    this.#n.abort();
    domainWaiters(this.#core).lost();
    blockJobEvents(this.#core).lost();
  }

  /** The URI libvirt resolved (e.g. 'qemu:///system'). */
  get uri(): string {
    return this.#core.uri;
  }
  /** True once {@link Connection.close} was called or the daemon closed the connection. */
  get closed(): boolean {
    return this.#core.closed;
  }
  /** @internal */
  get core(): Core {
    return this.#core;
  }

  /**
   * Closes the connection after the calls under way have settled (each within its deadline).
   * Idempotent; later calls on this connection and its objects reject with VirtkitError CLOSED.
   * Returns at once when the daemon is already gone; a daemon that stops answering while the
   * connection closes is given up on after the connection's `callTimeoutMs` (default 60 s).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const wasLost = this.#core.closed;
      this.#core.closed = true;
      this.#core.state.closed = true;
      unclosed.unregister(this.#core.state);
      for (const ac of this.#iterators) ac.abort();
      if (!wasLost) await Promise.allSettled([...this.#core.inflight]);
      this.#core.failAll(closedError());
      domainWaiters(this.#core).lost();
      const closing = callNative(() => this.#n.close()).catch(() => undefined);
      const limit = wasLost ? 1000 : this.#core.callTimeoutMs || 60_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), limit);
      });
      if ((await Promise.race([closing, late])) === 'late') this.#n.abort(); // unblocks the close RPC
      clearTimeout(timer);
    })();
    return this.#closing;
  }
  /** Same as {@link Connection.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Whether the connection is open and its transport alive (keepalive sees a dead daemon). */
  isAlive(): boolean {
    return !this.#core.closed && this.#n.isAlive();
  }

  /** Every event as an async iterator; ends when `signal` aborts or the connection closes. */
  async *events(opts: { signal?: AbortSignal } = {}): AsyncGenerator<VirtEvent> {
    const ac = new AbortController();
    if (this.#core.closed) return;
    this.#iterators.add(ac);
    const stop = () => ac.abort();
    opts.signal?.addEventListener('abort', stop, { once: true });
    const onClose = () => setImmediate(stop);
    this.once('close', onClose);
    try {
      for await (const [e] of on(this, 'event', { signal: ac.signal })) {
        yield e as VirtEvent;
        if ((e as VirtEvent).type === 'close') return;
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      this.off('close', onClose);
      this.#iterators.delete(ac);
    }
  }

  // ---- host ----

  /**
   * The hostname of the host libvirt runs on.
   * @throws VirtkitError `CLOSED` when the connection is closed.
   */
  hostname(): Promise<string> {
    return this.#core.call(() => this.#n.getHostname());
  }
  /** Driver type, e.g. 'QEMU' or 'TEST'. */
  type(): Promise<string> {
    return this.#core.call(() => this.#n.getType());
  }
  /** libvirt library and hypervisor versions as 'major.minor.release'. */
  async version(): Promise<{ libvirt: string; hypervisor: string }> {
    const [lib, hv] = await Promise.all([this.#core.call(() => this.#n.getLibVersion()), this.#core.call(() => this.#n.getVersion())]);
    return { libvirt: versionString(lib), hypervisor: versionString(hv) };
  }
  /**
   * Host CPU and memory: CPU `model`, `memoryKiB` (KiB), `cpus` (logical CPUs), `mhz`, NUMA `nodes`, and `sockets`/`cores`/`threads` (per node/socket/core).
   * @throws VirtkitError `CLOSED` when the connection is closed.
   */
  nodeInfo(): Promise<NodeInfo> {
    return this.#core.call(() => this.#n.nodeGetInfo());
  }
  /** The host capabilities XML (`virsh capabilities`). */
  capabilitiesXml(): Promise<string> {
    return this.#core.call(() => this.#n.getCapabilities());
  }
  /** The host capabilities, parsed: architecture, CPU model and the guest types offered. */
  async capabilities(): Promise<HostCapabilities> {
    return parseCapabilities(await this.capabilitiesXml());
  }
  /** The domain capabilities XML (`virsh domcapabilities`) for an emulator, arch, machine and virt type; each defaults to libvirt's choice. */
  domainCapabilitiesXml(opts: { emulator?: string; arch?: string; machine?: string; virtType?: string } = {}): Promise<string> {
    return this.#core.call(() =>
      this.#n.getDomainCapabilities(opts.emulator ?? null, opts.arch ?? null, opts.machine ?? null, opts.virtType ?? null, 0),
    );
  }
  /** The domain capabilities, parsed (firmware, disk buses, TPM models, max vCPUs...). Options as {@link Connection.domainCapabilitiesXml}. */
  async domainCapabilities(opts: { emulator?: string; arch?: string; machine?: string; virtType?: string } = {}): Promise<DomainCapabilities> {
    return parseDomainCapabilities(await this.domainCapabilitiesXml(opts));
  }
  /**
   * Whether KVM really works here: libvirt offering 'kvm' is not enough on hosts with broken
   * nested virtualisation, so this boots the host's kernel in a diskless KVM domain (no root,
   * `panic=-1`, `on_reboot=destroy`) and checks that it stops cleanly rather than hanging or
   * crashing (src/kvm.ts). False without a local kernel or for a remote daemon; cached per
   * connection URI for the process.
   */
  kvmWorks(): Promise<boolean> {
    return probeKvm(this);
  }

  // ---- domains ----

  /**
   * A domain by name or UUID. Rejects with VirtError VIR_ERR_NO_DOMAIN when there is none.
   *
   * A domain seen before is answered from the connection's handle cache, with no RPC: the cache is
   * kept in step by lifecycle events (any event for a domain drops it) and by this connection's
   * own define/undefine/rename/destroy, and is off while events are not flowing. A change made by
   * another client reaches the cache when its event arrives (milliseconds); `{ fresh: true }`
   * always asks the daemon.
   */
  async domain(nameOrUuid: string, opts: { fresh?: boolean } = {}): Promise<Domain> {
    argString('nameOrUuid', nameOrUuid, { nonEmpty: true });
    argOptions('opts', opts);
    argOptBool('opts.fresh', opts.fresh);
    const cache = this.#core.domains;
    const uuid = normalizeUuid(nameOrUuid);
    if (!opts.fresh) {
      this.#core.assertOpen();
      const hit = (uuid && cache.get(`u:${uuid}`)) || cache.get(`n:${nameOrUuid}`);
      if (hit) return new Domain(this.#core, hit);
    }
    if (uuid) {
      try {
        const n = await this.#core.call(() => this.#n.domainLookupByUUIDString(uuid));
        cache.put(n);
        return new Domain(this.#core, n);
      } catch (e) {
        if (!isVirtError(e, 'VIR_ERR_NO_DOMAIN')) throw e;
      }
    }
    const n = await this.#core.call(() => this.#n.domainLookupByName(nameOrUuid));
    cache.put(n);
    return new Domain(this.#core, n);
  }
  // A domain this connection just defined or created: whatever the cache knew by its name is stale.
  #made(n: NativeDomain): Domain {
    this.#core.domains.drop(n.getName(), n.getUUIDString());
    return new Domain(this.#core, n);
  }
  /** The domain, or undefined when there is none. */
  async findDomain(nameOrUuid: string): Promise<Domain | undefined> {
    argString('nameOrUuid', nameOrUuid, { nonEmpty: true });
    try {
      return await this.domain(nameOrUuid);
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_DOMAIN')) return undefined;
      throw e;
    }
  }
  /**
   * A running domain by its numeric ID.
   * @throws VirtkitError `INVALID_ARGUMENT` when `id` is not a non-negative integer; VirtError `VIR_ERR_NO_DOMAIN` when no running domain has it.
   */
  async domainById(id: number): Promise<Domain> {
    argInt('id', id, { min: 0, max: INT32.max });
    return new Domain(this.#core, await this.#core.call(() => this.#n.domainLookupByID(id)));
  }
  /**
   * Domains matching `filter` (default: all, running and defined).
   * @throws VirtkitError `CLOSED` when the connection is closed.
   */
  async domains(filter: DomainFilter = {}): Promise<Domain[]> {
    const flags =
      (filter.active ? C.VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0) |
      (filter.inactive ? C.VIR_CONNECT_LIST_DOMAINS_INACTIVE : 0) |
      (filter.persistent ? C.VIR_CONNECT_LIST_DOMAINS_PERSISTENT : 0) |
      (filter.transient ? C.VIR_CONNECT_LIST_DOMAINS_TRANSIENT : 0);
    const list = await this.#core.call(() => this.#n.listAllDomains(flags));
    return list.map((d) => new Domain(this.#core, d));
  }
  /** Defines a persistent domain from XML (validated against libvirt's schema). */
  async defineDomain(xml: string, opts: { validate?: boolean } = {}): Promise<Domain> {
    argString('xml', xml, { nonBlank: true });
    argOptions('opts', opts);
    argOptBool('opts.validate', opts.validate);
    const flags = opts.validate === false ? 0 : C.VIR_DOMAIN_DEFINE_VALIDATE;
    return this.#made(await this.#core.call(() => this.#n.domainDefineXML(xml, flags)));
  }
  /** Creates and starts a transient domain from XML. */
  async createDomain(xml: string, opts: { paused?: boolean; autodestroy?: boolean } = {}): Promise<Domain> {
    argString('xml', xml, { nonBlank: true });
    argOptions('opts', opts);
    argOptBool('opts.paused', opts.paused);
    argOptBool('opts.autodestroy', opts.autodestroy);
    const flags = (opts.paused ? C.VIR_DOMAIN_START_PAUSED : 0) | (opts.autodestroy ? C.VIR_DOMAIN_START_AUTODESTROY : 0);
    return this.#made(await this.#core.call(() => this.#n.domainCreateXML(xml, flags)));
  }

  /**
   * Statistics of many domains in one call (virConnectGetAllDomainStats, or virDomainListGetStats
   * for the `domains` given): typed records with per-device arrays, see {@link Domain.stats}.
   * Without `domains`, the filter options (`active`, `running`, ...) pick which.
   */
  async domainStats(domains?: Domain[] | DomainStatsOptions, opts?: DomainStatsOptions): Promise<DomainStats<Domain>[]> {
    const list = Array.isArray(domains) ? domains : undefined;
    const o = Array.isArray(domains) ? opts : (domains ?? opts);
    return connectionStats(this.#core, (n) => new Domain(this.#core, n), list?.map((d, i) => {
      if (!(d instanceof Domain)) throw invalid(`domains[${i}] must be a Domain`, { argument: `domains[${i}]` });
      if (d.core !== this.#core) throw invalid(`domains[${i}] belongs to another connection`, { argument: `domains[${i}]` });
      return d.nativeHandle;
    }), o);
  }

  /** Statistics of every domain the filter options pick (virConnectGetAllDomainStats): {@link Connection.domainStats} without a domain list. */
  allDomainStats(opts?: DomainStatsOptions): Promise<DomainStats<Domain>[]> {
    return this.domainStats(opts ?? {});
  }

  /**
   * Restores a domain saved with {@link Domain.save} from `path` (on the daemon's host); resolves
   * with it. `paused`/`running` override the saved state; `xml` replaces the definition (same ABI).
   */
  async restore(path: string, opts?: SaveOptions): Promise<Domain> {
    const uuid = await restoreImage(this.#core, path, opts);
    return this.domain(uuid, { fresh: true });
  }
  /** The domain XML stored in a saved image. */
  saveImageXml(path: string, opts?: { secure?: boolean }): Promise<string> {
    return saveImageXml(this.#core, path, opts);
  }

  // ---- storage ----

  /**
   * A storage pool by name or UUID.
   * @throws VirtkitError `INVALID_ARGUMENT` for an empty name; VirtError `VIR_ERR_NO_STORAGE_POOL` when there is none.
   */
  async pool(nameOrUuid: string): Promise<StoragePool> {
    argString('nameOrUuid', nameOrUuid, { nonEmpty: true });
    const uuid = normalizeUuid(nameOrUuid);
    if (uuid) {
      try {
        return new StoragePool(this.#core, await this.#core.call(() => this.#n.storagePoolLookupByUUIDString(uuid)));
      } catch (e) {
        if (!isVirtError(e, 'VIR_ERR_NO_STORAGE_POOL')) throw e;
      }
    }
    return new StoragePool(this.#core, await this.#core.call(() => this.#n.storagePoolLookupByName(nameOrUuid)));
  }
  /** The storage pool by name or UUID, or undefined when there is none. */
  async findPool(name: string): Promise<StoragePool | undefined> {
    argString('name', name, { nonEmpty: true });
    try {
      return await this.pool(name);
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_STORAGE_POOL')) return undefined;
      throw e;
    }
  }
  /** Storage pools; `active`/`inactive` narrow the list (default: all). */
  async pools(filter: { active?: boolean; inactive?: boolean } = {}): Promise<StoragePool[]> {
    const flags = (filter.active ? C.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE : 0) | (filter.inactive ? C.VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE : 0);
    const list = await this.#core.call(() => this.#n.listAllStoragePools(flags));
    return list.map((p) => new StoragePool(this.#core, p));
  }
  /**
   * Defines a persistent storage pool from XML (not built or started).
   * @throws VirtkitError `INVALID_ARGUMENT` for empty XML; VirtError when libvirt rejects it (e.g. `VIR_ERR_XML_ERROR`, or `VIR_ERR_OPERATION_FAILED` for a duplicate name).
   */
  async definePool(xml: string): Promise<StoragePool> {
    argString('xml', xml, { nonBlank: true });
    return new StoragePool(this.#core, await this.#core.call(() => this.#n.storagePoolDefineXML(xml, 0)));
  }
  /** Creates and starts a transient pool from XML. */
  async createPool(xml: string): Promise<StoragePool> {
    argString('xml', xml, { nonBlank: true });
    return new StoragePool(this.#core, await this.#core.call(() => this.#n.storagePoolCreateXML(xml, 0)));
  }
  /**
   * A directory pool in one call: defines it, builds the directory, starts it and (by default)
   * marks it autostart. An existing pool of that name with the same path is returned (started);
   * with another path it is refused (ALREADY_EXISTS). On failure, what this call made is removed.
   */
  async createDirPool(name: string, path: string, opts: { autostart?: boolean } = {}): Promise<StoragePool> {
    checkName('pool', name, 'name');
    argString('path', path, { nonEmpty: true });
    argOptions('opts', opts);
    argOptBool('opts.autostart', opts.autostart);
    const xml = dirPoolXml(name, path);
    const existing = await this.findPool(name);
    if (existing) {
      const current = await existing.xml();
      if (new PoolXml(current).targetPath !== path)
        throw new VirtkitError('ALREADY_EXISTS', `pool '${name}' exists with another target path`, { details: { name, path } });
      if (!(await existing.isActive())) await existing.start();
      return existing;
    }
    const pool = await this.definePool(xml);
    try {
      await pool.build();
      await pool.start();
      if (opts.autostart ?? true) await pool.setAutostart(true);
    } catch (e) {
      await pool.stop().catch(() => undefined);
      await pool.undefine().catch(() => undefined);
      throw e;
    }
    return pool;
  }
  /** The volume at `path` in any pool. */
  async volumeByPath(path: string): Promise<Volume> {
    argString('path', path, { nonEmpty: true });
    return new Volume(this.#core, await this.#core.call(() => this.#n.storageVolLookupByPath(path)));
  }
  /**
   * The volume with this key (for local file volumes, its path) in any pool.
   * @throws VirtkitError `INVALID_ARGUMENT` for an empty key; VirtError `VIR_ERR_NO_STORAGE_VOL` when there is none.
   */
  async volumeByKey(key: string): Promise<Volume> {
    argString('key', key, { nonEmpty: true });
    return new Volume(this.#core, await this.#core.call(() => this.#n.storageVolLookupByKey(key)));
  }

  // ---- networks ----

  /**
   * A virtual network by name or UUID.
   * @throws VirtkitError `INVALID_ARGUMENT` for an empty name; VirtError `VIR_ERR_NO_NETWORK` when there is none.
   */
  async network(nameOrUuid: string): Promise<Network> {
    argString('nameOrUuid', nameOrUuid, { nonEmpty: true });
    const uuid = normalizeUuid(nameOrUuid);
    if (uuid) {
      try {
        return new Network(this.#core, await this.#core.call(() => this.#n.networkLookupByUUIDString(uuid)));
      } catch (e) {
        if (!isVirtError(e, 'VIR_ERR_NO_NETWORK')) throw e;
      }
    }
    return new Network(this.#core, await this.#core.call(() => this.#n.networkLookupByName(nameOrUuid)));
  }
  /** The network by name or UUID, or undefined when there is none. */
  async findNetwork(name: string): Promise<Network | undefined> {
    argString('name', name, { nonEmpty: true });
    try {
      return await this.network(name);
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_NETWORK')) return undefined;
      throw e;
    }
  }
  /** Virtual networks; `active`/`inactive` narrow the list (default: all). */
  async networks(filter: { active?: boolean; inactive?: boolean } = {}): Promise<Network[]> {
    argOptions('filter', filter);
    argOptBool('filter.active', filter.active);
    argOptBool('filter.inactive', filter.inactive);
    const L = virConnectListAllNetworksFlags;
    const flags = (filter.inactive ? L.VIR_CONNECT_LIST_NETWORKS_INACTIVE : 0) | (filter.active ? L.VIR_CONNECT_LIST_NETWORKS_ACTIVE : 0);
    const list = await this.#core.call(() => this.#n.listAllNetworks(flags));
    return list.map((n) => new Network(this.#core, n));
  }
  /**
   * Defines a persistent network (not started) from a typed spec or XML.
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad spec (nothing defined); VirtError when libvirt refuses it (e.g. a duplicate name).
   */
  async defineNetwork(spec: NetworkSpec | string): Promise<Network> {
    const xml = typeof spec === 'string' ? argString('spec', spec, { nonBlank: true }) : networkXml(spec);
    return new Network(this.#core, await this.#core.call(() => this.#n.networkDefineXML(xml)));
  }
  /** Creates and starts a transient network from a typed spec or XML. */
  async createNetwork(spec: NetworkSpec | string): Promise<Network> {
    const xml = typeof spec === 'string' ? argString('spec', spec, { nonBlank: true }) : networkXml(spec);
    return new Network(this.#core, await this.#core.call(() => this.#n.networkCreateXML(xml)));
  }

  // ---- host objects: secrets, node devices, host interfaces, network filters (bodies in their own files) ----

  /**
   * Secrets; `ephemeral`/`private` narrow the list.
   * @throws VirtError `VIR_ERR_NO_SUPPORT` when the driver keeps no secrets (the test driver).
   */
  secrets(filter: SecretFilter = {}): Promise<Secret[]> {
    return listSecrets(this.#core, filter);
  }
  /**
   * A secret by UUID, or by the `{ type, usage }` it was defined with (e.g. `{ type: 'volume', usage: '/var/lib/x.qcow2' }`).
   * @throws VirtkitError `INVALID_ARGUMENT` for a string that is not a UUID or a bad usage; VirtError `VIR_ERR_NO_SECRET` when there is none.
   */
  secret(ref: SecretRef): Promise<Secret> {
    return lookupSecret(this.#core, ref);
  }
  /** The secret, or undefined when there is none. */
  findSecret(ref: SecretRef): Promise<Secret | undefined> {
    return findSecret(this.#core, ref);
  }
  /**
   * Defines a secret from a typed spec or XML, and sets its value when `opts.value` is given (a
   * secret this call defined is removed again when the value cannot be set). The value is never
   * part of an error message.
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad spec (nothing defined); VirtError when libvirt refuses (e.g. another secret has this usage).
   */
  defineSecret(spec: SecretSpec | string, opts: DefineSecretOptions = {}): Promise<Secret> {
    return defineSecret(this.#core, spec, opts);
  }

  /**
   * Host devices; `cap` narrows to a capability ('pci', 'net', 'usb_device', 'storage', 'mdev', ...).
   * @throws VirtkitError `INVALID_ARGUMENT` for an unknown capability.
   */
  nodeDevices(filter: NodeDeviceFilter = {}): Promise<NodeDevice[]> {
    return listNodeDevices(this.#core, filter);
  }
  /**
   * A host device by name (e.g. 'pci_0000_00_1f_2').
   * @throws VirtError `VIR_ERR_NO_NODE_DEVICE` when there is none.
   */
  nodeDevice(name: string): Promise<NodeDevice> {
    return lookupNodeDevice(this.#core, name);
  }
  /** The host device, or undefined when there is none. */
  findNodeDevice(name: string): Promise<NodeDevice | undefined> {
    return findNodeDevice(this.#core, name);
  }
  /** Creates a device from XML (a vHBA on an fc_host, a transient mediated device) and starts it. */
  createNodeDevice(xml: string): Promise<NodeDevice> {
    return makeNodeDevice(this.#core, 'create', xml);
  }
  /** Defines a persistent device from XML (a mediated device), not started: `dev.start()`. */
  defineNodeDevice(xml: string): Promise<NodeDevice> {
    return makeNodeDevice(this.#core, 'define', xml);
  }

  /** The host's own network interfaces (NICs, bridges, bonds, VLANs); `active`/`inactive` narrow the list. */
  hostInterfaces(filter: HostInterfaceFilter = {}): Promise<HostInterface[]> {
    return listHostInterfaces(this.#core, filter);
  }
  /**
   * A host interface by name, or by MAC ('aa:bb:cc:dd:ee:ff').
   * @throws VirtError `VIR_ERR_NO_INTERFACE` when there is none, `VIR_ERR_MULTIPLE_INTERFACES` when several have the MAC.
   */
  hostInterface(nameOrMac: string): Promise<HostInterface> {
    return lookupHostInterface(this.#core, nameOrMac);
  }
  /** The host interface, or undefined when there is none. */
  findHostInterface(nameOrMac: string): Promise<HostInterface | undefined> {
    return findHostInterface(this.#core, nameOrMac);
  }
  /** Defines (or redefines) a host interface from `<interface>` XML; not started. */
  defineHostInterface(xml: string): Promise<HostInterface> {
    return defineHostInterface(this.#core, xml);
  }
  /**
   * Changes the host's interfaces as one transaction: `fn` runs between virInterfaceChangeBegin
   * and virInterfaceChangeCommit; when it throws, every change it made is rolled back
   * (virInterfaceChangeRollback) and its error rethrown. One transaction at a time per host.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when another transaction is open.
   */
  changeHostInterfaces<T>(fn: () => Promise<T> | T): Promise<T> {
    return changeHostInterfaces(this.#core, fn);
  }

  /** Network filters. @throws VirtError `VIR_ERR_NO_SUPPORT` when the daemon has no nwfilter driver. */
  nwfilters(): Promise<NWFilter[]> {
    return listNWFilters(this.#core);
  }
  /**
   * A network filter by name or UUID.
   * @throws VirtError `VIR_ERR_NO_NWFILTER` when there is none.
   */
  nwfilter(nameOrUuid: string): Promise<NWFilter> {
    return lookupNWFilter(this.#core, nameOrUuid);
  }
  /** The network filter, or undefined when there is none. */
  findNWFilter(nameOrUuid: string): Promise<NWFilter | undefined> {
    return findNWFilter(this.#core, nameOrUuid);
  }
  /**
   * Defines (or redefines) a network filter from a typed spec or XML.
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad spec (nothing defined); VirtError when libvirt refuses.
   */
  defineNWFilter(spec: NWFilterSpec | string): Promise<NWFilter> {
    return defineNWFilter(this.#core, spec);
  }
  /** The filters bound to guest ports now. */
  nwfilterBindings(): Promise<NWFilterBinding[]> {
    return listNWFilterBindings(this.#core);
  }
  /**
   * The binding of the port `portDev` (e.g. 'vnet0').
   * @throws VirtError `VIR_ERR_NO_NWFILTER_BINDING` when the port has none.
   */
  nwfilterBinding(portDev: string): Promise<NWFilterBinding> {
    return lookupNWFilterBinding(this.#core, portDev);
  }
  /**
   * Applies a filter to a port from a typed spec or XML.
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad spec (nothing made); VirtError when libvirt refuses.
   */
  createNWFilterBinding(spec: NWFilterBindingSpec | string): Promise<NWFilterBinding> {
    return createNWFilterBinding(this.#core, spec);
  }

  /** Short form for console.log and the REPL: URI and open/closed. */
  [inspect.custom](): string {
    return `Connection { uri: ${inspect(this.uri)}, ${this.closed ? 'closed' : 'open'} }`;
  }
}
