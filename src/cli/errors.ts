// How the CLI reports failures: exit codes and the one-line stderr message.
import { GuestfsError, VirtError, VirtkitError } from '../index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Bad command line: exit 2, with a hint to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly helpFor = '',
  ) {
    super(message);
  }
}

export interface ErrorJson {
  code: string;
  message: string;
  /** libvirt's error domain, e.g. 'VIR_FROM_QEMU' (VirtError only). */
  domain?: string;
  errno?: number;
  details?: Record<string, unknown>;
}

/** A stable code for any error: the library's own code, libvirt's, or a CLI one. */
export function errorJson(e: unknown): ErrorJson {
  const message = oneLine(e instanceof Error ? e.message : String(e));
  if (e instanceof UsageError) return { code: 'USAGE', message };
  if (e instanceof VirtkitError) {
    // The library points at its API; on the command line the equivalent is a flag.
    const m = e.code === 'UNKNOWN_OPERATION' ? message.replace('(see listOperations())', "(see 'virtkit seal --list-operations')") : message;
    return { code: e.code, message: m, ...(e.details ? { details: e.details } : {}) };
  }
  if (e instanceof VirtError) return { code: e.code, message, domain: e.domain };
  if (e instanceof GuestfsError) return { code: 'GUESTFS_ERROR', message, ...(e.errno ? { errno: e.errno } : {}) };
  const sys = (e as NodeJS.ErrnoException)?.code;
  if (typeof sys === 'string' && /^E[A-Z]+$/.test(sys)) return { code: sys, message };
  return { code: 'ERROR', message };
}

/** Messages become a single line (libvirt's and the addon loader's may hold newlines). */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
