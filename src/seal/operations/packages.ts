// Package manager state that is per-host or merely cached.
import type { Operation } from './types.js';
import { removeOnlyFiles } from './helpers.js';

export const packageOperations: Operation[] = [
  {
    name: 'package-manager-cache',
    description: 'Remove package manager cache',
    enabledByDefault: true,
    appliesTo: { packageManagement: ['apt', 'dnf', 'yum', 'zypper'] },
    // Files only: apt and dnf expect their cache directories (partial/, lock dirs) to exist.
    async run(ctx) {
      const pm = ctx.root.packageManagement;
      const dirs =
        pm === 'apt' ? ['/var/cache/apt/archives/']
        : pm === 'dnf' ? ['/var/cache/dnf/']
        : pm === 'yum' ? ['/var/cache/yum/']
        : await ctx.fx.glob('/var/cache/zypp*');
      for (const d of dirs) await removeOnlyFiles(ctx, d);
    },
  },
  {
    name: 'rpm-db',
    description: 'Remove host-specific RPM database files',
    enabledByDefault: true,
    appliesTo: { packageFormat: ['rpm'] },
    removeFiles: ['/var/lib/rpm/__db.*'],
  },
  {
    name: 'yum-uuid',
    description: 'Remove the yum UUID',
    enabledByDefault: true,
    appliesTo: { packageManagement: ['yum'] },
    removeFiles: ['/var/lib/yum/uuid'],
  },
];
