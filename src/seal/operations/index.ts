// The operation catalogue, in virt-sysprep's naming and defaults.
import type { Operation } from './types.js';
import { logOperations } from './logs.js';
import { sshOperations } from './ssh.js';
import { networkOperations } from './network.js';
import { identityOperations } from './identity.js';
import { packageOperations } from './packages.js';
import { userOperations } from './users.js';
import { miscOperations } from './misc.js';

/** Every operation virtkit implements, sorted by name (virt-sysprep's listing order). */
export const OPERATIONS: readonly Operation[] = [
  ...logOperations,
  ...sshOperations,
  ...networkOperations,
  ...identityOperations,
  ...packageOperations,
  ...userOperations,
  ...miscOperations,
].sort((a, b) => a.name.localeCompare(b.name));

/** A virt-sysprep operation virtkit leaves out: its virt-sysprep description, and why. */
export interface LeftOut {
  description: string;
  reason: string;
}

/**
 * virt-sysprep operations virtkit leaves out, and why. Selecting one is an UNKNOWN_OPERATION
 * error naming the reason; removing one (`-script`) is accepted and does nothing.
 */
export const LEFT_OUT: Readonly<Record<string, LeftOut>> = {
  script: {
    description: 'Run arbitrary scripts against the guest',
    reason:
      'runs host scripts against the guest mounted through FUSE; virtkit does not mount guests on the host. ' +
      'Use the customize options (files, firstbootCommands) or a Guest session instead.',
  },
};

export const OPERATIONS_BY_NAME: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((o) => [o.name, o]));

export type { Operation, OperationContext, AppliesTo, LineEdit, SideEffects } from './types.js';
