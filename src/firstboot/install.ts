// Installs the first-boot machinery into a mounted guest. It depends on nothing of the seal
// engine: sealing hands it a FirstbootTarget (its read-only guest view and its Effects, which
// record every path and write nothing in a dry run).
import { VirtkitError } from '../errors.js';
import { lines } from '../util/text.js';
import {
  FIRSTBOOT_COMMANDS_DIR,
  FIRSTBOOT_DIR,
  FIRSTBOOT_DONE_PATH,
  FIRSTBOOT_ETC_COMMANDS_DIR,
  FIRSTBOOT_ETC_DIR,
  FIRSTBOOT_ETC_SCRIPT_PATH,
  FIRSTBOOT_SCRIPT_PATH,
  FIRSTBOOT_STATE_DIR,
  INIT_SCRIPT_PATH,
  SYSTEMD_UNIT_PATH,
  SYSTEMD_WANTS_LINK,
} from './paths.js';
import { FIRSTBOOT_SCRIPT } from './script.js';
import { firstbootCommandLine, initScript, openrcScript, systemdUnit } from './units.js';

/** How the first-boot script gets started in the guest. */
export type FirstbootHookKind = 'systemd' | 'openrc' | 'sysvinit' | 'busybox-rcS' | 'rc.local' | 'inittab';

/** The hook sealing installs (or would install, in a dry run). */
export interface FirstbootHook {
  kind: FirstbootHookKind;
  /** The guest path of the first-boot script. */
  script: string;
  /** Guest paths written to start it (unit, init script, links, edited file). */
  paths: string[];
}

interface Plan {
  kind: FirstbootHookKind;
  /** openrc-run's path (openrc), the rc dirs (sysvinit), the file to edit (rc.local, inittab). */
  where: string[];
  busybox?: boolean;
}

type Awaitable<T> = T | Promise<T>;

/** What installing reads of the mounted guest (sealing's SealGuest, a Guest session). */
export interface FirstbootGuest {
  exists(path: string): Awaitable<boolean>;
  isDir(path: string): Awaitable<boolean>;
  isFile(path: string): Awaitable<boolean>;
  isSymlink(path: string): Awaitable<boolean>;
  readlink(path: string): Awaitable<string>;
  readFile(path: string): Awaitable<Buffer>;
}

/** How installing writes (sealing's Effects). */
export interface FirstbootWriter {
  present(path: string): Promise<boolean>;
  glob(pattern: string): Promise<string[]>;
  mkdir(path: string, opts?: { mode?: number; uid?: number; gid?: number }): Promise<unknown>;
  write(path: string, data: string | Buffer, opts?: { mode?: number; uid?: number; gid?: number }): Promise<unknown>;
  symlink(target: string, link: string): Promise<unknown>;
  removeFile(path: string): Promise<unknown>;
  removeTree(path: string): Promise<unknown>;
}

/** The root to install into: read through `g`, written through `fx`. */
export interface FirstbootTarget {
  g: FirstbootGuest;
  fx: FirstbootWriter;
  root: { root: string; mountpoints: ReadonlyArray<{ mountpoint: string }> };
}

async function readText(g: FirstbootGuest, path: string): Promise<string | undefined> {
  return (await g.isFile(path)) ? (await g.readFile(path)).toString('utf8') : undefined;
}

const first = async (g: FirstbootGuest, paths: readonly string[], test: 'exists' | 'isDir' | 'isFile' = 'exists') => {
  for (const p of paths) if (await g[test](p)) return p;
  return undefined;
};

/**
 * Which init the guest boots with, and so how first boot is started; undefined when none that
 * virtkit supports is found. Read-only; the root's filesystems must be mounted.
 */
