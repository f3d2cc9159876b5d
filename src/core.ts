// What every handle of one connection shares: the native connection, the calls in flight and
// their deadlines, so that close() can wait for calls under way, a use after close fails
// clearly, and no call outlives its deadline or the daemon's death.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NativeConnect, NativeDomain } from './native.js';
import { VirtkitError, fromNative } from './errors.js';
import { abortError } from './util/abort.js';

export { abortError, sleep } from './util/abort.js';

/** Per-call options accepted by long or blocking operations. */
export interface CallOptions {
  /** Gives the call up when it fires: the promise rejects with VirtkitError `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Deadline in ms (default: the connection's `callTimeoutMs`; 0: none). Past it the promise
   * rejects with VirtkitError `TIMEOUT`.
   */
  timeoutMs?: number;
}

const scope = new AsyncLocalStorage<CallOptions>();

/**
 * Runs `fn` with these call options applied to every libvirt call made inside it (and in what
 * it awaits), on any connection: a signal that gives them up, a deadline for each. The options
 * of an inner scope replace the outer ones field by field.
 *
 * @example
 * const ac = new AbortController();
 * const xml = await withCallOptions({ signal: ac.signal, timeoutMs: 5_000 }, () => dom.xml());
 */
export function withCallOptions<T>(opts: CallOptions, fn: () => T): T {
  if (opts === null || typeof opts !== 'object') throw new VirtkitError('INVALID_ARGUMENT', 'opts must be an object', { details: { argument: 'opts' } });
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw new VirtkitError('INVALID_ARGUMENT', 'signal must be an AbortSignal', { details: { argument: 'signal' } });
  if (opts.timeoutMs !== undefined && (typeof opts.timeoutMs !== 'number' || !Number.isFinite(opts.timeoutMs) || opts.timeoutMs < 0))
    throw new VirtkitError('INVALID_ARGUMENT', 'timeoutMs must be a finite number >= 0', { details: { argument: 'timeoutMs' } });
  return scope.run({ ...scope.getStore(), ...opts }, fn);
}

interface Pending {
  deadline: number; // performance.now() ms; Infinity for none
  fail(e: Error): void;
  promise?: Promise<unknown>;
}

// One sweep for every deadline of a connection: a timer per call would cost more than the call.
const SWEEP_MS = 100;

export class Core {
  closed = false;
  readonly #pending = new Set<Pending>();
  #sweeper?: ReturnType<typeof setInterval>;
  /**
   * Domain handles by name and by UUID, so that a lookup of a domain already seen needs no RPC.
   * Kept in step with the daemon by lifecycle events (any event for a domain drops its entries)
   * and by this connection's own define/undefine/rename; off while events are not flowing.
   */
  readonly domains = new DomainCache();
  /** Shared with the connection's FinalizationRegistry entry (it must not reference this). */
  readonly state = { closed: false };

  constructor(
    readonly native: NativeConnect,
    readonly uri: string,
    /** Default deadline of every call, ms (0: none). */
    readonly callTimeoutMs = 0,
  ) {}

