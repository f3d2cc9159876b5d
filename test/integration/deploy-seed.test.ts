// The seed volume on the real system daemon (issue 11 item 5): deploy writes `<clone>-seed.iso`
// (mode 0600, uploaded over a volume stream) and attaches it as a read-only CD-ROM, the hash is
// in neither the domain XML (`virsh -r dumpxml`) nor QEMU's command line; consumeSeed ejects,
// detaches and deletes it (running and shut off); removeClone, a failed deploy and recover
// remove it; a cloud-init template gets the NoCloud cidata seed. No guest boots: a started clone
// stays paused.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Connection, StoragePool, Template, consumeSeed, removeClone, type Domain } from '../../src/index.js';
import { SYSTEM_URI, ensureDaemon, run, scratchPool } from '../helpers/system.js';
import { DomainXml } from '../../src/xml/domain.js';
import { VolumeXml } from '../../src/xml/volume.js';
import { readRecord, writeRecord } from '../../src/template/record.js';
import { parseOemStrings } from '../../src/xml/identity.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { isoFile, isoLabel } from '../helpers/iso.js';

const MiB = 2 ** 20;
const HASH = sha512Crypt('correct horse', 'seedtest');
const SECRET = 'api-token-5f3c9e';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('seed volumes on a real daemon', () => {
  let conn: Connection;
  let pool: StoragePool;
  let dir: string;
  let remove: () => Promise<void>;
  let tpl: Template;
  const tag = `vkseed${process.pid}`;
  const src = `/var/lib/virtkit-test/seed-src-${process.pid}`;
  const names = () => pool.volumes().then((vs) => vs.map((v) => v.name).sort());
  const dumpxml = (name: string) => run('virsh', ['-r', '-c', SYSTEM_URI, 'dumpxml', name]);
  const noSecret = (text: string) => {
    expect(text).not.toContain(HASH);
    expect(text).not.toContain(HASH.split('$')[3]!);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(b64(SECRET));
  };

  beforeAll(async () => {
    ensureDaemon();
    conn = await Connection.open(SYSTEM_URI);
    ({ pool, dir, remove } = await scratchPool(conn, 'seed'));
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', `${src}/img.qcow2`, String(16 * MiB)]);
    tpl = await Template.import(conn, { name: `${tag}-tpl`, pool, image: `${src}/img.qcow2`, seal: false, domain: { memoryMiB: 64, vcpus: 1, type: 'qemu', interfaces: [] } });
  }, 120_000);
  afterAll(async () => {
    for (const d of await conn.domains().catch(() => [])) if (d.name.startsWith(tag) && d.name !== `${tag}-tpl`) await removeClone(conn, d).catch(() => undefined);
    await tpl?.delete().catch(() => undefined);
    await remove?.();
    await conn?.close();
    rmSync(src, { recursive: true, force: true });
  });

  let web: Domain;
  it('deploy: a 0600 seed volume holds the secrets; the definition and virsh -r dumpxml do not', async () => {
    web = await tpl.deploy({ name: `${tag}-web`, identity: { hostname: 'web', rootPasswordHash: HASH, data: { role: 'web' }, secretData: { token: SECRET } } });
    const path = `${dir}/${tag}-web-seed.iso`;
    const vol = await pool.volume(`${tag}-web-seed.iso`);
    expect(await vol.path()).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new VolumeXml(await vol.xml()).mode).toBe(0o600);
    const image = readFileSync(path);
    expect(isoLabel(image)).toBe('VIRTKIT');
    expect(isoFile(image, 'virtkit-secrets')!.toString()).toBe(`virtkit:v=1\nvirtkit:root-password-hash=${HASH}\nvirtkit:data:token=${b64(SECRET)}\n`);

    const xml = await web.xml({ inactive: true, secure: true });
    noSecret(xml);
    noSecret(dumpxml(web.name));
    const x = new DomainXml(xml);
    const cd = x.disks.find((d) => d.device === 'cdrom')!;
    expect(cd).toMatchObject({ path, readonly: true, format: 'raw' });
    expect(parseOemStrings(x.oemStrings)).toEqual({ hostname: 'web', data: { role: 'web' } });
    expect(x.oemStrings).toContain('virtkit:seed=VIRTKIT');
    expect((await readRecord(web))!.seed).toEqual({ path, target: cd.target, kind: 'virtkit' });
  });

  it('a started clone: QEMU\'s command line has no secret; consumeSeed ejects, detaches and deletes the seed', async () => {
    await web.start({ paused: true });
    try {
      const pid = readFileSync(`/run/libvirt/qemu/${web.name}.pid`, 'utf8').trim();
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      expect(cmdline).toContain('-seed.iso');
      expect(cmdline).toContain('type=11');
      noSecret(cmdline);
      noSecret(dumpxml(web.name));
      expect(await consumeSeed(conn, web)).toBe(true);
      const live = new DomainXml(await web.xml());
      expect(live.disks.find((d) => d.device === 'cdrom')?.path).toBeUndefined(); // ejected
      expect(new DomainXml(await web.xml({ inactive: true })).disks.some((d) => d.device === 'cdrom')).toBe(false);
      expect(existsSync(`${dir}/${tag}-web-seed.iso`)).toBe(false);
      expect(await pool.findVolume(`${tag}-web-seed.iso`)).toBeUndefined();
      expect((await readRecord(web))!.seed).toBeUndefined();
      expect(await consumeSeed(conn, web)).toBe(false);
    } finally {
      await web.destroy().catch(() => undefined);
    }
    // The next start has no CD-ROM at all.
    expect(new DomainXml(await web.xml({ inactive: true })).disks.map((d) => d.device)).toEqual(['disk']);
  });

  it('consumeSeed on a shut-off clone, and removeClone, each remove the seed', async () => {
    const a = await tpl.deploy({ name: `${tag}-a`, identity: { rootPasswordHash: HASH } });
    expect(await consumeSeed(conn, a)).toBe(true);
    expect(await pool.findVolume(`${tag}-a-seed.iso`)).toBeUndefined();
    expect(new DomainXml(await a.xml({ inactive: true })).disks.some((d) => d.device === 'cdrom')).toBe(false);
    const b = await tpl.deploy({ name: `${tag}-b`, identity: { rootPassword: 'x y z' } });
    expect(await pool.findVolume(`${tag}-b-seed.iso`)).toBeDefined();
    await removeClone(conn, b);
    await removeClone(conn, a);
    expect((await names()).filter((n) => n.startsWith(`${tag}-a`) || n.startsWith(`${tag}-b`))).toEqual([]);
  });

  it('a deploy that fails after the seed was made removes it with the rest', async () => {
    const before = await names();
    const err = (await tpl
      .deploy({
        name: `${tag}-fail`, identity: { rootPasswordHash: HASH }, start: true,
        onProgress: (p) => {
          if (p.step === 'start') throw new Error('injected failure before start');
        },
      })
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('injected failure before start');
    expect(await conn.findDomain(`${tag}-fail`)).toBeUndefined();
    expect(await names()).toEqual(before);
    expect(existsSync(`${dir}/${tag}-fail-seed.iso`)).toBe(false);
  });

  it('recover deletes a seed whose clone was undefined behind virtkit\'s back, and nothing else', async () => {
    const keep = await tpl.deploy({ name: `${tag}-keep`, identity: { rootPasswordHash: HASH } });
    const gone = await tpl.deploy({ name: `${tag}-gone`, identity: { rootPasswordHash: HASH } });
    await gone.undefine();
    await pool.createVolume({ name: `${tag}-other-seed.iso`, format: 'raw', capacity: MiB }); // not virtkit's: kept
    const report = await Template.recover(conn);
    expect(report.removedSeeds).toContain(`${dir}/${tag}-gone-seed.iso`);
    expect(report.removedSeeds).not.toContain(`${dir}/${tag}-keep-seed.iso`);
    expect(await pool.findVolume(`${tag}-gone-seed.iso`)).toBeUndefined();
    expect(await pool.findVolume(`${tag}-keep-seed.iso`)).toBeDefined();
    expect(await pool.findVolume(`${tag}-other-seed.iso`)).toBeDefined();
    await (await pool.volume(`${tag}-other-seed.iso`)).delete();
    for (const v of await pool.volumes()) if (v.name.startsWith(`${tag}-gone`)) await v.delete();
    await removeClone(conn, keep);
  });

  it('a cloud-init template: the NoCloud cidata seed, instance-id = the clone UUID, SMBIOS only says so', async () => {
    const rec = (await readRecord(tpl.domain))!;
    await writeRecord(tpl.domain, { ...rec, cloudInit: true });
    try {
      const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISeedIntegrationKey t@v';
      const c = await tpl.deploy({ name: `${tag}-ci`, identity: { hostname: 'ci1', sshAuthorizedKeys: { root: [KEY] }, rootPasswordHash: HASH, userData: { packages: ['nginx'] } } });
      const x = new DomainXml(await c.xml({ inactive: true }));
      expect(x.oemStrings).toEqual(['virtkit:v=1', 'virtkit:personalize=cloud-init']);
      noSecret(dumpxml(c.name));
      const image = readFileSync(`${dir}/${tag}-ci-seed.iso`);
      expect(isoLabel(image)).toBe('cidata');
      expect(isoFile(image, 'meta-data')!.toString()).toContain(`"instance-id": "${c.uuid}"`);
      expect(isoFile(image, 'user-data')!.toString()).toContain(HASH);
      expect((await readRecord(c))!.seed!.kind).toBe('cloud-init');
      // blkid reads the label cloud-init looks for
      expect(run('blkid', ['-o', 'value', '-s', 'LABEL', `${dir}/${tag}-ci-seed.iso`]).trim()).toBe('cidata');
      await removeClone(conn, c);
      expect(existsSync(`${dir}/${tag}-ci-seed.iso`)).toBe(false);
    } finally {
      await writeRecord(tpl.domain, rec);
    }
  });
});
