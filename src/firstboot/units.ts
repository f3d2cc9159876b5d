// How the first-boot script gets started: a systemd unit, or a SysV/busybox init script.
import { FIRSTBOOT_DONE_PATH, FIRSTBOOT_SCRIPT_PATH } from './paths.js';

export { SYSTEMD_UNIT_NAME, SYSTEMD_UNIT_PATH, SYSTEMD_WANTS_LINK, INIT_SCRIPT_PATH } from './paths.js';

/**
 * Runs early (no default dependencies: only local filesystems needed) and before anything that
 * publishes the hostname or the host keys: the network (DHCP sends the hostname) and sshd.
 */
export const SYSTEMD_UNIT = systemdUnit(FIRSTBOOT_SCRIPT_PATH);

/** The unit, starting the script at `script`. */
export function systemdUnit(script: string): string {
  return `[Unit]
Description=virtkit first boot: this clone's machine-id, SSH host keys, hostname and keys
DefaultDependencies=no
Wants=network-pre.target
After=local-fs.target systemd-remount-fs.service
Before=network-pre.target systemd-networkd.service NetworkManager.service networking.service
Before=ssh.service sshd.service ssh.socket sshd-keygen.target dropbear.service
Before=cloud-init-local.service systemd-user-sessions.service shutdown.target
Conflicts=shutdown.target
ConditionPathExists=!${FIRSTBOOT_DONE_PATH}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${script}
StandardOutput=journal+console
TimeoutSec=0

[Install]
WantedBy=multi-user.target
`;
}

/** For guests without systemd: LSB headers for insserv/update-rc.d, and a plain start. */
export const INIT_SCRIPT = initScript(FIRSTBOOT_SCRIPT_PATH);

/** The SysV/busybox init script, starting the script at `script`. */
export function initScript(script: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          virtkit-firstboot
# Required-Start:    $local_fs
# Required-Stop:
# X-Start-Before:    $network ssh sshd dropbear
# Default-Start:     S
# Default-Stop:
# Short-Description: virtkit first boot (per-clone identity)
### END INIT INFO
case "$1" in
  start|'') [ -e ${FIRSTBOOT_DONE_PATH} ] || exec ${script} ;;
esac
exit 0
`;
}

/** OpenRC's service script (openrc-run), started in the boot runlevel. */
export function openrcScript(script: string, runner: string): string {
  return `#!${runner}
description="virtkit first boot (per-clone identity)"
depend() {
  need localmount
  before net sshd dropbear hostname
}
start() {
  [ -e ${FIRSTBOOT_DONE_PATH} ] && return 0
  ebegin "virtkit first boot"
  ${script}
  eend $?
}
`;
}

/** The line other inits run (rc.local, inittab sysinit). Idempotent: the script checks its marker. */
export function firstbootCommandLine(script: string): string {
  return `[ -e ${FIRSTBOOT_DONE_PATH} ] || ${script}`;
}
