// Accounts: backup copies of the account databases, PAM runtime state, optional user removal.
import type { Operation, OperationContext } from './types.js';
import { LINUX, NOT_WINDOWS } from './targets.js';
import { readText } from './helpers.js';
import { lines } from '../../util/text.js';

/** One /etc/passwd entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Parses /etc/passwd text (comments and malformed lines skipped). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of lines(text)) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  return out;
}

/** Reads the guest's /etc/passwd. */
export async function guestUsers(ctx: Pick<OperationContext, 'g'>): Promise<PasswdEntry[]> {
  const g = ctx.g;
  if (!(await g.isFile('/etc/passwd'))) return [];
  return parsePasswd((await g.readFile('/etc/passwd')).toString('utf8'));
}

/** UID_MIN/UID_MAX from login.defs, with shadow-utils' defaults. */
async function uidRange(ctx: OperationContext): Promise<[number, number]> {
  const text = (await readText(ctx, '/etc/login.defs')) ?? '';
  const get = (key: string, dflt: number) => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : dflt;
  };
  return [get('UID_MIN', 1000), get('UID_MAX', 60000)];
}

/** Drops the lines of a colon file whose first field is in `names`; keeps the file's inode. */
async function dropEntries(ctx: OperationContext, file: string, names: Set<string>): Promise<void> {
  const text = await readText(ctx, file);
  if (text === undefined) return;
  const kept = lines(text).filter((l) => !names.has(l.split(':')[0]!));
  if (kept.length !== lines(text).length) await ctx.fx.write(file, kept.map((l) => `${l}\n`).join(''));
}

export const userOperations: Operation[] = [
  {
    name: 'passwd-backups',
    description: 'Remove /etc/passwd- and similar backup files',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeFiles: ['/etc/group-', '/etc/gshadow-', '/etc/passwd-', '/etc/shadow-', '/etc/subuid-', '/etc/subgid-'],
  },
  {
    name: 'pam-data',
    description: 'Remove the PAM data in the guest',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    removeFiles: ['/var/run/console/*', '/var/run/faillock/*', '/var/run/sepermit/*'],
  },
  {
    name: 'user-account',
    description: 'Remove the user accounts in the guest',
    enabledByDefault: false,
    appliesTo: NOT_WINDOWS,
    notes: 'Removes accounts with UID_MIN <= uid <= UID_MAX (root is kept), their group, mail spool and home. Options removeUserAccounts / keepUserAccounts narrow it.',
    async run(ctx) {
      const [min, max] = await uidRange(ctx);
      const only = ctx.customize.removeUserAccounts;
      const keep = new Set(ctx.customize.keepUserAccounts ?? []);
      const victims = (await guestUsers(ctx)).filter(
        (u) => u.uid >= min && u.uid <= max && !keep.has(u.name) && (only === undefined || only.length === 0 || only.includes(u.name)),
      );
      if (victims.length === 0) return;
      const names = new Set(victims.map((u) => u.name));
      // Text edits rather than Augeas: same result for these simple colon files, and they work
      // in a dry run and against the in-memory test double.
      for (const f of ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow']) await dropEntries(ctx, f, names);
      for (const u of victims) {
        await ctx.fx.removeTree(`/var/spool/mail/${u.name}`);
        if (u.home && u.home !== '/') await ctx.fx.removeTree(u.home);
      }
    },
  },
];
