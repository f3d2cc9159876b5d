// libvirt's scaled integers: <memory unit='KiB'>, <capacity unit='bytes'>, ...
import { invalid } from '../errors.js';

const POWERS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  kb: 1e3, k: 1024, kib: 1024,
  mb: 1e6, m: 1024 ** 2, mib: 1024 ** 2,
  gb: 1e9, g: 1024 ** 3, gib: 1024 ** 3,
  tb: 1e12, t: 1024 ** 4, tib: 1024 ** 4,
  pb: 1e15, p: 1024 ** 5, pib: 1024 ** 5,
  eb: 1e18, e: 1024 ** 6, eib: 1024 ** 6,
};

/**
 * Converts a libvirt scaled integer to bytes. `unit` is libvirt's unit attribute (case-insensitive:
 * 'b', 'bytes', 'KB' = 1000, 'k'/'KiB' = 1024, ... up to 'EiB'); `defaultUnit` applies when absent.
 * Throws INVALID_ARGUMENT for a non-integer value, an unknown unit, or a result above 2^53.
 */
export function toBytes(value: string, unit: string | undefined, defaultUnit = 'bytes'): number {
  const u = (unit ?? defaultUnit).trim().toLowerCase();
  const mult = POWERS[u];
  if (mult === undefined) throw invalid(`unknown size unit '${unit}'`);
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw invalid(`not a non-negative integer size: '${value}'`);
  const n = Number(v) * mult;
  if (!Number.isSafeInteger(n)) throw invalid(`size ${value} ${u} is too large to represent exactly`);
  return n;
}

/** Converts a libvirt scaled integer to KiB (rounded down), e.g. for <memory>. */
export function toKiB(value: string, unit: string | undefined): number {
  return Math.floor(toBytes(value, unit, 'KiB') / 1024);
}
