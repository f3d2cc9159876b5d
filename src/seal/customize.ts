// The customize operation: virt-customize's most used options, done through libguestfs.
// Inputs are checked twice: shape in validateCustomize() before the appliance starts, and
// against the guest (users exist, timezone exists) in preflightCustomize() before any write.
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { invalid } from '../errors.js';
import { INT32, argBool, argBytes, argInt, argOptBool, argOptString, argString, argStrings } from '../args.js';
import { hashPassword } from '../crypt/index.js';
import type { SealGuest } from './guest-api.js';
import type { OperationContext } from './operations/types.js';
import { DEBIAN_FAMILY, REDHAT_FAMILY, SUSE_FAMILY } from './operations/types.js';
import { lines, readText } from './operations/helpers.js';
import { guestUsers, type PasswdEntry } from './operations/users.js';
import { installFirstboot } from '../firstboot/install.js';

/**
 * A password for /etc/shadow. A string is a clear-text password, hashed on the host with
 * SHA-512 crypt and a random salt (it never enters the guest, a log or an error).
 */
export type PasswordSpec =
  | string
  | {
      /** A clear-text password, hashed on the host with SHA-512 crypt and a random salt. */
      password?: string;
      /** A ready crypt(3) hash, written as is. */
      hash?: string;
      /** Prefix "!!" (account locked; the hash is kept for a later unlock). */
      locked?: boolean;
      /** "*": no password login at all. */
      disabled?: boolean;
    };

/** One file action, applied in order. Paths are absolute paths in the guest. */
export type FileAction =
  | { write: string; content: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { upload: string; to: string; mode?: number; uid?: number; gid?: number }
  | { delete: string }
  | { mkdir: string; mode?: number; uid?: number; gid?: number }
  | { chmod: number; path: string }
  | { link: string; target: string };

/** Options of the customize operation (and of user-account). */
export interface CustomizeOptions {
  /** New host name, written to /etc/hostname and /etc/hosts (an RFC 1123 name; VirtkitError `INVALID_ARGUMENT` otherwise). */
  hostname?: string;
  /** root's password (same as `passwords.root`; giving both is rejected with `INVALID_ARGUMENT`). */
  rootPassword?: PasswordSpec;
  /** Passwords by user name. */
  passwords?: Record<string, PasswordSpec>;
  /** Public key lines to add to ~user/.ssh/authorized_keys, by user name. */
  sshAuthorizedKeys?: Record<string, readonly string[]>;
  /** File actions (write, upload, delete, mkdir, chmod, link), applied in order. Paths must be absolute guest paths without '..'. */
  files?: readonly FileAction[];
  /** e.g. 'Europe/Paris' (must exist under /usr/share/zoneinfo in the guest). */
  timezone?: string;
  /** Shell commands the guest runs once, at its first boot, in order. */
  firstbootCommands?: readonly string[];
  /** Install virtkit's first-boot unit (identity from SMBIOS, host keys, machine-id). Default true. */
  installFirstboot?: boolean;
  /** SELinux guests: relabel the files written ('auto' = when the guest uses SELinux). Default 'auto'. */
  selinuxRelabel?: 'auto' | boolean;
  /** user-account: only these users (default: every user in UID_MIN..UID_MAX). */
  removeUserAccounts?: readonly string[];
  /** user-account: never these users. */
  keepUserAccounts?: readonly string[];
}

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER_RE = /^[a-z_][a-z0-9_.-]*\$?$/i;
const TZ_RE = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

function absPath(p: unknown, what: string): void {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0') || p.split('/').includes('..')) {
    throw invalid(`${what} must be an absolute guest path without "..": ${JSON.stringify(p)}`, { argument: what });
  }
  argString(what, p);
}

/** Mode and owner of a file action: what the guest's chmod/chown take. */
function ownership(f: { mode?: unknown; uid?: unknown; gid?: unknown }, what: string): void {
  if (f.mode !== undefined) argInt(`${what}.mode`, f.mode, { min: 0, max: 0o7777 });
  if (f.uid !== undefined) argInt(`${what}.uid`, f.uid, { min: 0, max: INT32.max });
  if (f.gid !== undefined) argInt(`${what}.gid`, f.gid, { min: 0, max: INT32.max });
}

/** All passwords by user, rootPassword folded in. */
function allPasswords(o: CustomizeOptions): Array<[string, PasswordSpec]> {
  const out = Object.entries(o.passwords ?? {});
  if (o.rootPassword !== undefined) {
    if (o.passwords && 'root' in o.passwords) throw invalid('rootPassword and passwords.root both given');
    out.push(['root', o.rootPassword]);
  }
  return out;
}

