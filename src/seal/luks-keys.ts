// seal()'s `keys` option, virt-sysprep's --key: the shape checks (run with the other option
// checks, before any launch), reading key files on the host (also before the launch), and which
// keys a device is tried with. No message here or downstream quotes key material: errors name
// the option (`keys[1].file`), the file or the device, never the key.
import { readFile } from 'node:fs/promises';
import { VirtkitError, invalid } from '../errors.js';
import { argString } from '../args.js';
import { driveIndexOf, driveName } from './devices.js';

/**
 * A LUKS passphrase, as virt-sysprep's `--key ID:key:KEY` and `--key ID:file:FILE`.
 * `device` (virt-sysprep's ID) is the encrypted device as the guest's disks are seen alone
 * (`/dev/sda2`, `/dev/vg/lv`; `/dev/vda2` means the same as `/dev/sda2`) or the LUKS UUID; without
 * it the key is tried on every encrypted device (virt-sysprep's `all:`). `file`: its first line,
 * without the newline (virt-sysprep's reading; not a binary key file).
 */
export type LuksKey = { device?: string; key: string } | { device?: string; file: string };

/** A key ready for use: where it came from (for messages) and its bytes. */
export interface LoadedKey {
  /** Position in `keys`. */
  index: number;
  /** Canonical device name, or a lower-case LUKS UUID; absent: every device. */
  device?: string;
  secret: Buffer;
}

/** cryptsetup's default limit on a key read from a file (libguestfs passes keys as one). */
const MAX_KEY_BYTES = 8 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIELDS = new Set(['device', 'key', 'file']);

/** The shape of `keys`; throws INVALID_ARGUMENT naming the entry. Reads nothing. */
export function validateKeys(v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw invalid('seal: keys must be an array of { device?, key } or { device?, file }', { argument: 'keys' });
  v.forEach((k: unknown, i) => {
    const name = `keys[${i}]`;
    if (k === null || typeof k !== 'object' || Array.isArray(k)) throw invalid(`seal: ${name} must be { device?, key } or { device?, file }`, { argument: name });
    const e = k as Record<string, unknown>;
    if (e['clevis'] !== undefined) {
      throw invalid(`seal: ${name}.clevis: Clevis/Tang unlocking needs libguestfs 1.50's clevis_luks_unlock, which this libguestfs lacks; give a key or a file`, { argument: `${name}.clevis` });
    }
    const extra = Object.keys(e).find((f) => !FIELDS.has(f) && e[f] !== undefined);
    if (extra !== undefined) throw invalid(`seal: ${name} has an unknown field '${extra}' (known: device, key, file)`, { argument: `${name}.${extra}` });
    if ((e['key'] === undefined) === (e['file'] === undefined)) throw invalid(`seal: ${name} needs exactly one of key and file`, { argument: name });
    if (e['key'] !== undefined) argString(`${name}.key`, e['key'], { nonEmpty: true, maxBytes: MAX_KEY_BYTES });
    else argString(`${name}.file`, e['file'], { nonEmpty: true });
    if (e['device'] !== undefined) {
      const d = argString(`${name}.device`, e['device'], { nonBlank: true });
      if (!(d.startsWith('/dev/') && d.length > 5) && !UUID.test(d)) {
        throw invalid(`seal: ${name}.device must be a device name (/dev/sda2, /dev/vg/lv) or a LUKS UUID`, { argument: `${name}.device` });
      }
    }
  });
}

/**
 * The device name libguestfs gives a device: /dev/vda2 and /dev/hda2 are /dev/sda2, the
 * /dev/mapper/vg-lv form of an LV is /dev/vg/lv; `firstDrive` shifts /dev/sdX names (a guest
 * sharing an appliance sees its disks from that drive on).
 */
export function canonicalDevice(d: string, firstDrive = 0): string {
  const sd = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]+)(\d*)$/.exec(d);
  if (sd) return `/dev/sd${driveName(driveIndexOf(d)! + firstDrive)}${sd[2]}`;
  const lv = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(d);
  if (lv) return `/dev/${lv[1]!.replace(/--/g, '-')}/${lv[2]!.replace(/--/g, '-')}`;
  return d;
}

/**
 * Reads key files (first line, as virt-sysprep) and turns every key into bytes. Runs on the host
 * before any launch: a missing file is NOT_FOUND, an empty first line INVALID_ARGUMENT.
 */
export async function loadKeys(keys: readonly LuksKey[] | undefined): Promise<LoadedKey[]> {
  const out: LoadedKey[] = [];
  for (const [index, k] of (keys ?? []).entries()) {
    let secret: Buffer;
    if ('file' in k && k.file !== undefined) {
      let data: Buffer;
      try {
        data = await readFile(k.file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new VirtkitError('NOT_FOUND', `seal: keys[${index}].file ${k.file} does not exist`, { details: { argument: `keys[${index}].file`, path: k.file } });
        throw invalid(`seal: keys[${index}].file ${k.file} cannot be read (${code ?? 'error'})`, { argument: `keys[${index}].file`, path: k.file });
      }
      const nl = data.indexOf(0x0a);
      secret = Buffer.from(nl < 0 ? data : data.subarray(0, nl));
      data.fill(0);
      if (secret.length === 0) throw invalid(`seal: keys[${index}].file ${k.file}: its first line (the key) is empty`, { argument: `keys[${index}].file` });
      // libguestfs takes the key as a C string.
      if (secret.includes(0)) {
        secret.fill(0);
        throw invalid(`seal: keys[${index}].file ${k.file}: the key contains a NUL byte`, { argument: `keys[${index}].file` });
      }
      if (secret.length > MAX_KEY_BYTES) throw invalid(`seal: keys[${index}].file ${k.file}: the key is longer than 8 MiB`, { argument: `keys[${index}].file` });
    } else secret = Buffer.from((k as { key: string }).key, 'utf8');
    const device = k.device === undefined ? undefined : UUID.test(k.device) ? k.device.toLowerCase() : canonicalDevice(k.device);
    out.push({ index, ...(device !== undefined ? { device } : {}), secret });
  }
  return out;
}

/**
 * The keys to try on `device` (with LUKS UUID `uuid`), in the order given: those naming it (by
 * name or UUID) and the device-less ones. Key device names are the guest's own, so they are
 * shifted by `firstDrive` (the guest's first drive in a shared appliance).
 */
export function keysFor(keys: readonly LoadedKey[], device: string, uuid: string | undefined, firstDrive = 0): LoadedKey[] {
  const dev = canonicalDevice(device);
  const u = uuid?.toLowerCase();
  return keys.filter((k) => k.device === undefined || (u !== undefined && k.device === u) || (k.device.startsWith('/dev/') && canonicalDevice(k.device, firstDrive) === dev));
}

/** Overwrites the key bytes (the caller's own strings cannot be). */
export function wipeKeys(keys: readonly LoadedKey[]): void {
  for (const k of keys) k.secret.fill(0);
}
