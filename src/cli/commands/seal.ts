// virtkit seal: virt-sysprep's job, in-process (one appliance per guest).
import { listOperations, seal, type SealOptions, type SealProgress, type SealReport } from '../../index.js';
import { flag, list, str } from '../args.js';
import type { Command, Context } from '../context.js';
import { UsageError } from '../errors.js';
import { seconds, table } from '../output.js';
import { SEAL_HELP, SEAL_OPTIONS, sealOptionsFrom } from '../seal-flags.js';

export function sealProgressLabel(p: SealProgress): string {
  if (p.step === 'launch') return 'launching the appliance';
  if (p.step === 'inspect') return 'inspecting the guest';
  if (p.step === 'done') return 'done';
  return `sealing: ${p.operation ?? ''}`;
}

/** Human summary of a seal report. */
export function formatReport(r: SealReport, verbose: boolean): string {
  const g = r.guest;
  const what = `${g.productName || `${g.distro} ${g.version.major}.${g.version.minor}`}${g.hostname ? ` (hostname '${g.hostname}')` : ''}`;
  const lines = [`${r.dryRun ? 'Dry run on' : 'Sealed'} ${r.disks.join(', ') || 'the guest'}: ${what}`];
  const rows: string[][] = [];
  let removed = 0;
  let changed = 0;
  for (const op of r.operations) {
    removed += op.removed.length;
    changed += op.changed.length;
    const parts = [op.removed.length ? `${op.removed.length} removed` : '', op.changed.length ? `${op.changed.length} changed` : ''].filter(Boolean);
    rows.push(['  ' + op.name, parts.join(', ') || '-']);
    if (verbose) {
      for (const p of op.removed) rows.push(['', `- ${p}`]);
      for (const p of op.changed) rows.push(['', `~ ${p}`]);
    }
    for (const w of op.warnings ?? []) rows.push(['', `warning: ${w}`]);
  }
  lines.push(table(null, rows));
  const verb = r.dryRun ? 'would be' : 'were';
  lines.push(`${r.operations.length} operations: ${removed} paths ${verb} removed, ${changed} ${verb} changed, in ${seconds(r.timings.totalMs)} (appliance launch ${seconds(r.timings.launchMs)})`);
  return lines.join('\n');
}

function listOps(ctx: Context): void {
  const ops = listOperations();
  ctx.out.result(ops, () =>
    table(null, ops.map((o) => [o.name, o.enabledByDefault ? '*' : '', o.description + (o.supported ? '' : ' (not supported)')])),
  );
}

export const sealCommand: Command = {
  name: 'seal',
  summary: 'seal disk images or a shut-off VM (virt-sysprep, in-process)',
  usage: 'virtkit seal (-a DISK [-a DISK...] | -d DOMAIN) [options]\n       virtkit seal --list-operations',
  help: `Removes what makes a guest one particular machine (machine-id, SSH host keys, logs, ...)
and applies the customize options, in one libguestfs appliance. The guest is not booted.

Source (one of):
  -a, --add DISK            a disk image of the guest (repeatable; format probed)
  --format FMT              format of every -a disk (qcow2, raw); default: probed
  -d, --domain DOMAIN       all writable disks of a shut-off libvirt domain (uses -c)

${SEAL_HELP}

Other:
  --dry-run                 open the disks read-only and report what would change
  -v, --verbose             list every path removed or changed
  --list-operations         list the operations ('*' = enabled by default)`,
  options: {
    add: { type: 'string', short: 'a', multiple: true },
    format: { type: 'string' },
    domain: { type: 'string', short: 'd' },
    'dry-run': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    'list-operations': { type: 'boolean' },
    ...SEAL_OPTIONS,
  },
  async run(ctx, v, pos) {
    if (pos.length) throw new UsageError(`unexpected argument '${pos[0]}'`, 'seal');
    if (flag(v, 'list-operations')) return listOps(ctx);
    const disks = list(v, 'add');
    const domain = str(v, 'domain');
    if (disks.length && domain) throw new UsageError('give -a DISK or -d DOMAIN, not both', 'seal');
    if (!disks.length && !domain) throw new UsageError('missing -a DISK or -d DOMAIN', 'seal');
    const format = str(v, 'format');
    if (format !== undefined && domain) throw new UsageError('--format applies to -a disks only', 'seal');
    const opts: SealOptions = {
      ...sealOptionsFrom(v, 'seal'),
      dryRun: flag(v, 'dry-run'),
      signal: ctx.signal,
      onProgress: (p) => ctx.progress.update(sealProgressLabel(p), p.total ? p.done / p.total : undefined),
    };
    if (domain) opts.domain = await (await ctx.connect()).domain(domain);
    else opts.disks = disks.map((path) => (format ? { path, format } : path));
    const report = await seal(opts).finally(() => ctx.progress.stop());
    ctx.out.result(report, () => formatReport(report, flag(v, 'verbose') || report.dryRun));
  },
};