/** True when any customize option asks for a change. */
export function hasCustomizations(o: CustomizeOptions): boolean {
  return (
    o.hostname !== undefined || allPasswords(o).length > 0 || Object.keys(o.sshAuthorizedKeys ?? {}).length > 0 ||
    (o.files?.length ?? 0) > 0 || o.timezone !== undefined || (o.firstbootCommands?.length ?? 0) > 0
  );
}

/** Shape checks, on the host, before any appliance starts. Errors never echo a password. */
export function validateCustomize(o: CustomizeOptions): void {
  if (argOptString('hostname', o.hostname) !== undefined && !HOSTNAME_RE.test(o.hostname!)) throw invalid(`invalid hostname ${JSON.stringify(o.hostname)}`, { argument: 'hostname' });
  if (o.passwords !== undefined && (o.passwords === null || typeof o.passwords !== 'object')) throw invalid('passwords must be an object of user name to password', { argument: 'passwords' });
  for (const [user, spec] of allPasswords(o)) {
    if (!USER_RE.test(user)) throw invalid(`invalid user name ${JSON.stringify(user)}`);
    // Never echoed: the messages name the user only.
    if (typeof spec === 'string') {
      argString(`password of ${user}`, spec);
      continue;
    }
    if (typeof spec !== 'object' || spec === null) throw invalid(`password of ${user}: expected a string or an object`, { argument: `password of ${user}` });
    argOptString(`password of ${user}: password`, spec.password);
    argOptString(`password of ${user}: hash`, spec.hash);
    argOptBool(`password of ${user}: locked`, spec.locked);
    argOptBool(`password of ${user}: disabled`, spec.disabled);
    const kinds = [spec.password !== undefined, spec.hash !== undefined, spec.disabled === true].filter(Boolean).length;
    if (kinds !== 1 && !(kinds === 0 && spec.locked)) throw invalid(`password of ${user}: give exactly one of password, hash, disabled`);
    if (spec.hash !== undefined && (/[:\n]/.test(spec.hash) || spec.hash === '')) throw invalid(`password hash of ${user} may not be empty or contain ":" or a newline`);
  }
  if (o.sshAuthorizedKeys !== undefined && (o.sshAuthorizedKeys === null || typeof o.sshAuthorizedKeys !== 'object'))
    throw invalid('sshAuthorizedKeys must be an object of user name to key lines', { argument: 'sshAuthorizedKeys' });
  for (const [user, keys] of Object.entries(o.sshAuthorizedKeys ?? {})) {
    if (!USER_RE.test(user)) throw invalid(`invalid user name ${JSON.stringify(user)}`);
    argStrings(`sshAuthorizedKeys.${user}`, keys);
    for (const k of keys) if (typeof k !== 'string' || k.trim() === '' || k.includes('\n')) throw invalid(`sshAuthorizedKeys.${user}: each key is one non-empty line`, { argument: `sshAuthorizedKeys.${user}` });
  }
  if (o.files !== undefined && !Array.isArray(o.files)) throw invalid('files must be an array of file actions', { argument: 'files' });
  for (const [i, f] of (o.files ?? []).entries()) {
    const at = `files[${i}]`;
    if (f === null || typeof f !== 'object') throw invalid(`${at} must be a file action object`, { argument: at });
    if ('write' in f) {
      absPath(f.write, 'files[].write');
      argBytes(`${at}.content`, f.content);
      ownership(f, at);
    } else if ('upload' in f) {
      absPath(f.to, 'files[].to');
      argString(`${at}.upload`, f.upload, { nonEmpty: true });
      if (!existsSync(f.upload) || !statSync(f.upload).isFile()) throw invalid(`files[].upload: no such host file ${f.upload}`, { argument: `${at}.upload` });
      ownership(f, at);
    } else if ('delete' in f) absPath(f.delete, 'files[].delete');
    else if ('mkdir' in f) {
      absPath(f.mkdir, 'files[].mkdir');
      ownership(f, at);
    } else if ('chmod' in f) {
      absPath(f.path, 'files[].path');
      argInt(`${at}.chmod`, f.chmod, { min: 0, max: 0o7777 });
    } else if ('link' in f) {
      absPath(f.link, 'files[].link');
      argString(`${at}.target`, f.target, { nonEmpty: true });
    } else throw invalid('files[]: unknown action', { argument: at });
  }
  if (argOptString('timezone', o.timezone) !== undefined && !TZ_RE.test(o.timezone!)) throw invalid(`invalid timezone ${JSON.stringify(o.timezone)}`, { argument: 'timezone' });
  if (o.firstbootCommands !== undefined) argStrings('firstbootCommands', o.firstbootCommands);
  for (const c of o.firstbootCommands ?? []) if (typeof c !== 'string' || c.trim() === '') throw invalid('firstbootCommands: empty command', { argument: 'firstbootCommands' });
  argOptBool('installFirstboot', o.installFirstboot);
  if (o.selinuxRelabel !== undefined && o.selinuxRelabel !== 'auto') argBool('selinuxRelabel', o.selinuxRelabel);
  if (o.removeUserAccounts !== undefined) argStrings('removeUserAccounts', o.removeUserAccounts, { nonEmpty: true });
  if (o.keepUserAccounts !== undefined) argStrings('keepUserAccounts', o.keepUserAccounts, { nonEmpty: true });
}

