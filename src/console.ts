// Domain.console: a Node Duplex on a guest's console (virDomainOpenConsole). The native side
// (native/stream.cc ConsoleStream) reads the non-blocking libvirt stream on virtkit's event loop
// thread and posts what arrives; writes, open and close are queued calls. Policy lives here:
// options, backpressure (setWant), error types, and the stream aborted on every way out.
import { Duplex } from 'node:stream';
import type { NativeDomain } from './native.js';
import { native } from './native.js';
import type { Core } from './core.js';
import { abortError } from './util/abort.js';
import { VirtkitError, fromNative, isVirtError } from './errors.js';
import { argOptBool, argOptSignal, argOptString, argOptions } from './args.js';

/** Options of {@link Domain.console}. */
export interface ConsoleOptions {
  /**
   * The console's device alias, e.g. 'serial0', 'console1' (see the live XML's `<alias name>`).
   * Default: the domain's first console (a serial port's when the guest has one).
   */
  devname?: string;
  /** Take the console over from a session already open on it (that session ends). Default false. */
  force?: boolean;
  /** Open only when the driver can guarantee exclusive access (VIR_DOMAIN_CONSOLE_SAFE). Default false. */
  safe?: boolean;
  /** Destroys the console: it is aborted in the daemon and errors with `ABORTED`. */
  signal?: AbortSignal;
}

interface NativeConsoleStream {
  open(dom: NativeDomain, devname: string | null, flags: number): Promise<void>;
  send(data: Buffer): Promise<void>;
  setWant(want: boolean): void;
  close(graceful: boolean): Promise<void>;
  ref(): void;
  unref(): void;
  _onconsole?: (kind: 'data' | 'end' | 'error', value: unknown) => void;
}
interface ConsoleAddon {
  ConsoleStream: new () => NativeConsoleStream;
}

const CONSOLE_FORCE = 1; // VIR_DOMAIN_CONSOLE_FORCE
const CONSOLE_SAFE = 2; // VIR_DOMAIN_CONSOLE_SAFE

/**
 * A guest console as a Duplex: what the guest writes is readable (Buffers), what you write goes
 * to the guest. It ends (`'end'`) when the domain stops or another session takes the console
 * over (`force`); `destroy()` or the signal aborts it. Either way the stream is closed in the
 * daemon before `'close'` is emitted. While open it keeps Node running, like a socket; `unref()`
 * lets the process exit anyway.
 */
export class DomainConsole extends Duplex {
  readonly #core: Core;
  readonly #n: NativeConsoleStream;
  /** The domain's name. */
  readonly domain: string;
  #closing?: Promise<void>;
  #ended = false;
  #signal?: AbortSignal;
  #onAbort?: () => void;

  /** @internal */
  constructor(core: Core, n: NativeConsoleStream, domain: string) {
    super({ allowHalfOpen: false, decodeStrings: true });
    this.#core = core;
    this.#n = n;
    this.domain = domain;
    n._onconsole = (kind, value) => {
      if (kind === 'data') {
        if (!this.push(value as Buffer)) n.setWant(false);
      } else if (kind === 'end') {
        this.#ended = true;
        this.#close(true);
        this.push(null);
      } else {
        this.destroy(fromNative(value));
      }
    };
  }

  /** @internal Called once the console is open. */
  _opened(signal: AbortSignal | undefined): void {
    if (this.#ended || this.destroyed) return;
    this.#n.ref();
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Keeps Node running while the console is open (the default). */
  ref(): this {
    if (!this.#closing) this.#n.ref();
    return this;
  }
  /** Lets the process exit while the console is still open. */
  unref(): this {
    this.#n.unref();
    return this;
  }

  // Finish after the daemon's EOF, abort otherwise; once.
  #close(graceful: boolean): Promise<void> {
    if (!this.#closing) {
      if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
      delete this.#n._onconsole;
      this.#n.unref();
      this.#closing = this.#core
        .call(() => this.#n.close(graceful), { timeoutMs: this.#core.callTimeoutMs || 60_000 })
        .catch(() => undefined);
    }
    return this.#closing;
  }

  override _read(): void {
    this.#n.setWant(true);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.#closing) return cb(new VirtkitError('CLOSED', 'the console is closed'));
    this.#core.call(() => this.#n.send(chunk), { long: true }).then(() => cb(), (e: unknown) => cb(e as Error));
  }
  // A console has no half-close: ending the writable side only stops writes.
  override _final(cb: (e?: Error | null) => void): void {
    cb();
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#close(this.#ended).then(() => cb(err));
  }
}

/** @internal Domain.console. */
export async function openConsole(core: Core, dom: NativeDomain, name: string, opts?: ConsoleOptions): Promise<DomainConsole> {
  const o = argOptions('opts', opts);
  const devname = argOptString('opts.devname', o.devname, { nonEmpty: true });
  const force = argOptBool('opts.force', o.force) ?? false;
  const safe = argOptBool('opts.safe', o.safe) ?? false;
  const signal = argOptSignal('opts.signal', o.signal);
  core.assertOpen();
  if (signal?.aborted) throw abortError(signal);
  const n = new (native() as unknown as ConsoleAddon).ConsoleStream();
  const c = new DomainConsole(core, n, name);
  try {
    await core.call(() => n.open(dom, devname ?? null, (force ? CONSOLE_FORCE : 0) | (safe ? CONSOLE_SAFE : 0)), signal ? { signal } : {});
  } catch (e) {
    // Whatever the open did (or does later, if it was given up on) is closed.
    await new Promise<void>((resolve) => c.destroy().once('close', resolve));
    if (isVirtError(e, 'VIR_ERR_OPERATION_INVALID') && /not running/i.test((e as Error).message))
      throw new VirtkitError('DOMAIN_NOT_RUNNING', `'${name}' is not running: it has no console to open`, { cause: e });
    throw e;
  }
  c._opened(signal);
  return c;
}
