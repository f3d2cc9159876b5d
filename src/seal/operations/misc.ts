// Temporary and backup files, the reconfiguration flag, and customize.
import type { Operation } from './types.js';
import { NOT_WINDOWS } from './targets.js';
import { baseName, findUnder, join } from './helpers.js';
import { runCustomize } from './customize.js';

/** Where backup-files looks on Unix-like guests. */
const BACKUP_ROOTS = ['/etc', '/root', '/srv', '/tmp', '/var'];

export const miscOperations: Operation[] = [
  {
    name: 'backup-files',
    description: 'Remove editor backup files from the guest',
    enabledByDefault: true,
    appliesTo: {},
    notes: 'Regular files named *.bak or *~ under /etc, /root, /srv, /tmp and /var.',
    async run(ctx) {
      for (const root of BACKUP_ROOTS) {
        for (const p of await findUnder(ctx, root)) {
          const name = baseName(p);
          if (!name.endsWith('.bak') && !name.endsWith('~')) continue;
          if ((await ctx.fx.fileType(p)) === 'file') await ctx.fx.removeFile(p);
        }
      }
    },
  },
  {
    name: 'tmp-files',
    description: 'Remove temporary files',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    async run(ctx) {
      for (const dir of ['/tmp', '/var/tmp']) {
        // ls as well as glob: `*` skips dot files.
        const names = (await ctx.g.isDir(dir)) ? await ctx.g.ls(dir) : [];
        const paths = new Set([...(await ctx.fx.glob(`${dir}/*`)), ...names.map((n) => join(dir, n))]);
        for (const p of paths) await ctx.fx.removeTree(p);
      }
    },
  },
  {
    name: 'flag-reconfiguration',
    description: 'Flag the system for reconfiguration',
    enabledByDefault: false,
    appliesTo: NOT_WINDOWS,
    notes: 'Touches /.unconfigured: the first boot then asks interactively for root password, timezone, …',
    async run(ctx) {
      await ctx.fx.touch('/.unconfigured');
    },
  },
  {
    name: 'customize',
    description: 'Customize the guest',
    enabledByDefault: true,
    appliesTo: {},
    order: 99,
    notes:
      'Applies the customize options (hostname, passwords, SSH keys, files, timezone, first-boot commands), ' +
      'writes a new random seed and installs virtkit\'s first-boot unit. Never writes /etc/machine-id.',
    run: runCustomize,
  },
];
