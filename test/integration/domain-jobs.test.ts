// One real TCG domain under the system daemon, started paused (no OS needed), with a qcow2 disk on
// a backing file: stats, hotplug, memory/vCPU config, block pull / copy / commit with progress,
// pivot and abort, and the guest agent's AGENT_UNAVAILABLE path (a channel, no agent behind it).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Connection, Domain, DomainXml, StoragePool, type BlockJobProgress, type DomainBlockJobEvent } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';

const name = `vkt-jobs-${process.pid}`;
const MiB = 2 ** 20;

describe('domain jobs on a real daemon (one paused TCG domain)', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let remove: () => Promise<void>;
  let dom: Domain;
  let top: string;
  const events: DomainBlockJobEvent[] = [];
  const diskSource = async () => new DomainXml(await dom.xml()).disks.find((d) => d.target === 'vda')!;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove } = await scratchPool(conn, 'jobs'));
    const base = await pool.createVolume({ name: 'base.qcow2', format: 'qcow2', capacity: 16 * MiB });
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 4M', await base.path()]);
    const overlay = await pool.createVolume({ name: 'top.qcow2', format: 'qcow2', backing: base });
    top = await overlay.path();
    const xml = DomainXml.create({
      name, type: 'qemu', memoryMiB: 64, vcpus: 1, rng: false, guestAgent: true,
      disks: [{ path: top, format: 'qcow2', target: 'vda' }],
    }).toString();
    dom = await conn.defineDomain(xml.replace('<vcpu>1</vcpu>', "<vcpu current='1'>2</vcpu>"));
    await dom.start({ paused: true });
    conn.on('domain-block-job', (e) => e.domain === name && events.push(e));
  }, 60_000);
  afterAll(async () => {
    const d = await conn?.findDomain(name);
    if (d && (await d.isActive())) await d.destroy();
    if (d) await d.undefine();
    await pool?.refresh().catch(() => undefined);
    await remove?.();
    await conn?.close();
  });

  it('reads stats of the running domain, all groups and per disk', async () => {
    const s = await dom.stats();
    expect(s.state).toEqual({ state: 'paused', reason: 'user' });
    expect(s.cpu?.timeNs).toBeTypeOf('bigint');
    expect(s.balloon?.maximumKiB).toBe(64 * 1024);
    expect(s.vcpu).toMatchObject({ current: 1, maximum: 2 });
    expect(s.vcpu?.vcpus.map((v) => v.index)).toEqual([0]);
    expect(s.block?.[0]).toMatchObject({ name: 'vda', path: top });
    expect(s.block?.[0]?.capacity).toBe(BigInt(16 * MiB));
    const backed = await dom.stats({ groups: ['block'], backing: true });
    // libvirt numbers the chain by its <source index>: top first, then its backing file.
    expect(backed.block?.map((b) => [b.name, b.path])).toEqual([['vda', top], ['vda', expect.stringMatching(/base\.qcow2$/)]]);
    expect(backed.block![0]!.backingIndex! < backed.block![1]!.backingIndex!).toBe(true);
    expect(backed).not.toHaveProperty('cpu');
    const [rec] = await conn.domainStats([dom], { groups: ['state', 'block'] });
    expect(rec!.domain.name).toBe(name);
    expect((await conn.domainStats({ paused: true })).map((r) => r.domain.name)).toContain(name);
    expect((await dom.blockStats('vda')).rdReqs).toBeTypeOf('bigint');
    expect(await dom.memoryStats()).toHaveProperty('actualKiB', 64 * 1024);
  });

  it('hotplugs a SCSI disk live and edits the persistent config', async () => {
    const extra = join(dir, 'extra.raw');
    writeFileSync(extra, Buffer.alloc(MiB));
    const disk = { disk: { path: extra, format: 'raw', target: 'sdb' } };
    await dom.attachDevice(disk, { live: true });
    expect(new DomainXml(await dom.xml()).disks.map((d) => d.target)).toContain('sdb');
    expect(new DomainXml(await dom.xml({ inactive: true })).disks.map((d) => d.target)).not.toContain('sdb');
    await dom.detachDevice(disk, { live: true });
    expect(new DomainXml(await dom.xml()).disks.map((d) => d.target)).not.toContain('sdb');
    await dom.attachDevice(disk, { config: true });
    expect(new DomainXml(await dom.xml({ inactive: true })).disks.map((d) => d.target)).toContain('sdb');
    await dom.detachDevice(disk, { config: true });
    expect(new DomainXml(await dom.xml({ inactive: true })).disks.map((d) => d.target)).not.toContain('sdb');
    await dom.setMemory(48 * 1024, { config: true });
    expect(new DomainXml(await dom.xml({ inactive: true })).currentMemoryKiB).toBe(48 * 1024);
    await dom.setVcpus(2, { config: true });
    expect(await dom.vcpuCount({ config: true })).toBe(2);
    expect(await dom.vcpuCount({ live: true })).toBe(1);
  });

  it('pulls the backing file into the top image, with progress', async () => {
    const seen: BlockJobProgress[] = [];
    const job = await dom.blockPull('vda', { bandwidth: MiB }); // ~4 s for 4 MiB: progress shows
    expect(job).toMatchObject({ disk: 'vda', type: 'pull' });
    expect(inspect(job)).toBe(`BlockJob { disk: 'vda', type: 'pull', state: 'running' }`);
    const res = await job.wait({ onProgress: (p) => seen.push(p) });
    expect(res).toEqual({ disk: 'vda', type: 'pull', status: 'completed' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.end > 0n && p.fraction >= 0 && p.fraction <= 1)).toBe(true);
    expect(await job.progress()).toBeUndefined();
    expect((await diskSource()).backingStore).toEqual([]);
    await waitFor(() => events.some((e) => e.job === 'pull' && e.status === 'completed'));
  });

  it('an AbortSignal cancels a copy: the disk stays on its image', async () => {
    const ac = new AbortController();
    const dest = join(dir, 'aborted.qcow2');
    const job = await dom.blockCopy('vda', { path: dest, format: 'qcow2' }, { bandwidth: MiB / 4, transient: true });
    await expect(job.wait({ signal: ac.signal, onProgress: () => ac.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await job.progress()).toBeUndefined();
    expect((await diskSource()).path).toBe(top);
    expect(existsSync(dest)).toBe(false); // the file the copy made is removed with it
  });

  it('copies the disk and pivots onto the copy, by polling on a connection without events', async () => {
    // The polling fallback, for drivers that send no block-job events: switched off here by hand.
    await using quiet = await Connection.open(SYSTEM_URI);
    quiet.core.domains.enabled = false;
    const qdom = await quiet.domain(name);
    const dest = join(dir, 'copy.qcow2');
    const job = await qdom.blockCopy(top, { path: dest, format: 'qcow2' }, { transient: true });
    expect(job.disk).toBe('vda'); // a source path is resolved to its target
    expect(await job.wait({ pivot: true, intervalMs: 50 })).toMatchObject({ type: 'copy', status: 'completed' });
    expect((await diskSource()).path).toBe(dest);
    expect(existsSync(dest)).toBe(true);
  });

  it('commits an external snapshot overlay back with an active commit', async () => {
    const before = (await diskSource()).path;
    const overlay = join(dir, 'snap1.qcow2');
    await dom.createSnapshot({ diskOnly: true, noMetadata: true, disks: [{ name: 'vda', snapshot: 'external', file: overlay }] });
    expect((await diskSource()).path).toBe(overlay);
    const job = await dom.blockCommit('vda');
    expect(job.type).toBe('active_commit');
    expect(await job.wait({ pivot: true })).toMatchObject({ status: 'completed' });
    expect((await diskSource()).path).toBe(before);
    await expect(dom.blockCommit('vdz')).rejects.toMatchObject({ name: 'VirtError' });
    await expect(dom.blockPull('vda', { bandwidth: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports AGENT_UNAVAILABLE when no agent answers, never echoing a password', async () => {
    // Paused, the agent cannot answer; running (SeaBIOS spinning, no OS), nobody is on the channel.
    await expect(dom.agent.command({ execute: 'guest-ping' })).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE', details: { reason: 'paused' } });
    await dom.resume();
    await expect(dom.agent.command({ execute: 'guest-ping' })).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await expect(dom.guestInfo(['os'])).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await expect(dom.fsFreeze()).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await expect(dom.agent.addresses()).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    await expect(dom.authorizedKeys('root')).rejects.toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    const secret = 'pw-Zq81-never-shown';
    const err = await dom.setUserPassword('root', secret).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    expect(String((err as Error).stack) + String((err as Error).message)).not.toContain(secret);
    await expect(dom.agent.command('{not json')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(dom.guestInfo(['nope' as 'os'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await dom.destroy();
    await expect(dom.fsThaw()).rejects.toMatchObject({ code: 'DOMAIN_NOT_RUNNING' });
  });
});

async function waitFor(f: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
