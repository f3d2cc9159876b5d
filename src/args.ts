// Strict conversion at the boundary: every value a caller passes that reaches C (libvirt,
// libguestfs) is checked here first, so that nothing is truncated, wrapped or rounded on the way.
// A string with NUL (C would stop at it), a lone surrogate (UTF-8 conversion would replace it),
// an integer outside its C type, NaN or Infinity, an unknown enum value or a wrong type is refused
// with VirtkitError INVALID_ARGUMENT, whose message names the argument and whose
// `details.argument` holds that name. Values are not echoed except numbers and enum candidates
// (a string may be a password or a secret-bearing XML).
//
// Callers use these inside `async` functions (or callNative), so a refusal is always a rejected
// promise, never a synchronous throw from a promise-returning method.
import { invalid } from './errors.js';

/** An inclusive integer range. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/** C int / int32_t. */
export const INT32: IntRange = { min: -0x8000_0000, max: 0x7fff_ffff };
/** C unsigned int / uint32_t. */
export const UINT32: IntRange = { min: 0, max: 0xffff_ffff };
/** int64_t as far as a JS number holds it exactly (bigints: {@link argInt64}). */
export const SAFE_INT: IntRange = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
/** uint64_t as far as a JS number holds it exactly (bigints: {@link argUint64}). */
export const SAFE_UINT: IntRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** int64_t, for bigints. */
export const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n } as const;
/** uint64_t, for bigints. */
export const UINT64 = { min: 0n, max: 2n ** 64n - 1n } as const;
/** The longest delay setTimeout honours (longer ones fire at once). */
export const MAX_TIMEOUT_MS = 0x7fff_ffff;

function refuse(name: string, what: string): never {
  throw invalid(`${name} ${what}`, { argument: name });
}

/** What a value is, for messages: its type, or the number itself (never a string's content). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

// In a 'u' regex a surrogate class matches only unpaired surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Options of {@link argString}. */
export interface StringOptions {
  /** Refuse ''. */
  nonEmpty?: boolean;
  /** Refuse a string of only white space (implies nonEmpty). */
  nonBlank?: boolean;
  /** Most UTF-8 bytes. */
  maxBytes?: number;
  /** Accept NUL: only for values passed with their length (file contents), never to a C string. */
  allowNul?: boolean;
}

/** A string that reaches C unchanged: no NUL, no lone surrogate. */
export function argString(name: string, v: unknown, o: StringOptions = {}): string {
  if (typeof v !== 'string') refuse(name, `must be a string (got ${kindOf(v)})`);
  if (!o.allowNul && v.includes('\0')) refuse(name, 'must not contain a NUL character');
  if (LONE_SURROGATE.test(v)) refuse(name, 'must be well-formed Unicode (it has a lone surrogate)');
  if ((o.nonEmpty || o.nonBlank) && v.length === 0) refuse(name, 'must not be empty');
  if (o.nonBlank && v.trim() === '') refuse(name, 'must not be blank');
  if (o.maxBytes !== undefined && Buffer.byteLength(v) > o.maxBytes) refuse(name, `must be at most ${o.maxBytes} bytes`);
  return v;
}
/** {@link argString}, or undefined when absent. */
export function argOptString(name: string, v: unknown, o: StringOptions = {}): string | undefined {
  return v === undefined ? undefined : argString(name, v, o);
}
/** {@link argString}, or null (e.g. "remove this"). */
export function argNullableString(name: string, v: unknown, o: StringOptions = {}): string | null {
  return v === null ? null : argString(name, v, o);
}
/** An array of {@link argString}s; elements are named `name[i]`. */
export function argStrings(name: string, v: unknown, o: StringOptions = {}): string[] {
  if (!Array.isArray(v)) refuse(name, `must be an array of strings (got ${kindOf(v)})`);
  return v.map((s, i) => argString(`${name}[${i}]`, s, o));
}

