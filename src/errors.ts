// The three error types of virtkit, and the conversion of native rejections into them.
import { errorCodes, errorDomains } from './generated/libvirt-tables.js';

// One class identity across the ESM and CommonJS builds (and two copies of virtkit in one
// process): every error carries a brand under a registered symbol, and `instanceof` on the
// three classes (so isVirtError too) honours it, whichever build made the error.
const BRAND = Symbol.for('virtkit.error');
type ErrorKind = 'VirtkitError' | 'VirtError' | 'GuestfsError';

function brand(e: Error, kind: ErrorKind): void {
  Object.defineProperty(e, BRAND, { value: kind, enumerable: false });
}

/** `v instanceof cls`, where `cls` (the class itself, not a subclass) also accepts a branded error of another build. */
function isInstance(cls: abstract new (...args: never[]) => unknown, base: unknown, kind: ErrorKind, v: unknown): boolean {
  if (cls === base && typeof v === 'object' && v !== null && (v as { [BRAND]?: unknown })[BRAND] === kind) return true;
  return Function.prototype[Symbol.hasInstance].call(cls, v);
}

/** Stable codes for virtkit's own refusals. */
export type VirtkitErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'DOMAIN_RUNNING'
  | 'DOMAIN_NOT_RUNNING'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'UNSUPPORTED_GUEST'
  | 'NO_OS_FOUND'
  | 'UNKNOWN_OPERATION'
  | 'TEMPLATE_IN_USE'
  | 'TEMPLATE_NOT_READY'
  | 'IS_TEMPLATE'
  | 'BACKING_IN_USE'
  | 'NATIVE_USAGE'
  | 'IO_ERROR'
  | 'ADDON_NOT_LOADED'
  | 'GUESTFS_UNAVAILABLE'
  | 'LAUNCH_FAILED'
  | 'BACKING_MISSING'
  | 'FORMAT_MISMATCH'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_IN_USE'
  | 'NO_FIRSTBOOT_HOOK'
  | 'MOUNT_FAILED'
  | 'DECRYPT_FAILED'
  | 'REPLICA_MISMATCH'
  | 'HOST_UNREACHABLE'
  | 'CONNECTION_REFUSED'
  | 'AUTH_FAILED'
  | 'REMOTE_DISKS'
  | 'ADDRESS_RANGE_FULL'
  | 'ADDRESS_IN_USE'
  | 'BLOCK_JOB_FAILED'
  | 'AGENT_UNAVAILABLE'
  | 'NOT_PCI_DEVICE';

/** A refusal by virtkit itself: bad input, wrong state, unsupported guest. Nothing was changed. */
export class VirtkitError extends Error {
  /** True also for a VirtkitError of virtkit's other build (CommonJS / ESM). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isInstance(this, VirtkitError, 'VirtkitError', v);
  }
  /** Always 'VirtkitError'. */
  override name = 'VirtkitError';
  /** Stable code of the refusal, e.g. 'INVALID_ARGUMENT' or 'TEMPLATE_IN_USE'. */
  readonly code: VirtkitErrorCode;
  /** Values that explain the refusal (the offending argument, the names involved), when there are some. */
  readonly details?: Record<string, unknown>;
  constructor(code: VirtkitErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    brand(this, 'VirtkitError');
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

/** An error reported by libvirt, with its code and domain as libvirt names them. */
export class VirtError extends Error {
  /** True also for a VirtError of virtkit's other build (CommonJS / ESM). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isInstance(this, VirtError, 'VirtError', v);
  }
  /** Always 'VirtError'. */
  override name = 'VirtError';
  /** e.g. 'VIR_ERR_NO_DOMAIN' */
  readonly code: string;
  /** virErrorNumber, e.g. 42 */
  readonly number: number;
  /** e.g. 'VIR_FROM_QEMU' */
  readonly domain: string;
  /** virErrorDomain number, e.g. 10 for VIR_FROM_QEMU. */
  readonly domainNumber: number;
  /** virErrorLevel: 1 warning, 2 error. */
  readonly level: number;
  /** For VIR_ERR_SYSTEM_ERROR, the errno libvirt reported (e.g. 111, ECONNREFUSED), when it gave one. */
  readonly errno?: number;
  constructor(message: string, number: number, domainNumber: number, level = 2, errno?: number) {
    super(message);
    brand(this, 'VirtError');
    this.number = number;
    this.code = errorCodes[number] ?? `VIR_ERR_${number}`;
    this.domainNumber = domainNumber;
    this.domain = errorDomains[domainNumber] ?? `VIR_FROM_${domainNumber}`;
    this.level = level;
    if (errno !== undefined) this.errno = errno;
  }
}

/** An error reported by libguestfs, with errno when it set one. */
export class GuestfsError extends Error {
  /** True also for a GuestfsError of virtkit's other build (CommonJS / ESM). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isInstance(this, GuestfsError, 'GuestfsError', v);
  }
  /** Always 'GuestfsError'. */
  override name = 'GuestfsError';
  /** The errno libguestfs reported (e.g. 2 for ENOENT), or 0 when it set none. */
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    brand(this, 'GuestfsError');
    this.errno = errno;
  }
}

interface NativeRejection {
  message: string;
  native?: 'virt' | 'guestfs' | 'usage' | 'invalid';
  virCode?: number;
  virDomain?: number;
  virLevel?: number;
  errno?: number;
}

/** Turns whatever the addon threw or rejected with into a typed error. */
export function fromNative(e: unknown): Error {
  if (e instanceof VirtkitError || e instanceof VirtError || e instanceof GuestfsError) return e;
  const n = e as NativeRejection;
  if (n && typeof n === 'object') {
    if (n.native === 'virt') return new VirtError(n.message, n.virCode ?? 1, n.virDomain ?? 0, n.virLevel ?? 2, n.errno);
    if (n.native === 'guestfs') return new GuestfsError(n.message, n.errno ?? 0);
    if (n.native === 'usage') return new VirtkitError('NATIVE_USAGE', n.message, { cause: e });
    if (n.native === 'invalid') return new VirtkitError('INVALID_ARGUMENT', n.message, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Runs a native call and rethrows its failure as a typed error whose stack is the caller's
 * (a rejection made on a native call thread has no useful JS stack of its own).
 */
export async function callNative<T>(fn: () => Promise<T> | T): Promise<T> {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, callNative);
  try {
    return await fn();
  } catch (e) {
    const err = fromNative(e);
    if (site.stack) err.stack = `${err.name}: ${err.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
    throw err;
  }
}

/** True when `e` is a libvirt error with this code, e.g. isVirtError(e, 'VIR_ERR_NO_DOMAIN'). */
export function isVirtError(e: unknown, code?: string): e is VirtError {
  return e instanceof VirtError && (code === undefined || e.code === code);
}

export function invalid(message: string, details?: Record<string, unknown>): VirtkitError {
  return new VirtkitError('INVALID_ARGUMENT', message, details ? { details } : undefined);
}
