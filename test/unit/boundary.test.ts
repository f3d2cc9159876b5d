// Strict conversion at the boundary (issue 8): every bad argument is a rejected promise (never a
// synchronous throw) with VirtkitError INVALID_ARGUMENT naming the argument, and nothing changes.
// Runs against libvirt's test driver; the Guest part uses a session that is never launched, so a
// call that got past the checks would fail in libguestfs instead ("call launch before ...").
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Domain, Guest, GuestfsError, StoragePool, Template, VIRTKIT_NS, Volume, VirtkitError, seal, sealMany } from '../../src/index.js';
import { guestfsCallNames } from '../../src/guest/native.js';
import { guestfsSignatures } from '../../src/generated/guestfs-signatures.js';

const xmlFor = (name: string) => `<domain type='test'>
  <name>${name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;

/**
 * Calls `fn` and checks that it returned a promise without throwing, and that the promise rejects
 * with INVALID_ARGUMENT whose `details.argument` is `argument` (a string or a pattern).
 */
async function refused(fn: () => unknown, argument: string | RegExp): Promise<VirtkitError> {
  let p: unknown;
  expect(() => {
    p = fn();
  }).not.toThrow();
  expect(p).toBeInstanceOf(Promise);
  await expect(p).rejects.toBeInstanceOf(VirtkitError);
  const e = (await (p as Promise<unknown>).catch((x: unknown) => x)) as VirtkitError;
  expect(e.code).toBe('INVALID_ARGUMENT');
  if (typeof argument === 'string') expect(e.details?.argument).toBe(argument);
  else expect(String(e.details?.argument)).toMatch(argument);
  return e;
}

describe('boundary checks on test:///default', () => {
  let conn: Connection;
  let test: Domain; // the test driver's running domain 'test' (id 1)
  let dom: Domain; // a defined, shut-off domain of this file
  let pool: StoragePool;
  let vol: Volume;
  const name = `vk-boundary-${process.pid}`;

  beforeAll(async () => {
    conn = await Connection.open('test:///default');
    test = await conn.domain('test');
    dom = await conn.defineDomain(xmlFor(name));
    pool = await conn.pool('default-pool');
    vol = await pool.createVolume({ name: `${name}.img`, format: 'raw', capacity: 1 << 20 });
  });
  afterAll(async () => {
    if (test && !(await test.isActive())) await test.start();
    await vol?.delete().catch(() => undefined);
    await dom?.undefine().catch(() => undefined);
    await conn?.close();
  });

  describe('strings with NUL are refused, not truncated', () => {
    it('lookups by name, UUID, path and key', async () => {
      // Truncated at the NUL, each of these would find 'test' / 'default-pool'.
      const e = await refused(() => conn.domain('test\0x'), 'nameOrUuid');
      expect(e.message).toContain('nameOrUuid');
      expect(e.message).toContain('NUL');
      await refused(() => conn.findDomain('test\0x'), 'nameOrUuid');
      await refused(() => conn.domain(`${test.uuid}\0x`), 'nameOrUuid');
      await refused(() => conn.pool('default-pool\0x'), 'nameOrUuid');
      await refused(() => conn.findPool('default-pool\0x'), 'name');
      const path = await vol.path();
      await refused(() => conn.volumeByPath(`${path}\0x`), 'path');
      await refused(() => conn.volumeByKey(`${vol.key}\0x`), 'key');
      await refused(() => pool.volume(`${vol.name}\0x`), 'name');
      await refused(() => pool.findVolume(`${vol.name}\0x`), 'name');
      await refused(() => Template.get(conn, 'tpl\0x'), 'template name');
      // Wrong types too.
      await refused(() => conn.domain(42 as never), 'nameOrUuid');
      await refused(() => conn.volumeByPath(undefined as never), 'path');
    });

    it('XML given to define/create, and nothing is defined', async () => {
      const other = `${name}-nul`;
      await refused(() => conn.defineDomain(xmlFor(other) + '\0junk'), 'xml');
      await refused(() => conn.createDomain(xmlFor(other) + '\0junk'), 'xml');
      expect(await conn.findDomain(other)).toBeUndefined();
      const poolXml = `<pool type='dir'><name>${name}-p</name><target><path>/tmp/${name}-p</path></target></pool>`;
      await refused(() => conn.definePool(poolXml + '\0junk'), 'xml');
      await refused(() => conn.createPool(poolXml + '\0junk'), 'xml');
      await refused(() => conn.createDirPool(`${name}-p`, `/tmp/${name}-p\0/../etc`), 'path');
      expect(await conn.findPool(`${name}-p`)).toBeUndefined();
      await refused(() => pool.createVolume(`<volume><name>${name}-v</name><capacity>1024</capacity></volume>\0junk`), 'spec');
      await refused(() => pool.createVolume({ name: `${name}-v\0x`, capacity: 1024 }), 'spec.name');
      const volPath = await vol.path();
      await refused(() => pool.createVolume({ name: `${name}-v`, format: 'qcow2', backing: { path: `${volPath}\0x`, format: 'raw' } }), 'spec.backing.path');
      expect(await pool.findVolume(`${name}-v`)).toBeUndefined();
    });

    it('metadata, title and description, snapshot names, rename', async () => {
      const ns = 'https://example.org/vk-boundary';
      await refused(() => dom.setMetadata(ns, 'b', '<b:x xmlns:b="https://example.org/vk-boundary"/>\0junk'), 'xml');
      await refused(() => dom.setMetadata(`${ns}\0x`, 'b', '<x/>'), 'ns');
      await refused(() => dom.setMetadata(ns, undefined as never, '<x/>'), 'prefix');
      await refused(() => dom.metadata(`${ns}\0x`), 'ns');
      expect(await dom.metadata(ns)).toBeUndefined();
      await refused(() => dom.setText('title', 'a\0b'), 'value');
      expect(await dom.text('title')).toBeUndefined();
      await refused(() => dom.createSnapshot({ name: 's\0x' }), 'spec.name');
      await refused(() => dom.createSnapshot({ name: 's', description: 'd\0x' }), 'spec.description');
      await refused(() => dom.createSnapshot('<domainsnapshot><name>s</name></domainsnapshot>\0junk'), 'spec');
      await refused(() => dom.snapshotXml('s\0x'), 'name');
      await refused(() => dom.revertToSnapshot('s\0x'), 'name');
      await refused(() => dom.deleteSnapshot('s\0x'), 'name');
      expect(await dom.snapshots()).toEqual([]);
      await refused(() => dom.rename(`${name}\0x`), 'newName');
      expect(dom.name).toBe(name);
    });
  });

  describe('integers are checked against their C type', () => {
    it('domainById refuses ids outside int (2**32 + 1 would wrap to 1)', async () => {
      expect(await test.id()).toBe(1);
      const e = await refused(() => conn.domainById(2 ** 32 + 1), 'id');
      expect(e.message).toContain('id must be an integer from 0 to 2147483647');
      for (const id of [2 ** 31, -1, 1.5, NaN, Infinity, '1' as never, 1n as never]) await refused(() => conn.domainById(id), 'id');
      expect((await conn.domainById(1)).name).toBe('test');
    });

    it('volume sizes', async () => {
      const before = (await vol.info()).capacity;
      await refused(() => vol.resize(NaN), 'capacity');
      await refused(() => vol.resize(2 ** 64), 'capacity');
      await refused(() => vol.resize(0), 'capacity');
      await refused(() => vol.resize(before * 2, { allocate: 'yes' as never }), 'opts.allocate');
      await refused(() => pool.createVolume({ name: `${name}-v`, capacity: NaN }), 'spec.capacity');
      await refused(() => pool.createVolume({ name: `${name}-v`, capacity: 1024, allocation: -1 }), 'spec.allocation');
      expect((await vol.info()).capacity).toBe(before);
    });
  });

  describe('enums, booleans, options and timeouts', () => {
    it("shutdown({ mode: 'bogus' }) is refused and the domain keeps running", async () => {
      const e = await refused(() => test.shutdown({ mode: 'bogus' as never }), 'opts.mode');
      expect(e.message).toContain("'acpi', 'agent', 'default'");
      await refused(() => test.shutdown({ wait: 'yes' as never }), 'opts.wait');
      await refused(() => test.shutdown({ wait: true, timeoutMs: NaN }), 'opts.timeoutMs');
      await refused(() => test.shutdown({ wait: true, timeoutMs: -1 }), 'opts.timeoutMs');
      await refused(() => test.shutdown({ signal: 'stop' as never }), 'opts.signal');
      await refused(() => test.shutdown(null as never), 'opts');
      expect((await test.state()).state).toBe('running');
    });

    it('waitForState refuses unknown states and bad timeouts at once', async () => {
      const t = Date.now();
      await refused(() => test.waitForState('bogus' as never), 'state');
      await refused(() => test.waitForState('shutoff', { timeoutMs: NaN }), 'opts.timeoutMs');
      await refused(() => test.waitForState('shutoff', { timeoutMs: Infinity }), 'opts.timeoutMs');
      await refused(() => test.waitForState('shutoff', { timeoutMs: 2 ** 31 }), 'opts.timeoutMs');
      await refused(() => test.waitForState('shutoff', { intervalMs: 0 }), 'opts.intervalMs');
      await refused(() => test.waitForState('shutoff', { intervalMs: NaN }), 'opts.intervalMs');
      expect(Date.now() - t).toBeLessThan(1000);
      // A valid short wait still times out as before.
      await expect(test.waitForState('shutoff', { timeoutMs: 50, intervalMs: 10 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    });

    it("setText('bogus', ..) writes nothing; text() refuses it too", async () => {
      await refused(() => dom.setText('bogus' as never, 'x'), 'kind');
      await refused(() => dom.setText('title', 42 as never), 'value');
      await refused(() => dom.text('bogus' as never), 'kind');
      expect(await dom.text('title')).toBeUndefined();
      expect(await dom.text('description')).toBeUndefined();
      expect(await dom.xml({ inactive: true })).not.toContain('bogus');
    });

    it('createSnapshot(123) and createSnapshot(null) reject (no synchronous throw) and create nothing', async () => {
      const p = dom.createSnapshot(null as never);
      expect(p).toBeInstanceOf(Promise);
      await expect(p).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'spec' } });
      await refused(() => dom.createSnapshot(123 as never), 'spec');
      await refused(() => dom.createSnapshot(undefined as never), 'spec');
      await refused(() => dom.createSnapshot({ name: 's', diskOnly: 'no' as never }), 'spec.diskOnly');
      await refused(() => dom.createSnapshot({ name: 's', atomic: 1 as never }), 'spec.atomic');
      expect(await dom.snapshots()).toEqual([]);
    });

    it('boolean options given non-booleans change nothing', async () => {
      await refused(() => dom.start({ paused: 'yes' as never }), 'opts.paused');
      await refused(() => dom.start({ forceBoot: 1 as never }), 'opts.forceBoot');
      expect((await dom.state()).state).toBe('shutoff');
      await refused(() => test.destroy({ graceful: 'no' as never }), 'opts.graceful');
      expect((await test.state()).state).toBe('running');
      await refused(() => dom.setAutostart('true' as never), 'on');
      expect(await dom.autostart()).toBe(false);
      await refused(() => dom.undefine({ nvram: 'no' as never }), 'opts.nvram');
      expect(await conn.findDomain(name)).toBeDefined();
      await refused(() => dom.xml({ inactive: 1 as never }), 'opts.inactive');
      await refused(() => dom.metadata('https://example.org/x', { live: 'no' as never }), 'opts.live');
      await refused(() => dom.deleteSnapshot('s', { children: 'yes' as never }), 'opts.children');
      await refused(() => conn.defineDomain(xmlFor(`${name}-b`), { validate: 'no' as never }), 'opts.validate');
      await refused(() => conn.createDomain(xmlFor(`${name}-b`), { autodestroy: 1 as never }), 'opts.autodestroy');
      expect(await conn.findDomain(`${name}-b`)).toBeUndefined();
      await refused(() => pool.build({ overwrite: 'no' as never }), 'opts.overwrite');
      await refused(() => pool.setAutostart(1 as never), 'on');
      await refused(() => pool.xml({ inactive: 'yes' as never }), 'opts.inactive');
      await refused(() => vol.resize(1 << 21, { shrink: 'no' as never }), 'opts.shrink');
      await refused(() => conn.createDirPool(`${name}-p`, `/tmp/${name}-p`, { autostart: 'no' as never }), 'opts.autostart');
      expect(await conn.findPool(`${name}-p`)).toBeUndefined();
    });

    it('Template.create / convert check their options (sealing ones too) before copying or marking anything', async () => {
      const tpl = `${name}-tpl`;
      await refused(() => Template.convert(conn, dom, { seal: { hostname: 123 as never } }), 'hostname');
      await refused(() => Template.convert(conn, dom, { seal: true as never }), 'opts.seal');
      await refused(() => Template.convert(conn, dom, { onProgress: 'x' as never }), 'opts.onProgress');
      await refused(() => Template.create(conn, { name: tpl, from: dom, pool: 'default-pool', seal: { operations: 123 as never } }), 'operations');
      await refused(() => Template.create(conn, { name: tpl, from: dom, pool: 'default-pool', seal: { files: [{ chmod: 2 ** 32, path: '/x' }] } }), 'files[0].chmod');
      await refused(() => Template.create(conn, { name: tpl, from: dom, pool: 'default-pool\0x' }), 'pool');
      await refused(() => Template.create(conn, { name: tpl, from: dom, pool: 42 as never }), 'pool');
      await refused(() => Template.create(conn, { name: `${tpl}\0x`, from: dom, pool: 'default-pool' }), 'opts.name');
      expect(await dom.metadata(VIRTKIT_NS)).toBeUndefined();
      expect(await conn.findDomain(tpl)).toBeUndefined();
    });

    it('volume options: compat, format, copy options; copyTo(null) rejects', async () => {
      await refused(() => pool.createVolume({ name: `${name}-v`, format: 'qcow2', capacity: 1024, compat: '2.0' as never }), 'spec.compat');
      await refused(() => pool.createVolume({ name: `${name}-v`, capacity: 1024, preallocateMetadata: 'yes' as never }), 'spec.preallocateMetadata');
      await refused(() => pool.createVolume(null as never), 'spec');
      await refused(() => pool.copyVolume(vol, { name: `${name}-c`, progressIntervalMs: NaN }), 'opts.progressIntervalMs');
      await refused(() => pool.copyVolume(vol, { name: `${name}-c`, onProgress: 'x' as never }), 'opts.onProgress');
      await refused(() => pool.copyVolume(vol, null as never), 'opts');
      await refused(() => pool.copyVolume('vol' as never, { name: `${name}-c` }), 'source');
      await refused(() => vol.copyTo(null as never, { name: `${name}-c` }), 'pool');
      expect(await pool.findVolume(`${name}-c`)).toBeUndefined();
      expect(await pool.findVolume(`${name}-v`)).toBeUndefined();
    });
  });
});

describe('boundary checks of a Guest (never launched)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-boundary-'));
  const img = join(dir, 'a.img');
  writeFileSync(img, Buffer.alloc(1 << 20));
  let g: Guest;

  beforeAll(async () => {
    g = await Guest.open({ drives: [{ path: img, format: 'raw' }], launch: false, accel: 'tcg' });
  });
  afterAll(async () => {
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a generated signature for every call of the native table', () => {
    const missing = [...guestfsCallNames()].filter((n) => !(n in guestfsSignatures));
    expect(missing).toEqual([]);
  });

  it('is in the config state: a valid call reaches libguestfs, which wants a launch', async () => {
    expect(g.state).toBe('config');
    await expect(g.cat('/f.txt')).rejects.toBeInstanceOf(GuestfsError);
  });

  it('refuses NUL in guest paths before libguestfs sees them', async () => {
    const e = await refused(() => g.cat('/f\0.txt'), 'path');
    expect(e.message).toBe('cat: path must not contain a NUL character');
    expect(e.details).toMatchObject({ call: 'cat' });
    await refused(() => g.rmRf('/dir\0/../..'), 'path');
    await refused(() => g.write('/x\0.txt', 'data'), 'path');
    await refused(() => g.mkdirP('/a\0b'), 'path');
    await refused(() => g.lnSf('/target\0x', '/link'), 'target');
    await refused(() => g.upload(join(dir, 'x\0y'), '/x'), 'localPath');
    await refused(() => g.command(['/bin/ls', '/a\0b']), 'argv[1]');
    await refused(() => g.augSet('/files/etc/hosts/1/ipaddr', '1.2.3.4\0x'), 'value');
    await refused(() => g.mountRoot('/dev/sda1\0x'), 'root');
    await refused(() => g.sh('echo a\0; rm -rf /'), 'script');
    await refused(() => g.download('/etc/passwd\0x', join(dir, 'out')), 'guestPath');
    await refused(() => g.checksum('sha256\0x', '/etc/passwd'), 'type');
    await refused(() => g.call('cat', '/f\0.txt'), 'path');
  });

  it('refuses integers outside the C type, NaN and wrong types', async () => {
    const e = await refused(() => g.chown('/d', 2 ** 32, NaN), 'uid');
    expect(e.message).toContain('uid must be an integer from -2147483648 to 2147483647 (got 4294967296)');
    await refused(() => g.chown('/d', 0, NaN), 'gid');
    await refused(() => g.lchown('/d', 0, 2 ** 31), 'gid');
    await refused(() => g.chmod('/d', 1.5), 'mode');
    await refused(() => g.mkdirMode('/d', NaN), 'mode');
    await refused(() => g.fill('/f', 10, Infinity), 'byte');
    await refused(() => g.fill('/f', 2 ** 31, 0), 'len');
    await refused(() => g.truncate('/f', 2 ** 64), 'size');
    await refused(() => g.truncate('/f', 2n ** 63n as never), 'size');
    await refused(() => g.diskCreate(join(dir, 'b.img'), 'raw', NaN), 'sizeBytes');
    await refused(() => g.partAdd('/dev/sda', 'p', 2 ** 64, -1), 'startSector');
    await refused(() => g.call('chown', 2 ** 32, 0, '/d'), 'owner');
  });

  it('Guest.write with a number, and bad options objects, reject (no synchronous throw)', async () => {
    const p = g.write('/x', 123 as never);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'data' } });
    await refused(() => g.writeAppend('/x', null as never), 'data');
    await refused(() => g.mkfs('ext4', '/dev/sda', null as never), 'opts');
    await refused(() => g.mkfs('ext4', '/dev/sda', { blocksize: NaN }), 'opts.blocksize');
    await refused(() => g.mkfs('ext4', '/dev/sda', { bogus: 1 } as never), 'opts.bogus');
    await refused(() => g.isFile('/x', null as never), 'o');
    await refused(() => g.isDir('/x', { followSymlinks: 'yes' as never }), 'o.followSymlinks');
    await refused(() => g.tarIn(join(dir, 't.tar'), '/', { compress: 'bogus' as never }), 'o.compress');
    await refused(() => g.tarOut('/', join(dir, 't.tar'), { numericOwner: 'yes' as never }), 'o.numericOwner');
    await refused(() => g.diskCreate(join(dir, 'b.img'), 'raw', 1024, { preallocation: 'bogus' as never }), 'o.preallocation');
    await refused(() => g.diskCreate(join(dir, 'b.img'), 'qcow2', 1024, { clusterSize: 1.5 }), 'o.clusterSize');
    await refused(() => g.partAdd('/dev/sda', 'x' as never, 0, -1), 'prlogex');
    await refused(() => g.augInsert('/files/x', 'l', 'yes' as never), 'before');
    await refused(() => g.mountRoot({} as never), 'root');
    await refused(() => g.mountRoot('/dev/sda1', { readonly: 'yes' as never }), 'opts.readonly');
    await refused(() => g.call(42 as never), 'name');
    await refused(() => g.call('no_such_call'), 'name');
    await expect(g.call('cat', '/a', '/b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'cat: takes 1 argument (path), got 2' });
    expect(g.state).toBe('config');
  });

  it('Guest.open refuses NUL in drive paths and non-boolean flags', async () => {
    await refused(() => Guest.open({ drives: [{ path: `${img}\0x`, format: 'raw' }], launch: false }), 'drives[0].path');
    await refused(() => Guest.open({ drives: [{ path: img, format: 'raw' }], launch: 'no' as never }), 'launch');
    await refused(() => Guest.open({ drives: [{ path: img, format: 'raw' }], launch: false, trace: 'yes' as never }), 'trace');
    await refused(() => Guest.open({ drives: [{ path: img }], backend: 'direct\0x', launch: false }), 'backend');
    await refused(() => Guest.open({ drives: [{ path: img }], backendSettings: ['a=b\0c'], launch: false }), 'backendSettings[]');
  });

  it('seal and sealMany refuse bad options before any appliance starts', async () => {
    const t = Date.now();
    await refused(() => seal({ disks: [`${img}\0x`] }), 'disks[].path');
    await refused(() => seal({ disks: [img], operations: 123 as never }), 'operations');
    await refused(() => seal({ disks: [img], dryRun: 'no' as never }), 'dryRun');
    await refused(() => seal({ disks: [img], accel: 'fast' as never }), 'accel');
    await refused(() => seal({ disks: [img], hostname: 123 as never }), 'hostname');
    await refused(() => seal({ disks: [img], timezone: 42 as never }), 'timezone');
    await refused(() => seal({ disks: [img], rootPassword: 'pw\0x' }), 'password of root');
    await refused(() => seal({ disks: [img], files: [{ write: '/etc/x', content: 'x', mode: 0o10000 }] }), 'files[0].mode');
    await refused(() => seal({ disks: [img], files: [{ write: '/etc/x', content: 'x', uid: 2 ** 32 }] }), 'files[0].uid');
    await refused(() => seal({ disks: [img], files: [{ write: '/etc/x', content: 123 as never }] }), 'files[0].content');
    await refused(() => seal({ disks: [img], files: [{ chmod: NaN, path: '/etc/x' }] }), 'files[0].chmod');
    await refused(() => seal({ disks: [img], files: [{ link: '/etc/l', target: '/a\0b' }] }), 'files[0].target');
    await refused(() => seal({ disks: [img], firstbootCommands: ['echo a\0b'] }), 'firstbootCommands[0]');
    await refused(() => seal({ disks: [img], operations: 'customize', installFirstboot: 'no' as never }), 'installFirstboot');
    await refused(() => seal({ disks: [img], selinuxRelabel: 'yes' as never }), 'selinuxRelabel');
    await refused(() => sealMany([{ disks: [img] }], { concurrency: NaN }), 'opts.concurrency');
    await refused(() => sealMany([{ disks: [img] }], { perAppliance: 0 }), 'opts.perAppliance');
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
