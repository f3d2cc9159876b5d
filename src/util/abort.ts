// Cancellation helpers shared by every module that waits: one ABORTED error, one abortable sleep
// (and one that an event may also end early).
import { VirtkitError } from '../errors.js';

/** The error of an operation given up because `signal` fired (its reason as the cause). */
export function abortError(signal: AbortSignal): VirtkitError {
  return new VirtkitError('ABORTED', 'the operation was aborted', { cause: signal.reason });
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

/**
 * Sleeps up to `ms`, ending early when `w.wake()` is called (set for the sleep's duration, an event
 * handler calls it), rejecting with ABORTED when the signal fires.
 */
export function wakeableSleep(ms: number, w: { wake: (() => void) | undefined }, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (e?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      w.wake = undefined;
      if (e) reject(e);
      else resolve();
    };
    const onAbort = () => settle(abortError(signal!));
    const timer = setTimeout(() => settle(), ms);
    w.wake = () => settle();
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