/** Checks against the mounted guest, before any operation writes. */
export async function preflightCustomize(g: SealGuest, o: CustomizeOptions): Promise<void> {
  const users = new Map((await guestUsers({ g })).map((u) => [u.name, u]));
  for (const user of [...allPasswords(o).map(([u]) => u), ...Object.keys(o.sshAuthorizedKeys ?? {})]) {
    if (!users.has(user)) throw invalid(`user ${JSON.stringify(user)} does not exist in the guest`);
  }
  if (allPasswords(o).length > 0 && !(await g.isFile('/etc/shadow'))) throw invalid('the guest has no /etc/shadow');
  if (o.timezone !== undefined && !(await g.exists(`/usr/share/zoneinfo/${o.timezone}`))) {
    throw invalid(`timezone ${JSON.stringify(o.timezone)} does not exist in the guest (use a name like Europe/London)`);
  }
}

function inFamily(distro: string, family: readonly string[]): boolean {
  return family.includes(distro);
}

/** Replaces `KEY=...` in a shell-style file, or appends it. */
async function setKey(ctx: OperationContext, file: string, key: string, value: string): Promise<void> {
  const text = (await readText(ctx, file)) ?? '';
  const kept = lines(text).filter((l) => !l.startsWith(`${key}=`));
  kept.push(`${key}=${value}`);
  await ctx.fx.write(file, kept.map((l) => `${l}\n`).join(''));
}

/** Replaces the old names of this host in /etc/hosts; on Debian adds 127.0.1.1 when none was there. */
async function updateHosts(ctx: OperationContext, oldName: string | undefined, name: string, addLoopback: boolean, debianLoopback: boolean): Promise<void> {
  const text = await readText(ctx, '/etc/hosts');
  if (text === undefined) return;
  const short = name.split('.')[0]!;
  const oldShort = oldName?.split('.')[0];
  let has127011 = false;
  const out = lines(text).map((line) => {
    const hash = line.indexOf('#');
    const body = hash >= 0 ? line.slice(0, hash) : line;
    const comment = hash >= 0 ? line.slice(hash) : '';
    const fields = body.trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length < 2) return line;
    if (fields[0] === '127.0.1.1') has127011 = true;
    let changed = false;
    const names = fields.slice(1).map((n) => {
      const repl =
        n === oldName ? name
        : n === oldShort ? short
        : n === 'unassigned-hostname' ? short
        : n === 'unassigned-hostname.unassigned-domain' && name.includes('.') ? name
        : n;
      if (repl !== n) changed = true;
      return repl;
    });
    // Debian's convention: 127.0.1.1 carries this host's names (FQDN first), like firstboot.sh
    // writes it. Elsewhere the line is another admin's: only the old names in it are replaced.
    if (fields[0] === '127.0.1.1' && debianLoopback) {
      changed = true;
      names.splice(0, names.length, ...(name === short ? [name] : [name, short]));
    }
    return changed ? `${fields[0]}\t${names.join(' ')}${comment ? ` ${comment}` : ''}` : line;
  });
  if (addLoopback && !has127011) out.push(`127.0.1.1\t${name === short ? name : `${name} ${short}`}`);
  const next = out.map((l) => `${l}\n`).join('');
  if (next !== text) await ctx.fx.write('/etc/hosts', next);
}

