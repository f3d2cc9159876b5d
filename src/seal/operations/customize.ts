// The customize operation: applies the customize options (customize-options.ts) to a mounted
// root through libguestfs, then installs the first-boot hook. preflightCustomize checks them
// against the guest before any operation writes.
import { randomBytes } from 'node:crypto';
import { invalid } from '../../errors.js';
import { hashPassword } from '../../crypt/index.js';
import { lines } from '../../util/text.js';
import { installFirstboot } from '../../firstboot/install.js';
import type { SealGuest } from '../guest-api.js';
import { allPasswords, type CustomizeOptions, type FileAction, type PasswordSpec } from '../customize-options.js';
import type { OperationContext } from './types.js';
import { DEBIAN_FAMILY, REDHAT_FAMILY, SUSE_FAMILY } from './targets.js';
import { readText } from './helpers.js';
import { guestUsers, type PasswdEntry } from './users.js';
import { resetCloudInit } from './cloud-init.js';

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
  if (await resetCloudInit(ctx)) ctx.sideEffects.cloudInit = true;
  if (o.installFirstboot ?? true) ctx.sideEffects.firstboot = await installFirstboot({ g: ctx.g, fx: ctx.fx, root: ctx.root }, [...caCommand, ...(o.firstbootCommands ?? [])]);
  await relabel(ctx);
}
