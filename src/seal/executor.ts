// Runs one operation against one mounted root: the declarative parts first (in a fixed order:
// removals, truncations, line edits), then its custom code. Every change goes through Effects.
import type { InspectedRoot } from './guest-api.js';
import type { AppliesTo, Operation, OperationContext } from './operations/index.js';
import { lines } from '../util/text.js';

/** True when `op` is meant for this guest (type, distro, package manager). */
export function applies(to: AppliesTo, root: InspectedRoot): boolean {
  if (to.types && !to.types.includes(root.type)) return false;
  if (to.distros && !to.distros.includes(root.distro)) return false;
  if (to.packageManagement && !to.packageManagement.includes(root.packageManagement)) return false;
  if (to.packageFormat && !to.packageFormat.includes(root.packageFormat)) return false;
  return true;
}

/** Performs `op` (or, in a dry run, records what it would do). */
export async function executeOperation(op: Operation, ctx: OperationContext): Promise<void> {
  if (!applies(op.appliesTo, ctx.root)) return;
  const keep = new Set(op.keep ?? []);
  for (const glob of op.removeTrees ?? []) {
    for (const p of await ctx.fx.glob(glob)) if (!keep.has(p)) await ctx.fx.removeTree(p);
  }
  for (const glob of op.removeFiles ?? []) {
    for (const p of await ctx.fx.glob(glob)) if (!keep.has(p)) await ctx.fx.removeFile(p);
  }
  for (const p of op.truncate ?? []) await ctx.fx.truncate(p);
  for (const edit of op.lineEdits ?? []) {
    for (const p of await ctx.fx.glob(edit.glob)) {
      if (!(await ctx.g.isFile(p))) continue;
      const before = lines((await ctx.g.readFile(p)).toString('utf8'));
      const after = before.filter((l) => !edit.dropPrefixes.some((pre) => l.startsWith(pre)));
      if (after.length !== before.length) await ctx.fx.write(p, after.map((l) => `${l}\n`).join(''));
    }
  }
  if (op.run) await op.run(ctx);
}