async function setHostname(ctx: OperationContext, name: string): Promise<void> {
  const { distro, version } = ctx.root;
  const etcHostname = await readText(ctx, '/etc/hostname');
  const oldName = etcHostname !== undefined ? lines(etcHostname)[0]?.trim() : ctx.root.hostname !== 'unknown' ? ctx.root.hostname : undefined;
  const preSystemdRedHat = inFamily(distro, REDHAT_FAMILY) && !(distro === 'fedora' ? version.major >= 18 : version.major >= 7);
  if (preSystemdRedHat) {
    // Pre-systemd Red Hat: the name lives in /etc/sysconfig/network.
    await setKey(ctx, '/etc/sysconfig/network', 'HOSTNAME', name);
  } else if (inFamily(distro, SUSE_FAMILY) && !(await ctx.g.isSymlink('/etc/HOSTNAME')) && (await ctx.g.isFile('/etc/HOSTNAME'))) {
    await ctx.fx.write('/etc/HOSTNAME', `${name}\n`);
  } else {
    await ctx.fx.write('/etc/hostname', `${name}\n`);
  }
  // As virt-customize: /etc/machine-info only where systemd reads it (Fedora >= 18, RHEL >= 7).
  if (inFamily(distro, REDHAT_FAMILY) && !preSystemdRedHat) await setKey(ctx, '/etc/machine-info', 'PRETTY_HOSTNAME', name);
  const debian = inFamily(distro, DEBIAN_FAMILY);
  await updateHosts(ctx, oldName, name, debian || !inFamily(distro, [...REDHAT_FAMILY, ...SUSE_FAMILY]), debian);
}

function shadowField(spec: PasswordSpec): string {
  if (typeof spec === 'string') return hashPassword(spec);
  const lock = spec.locked ? '!!' : '';
  if (spec.disabled) return `${lock}*`;
  if (spec.hash !== undefined) return `${lock}${spec.hash}`;
  if (spec.password !== undefined) return `${lock}${hashPassword(spec.password)}`;
  return '!!*';
}

async function setPasswords(ctx: OperationContext, specs: Array<[string, PasswordSpec]>): Promise<void> {
  const text = (await readText(ctx, '/etc/shadow')) ?? '';
  const want = new Map(specs);
  const today = Math.floor(Date.now() / 86_400_000);
  const out = lines(text).map((line) => {
    const f = line.split(':');
    const spec = want.get(f[0]!);
    if (spec === undefined || f.length < 2) return line;
    f[1] = shadowField(spec);
    // Last-change date = today, so password aging does not force an immediate change.
    if (f.length > 2) f[2] = String(today);
    return f.join(':');
  });
  // g.write keeps the file's inode, so its mode, owner and SELinux label stay as they were.
  await ctx.fx.write('/etc/shadow', out.map((l) => `${l}\n`).join(''));
}

async function addAuthorizedKeys(ctx: OperationContext, user: PasswdEntry, keys: readonly string[]): Promise<void> {
  const dir = `${user.home.replace(/\/$/, '')}/.ssh`;
  const file = `${dir}/authorized_keys`;
  if (!(await ctx.fx.present(dir))) await ctx.fx.mkdir(dir, { mode: 0o700, uid: user.uid, gid: user.gid });
  const existing = (await ctx.fx.present(file)) ? ((await readText(ctx, file)) ?? '') : '';
  const have = new Set(lines(existing).map((l) => l.trim()));
  const add = keys.map((k) => k.trim()).filter((k) => !have.has(k));
  if (add.length === 0) return;
  const prefix = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  await ctx.fx.write(file, prefix + add.map((k) => `${k}\n`).join(''), { mode: 0o600, uid: user.uid, gid: user.gid });
}

