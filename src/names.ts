// Validation of the names virtkit passes to libvirt (domains, pools, volumes).
import { invalid } from './errors.js';
import { argString } from './args.js';

/**
 * A libvirt object name as virtkit accepts it: 1-255 bytes, no '/', no NUL, not '.' or '..',
 * no control characters. libvirt itself accepts more for some drivers; refusing early gives
 * one clear error instead of a different one per driver, and keeps names usable as file names.
 * `argument` names the argument in the error's `details.argument` (default: '<kind> name').
 */
export function checkName(kind: string, name: unknown, argument = `${kind} name`): string {
  const details = { argument };
  if (typeof name !== 'string') throw invalid(`${kind} name must be a string`, details);
  if (name.length === 0) throw invalid(`${kind} name must not be empty`, details);
  if (Buffer.byteLength(name) > 255) throw invalid(`${kind} name is longer than 255 bytes`, details);
  if (name === '.' || name === '..') throw invalid(`${kind} name must not be '.' or '..'`, details);
  // eslint-disable-next-line no-control-regex
  if (/[/\u0000-\u001f\u007f]/.test(name)) throw invalid(`${kind} name must not contain '/' or control characters`, { ...details, name });
  // Lone surrogates would reach C as U+FFFD.
  return argString(argument, name);
}

/**
 * A name or UUID to look an existing object up by: a non-empty string without NUL (C would stop
 * there and find another object). Other characters are left to libvirt, which may know objects
 * whose names virtkit would not create.
 */
export function checkLookup(argument: string, v: unknown): string {
  return argString(argument, v, { nonEmpty: true });
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export function looksLikeUuid(s: string): boolean {
  return UUID_RE.test(s);
}
