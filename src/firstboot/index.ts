// What sealing installs in a guest so each clone personalises itself at first boot.
export { FIRSTBOOT_SCRIPT } from './script.js';
export { FIRSTBOOT_SCRIPT_PATH, FIRSTBOOT_COMMANDS_DIR, FIRSTBOOT_DONE_PATH } from './paths.js';
export { SYSTEMD_UNIT, SYSTEMD_UNIT_NAME, SYSTEMD_UNIT_PATH, INIT_SCRIPT, INIT_SCRIPT_PATH } from './units.js';
export { installFirstboot } from './install.js';
