// What every handle of one connection shares: the native connection and the in-flight set,
// so that close() can wait for calls under way and a use after close fails clearly.
import type { NativeConnect } from './native.js';
import { VirtkitError, callNative } from './errors.js';

export class Core {
  closed = false;
  readonly inflight = new Set<Promise<unknown>>();
  constructor(readonly native: NativeConnect, readonly uri: string) {}

  /** Runs a native call on behalf of this connection. */
  call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const p = callNative(fn);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
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

function closedError(): VirtkitError {
  return new VirtkitError('CLOSED', 'the connection is closed');
}

/** Sleeps, rejecting early with ABORTED when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(signal: AbortSignal): VirtkitError {
  return new VirtkitError('ABORTED', 'the operation was aborted', { cause: signal.reason });
}
