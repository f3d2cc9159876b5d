// The sealing flags shared by `seal`, `template create` and `template convert`, and the
// identity flags of `deploy`: files are read here so the library gets plain values.
import { readFileSync } from 'node:fs';
import { VirtkitError, type TemplateSealOptions } from '../index.js';
import { list, str, type Options, type Values } from './args.js';
import { UsageError } from './errors.js';

export const SEAL_OPTIONS = {
  operations: { type: 'string' },
  enable: { type: 'string', multiple: true },
  hostname: { type: 'string' },
  'root-password-file': { type: 'string' },
  'ssh-inject': { type: 'string', multiple: true },
  timezone: { type: 'string' },
  'firstboot-command': { type: 'string', multiple: true },
  accel: { type: 'string' },
  key: { type: 'string', multiple: true },
} as const satisfies Options;

export const SEAL_HELP = `Sealing:
  --operations OPS          virt-sysprep syntax, e.g. 'defaults,-ssh-userdir' (default: defaults)
  --enable OP[,OP...]       add operations after --operations (repeatable)
  --hostname H              set the guest's hostname (customize)
  --root-password-file F    root password: the first line of F, hashed on this host
  --ssh-inject USER:KEYFILE add the keys in KEYFILE to USER's authorized_keys (repeatable;
                            also USER:file:KEYFILE and USER:string:'KEY')
  --timezone TZ             e.g. Europe/Paris
  --firstboot-command CMD   a shell command the guest runs once at first boot (repeatable)
  --accel auto|kvm|tcg      appliance acceleration (default auto: KVM, falling back to TCG)
  --key ID:key:KEY          a LUKS passphrase, as virt-sysprep --key (repeatable); ID is a device
  --key ID:file:FILE        (/dev/sda2, /dev/vg/lv), a LUKS UUID, or 'all' for every encrypted
                            device; file: the first line of FILE`;

export function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VirtkitError('NOT_FOUND', `${what} '${path}' does not exist`, { details: { path } });
    throw e;
  }
}

function keyLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** USER:KEYFILE, USER:file:KEYFILE or USER:string:KEY, merged into a per-user key map. */
export function parseKeys(specs: string[], flagName: string, helpFor: string): Record<string, string[]> | undefined {
  if (specs.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const spec of specs) {
    const i = spec.indexOf(':');
    if (i <= 0 || i === spec.length - 1) throw new UsageError(`--${flagName} takes USER:KEYFILE, got '${spec}'`, helpFor);
    const user = spec.slice(0, i);
    const sel = spec.slice(i + 1);
    const keys = sel.startsWith('string:') ? [sel.slice(7).trim()] : keyLines(readFile(sel.startsWith('file:') ? sel.slice(5) : sel, 'SSH key file'));
    if (keys.length === 0 || keys[0] === '') throw new UsageError(`--${flagName} ${spec}: no key found`, helpFor);
    (out[user] ??= []).push(...keys);
  }
  return out;
}

/** The first line of a password file (virt-sysprep's file: selector). */
export function readPassword(path: string): string {
  const pw = readFile(path, 'password file').split('\n')[0]!.replace(/\r$/, '');
  if (pw === '') throw new VirtkitError('INVALID_ARGUMENT', `password file '${path}' starts with an empty line`);
  return pw;
}

/** virt-sysprep's --key selectors (ID:key:KEY, ID:file:FILE, ID 'all' for every device). Never echoes a key. */
export function parseLuksKeys(specs: string[], helpFor: string): NonNullable<TemplateSealOptions['keys']> | undefined {
  if (specs.length === 0) return undefined;
  return specs.map((spec, n) => {
    const a = spec.indexOf(':');
    const b = a < 0 ? -1 : spec.indexOf(':', a + 1);
    const id = a > 0 ? spec.slice(0, a) : '';
    const kind = b > a ? spec.slice(a + 1, b) : '';
    const value = b > a ? spec.slice(b + 1) : '';
    if (id === '' || (kind !== 'key' && kind !== 'file') || value === '') {
      throw new UsageError(`--key #${n + 1} takes ID:key:KEY or ID:file:FILE (ID a device, a LUKS UUID or 'all')`, helpFor);
    }
    const device = id === 'all' ? {} : { device: id };
    return kind === 'key' ? { ...device, key: value } : { ...device, file: value };
  });
}

/** The seal options the flags ask for (customize inputs included). */
export function sealOptionsFrom(v: Values, helpFor: string): TemplateSealOptions {
  const o: TemplateSealOptions = {};
  const ops = str(v, 'operations');
  if (ops !== undefined) o.operations = ops;
  const enable = list(v, 'enable').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (enable.length) o.enable = enable;
  const hostname = str(v, 'hostname');
  if (hostname !== undefined) o.hostname = hostname;
  const pwFile = str(v, 'root-password-file');
  if (pwFile !== undefined) o.rootPassword = readPassword(pwFile);
  const keys = parseKeys(list(v, 'ssh-inject'), 'ssh-inject', helpFor);
  if (keys) o.sshAuthorizedKeys = keys;
  const tz = str(v, 'timezone');
  if (tz !== undefined) o.timezone = tz;
  const cmds = list(v, 'firstboot-command');
  if (cmds.length) o.firstbootCommands = cmds;
  const luks = parseLuksKeys(list(v, 'key'), helpFor);
  if (luks) o.keys = luks;
  const accel = str(v, 'accel');
  if (accel !== undefined) {
    if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') throw new UsageError(`--accel takes auto, kvm or tcg, got '${accel}'`, helpFor);
    o.accel = accel;
  }
  return o;
}

/** True when any sealing flag was given (for --no-seal conflicts). */
export function hasSealFlags(v: Values): boolean {
  return Object.keys(SEAL_OPTIONS).some((k) => v[k] !== undefined);
}
