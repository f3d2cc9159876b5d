// Sealing a guest with cloud-init (issue 11 item 4): customize resets its instance state (what
// `cloud-init clean` removes: /var/lib/cloud but its seed directory) and reports cloud-init, so
// the template's record makes deploy use a NoCloud seed. The in-memory guest, no appliance.
import { describe, expect, it } from 'vitest';
import { seal } from '../../src/seal/index.js';
import { MemoryGuest, debianTree, type TreeSpec } from '../fixtures/linux-trees.js';

function withCloudInit(disabled = false): TreeSpec {
  const t = debianTree();
  t.entries.push(
    { path: '/usr/bin/cloud-init', content: '#!/usr/bin/python3\n' },
    { path: '/etc/cloud/cloud.cfg', content: 'datasource_list: [NoCloud, None]\n' },
    { path: '/var/lib/cloud/instance', link: '/var/lib/cloud/instances/iid-template' },
    { path: '/var/lib/cloud/instances/iid-template/obj.pkl', content: 'pickled' },
    { path: '/var/lib/cloud/instances/iid-template/sem/config_ssh', content: 'x' },
    { path: '/var/lib/cloud/data/instance-id', content: 'iid-template\n' },
    { path: '/var/lib/cloud/sem/config_scripts_per_once.once', content: 'x' },
    { path: '/var/lib/cloud/seed/nocloud/meta-data', content: 'instance-id: baked\n' },
  );
  if (disabled) t.entries.push({ path: '/etc/cloud/cloud-init.disabled', content: '' });
  return t;
}

describe('seal and cloud-init', () => {
  it('resets the instance state, keeps the seed directory, reports cloud-init', async () => {
    const g = MemoryGuest.of(withCloudInit());
    const r = await seal({ guest: g });
    expect(r.cloudInit).toBe(true);
    expect(r.roots[0]!.cloudInit).toBe(true);
    for (const p of ['/var/lib/cloud/instance', '/var/lib/cloud/instances', '/var/lib/cloud/data', '/var/lib/cloud/sem']) expect(g.node(p), p).toBeUndefined();
    expect(g.text('/var/lib/cloud/seed/nocloud/meta-data')).toBe('instance-id: baked\n');
    expect(g.node('/usr/bin/cloud-init')).toBeDefined();
    expect(r.operations.find((o) => o.name === 'customize')!.removed).toEqual(expect.arrayContaining(['/var/lib/cloud/instances', '/var/lib/cloud/data']));
  });

  it('a dry run says so and removes nothing', async () => {
    const g = MemoryGuest.of(withCloudInit(), true);
    const r = await seal({ guest: g, dryRun: true });
    expect(r.cloudInit).toBe(true);
    expect(g.node('/var/lib/cloud/data/instance-id')).toBeDefined();
  });

  it('no cloud-init, or cloud-init disabled: nothing reported, nothing removed', async () => {
    expect((await seal({ guest: MemoryGuest.of(debianTree()) })).cloudInit).toBeUndefined();
    const g = MemoryGuest.of(withCloudInit(true));
    const r = await seal({ guest: g });
    expect(r.cloudInit).toBeUndefined();
    expect(g.node('/var/lib/cloud/data/instance-id')).toBeDefined();
  });
});
