// Small building blocks shared by operations whose effect is more than a glob list.
import type { OperationContext } from './types.js';

/** Joins a directory and a name the way find(1) output is joined (no doubled slash). */
export function join(dir: string, name: string): string {
  const n = name.replace(/^\/+/, '');
  return dir.endsWith('/') ? `${dir}${n}` : `${dir}/${n}`;
}

/** Last path component. */
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Every path under `dir` (relative paths from libguestfs `find`), or [] when `dir` is not a directory. */
export async function findUnder(ctx: OperationContext, dir: string): Promise<string[]> {
  const d = dir.length > 1 ? dir.replace(/\/$/, '') : dir;
  // A missing directory costs no call (cached listings); a symlinked one is not descended.
  if ((await ctx.fx.glob(d)).length === 0 || (await ctx.fx.fileType(d)) !== 'dir') return [];
  const rel = await ctx.g.find(dir);
  return rel.filter((r) => r !== '').map((r) => join(dir, r));
}

/**
 * Removes the regular files below `dir` and keeps the directory tree (virt-sysprep's
 * rm_rf_only_files): package managers and cron expect their directories to exist.
 */
export async function removeOnlyFiles(ctx: OperationContext, dir: string, skip?: (path: string) => boolean): Promise<void> {
  for (const p of await findUnder(ctx, dir)) {
    if (skip?.(p)) continue;
    if ((await ctx.fx.fileType(p)) === 'file') await ctx.fx.removeFile(p);
  }
}

/** Reads a text file, or undefined when it is not a regular file. */
export async function readText(ctx: OperationContext, p: string): Promise<string | undefined> {
  if (!(await ctx.g.isFile(p))) return undefined;
  return (await ctx.g.readFile(p)).toString('utf8');
}
