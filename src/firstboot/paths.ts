// Every guest path of the first-boot machinery, once: the script (firstboot.sh gets them
// injected, see script.ts), its units and init scripts (units.ts), and the installer (install.ts).

/** Where the script and its commands live in the guest. */
export const FIRSTBOOT_DIR = '/usr/lib/virtkit';
/** Where the script lives in the guest. */
export const FIRSTBOOT_SCRIPT_PATH = `${FIRSTBOOT_DIR}/firstboot.sh`;
/** First-boot commands, one file each, run in name order. */
export const FIRSTBOOT_COMMANDS_DIR = `${FIRSTBOOT_DIR}/firstboot.d`;
/**
 * Where they go instead when the guest's /usr is a filesystem of its own (CoreOS-style: read-only,
 * often verity-protected): the writable root.
 */
export const FIRSTBOOT_ETC_DIR = '/etc/virtkit';
export const FIRSTBOOT_ETC_SCRIPT_PATH = `${FIRSTBOOT_ETC_DIR}/firstboot.sh`;
export const FIRSTBOOT_ETC_COMMANDS_DIR = `${FIRSTBOOT_ETC_DIR}/firstboot.d`;
/** The script's state: its lock, the per-command `ran.NAME` markers, `data/` from the identity. */
export const FIRSTBOOT_STATE_DIR = '/var/lib/virtkit';
/** Written when the script has run; its presence disables the unit. */
export const FIRSTBOOT_DONE_PATH = `${FIRSTBOOT_STATE_DIR}/firstboot.done`;
/** The script's log in the guest. */
export const FIRSTBOOT_LOG_PATH = '/var/log/virtkit-firstboot.log';

export const SYSTEMD_UNIT_NAME = 'virtkit-firstboot.service';
export const SYSTEMD_UNIT_PATH = `/etc/systemd/system/${SYSTEMD_UNIT_NAME}`;
export const SYSTEMD_WANTS_LINK = `/etc/systemd/system/multi-user.target.wants/${SYSTEMD_UNIT_NAME}`;
export const INIT_SCRIPT_PATH = '/etc/init.d/virtkit-firstboot';
