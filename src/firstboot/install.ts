// Installs the first-boot machinery into a mounted guest, through the seal engine's Effects.
import type { OperationContext } from '../seal/operations/types.js';
import { FIRSTBOOT_COMMANDS_DIR, FIRSTBOOT_DONE_PATH, FIRSTBOOT_SCRIPT, FIRSTBOOT_SCRIPT_PATH } from './script.js';
import { INIT_SCRIPT, INIT_SCRIPT_PATH, SYSTEMD_UNIT, SYSTEMD_UNIT_PATH, SYSTEMD_WANTS_LINK } from './units.js';

/** True when the guest boots with systemd. */
async function usesSystemd(ctx: Pick<OperationContext, 'g'>): Promise<boolean> {
  for (const p of ['/usr/lib/systemd/systemd', '/lib/systemd/systemd']) if (await ctx.g.exists(p)) return true;
  return false;
}

/**
 * Writes the script, the commands, and one way to start them: the systemd unit (enabled by
 * its multi-user.target.wants link) on systemd guests, else an init script linked into rcS.d
 * (Debian sysvinit), rc3.d/rc5.d, or as /etc/init.d/S01… (busybox/buildroot rcS). Guests with
 * another init call /usr/lib/virtkit/firstboot.sh from it. Never both: systemd's SysV
 * generator would start the init script too.
 */
export async function installFirstboot(ctx: OperationContext, commands: readonly string[]): Promise<void> {
  const { fx, g } = ctx;
  await fx.mkdir('/usr/lib/virtkit', { mode: 0o755 });
  await fx.write(FIRSTBOOT_SCRIPT_PATH, FIRSTBOOT_SCRIPT, { mode: 0o755, uid: 0, gid: 0 });
  // The latest seal's commands replace earlier ones; a resealed clone runs first boot again.
  if (await fx.present(FIRSTBOOT_COMMANDS_DIR)) await fx.removeTree(FIRSTBOOT_COMMANDS_DIR);
  if (commands.length > 0) {
    await fx.mkdir(FIRSTBOOT_COMMANDS_DIR, { mode: 0o700 });
    for (const [i, cmd] of commands.entries()) {
      await fx.write(`${FIRSTBOOT_COMMANDS_DIR}/${String(i + 1).padStart(4, '0')}.sh`, `#!/bin/sh\n${cmd}\n`, { mode: 0o700 });
    }
  }
  for (const p of await fx.glob('/var/lib/virtkit/ran.*')) await fx.removeFile(p);
  await fx.removeFile(FIRSTBOOT_DONE_PATH);

  if (await usesSystemd(ctx)) {
    await fx.write(SYSTEMD_UNIT_PATH, SYSTEMD_UNIT, { mode: 0o644 });
    await fx.symlink(SYSTEMD_UNIT_PATH, SYSTEMD_WANTS_LINK);
    return;
  }
  if (!(await g.isDir('/etc/init.d'))) return;
  await fx.write(INIT_SCRIPT_PATH, INIT_SCRIPT, { mode: 0o755 });
  const rcDirs = [];
  if (await g.isDir('/etc/rcS.d')) rcDirs.push('/etc/rcS.d');
  else for (const d of ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc5.d']) if (await g.isDir(d)) rcDirs.push(d);
  for (const d of rcDirs) await fx.symlink('../init.d/virtkit-firstboot', `${d}/S01virtkit-firstboot`);
  if (rcDirs.length === 0 && (await g.exists('/etc/init.d/rcS'))) await fx.symlink('virtkit-firstboot', '/etc/init.d/S01virtkit-firstboot');
}
