// Snapshots and checkpoints as objects, on test:///default: a tree of snapshots, parents,
// children, revert, delete with children; checkpoints on a domain of their own (libvirt refuses
// snapshots and checkpoints on one domain).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { inspect } from 'node:util';
import { Connection, Domain, DomainSnapshot, snapshotXml, checkpointXml } from '../../src/index.js';

// The test driver opens no image: the disk only has to be there (checkpoints need one).
const xmlFor = (name: string) => `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/nonexistent/${name}.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;

describe('snapshot and checkpoint objects on test:///default', () => {
  let conn: Connection;
  let dom: Domain;
  let cdom: Domain;
  const name = `vk-snap-${process.pid}`;
  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    dom = await conn.defineDomain(xmlFor(name));
    cdom = await conn.defineDomain(xmlFor(`${name}-cp`));
  });
  afterAll(async () => {
    for (const d of [dom, cdom]) {
      if (await d.isActive().catch(() => false)) await d.destroy();
      await d.undefine().catch(() => undefined);
    }
    await conn.close();
  });

  it('builds a tree and walks it both ways', async () => {
    await dom.start();
    const root = await dom.createSnapshot({ name: 'root', description: 'a <first> one' });
    expect(root).toBeInstanceOf(DomainSnapshot);
    expect(root.name).toBe('root');
    expect(inspect(root)).toBe(`DomainSnapshot { name: 'root' }`);
    const a = await dom.createSnapshot({ name: 'a' });
    const b = await dom.createSnapshot({ name: 'b' });
    await root.revert();
    const c = await dom.createSnapshot(snapshotXml({ name: 'c' }));
    expect(await c.isCurrent()).toBe(true);
    expect(await a.isCurrent()).toBe(false);
    expect((await c.parent())?.name).toBe('root');
    expect((await b.parent())?.name).toBe('a');
    expect(await root.parent()).toBeUndefined();
    expect((await root.children()).map((s) => s.name).sort()).toEqual(['a', 'c']);
    expect((await root.children({ descendants: true })).map((s) => s.name).sort()).toEqual(['a', 'b', 'c']);
    expect((await dom.snapshots()).map((s) => s.name).sort()).toEqual(['a', 'b', 'c', 'root']);
    expect((await dom.snapshots({ roots: true })).map((s) => s.name)).toEqual(['root']);
    expect((await dom.snapshots({ leaves: true })).map((s) => s.name).sort()).toEqual(['b', 'c']);
    expect((await dom.snapshot('b')).name).toBe('b');
    expect((await dom.currentSnapshot())?.name).toBe('c');
    expect(await root.xml()).toContain('a &lt;first&gt; one');
  });

  it('reverts into a chosen state and deletes subtrees', async () => {
    const a = await dom.snapshot('a');
    await a.revert({ paused: true });
    expect((await dom.state()).state).toBe('paused');
    expect((await dom.currentSnapshot())?.name).toBe('a');
    await a.delete({ children: true });
    expect((await dom.snapshotNames()).sort()).toEqual(['c', 'root']);
    const root = await dom.snapshot('root');
    await root.delete({ childrenOnly: true });
    expect(await dom.snapshotNames()).toEqual(['root']);
    await root.delete();
    expect(await dom.snapshots()).toEqual([]);
    await expect(dom.snapshot('a')).rejects.toMatchObject({ name: 'VirtError', code: 'VIR_ERR_NO_DOMAIN_SNAPSHOT' });
    expect(await dom.currentSnapshot()).toBeUndefined();
  });

  it('refuses bad specs before any call', async () => {
    await expect(dom.createSnapshot({ name: 'x', live: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'spec.live' } });
    await expect(dom.createSnapshot({ name: 'x', disks: [{ name: 'vda', snapshot: 'internal', file: '/a' }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.createSnapshot({ name: 'x', memory: { file: 'rel' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.createSnapshot('<domainsnapshot><name>x</name>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'spec' } });
    await expect(dom.createSnapshot('<domaincheckpoint/>')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const s = await dom.createSnapshot({ name: 'only' });
    await expect(s.revert({ running: true, paused: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(s.delete({ children: true, childrenOnly: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await dom.snapshotNames()).toEqual(['only']);
    await s.delete();
  });

  it('snapshot XML carries memory and per-disk choices', () => {
    expect(snapshotXml({ name: 's', memory: 'no', disks: [{ name: 'vda', snapshot: 'external', file: '/v/s1.qcow2' }, { name: 'vdb', snapshot: 'no' }] })).toBe(
      `<domainsnapshot><name>s</name><memory snapshot='no'/><disks><disk name='vda' snapshot='external'><driver type='qcow2'/><source file='/v/s1.qcow2'/></disk><disk name='vdb' snapshot='no'/></disks></domainsnapshot>`,
    );
    expect(checkpointXml({ name: 'c', disks: [{ name: 'vda', checkpoint: 'bitmap' }] })).toBe(
      `<domaincheckpoint><name>c</name><disks><disk name='vda' checkpoint='bitmap'/></disks></domaincheckpoint>`,
    );
  });

  it('checkpoints: create, walk, delete', async () => {
    await cdom.start(); // the test driver makes checkpoints of running domains only
    const c1 = await cdom.createCheckpoint({ name: 'c1', description: 'first' });
    const c2 = await cdom.createCheckpoint({ name: 'c2' });
    expect((await c2.parent())?.name).toBe('c1');
    expect(await c1.parent()).toBeUndefined();
    expect((await c1.children()).map((c) => c.name)).toEqual(['c2']);
    expect((await cdom.checkpoints()).map((c) => c.name).sort()).toEqual(['c1', 'c2']);
    expect((await cdom.checkpoint('c1')).name).toBe('c1');
    expect(await c1.xml()).toContain('<description>first</description>');
    await expect(cdom.createSnapshot({ name: 's' })).rejects.toMatchObject({ name: 'VirtError' });
    await expect(cdom.createCheckpoint({ name: 'bad/name' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await c1.delete({ children: true });
    expect(await cdom.checkpoints()).toEqual([]);
    await expect(cdom.checkpoint('c1')).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN_CHECKPOINT' });
  });
});