async function applyFile(ctx: OperationContext, f: FileAction): Promise<void> {
  const own = (x: { mode?: number; uid?: number; gid?: number }) => ({
    ...(x.mode !== undefined ? { mode: x.mode } : {}),
    ...(x.uid !== undefined ? { uid: x.uid, gid: x.gid ?? x.uid } : {}),
  });
  if ('write' in f) await ctx.fx.write(f.write, f.content, own(f));
  else if ('upload' in f) await ctx.fx.upload(f.upload, f.to, own(f));
  else if ('delete' in f) {
    const paths = /[*?[]/.test(f.delete) ? await ctx.fx.glob(f.delete) : [f.delete];
    for (const p of paths) await ctx.fx.removeTree(p);
  } else if ('mkdir' in f) await ctx.fx.mkdir(f.mkdir, own(f));
  else if ('chmod' in f) await ctx.fx.chmod(f.chmod, f.path);
  else await ctx.fx.symlink(f.target, f.link);
}

async function setTimezone(ctx: OperationContext, tz: string): Promise<void> {
  await ctx.fx.symlink(`/usr/share/zoneinfo/${tz}`, '/etc/localtime');
  if (inFamily(ctx.root.distro, DEBIAN_FAMILY) || (await ctx.g.isFile('/etc/timezone'))) await ctx.fx.write('/etc/timezone', `${tz}\n`);
}

/** Refreshes the saved random seed (as virt-customize does), so the template's old one is gone. */
async function setRandomSeed(ctx: OperationContext): Promise<void> {
  const known = ['/var/lib/random-seed', '/var/lib/systemd/random-seed', '/var/lib/urandom/random-seed', '/var/lib/misc/random-seed', '/etc/random-seed'];
  let done = false;
  for (const p of known) {
    if (!(await ctx.g.isFile(p))) continue;
    const size = (await ctx.g.lstat(p)).size || 512;
    await ctx.fx.write(p, randomBytes(Math.min(size, 4096)));
    done = true;
  }
  if (done || ctx.root.type !== 'linux') return;
  const d = ctx.root.distro;
  const fallback =
    inFamily(d, REDHAT_FAMILY) ? '/var/lib/random-seed'
    : inFamily(d, DEBIAN_FAMILY) ? '/var/lib/urandom/random-seed'
    : inFamily(d, SUSE_FAMILY) ? '/var/lib/misc/random-seed'
    : d === 'cirros' ? '/etc/random-seed'
    : undefined;
  if (fallback && (await ctx.g.isDir(fallback.slice(0, fallback.lastIndexOf('/'))))) {
    await ctx.fx.write(fallback, randomBytes(512), { mode: 0o600 });
    return;
  }
  // virt-customize says so too: clones may then share their first boot's random state.
  ctx.fx.warn(`customize: no random seed file found (looked for ${known.join(', ')}); the seed was not refreshed`);
}

/**
 * SELinux guests: files written through libguestfs carry no label, which breaks sshd reading
 * authorized_keys. Relabel now with the guest's policy; if that fails, have the guest do it.
 */
async function relabel(ctx: OperationContext): Promise<void> {
  const mode = ctx.customize.selinuxRelabel ?? 'auto';
  if (mode === false) return;
  const selinux = (await ctx.g.isFile('/etc/selinux/config')) && (await ctx.g.exists('/usr/sbin/load_policy'));
  if (!selinux && mode === 'auto') return;
  const cfg = (await readText(ctx, '/etc/selinux/config')) ?? '';
  const policy = /^SELINUXTYPE=(\S+)/m.exec(cfg)?.[1] ?? 'targeted';
  const spec = `/etc/selinux/${policy}/contexts/files/file_contexts`;
  if (!ctx.dryRun && (await ctx.g.isFile(spec))) {
    try {
      await ctx.g.call('selinux_relabel', spec, '/', { force: true });
      await ctx.fx.removeFile('/.autorelabel');
      return;
    } catch {
      // The appliance lacks the feature or the policy: fall back to a relabel at first boot.
    }
  }
  await ctx.fx.touch('/.autorelabel');
}

/** The customize operation: runs every customize option against the mounted root. */
export async function runCustomize(ctx: OperationContext): Promise<void> {
  const o = ctx.customize;
  await setRandomSeed(ctx);
  if (o.hostname !== undefined) await setHostname(ctx, o.hostname);
  const pw = allPasswords(o);
  if (pw.length > 0) await setPasswords(ctx, pw);
  const keyUsers = Object.entries(o.sshAuthorizedKeys ?? {});
  if (keyUsers.length > 0) {
    const users = new Map((await guestUsers(ctx)).map((u) => [u.name, u]));
    for (const [name, keys] of keyUsers) await addAuthorizedKeys(ctx, users.get(name)!, keys);
  }
  for (const f of o.files ?? []) await applyFile(ctx, f);
  if (o.timezone !== undefined) await setTimezone(ctx, o.timezone);
  const caCommand =
    !ctx.sideEffects.updateCaStore ? []
    : inFamily(ctx.root.distro, REDHAT_FAMILY) ? ['update-ca-trust extract']
    : ['command -v update-ca-certificates >/dev/null && update-ca-certificates || update-ca-trust extract'];
  if (o.installFirstboot ?? true) ctx.sideEffects.firstboot = await installFirstboot(ctx, [...caCommand, ...(o.firstbootCommands ?? [])]);
  await relabel(ctx);
}
