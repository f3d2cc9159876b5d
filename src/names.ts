// Validation of the names virtkit passes to libvirt (domains, pools, volumes).
import { invalid } from './errors.js';

/**
 * A libvirt object name as virtkit accepts it: 1-255 bytes, no '/', no NUL, not '.' or '..',
 * no control characters. libvirt itself accepts more for some drivers; refusing early gives
 * one clear error instead of a different one per driver, and keeps names usable as file names.
 */
export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string') throw invalid(`${kind} name must be a string`);
  if (name.length === 0) throw invalid(`${kind} name must not be empty`);
  if (Buffer.byteLength(name) > 255) throw invalid(`${kind} name is longer than 255 bytes`);
  if (name === '.' || name === '..') throw invalid(`${kind} name must not be '.' or '..'`);
  // eslint-disable-next-line no-control-regex
  if (/[/\u0000-\u001f\u007f]/.test(name)) throw invalid(`${kind} name must not contain '/' or control characters`, { name });
  return name;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export function looksLikeUuid(s: string): boolean {
  return UUID_RE.test(s);
}
