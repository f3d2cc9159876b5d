// cloud-init in a template: found, and its instance state reset (what `cloud-init clean` does:
// everything under /var/lib/cloud but the seed directory), so each clone runs it afresh with its
// own NoCloud seed (instance-id = the clone's UUID). Part of customize.
import type { OperationContext } from './types.js';

/** Where cloud-init keeps its state. */
export const CLOUD_DIR = '/var/lib/cloud';

/** True when the guest has cloud-init and has not disabled it (/etc/cloud/cloud-init.disabled). */
export async function hasCloudInit(ctx: Pick<OperationContext, 'g'>): Promise<boolean> {
  if (await ctx.g.exists('/etc/cloud/cloud-init.disabled')) return false;
  for (const p of ['/usr/bin/cloud-init', '/usr/local/bin/cloud-init']) if (await ctx.g.exists(p)) return true;
  return ctx.g.isFile('/etc/cloud/cloud.cfg');
}

/** Resets cloud-init's instance state when the guest has cloud-init; returns whether it has. */
export async function resetCloudInit(ctx: OperationContext): Promise<boolean> {
  if (!(await hasCloudInit(ctx))) return false;
  if (await ctx.g.isDir(CLOUD_DIR)) {
    const names = await ctx.g.ls(CLOUD_DIR);
    for (const n of names) if (n !== 'seed') await ctx.fx.removeTree(`${CLOUD_DIR}/${n}`);
  }
  return true;
}
