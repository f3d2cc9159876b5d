// The whole story on a real libvirtd and a real appliance: a tiny VM with an identity becomes a
// sealed template; two linked clones and one full clone boot (TCG unless KVM really works) and
// each prints its identity on the serial console.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { spawnAsync } from '../helpers/spawn.js';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { Connection, Template, VolumeXml, seal, type Domain, type StoragePool } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool, removeTagged } from '../helpers/system.js';
import { buildTinyGuest, parseIdentity, tinyGuestXml } from '../../examples/lib/tiny-guest.js';
import { DomainXml } from '../../src/xml/domain.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { consumeSeed } from '../../src/index.js';

const tag = `e2e${process.pid}`;
const SRC = `${tag}-src`;
const TPL = `${tag}-tpl`;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eTestKeyForVirtkitE2eTestKeyForVirtkitE2e tester@virtkit';
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
// web1's root password hash: on its seed volume only, never in the definition or on QEMU's command line.
const HASH = sha512Crypt('e2e password', 'e2esaltx');

describe('templates end to end', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let removePool: () => Promise<void>;
  let tpl: Template;
  let type: 'qemu' | 'kvm';
  const serial = (name: string) => `${dir}/${name}-serial.log`;

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove: removePool } = await scratchPool(conn, 'e2e'));
    type = process.env.VIRTKIT_ACCEL === 'tcg' ? 'qemu' : (await conn.kvmWorks()) ? 'kvm' : 'qemu';
    await buildTinyGuest({ path: `${dir}/${SRC}.qcow2`, hostname: 'tiny-source' });
    await pool.refresh();
    await conn.defineDomain(tinyGuestXml({ name: SRC, disk: `${dir}/${SRC}.qcow2`, serialLog: serial(SRC), type }));
  });

  afterAll(async () => {
    await removeTagged(conn, tag, dir, removePool);
  });

  it('creates and seals a template from a shut-off VM without touching the VM', async () => {
    const before = sha256(`${dir}/${SRC}.qcow2`);
    const steps = new Set<string>();
    tpl = await Template.create(conn, {
      from: await conn.domain(SRC), name: TPL, pool, seal: { operations: 'defaults' },
      onProgress: (p) => steps.add(p.step),
    });
    expect(tpl.state).toBe('ready');
    expect(tpl.version).toBe(1);
    expect(tpl.operations).toEqual(expect.arrayContaining(['machine-id', 'ssh-hostkeys', 'logfiles', 'customize']));
    expect([...steps]).toEqual(expect.arrayContaining(['define', 'copy', 'seal', 'done']));
    expect(sha256(`${dir}/${SRC}.qcow2`)).toBe(before);
    const [disk] = tpl.disks;
    expect(disk!.path).toBe(`${dir}/${TPL}-vda.qcow2`);
    expect(statSync(disk!.path).mode & 0o777).toBe(0o444);
    expect((await Template.list(conn)).map((t) => t.name)).toContain(TPL);
    expect((await Template.get(conn, TPL)).uuid).toBe(tpl.uuid);
  });

  it('refuses to start the template, through virtkit and through virsh', async () => {
    await expect(tpl.domain.start()).rejects.toMatchObject({ code: 'IS_TEMPLATE' });
    const r = spawnSync('virsh', ['-c', SYSTEM_URI, 'start', TPL], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(await tpl.domain.isActive()).toBe(false);
  });

  it('deploys 2 linked + 1 full clones that boot with their own identity', async () => {
    const diskBefore = sha256(tpl.disks[0]!.path);
    const names = [`${tag}-web1`, `${tag}-web2`, `${tag}-db1`];
    const clones: Domain[] = [];
    clones.push(await tpl.deploy({ name: names[0]!, mode: 'linked', identity: { hostname: 'web1', sshAuthorizedKeys: { root: [KEY] }, rootPasswordHash: HASH } }));
    clones.push(await tpl.deploy({ name: names[1]!, mode: 'linked', identity: { hostname: 'web2', sshAuthorizedKeys: { root: [KEY] } } }));
    clones.push(await tpl.deploy({ name: names[2]!, mode: 'full', identity: { hostname: 'db1' } }));
    expect((await tpl.clones()).map((c) => c.name).sort()).toEqual([...names].sort());

    // Linked: one qcow2 overlay on the template disk, backing format written; full: standalone.
    const chains = await Promise.all(clones.map(async (c) => (await conn.volumeByPath(`${dir}/${c.name}-vda.qcow2`)).backingChain()));
    expect(chains[0]!.map((l) => l.path)).toEqual([`${dir}/${names[0]}-vda.qcow2`, tpl.disks[0]!.path]);
    expect(chains[2]).toHaveLength(1);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', `${dir}/${names[0]}-vda.qcow2`])) as Record<string, unknown>;
    expect(info['backing-filename-format']).toBe('qcow2');

    // Started paused first: QEMU's command line is there to read before the guests run.
    await Promise.all(clones.map((c) => c.start({ paused: true })));
    const pid = readFileSync(`/run/libvirt/qemu/${names[0]}.pid`, 'utf8').trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).toContain(`${names[0]}-seed.iso`);
    for (const text of [cmdline, run('virsh', ['-r', '-c', SYSTEM_URI, 'dumpxml', names[0]!]), await clones[0]!.xml({ inactive: true })]) {
      expect(text).not.toContain(HASH);
      expect(text).not.toContain(HASH.split('$')[3]!);
    }
    await Promise.all(clones.map((c) => c.resume()));
    // A disk in use by a running domain cannot be sealed: QEMU's image lock is seen before any
    // launch (IMAGE_IN_USE; through `seal({ domain })` it is DOMAIN_RUNNING, see
    // test/integration/seal.test.ts).
    const busy = await seal({ disks: [{ path: `${dir}/${names[0]}-vda.qcow2`, format: 'qcow2' }], accel: 'tcg' }).catch((e: unknown) => e);
    expect(busy).toMatchObject({ name: 'VirtkitError', code: 'IMAGE_IN_USE' });
    await expect(seal({ domain: clones[0]! })).rejects.toMatchObject({ code: 'DOMAIN_RUNNING' });
    await Promise.all(clones.map((c) => c.waitForState('shutoff', { timeoutMs: 540_000, intervalMs: 500 })));
    const ids = names.map((n) => parseIdentity(readFileSync(serial(n), 'utf8')));
    console.log('clone identities:\n' + ids.map((i, k) => `  ${names[k]}: ${JSON.stringify(i)}`).join('\n'));
    const src = '0123456789abcdef0123456789abcdef';
    expect(ids.every(Boolean)).toBe(true);
    expect(ids.map((i) => i!.hostname)).toEqual(['web1', 'web2', 'db1']);
    const mids = ids.map((i) => i!['machine-id']!);
    for (const m of mids) expect(m).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([...mids, src]).size).toBe(4);
    const keys = ids.map((i) => i!.hostkey!);
    for (const k of keys) expect(k).toMatch(/^SHA256:/);
    expect(new Set(keys).size).toBe(3);
    expect(ids.map((i) => i!['authorized-keys'])).toEqual(['1', '1', '0']);
    // web1 applied the hash from its seed; the others kept the template's locked root.
    const digest = (s: string) => createHash('sha256').update(`${s}\n`).digest('hex').slice(0, 16);
    expect(ids.map((i) => i!.rootpw)).toEqual([digest(HASH), digest('*'), digest('*')]);
    expect(readFileSync(serial(names[0]!), 'utf8')).not.toContain(HASH);
    // libvirt's own log of the domain (QEMU's command line and stderr, written by the daemon).
    const domainLog = `/var/log/libvirt/qemu/${names[0]}.log`;
    if (SYSTEM_URI === 'qemu:///system') {
      expect(existsSync(domainLog)).toBe(true);
      const text = readFileSync(domainLog, 'utf8');
      expect(text).toContain(`${names[0]}-seed.iso`); // the log is this boot's
      expect(text).not.toContain(HASH);
      expect(text).not.toContain(HASH.split('$')[3]!);
    }
    // hostKeys(): what each clone's first boot reported on its serial console, the fingerprint
    // computed here equal to the one the guest's own ssh-keygen printed.
    const reported = await Promise.all(clones.map((c) => c.hostKeys({ timeoutMs: 10_000 })));
    for (const [k, keys] of reported.entries()) {
      expect(keys.map((x) => x.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
      expect(keys.find((x) => x.type === 'ssh-ed25519')!.fingerprint).toBe(ids[k]!.hostkey);
    }
    // First boot is done: the seed goes (detached, deleted); the others never had one.
    expect(await consumeSeed(conn, clones[0]!)).toBe(true);
    expect(await pool.findVolume(`${names[0]}-seed.iso`)).toBeUndefined();
    expect(await consumeSeed(conn, clones[1]!)).toBe(false);
    // MACs: the guest saw the MAC libvirt gave each clone, all distinct; UUIDs distinct.
    const xmls = await Promise.all(clones.map(async (c) => new DomainXml(await c.xml())));
    expect(ids.map((i) => i!.mac)).toEqual(xmls.map((x) => x.interfaces[0]!.mac));
    expect(new Set(ids.map((i) => i!.mac)).size).toBe(3);
    expect(new Set([tpl.uuid, ...clones.map((c) => c.uuid)]).size).toBe(4);
    // The template disk is unchanged by the boots; every disk image is consistent (the pool
    // directory also holds the serial logs, which are not images).
    expect(sha256(tpl.disks[0]!.path)).toBe(diskBefore);
    const images = (await Promise.all((await pool.volumes()).map((v) => v.path()))).filter((p) => p.endsWith('.qcow2'));
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const p of images) run('qemu-img', ['check', '-U', p]);
  }, 600_000); // three TCG boots on 2 shared cores: ~60 s alone, several minutes when busy

  it('refuses a deploy from a template that is not ready, and name clashes, leaving nothing behind', async () => {
    const before = (await pool.volumes()).map((v) => v.name).sort();
    const rec = tpl.record;
    const { writeRecord } = await import('../../src/template/record.js');
    await writeRecord(tpl.domain, { ...rec, state: 'sealing' });
    await expect(tpl.deploy({ name: `${tag}-x` })).rejects.toMatchObject({ code: 'TEMPLATE_NOT_READY' });
    await writeRecord(tpl.domain, rec);
    await expect(tpl.deploy({ name: `${tag}-web1` })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await pool.createVolume({ name: `${tag}-clash-vda.qcow2`, format: 'qcow2', capacity: 2 ** 20 });
    await expect(tpl.deploy({ name: `${tag}-clash` })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await (await pool.volume(`${tag}-clash-vda.qcow2`)).delete();
    await expect(tpl.deploy({ name: 'bad/name' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await conn.findDomain(`${tag}-clash`)).toBeUndefined();
    expect((await pool.volumes()).map((v) => v.name).sort()).toEqual(before);
  });

  it('refuses to delete a template with clones, naming them', async () => {
    const err = await tpl.delete().catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'TEMPLATE_IN_USE' });
    expect((err as { message: string }).message).toContain(`${tag}-web1`);
    expect(await conn.findDomain(TPL)).toBeDefined();
    // Nor can its disk be changed under the linked clones.
    const disk = await conn.volumeByPath(tpl.disks[0]!.path);
    await expect(disk.delete()).rejects.toMatchObject({ code: 'BACKING_IN_USE' });
    await expect(disk.resize(2 ** 30)).rejects.toMatchObject({ code: 'BACKING_IN_USE' });
    expect(existsSync(tpl.disks[0]!.path)).toBe(true);
  });

  it('deploys 8 clones concurrently, all distinct and consistent', async () => {
    const specs = Array.from({ length: 8 }, (_, i) => ({ name: `${tag}-par${i}`, identity: { hostname: `par${i}` } }));
    const made = await tpl.deployMany(specs, { concurrency: 8 });
    expect(made).toHaveLength(8);
    const xmls = await Promise.all(made.map(async (d) => new DomainXml(await d.xml())));
    expect(new Set(made.map((d) => d.uuid)).size).toBe(8);
    expect(new Set(xmls.map((x) => x.interfaces[0]!.mac)).size).toBe(8);
    expect(new Set(xmls.map((x) => x.disks[0]!.path)).size).toBe(8);
    for (const x of xmls) run('qemu-img', ['check', '-U', x.disks[0]!.path!]);
    // A batch with a clash fails whole: nothing of it remains.
    await expect(tpl.deployMany([{ name: `${tag}-b1` }, { name: `${tag}-par0` }], { concurrency: 2 })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await conn.findDomain(`${tag}-b1`)).toBeUndefined();
    expect(await pool.findVolume(`${tag}-b1-vda.qcow2`)).toBeUndefined();
    const { removeClone } = await import('../../src/index.js');
    for (const d of made) await removeClone(conn, d);
  });

  it('flattens a linked clone into a full one', async () => {
    const { flattenClone } = await import('../../src/index.js');
    const web2 = await conn.domain(`${tag}-web2`);
    await flattenClone(conn, web2);
    const path = new DomainXml(await web2.xml()).disks[0]!.path!;
    expect(new VolumeXml(await (await conn.volumeByPath(path)).xml()).backing).toBeUndefined();
    expect(existsSync(`${dir}/${tag}-web2-vda.qcow2`)).toBe(false);
    run('qemu-img', ['check', path]);
  });

  it('recovers after a crash between steps, then deletes the template once its clones are gone', async () => {
    const name = `${tag}-crash`;
    const r = await spawnAsync(process.execPath, ['--import', 'tsx', '--import', new URL('../../scripts/text-hooks.mjs', import.meta.url).pathname, new URL('./crash-child.ts', import.meta.url).pathname, SYSTEM_URI, SRC, name, pool.name, 'seal'], {
      timeout: 120_000,
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const left = await conn.findDomain(name);
    expect(left).toBeDefined();
    const report = await Template.recover(conn);
    expect(report.removed).toContain(name);
    expect(await conn.findDomain(name)).toBeUndefined();
    expect(await pool.findVolume(`${name}-vda.qcow2`)).toBeUndefined();

    const { removeClone } = await import('../../src/index.js');
    for (const c of await tpl.clones()) await removeClone(conn, c);
    await tpl.delete();
    expect(await conn.findDomain(TPL)).toBeUndefined();
    expect(existsSync(`${dir}/${TPL}-vda.qcow2`)).toBe(false);
    execFileSync('true');
  });
});
