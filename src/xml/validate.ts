// Input checks shared by the XML builders and transforms. All failures are INVALID_ARGUMENT.
import { randomBytes } from 'node:crypto';
import { invalid } from '../errors.js';

/**
 * Checks a name that becomes a file name or a libvirt object name (volume, pool, domain):
 * a non-empty string, at most 255 UTF-8 bytes, no '/', no NUL or other control character,
 * not '.' or '..'.
 */
export function validateName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalid(`${what} must be a non-empty string`, { [what]: name });
  if (name.includes('/')) throw invalid(`${what} must not contain '/': ${JSON.stringify(name)}`, { [what]: name });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid(`${what} must not contain NUL or control characters: ${JSON.stringify(name)}`, { [what]: name });
  if (name === '.' || name === '..') throw invalid(`${what} must not be '.' or '..'`, { [what]: name });
  if (Buffer.byteLength(name, 'utf8') > 255) throw invalid(`${what} is longer than 255 bytes`, { [what]: name });
  return name;
}

/** Checks an absolute host path: a string starting with '/', without NUL. */
export function validateAbsolutePath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid(`${what} must be an absolute path, got ${JSON.stringify(path)}`, { [what]: path });
  if (path.includes('\0')) throw invalid(`${what} must not contain NUL`, { [what]: path });
  return path;
}

/** Checks a unicast MAC address 'xx:xx:xx:xx:xx:xx' and returns it lower-cased. */
export function validateMac(mac: unknown): string {
  if (typeof mac !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw invalid(`invalid MAC address ${JSON.stringify(mac)}`, { mac });
  if (parseInt(mac.slice(0, 2), 16) & 1) throw invalid(`MAC address ${mac} is multicast; a NIC needs a unicast address`, { mac });
  return mac.toLowerCase();
}

/** Checks a UUID in canonical 8-4-4-4-12 hex form and returns it lower-cased. */
export function validateUuid(uuid: unknown): string {
  if (typeof uuid !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw invalid(`invalid UUID ${JSON.stringify(uuid)}`, { uuid });
  }
  return uuid.toLowerCase();
}

/** Checks a positive safe integer. */
export function validatePositiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw invalid(`${what} must be a positive integer, got ${String(v)}`, { [what]: v });
  return v;
}

/** A random MAC in QEMU's locally administered range 52:54:00:xx:xx:xx, not in `used`. */
export function randomMac(used: Set<string> = new Set()): string {
  for (;;) {
    const b = randomBytes(3);
    const mac = `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
    if (!used.has(mac)) {
      used.add(mac);
      return mac;
    }
  }
}