/** An integer number within `range` (default: the safe integers). NaN and Infinity are refused. */
export function argInt(name: string, v: unknown, range: IntRange = SAFE_INT): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max)
    refuse(name, `must be an integer from ${range.min} to ${range.max} (got ${kindOf(v)})`);
  return v;
}
/** {@link argInt}, or undefined when absent. */
export function argOptInt(name: string, v: unknown, range: IntRange = SAFE_INT): number | undefined {
  return v === undefined ? undefined : argInt(name, v, range);
}

function argBig(name: string, v: unknown, min: bigint, max: bigint, what: string): number | bigint {
  if (typeof v === 'bigint') {
    if (v < min || v > max) refuse(name, `must be ${what} (got ${kindOf(v)})`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || BigInt(v) < min || BigInt(v) > max)
    refuse(name, `must be ${what}: a safe integer number or a bigint (got ${kindOf(v)})`);
  return v;
}
/** An int64_t: a safe integer number, or a bigint within int64. Returned as given. */
export function argInt64(name: string, v: unknown): number | bigint {
  return argBig(name, v, INT64.min, INT64.max, 'a 64-bit signed integer');
}
/** A uint64_t: a non-negative safe integer number, or a bigint within uint64. Returned as given. */
export function argUint64(name: string, v: unknown): number | bigint {
  return argBig(name, v, UINT64.min, UINT64.max, 'a 64-bit unsigned integer');
}

/** A boolean; 'false', 0 and other truthy or falsy stand-ins are refused. */
export function argBool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') refuse(name, `must be a boolean (got ${kindOf(v)})`);
  return v;
}
/** {@link argBool}, or undefined when absent. */
export function argOptBool(name: string, v: unknown): boolean | undefined {
  return v === undefined ? undefined : argBool(name, v);
}

/** One of `allowed`. */
export function argEnum<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    const got = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : kindOf(v);
    refuse(name, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${got})`);
  }
  return v as T;
}
/** {@link argEnum}, or undefined when absent. */
export function argOptEnum<T extends string>(name: string, v: unknown, allowed: readonly T[]): T | undefined {
  return v === undefined ? undefined : argEnum(name, v, allowed);
}

/** Options of {@link argTimeout}. */
export interface TimeoutOptions {
  /** Smallest accepted value (default 0). */
  min?: number;
  /** Largest accepted value (default {@link MAX_TIMEOUT_MS}, setTimeout's limit). */
  max?: number;
}
/** A duration in milliseconds: a finite number from `min` (0) to `max` (MAX_TIMEOUT_MS). */
export function argTimeout(name: string, v: unknown, o: TimeoutOptions = {}): number {
  const min = o.min ?? 0;
  const max = o.max ?? MAX_TIMEOUT_MS;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    refuse(name, `must be a number of milliseconds from ${min} to ${max} (got ${kindOf(v)})`);
  return v;
}
/** {@link argTimeout}, or `fallback` when absent. */
export function argOptTimeout(name: string, v: unknown, fallback: number, o: TimeoutOptions = {}): number {
  return v === undefined ? fallback : argTimeout(name, v, o);
}

/** An options object (absent: {}); null, arrays and primitives are refused. */
export function argOptions<T extends object>(name: string, v: T | undefined | null): T {
  if (v === undefined) return {} as T;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) refuse(name, `must be an options object (got ${kindOf(v)})`);
  return v;
}

/** An AbortSignal, or undefined when absent. */
export function argOptSignal(name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof AbortSignal)) refuse(name, `must be an AbortSignal (got ${kindOf(v)})`);
  return v;
}
/** A function, or undefined when absent. */
export function argOptFunction<F extends (...args: never[]) => unknown>(name: string, v: unknown): F | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') refuse(name, `must be a function (got ${kindOf(v)})`);
  return v as F;
}

/**
 * Bytes passed with their length (file contents): a string (written as UTF-8; NUL allowed, lone
 * surrogates refused) or a Uint8Array (a Buffer as is, another view wrapped without a copy).
 */
export function argBytes(name: string, v: unknown): string | Buffer {
  if (typeof v === 'string') return argString(name, v, { allowNul: true });
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  refuse(name, `must be a string or a Uint8Array (got ${kindOf(v)})`);
}