  /**
   * Runs a native call on behalf of this connection. It settles with the call's result, or
   * rejects first with TIMEOUT (deadline), ABORTED (signal) or CLOSED (the daemon went away).
   * A call given up on keeps running on its native thread; its result is dropped.
   */
  call<T>(fn: () => Promise<T>, opts: CallOptions & { long?: boolean } = {}): Promise<T> {
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, this.call);
    if (this.closed) return Promise.reject(withStack(closedError(), site));
    const outer = scope.getStore();
    // Long operations (copies, wipes, builds, starts) have no default deadline, only the scope's.
    const timeoutMs = opts.timeoutMs ?? outer?.timeoutMs ?? (opts.long ? 0 : this.callTimeoutMs);
    const signal = opts.signal ?? outer?.signal;
    if (signal?.aborted) return Promise.reject(withStack(abortError(signal), site));
    let started: Promise<T>;
    try {
      started = fn();
    } catch (e) {
      return Promise.reject(withStack(fromNative(e), site));
    }
    let added: Pending | undefined;
    const p = new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        this.#pending.delete(entry);
        signal?.removeEventListener('abort', onAbort);
      };
      const entry: Pending = {
        deadline: timeoutMs > 0 ? performance.now() + timeoutMs : Infinity,
        fail: (e) => {
          if (done) return;
          finish();
          reject(withStack(e, site));
        },
      };
      const onAbort = () => entry.fail(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(entry);
      added = entry;
      if (entry.deadline !== Infinity) this.#sweep();
      started.then(
        (v) => {
          if (done) return;
          finish();
          resolve(v);
        },
        (e) => {
          if (done) return;
          finish();
          reject(withStack(fromNative(e), site));
        },
      );
    });
    if (added) added.promise = p;
    return p;
  }

  /** The promises of the calls not yet settled (close() and free() wait for them). */
  get inflight(): Promise<unknown>[] {
    const out: Promise<unknown>[] = [];
    for (const e of this.#pending) if (e.promise) out.push(e.promise.catch(() => undefined));
    return out;
  }

  // Starts the deadline sweeper (unref'd: a pending native call holds Node open by itself).
  #sweep(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      let timed = 0;
      for (const e of this.#pending) {
        if (e.deadline <= now) e.fail(new VirtkitError('TIMEOUT', 'the call did not finish before its deadline'));
        else if (e.deadline !== Infinity) timed++;
      }
      if (timed === 0) this.#stopSweep();
    }, SWEEP_MS);
    this.#sweeper.unref();
  }
  #stopSweep(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Rejects every call in flight with `e` (the daemon is gone, or the connection closes). */
  failAll(e: VirtkitError): void {
    for (const p of [...this.#pending]) p.fail(e);
    this.#stopSweep();
  }
  /** Calls not yet settled. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** True for URIs served on this machine (no host part), where local paths can be checked. */
  get isLocal(): boolean {
    try {
      const u = new URL(this.uri);
      return u.host === '' || u.hostname === 'localhost';
    } catch {
      return true;
    }
  }
}

const CACHE_MAX = 1024;

export class DomainCache {
  readonly #byKey = new Map<string, NativeDomain>();
  /** False until events flow on the control connection, and after it is lost. */
  enabled = false;

  /** A handle of its own for `key` ('n:' + name or 'u:' + uuid), or undefined. */
  get(key: string): NativeDomain | undefined {
    if (!this.enabled) return undefined;
    const n = this.#byKey.get(key);
    if (!n) return undefined;
    try {
      return n.dup();
    } catch {
      this.#byKey.delete(key);
      return undefined;
    }
  }
  /** Remembers a handle of its own for the domain `n` (call with the lookup's result). */
  put(n: NativeDomain): void {
    if (!this.enabled) return;
    let name: string, uuid: string;
    try {
      name = n.getName();
      uuid = n.getUUIDString();
    } catch {
      return;
    }
    this.drop(name, uuid);
    while (this.#byKey.size >= CACHE_MAX) {
      const [k, old] = this.#byKey.entries().next().value as [string, NativeDomain];
      this.#byKey.delete(k);
      old.free();
    }
    this.#byKey.set(`n:${name}`, n.dup());
    this.#byKey.set(`u:${uuid}`, n.dup());
  }
  /** Forgets a domain (by name and/or UUID). */
  drop(name?: string, uuid?: string): void {
    for (const k of [name !== undefined ? `n:${name}` : '', uuid !== undefined ? `u:${uuid.toLowerCase()}` : '']) {
      const n = k ? this.#byKey.get(k) : undefined;
      if (!n) continue;
      this.#byKey.delete(k);
      n.free();
    }
  }
  clear(): void {
    for (const n of this.#byKey.values()) n.free();
    this.#byKey.clear();
  }
}

// The caller's stack, formatted only when read: most errors of a lookup (NO_DOMAIN, NO_STORAGE_VOL
// from findDomain/findVolume) are caught and dropped, and formatting a stack (with source maps,
// under tsx or --enable-source-maps) costs more than the call.
function withStack(err: Error, site: { stack?: string }): Error {
  let stack: string | undefined;
  Object.defineProperty(err, 'stack', {
    configurable: true,
    enumerable: false,
    get: () => (stack ??= site.stack ? `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}` : `${err.name}: ${err.message}`),
    set: (v: string) => {
      stack = v;
    },
  });
  return err;
}

export function closedError(reason?: string): VirtkitError {
  return reason
    ? new VirtkitError('CLOSED', `the connection to the daemon was lost (${reason})`, { details: { reason } })
    : new VirtkitError('CLOSED', 'the connection is closed');
}
