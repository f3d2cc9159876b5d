// Cancellation helpers shared by every module that waits: one ABORTED error, one abortable sleep.
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
