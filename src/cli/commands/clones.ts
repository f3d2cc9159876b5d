// virtkit clones TEMPLATE, virtkit flatten DOMAIN, virtkit remove CLONE
import { Template, flattenClone, removeClone } from '../../index.js';
import { positionals } from '../args.js';
import type { Command } from '../context.js';
import { table } from '../output.js';
import { UsageError } from '../errors.js';
import { cloneJson, templateProgress } from '../describe.js';

export const clonesCommand: Command = {
  name: 'clones',
  summary: 'list the clones deployed from a template',
  usage: 'virtkit clones TEMPLATE',
  help: 'Lists the domains whose virtkit record names TEMPLATE as their template.',
  options: {},
  async run(ctx, _v, pos) {
    const [name] = positionals(pos, ['TEMPLATE'], this.name);
    const tpl = await Template.get(await ctx.connect(), name!);
    const list = await Promise.all((await tpl.clones()).map(cloneJson));
    ctx.out.result(list, () =>
      list.length === 0
        ? `No clones of '${tpl.name}'.`
        : table(['NAME', 'STATE', 'VERSION', 'UUID'], list.map((c) => [c.name, c.state, String(c.template?.version ?? '-'), c.uuid])),
    );
  },
};

export const flattenCommand: Command = {
  name: 'flatten',
  summary: 'turn a shut-off linked clone into a full one',
  usage: 'virtkit flatten DOMAIN',
  help: `Copies each overlay of the linked clone DOMAIN into an independent qcow2 (backing chain
flattened), points the domain at the copies and deletes the overlays. The clone stays a clone
of its template in virtkit's record, but no longer depends on the template's disks.`,
  options: {},
  async run(ctx, _v, pos) {
    const [name] = positionals(pos, ['DOMAIN'], this.name);
    const conn = await ctx.connect();
    const dom = await flattenClone(conn, await conn.domain(name!), {
      signal: ctx.signal,
      onProgress: (p) => {
        const { label, fraction } = templateProgress(p);
        ctx.progress.update(label, fraction);
      },
    }).finally(() => ctx.progress.stop());
    const j = await cloneJson(dom);
    ctx.out.result(j, () => `Flattened '${j.name}':\n${table(null, j.disks.map((d) => ['  ' + d.target, d.path]))}`);
  },
};

export const removeCommand: Command = {
  name: 'remove',
  summary: 'remove a clone: stop it, undefine it, delete its disks',
  usage: 'virtkit remove CLONE [CLONE...]',
  help: `Removes clones virtkit deployed (refused with INVALID_ARGUMENT for any other domain): a
running clone is powered off, its definition and its disk volumes are deleted.`,
  options: {},
  async run(ctx, _v, pos) {
    if (pos.length === 0) throw new UsageError('missing CLONE', this.name);
    const conn = await ctx.connect();
    const removed: string[] = [];
    for (const name of pos) {
      await removeClone(conn, await conn.domain(name));
      removed.push(name);
    }
    ctx.out.result({ removed }, () => removed.map((n) => `Removed clone '${n}'.`).join('\n'));
  },
};
