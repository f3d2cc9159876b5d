// SSH identity: host keys (each clone must make its own) and users' ~/.ssh.
import type { Operation } from './types.js';
import { NOT_WINDOWS } from './targets.js';

export const sshOperations: Operation[] = [
  {
    name: 'ssh-hostkeys',
    description: 'Remove the SSH host keys in the guest',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    removeFiles: ['/etc/ssh/*_host_*', '/etc/dropbear/dropbear_*_host_key'],
    notes:
      'Also removes dropbear host keys. virtkit\'s first-boot unit recreates the keys on every OS ' +
      '(Debian and Ubuntu included, which do not regenerate them by themselves).',
  },
  {
    name: 'ssh-userdir',
    description: 'Remove ".ssh" directories in the guest',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    removeTrees: ['/home/*/.ssh', '/root/.ssh'],
    notes: 'Only /root and /home/* are searched, as in virt-sysprep. Authorized keys given to seal() are written after this runs.',
  },
];