async function planHook(g: FirstbootGuest): Promise<Plan | undefined> {
  if (await first(g, ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'])) return { kind: 'systemd', where: [] };
  const openrc = await first(g, ['/sbin/openrc-run', '/usr/sbin/openrc-run', '/usr/bin/openrc-run', '/bin/openrc-run']);
  if (openrc && (await g.isDir('/etc/runlevels'))) return { kind: 'openrc', where: [openrc] };
  if (await g.isDir('/etc/init.d')) {
    const rc = (await g.isDir('/etc/rcS.d')) ? ['/etc/rcS.d'] : [];
    if (rc.length === 0) for (const d of ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc5.d']) if (await g.isDir(d)) rc.push(d);
    if (rc.length > 0) return { kind: 'sysvinit', where: rc };
    if (await g.exists('/etc/init.d/rcS')) return { kind: 'busybox-rcS', where: [] };
  }
  const rcLocal = await first(g, ['/etc/rc.local', '/etc/rc.d/rc.local'], 'isFile');
  if (rcLocal) return { kind: 'rc.local', where: [rcLocal] };
  if (await g.isFile('/etc/inittab')) return { kind: 'inittab', where: ['/etc/inittab'], busybox: await g.exists('/bin/busybox') };
  return undefined;
}

/** What the guest has that looks like an init, for the refusal's message. */
async function initClues(g: FirstbootGuest): Promise<string[]> {
  const clues: string[] = [];
  for (const p of ['/sbin/init', '/usr/sbin/init', '/bin/init', '/init', '/etc/inittab', '/etc/init.d', '/etc/runlevels', '/etc/runit', '/etc/s6', '/etc/rc.conf', '/bin/busybox']) {
    const link = await g.isSymlink(p);
    if (!link && !(await g.exists(p))) continue;
    let what = p;
    if (link) what += ` -> ${await g.readlink(p)}`;
    clues.push(what);
  }
  return clues;
}

/** True when the guest's /usr is a filesystem of its own (read-only on CoreOS-like layouts). */
export function separateUsr(mountpoints: ReadonlyArray<{ mountpoint: string }>): boolean {
  return mountpoints.some((m) => m.mountpoint === '/usr');
}

/**
 * Checks, before anything is written, that first boot can be started in this guest.
 * @throws VirtkitError('NO_FIRSTBOOT_HOOK') naming what was found, when no supported init is
 *   (systemd, OpenRC, SysV rc dirs, busybox rcS, rc.local, inittab). Without a hook, clones would
 *   boot with no SSH host keys and no machine-id: seal with `installFirstboot: false` to accept that.
 */
export async function checkFirstbootHook(g: FirstbootGuest, root: string): Promise<FirstbootHookKind> {
  const plan = await planHook(g);
  if (plan) return plan.kind;
  const clues = await initClues(g);
  throw new VirtkitError(
    'NO_FIRSTBOOT_HOOK',
    `seal: no init system virtkit can hook found on ${root} (looked for systemd, OpenRC, SysV rc dirs, busybox rcS, rc.local, inittab; found: ${clues.join(', ') || 'nothing'}). ` +
      `Without a first-boot hook clones would keep an empty machine-id and no SSH host keys; pass installFirstboot: false to seal anyway and start ${FIRSTBOOT_SCRIPT_PATH} yourself.`,
    { details: { root, found: clues } },
  );
}

/**
 * Writes the script, the commands, and one way to start them (see FirstbootHookKind). Never two
 * ways on one guest: systemd's SysV generator would start an init script too. On a guest whose
 * /usr is a separate filesystem, everything goes under /etc/virtkit instead of /usr/lib/virtkit.
 */
export async function installFirstboot(ctx: FirstbootTarget, commands: readonly string[]): Promise<FirstbootHook> {
  const { fx, g } = ctx;
  const plan = await planHook(g);
  if (!plan) {
    // checkFirstbootHook ran before the first write: only a caller skipping it gets here.
    await checkFirstbootHook(g, ctx.root.root);
  }
  const onEtc = separateUsr(ctx.root.mountpoints);
  const script = onEtc ? FIRSTBOOT_ETC_SCRIPT_PATH : FIRSTBOOT_SCRIPT_PATH;
  const cmdDir = onEtc ? FIRSTBOOT_ETC_COMMANDS_DIR : FIRSTBOOT_COMMANDS_DIR;
  await fx.mkdir(onEtc ? FIRSTBOOT_ETC_DIR : FIRSTBOOT_DIR, { mode: 0o755 });
  await fx.write(script, FIRSTBOOT_SCRIPT, { mode: 0o755, uid: 0, gid: 0 });
  // The latest seal's commands replace earlier ones; a resealed clone runs first boot again.
  if (await fx.present(cmdDir)) await fx.removeTree(cmdDir);
  if (commands.length > 0) {
    await fx.mkdir(cmdDir, { mode: 0o700 });
    for (const [i, cmd] of commands.entries()) {
      await fx.write(`${cmdDir}/${String(i + 1).padStart(4, '0')}.sh`, `#!/bin/sh\n${cmd}\n`, { mode: 0o700 });
    }
  }
  for (const p of await fx.glob(`${FIRSTBOOT_STATE_DIR}/ran.*`)) await fx.removeFile(p);
  await fx.removeFile(FIRSTBOOT_DONE_PATH);

  const kind = plan!.kind;
  const paths: string[] = [];
  switch (kind) {
    case 'systemd':
      await fx.write(SYSTEMD_UNIT_PATH, systemdUnit(script), { mode: 0o644 });
      await fx.symlink(SYSTEMD_UNIT_PATH, SYSTEMD_WANTS_LINK);
      paths.push(SYSTEMD_UNIT_PATH, SYSTEMD_WANTS_LINK);
      break;
    case 'openrc':
      await fx.write(INIT_SCRIPT_PATH, openrcScript(script, plan!.where[0]!), { mode: 0o755 });
      await fx.mkdir('/etc/runlevels/boot', { mode: 0o755 });
      await fx.symlink(INIT_SCRIPT_PATH, '/etc/runlevels/boot/virtkit-firstboot');
      paths.push(INIT_SCRIPT_PATH, '/etc/runlevels/boot/virtkit-firstboot');
      break;
    case 'sysvinit':
      await fx.write(INIT_SCRIPT_PATH, initScript(script), { mode: 0o755 });
      paths.push(INIT_SCRIPT_PATH);
      for (const d of plan!.where) {
        await fx.symlink('../init.d/virtkit-firstboot', `${d}/S01virtkit-firstboot`);
        paths.push(`${d}/S01virtkit-firstboot`);
      }
      break;
    case 'busybox-rcS':
      await fx.write(INIT_SCRIPT_PATH, initScript(script), { mode: 0o755 });
      await fx.symlink('virtkit-firstboot', '/etc/init.d/S01virtkit-firstboot');
      paths.push(INIT_SCRIPT_PATH, '/etc/init.d/S01virtkit-firstboot');
      break;
    case 'rc.local':
    case 'inittab': {
      const file = plan!.where[0]!;
      const text = (await readText(g, file)) ?? '';
      // The script exits at once once it has run (its marker file), so the line can stay.
      const line = kind === 'rc.local' ? firstbootCommandLine(script) : `${plan!.busybox ? '' : 'vkfb'}::sysinit:${script}`;
      const kept = lines(text).filter((l) => !l.includes(script));
      if (kind === 'rc.local') {
        // Before a final `exit 0`, which would end the file's run before the line.
        const exitAt = kept.map((l) => l.trim()).lastIndexOf('exit 0');
        kept.splice(exitAt >= 0 ? exitAt : kept.length, 0, line);
      } else kept.push(line);
      const next = kept.map((l) => `${l}\n`).join('');
      if (next !== text) await fx.write(file, next);
      paths.push(file);
      break;
    }
  }
  return { kind, script, paths };
}
