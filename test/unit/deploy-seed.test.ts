// Secrets out of the domain definition (issue 11 item 5), without a daemon: what goes to SMBIOS
// and what to the seed image, the seed CD-ROM in the clone XML, the record, and host key
// parsing (fingerprints checked against ssh-keygen). A deploy on test:///default, whose driver
// has no volume upload, shows the failure path: nothing is left behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKeyFingerprint, parseHostKeys, type Connection, type StoragePool, type Template } from '../../src/index.js';
import { PERSONALIZE_CLOUD_INIT, SECRETS_FILE, SEED_LABEL, planSeed } from '../../src/template/deploy-seed.js';
import { addSeedCdrom, cdromBus, diskElementXml, ejectedDiskXml, freeCdromTarget, planSeedCdrom } from '../../src/xml/seed-disk.js';
import { DomainXml } from '../../src/xml/domain.js';
import { parseTemplateMetadata, templateMetadataXml } from '../../src/xml/metadata.js';
import { identityOemStrings, identitySecretLines, parseOemStrings } from '../../src/xml/identity.js';
import { serialLogFiles } from '../../src/hostkeys.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { isoFile, isoLabel } from '../helpers/iso.js';
import { testTemplate } from '../helpers/test-template.js';

const HASH = sha512Crypt('pw', 'saltsalt');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeploySeedTestKey tester@virtkit';
const work = mkdtempSync(join(tmpdir(), 'vk-seed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('planSeed: SMBIOS keeps the public identity, the seed the secrets', () => {
  it('first-boot guests: hash and secretData only on the seed, virtkit:seed in SMBIOS', () => {
    const p = planSeed({ hostname: 'web1', sshAuthorizedKeys: { root: [KEY] }, rootPasswordHash: HASH, data: { role: 'web' }, secretData: { token: 's3cr3t-token' } }, { cloudInit: false, instanceId: 'u' });
    expect(p.oemStrings.join('\n')).not.toContain(HASH);
    expect(p.oemStrings.join('\n')).not.toContain(Buffer.from('s3cr3t-token').toString('base64'));
    expect(p.oemStrings).toContain(`virtkit:seed=${SEED_LABEL}`);
    expect(parseOemStrings(p.oemStrings)).toEqual({ hostname: 'web1', sshAuthorizedKeys: { root: [KEY] }, data: { role: 'web' } });
    expect(p.seed!.kind).toBe('virtkit');
    expect(isoLabel(p.seed!.image)).toBe(SEED_LABEL);
    const secrets = isoFile(p.seed!.image, SECRETS_FILE)!.toString('utf8');
    expect(secrets).toBe(`virtkit:v=1\nvirtkit:root-password-hash=${HASH}\nvirtkit:data:token=${Buffer.from('s3cr3t-token').toString('base64')}\n`);
    expect(parseOemStrings(secrets.trim().split('\n'))).toEqual({ rootPasswordHash: HASH, data: { token: 's3cr3t-token' } });
  });

  it('no secrets: no seed and no virtkit:seed', () => {
    const p = planSeed({ hostname: 'web1' }, { cloudInit: false, instanceId: 'u' });
    expect(p.seed).toBeUndefined();
    expect(p.oemStrings).toEqual(['virtkit:v=1', 'virtkit:hostname=web1']);
  });

  it('refuses user-data for a template without cloud-init', () => {
    expect(() => planSeed({}, { cloudInit: false, instanceId: 'u', extras: { userData: { packages: ['x'] } } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('cloud-init guests: everything in the NoCloud cidata seed, SMBIOS only says so', () => {
    const uuid = '0b5d2c4e-7f1a-4c39-9e2d-1a2b3c4d5e6f';
    const p = planSeed({ hostname: 'web1.example.com', sshAuthorizedKeys: { root: [KEY] }, rootPasswordHash: HASH, data: { role: 'web' }, secretData: { token: 't' } }, {
      cloudInit: true, instanceId: uuid, extras: { userData: { packages: ['nginx'] }, networkConfig: { version: 2, ethernets: { eth0: { dhcp4: true } } } },
    });
    expect(p.oemStrings).toEqual(['virtkit:v=1', PERSONALIZE_CLOUD_INIT]);
    expect(p.seed!.kind).toBe('cloud-init');
    expect(isoLabel(p.seed!.image)).toBe('cidata');
    const meta = isoFile(p.seed!.image, 'meta-data')!.toString();
    expect(meta).toContain(`"instance-id": "${uuid}"`);
    expect(meta).toContain('"local-hostname": "web1.example.com"');
    const user = isoFile(p.seed!.image, 'user-data')!.toString();
    expect(user.startsWith('#cloud-config\n')).toBe(true);
    expect(user).toContain(`"hashed_passwd": "${HASH}"`);
    expect(user).toContain(KEY);
    expect(user).toContain('"nginx"');
    expect(isoFile(p.seed!.image, 'network-config')!.toString()).toContain('"dhcp4": true');
  });

  it('identity helpers: secrets never in OEM strings; data and secretData keys disjoint', () => {
    expect(identityOemStrings({ rootPasswordHash: HASH, secretData: { a: 'b' } })).toEqual(['virtkit:v=1']);
    expect(identitySecretLines({ hostname: 'h' })).toEqual([]);
    expect(() => identityOemStrings({ data: { a: '1' }, secretData: { a: '2' } })).toThrow(/both data and secretData/);
  });
});

const TPL_PC = `<domain type='kvm'><name>t</name><memory>65536</memory><os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/p/t.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/install.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
<serial type='file'><source path='/p/t-serial0.log'/><target port='0'/></serial></devices></domain>`;

describe('the seed CD-ROM in the domain XML', () => {
  it('picks the machine\'s bus and a free target', () => {
    expect(cdromBus('pc-i440fx-7.2', 'x86_64')).toBe('ide');
    expect(cdromBus('pc-q35-7.2', 'x86_64')).toBe('sata');
    expect(cdromBus(undefined, undefined)).toBe('ide');
    expect(cdromBus('virt', 'aarch64')).toBe('scsi');
    expect(freeCdromTarget('ide', ['hdc', 'hdd'])).toBe('hdb');
    expect(freeCdromTarget('sata', ['sda', 'sdz'])).toBe('sdy');
    expect(() => freeCdromTarget('ide', ['hda', 'hdb', 'hdc', 'hdd'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(planSeedCdrom(TPL_PC, '/p/c-seed.iso', 'file')).toEqual({ path: '/p/c-seed.iso', type: 'file', target: 'hdd', bus: 'ide' });
  });

  it('adds a read-only raw CD-ROM; eject and detach XML come from it', () => {
    const xml = addSeedCdrom(TPL_PC, { path: '/p/c-seed.iso', type: 'file', target: 'hdd', bus: 'ide' });
    const d = new DomainXml(xml).disks.find((x) => x.target === 'hdd')!;
    expect(d).toMatchObject({ device: 'cdrom', readonly: true, path: '/p/c-seed.iso', format: 'raw', bus: 'ide' });
    expect(new DomainXml(xml).disks.map((x) => x.target)).toEqual(['vda', 'hdc', 'hdd']);
    const one = diskElementXml(xml, 'hdd')!;
    expect(one).toContain("file='/p/c-seed.iso'");
    const ejected = ejectedDiskXml(one);
    expect(ejected).not.toContain('source');
    expect(ejected).toContain('readonly');
    expect(() => addSeedCdrom(xml, { path: '/x', type: 'file', target: 'hdd', bus: 'ide' })).toThrow(/taken/);
    const block = addSeedCdrom(TPL_PC, { path: '/dev/vg/c-seed.iso', type: 'block', target: 'hdd', bus: 'ide' });
    expect(new DomainXml(block).disks.at(-1)).toMatchObject({ type: 'block', path: '/dev/vg/c-seed.iso', readonly: true });
  });

  it('the record lists the seed and the cloud-init flag, and reads them back', () => {
    const rec = { role: 'clone' as const, state: 'ready' as const, version: 1, seed: { path: '/p/c-seed.iso', target: 'hdd', kind: 'virtkit' as const } };
    expect(parseTemplateMetadata(templateMetadataXml(rec))).toEqual(rec);
    const tpl = { role: 'template' as const, state: 'ready' as const, version: 1, cloudInit: true };
    expect(parseTemplateMetadata(templateMetadataXml(tpl))).toEqual(tpl);
    expect(() => templateMetadataXml({ ...rec, seed: { ...rec.seed, kind: 'x' as never } })).toThrow(/seed.kind/);
  });

  it('serial log files of a domain: file serials and <log file>', () => {
    expect(serialLogFiles(TPL_PC)).toEqual(['/p/t-serial0.log']);
    const pty = TPL_PC.replace("<serial type='file'><source path='/p/t-serial0.log'/>", "<serial type='pty'><log file='/p/pty.log' append='off'/>");
    expect(serialLogFiles(pty)).toEqual(['/p/pty.log']);
  });
});

const hasKeygen = spawnSync('ssh-keygen', ['-?']).status !== null;

describe('host keys from a console log', () => {
  const keys: { type: string; key: string; fp: string }[] = [];
  beforeAll(() => {
    if (!hasKeygen) return;
    for (const t of ['ed25519', 'ecdsa', 'rsa']) {
      const f = join(work, `k_${t}`);
      spawnSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', 'root@clone', '-f', f]);
      const [type, key] = readFileSync(`${f}.pub`, 'utf8').trim().split(' ');
      const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${f}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1]!;
      keys.push({ type: type!, key: key!, fp });
    }
  });

  it.skipIf(!hasKeygen)('fingerprints equal ssh-keygen -lf', () => {
    for (const k of keys) expect(hostKeyFingerprint(k.key)).toBe(k.fp);
  });

  it.skipIf(!hasKeygen)("reads the first-boot script's block, dropping garbled lines, only once done", () => {
    const [ed, ec, rsa] = keys;
    const lines = [
      '[    1.234] random kernel line',
      `virtkit-hostkey: ${ed!.type} ${ed!.key} ${ed!.fp}`,
      `virtkit-hostkey: ${ec!.type} ${ec!.key.slice(0, 20)}garbled ${ec!.fp}`, // key corrupted: dropped
      `virtkit-hostkey: ${rsa!.type} ${rsa!.key} SHA256:wrongwrongwrong`, // fingerprint disagrees: dropped
      `[  2.0] virtkit-hostkey: ${ec!.type} ${ec!.key} -\r`, // prefix and CR: kept, fingerprint computed
    ];
    expect(parseHostKeys(lines.join('\n'))).toBeUndefined(); // not done yet
    const got = parseHostKeys([...lines, 'virtkit-hostkeys: done', ''].join('\n'))!;
    expect(got).toEqual([
      { type: ed!.type, key: ed!.key, fingerprint: ed!.fp },
      { type: ec!.type, key: ec!.key, fingerprint: ec!.fp },
    ]);
    // a key whose blob names another type is not taken
    expect(parseHostKeys(`virtkit-hostkey: ssh-rsa ${ed!.key} -\nvirtkit-hostkeys: done\n`)).toEqual([]);
  });

  it.skipIf(!hasKeygen)("reads cloud-init's key block", () => {
    const log = ['ci-info: something', '-----BEGIN SSH HOST KEY KEYS-----', ...keys.map((k) => `${k.type} ${k.key} root@clone`), '-----END SSH HOST KEY KEYS-----'].join('\n');
    expect(parseHostKeys(log)!.map((k) => k.fingerprint)).toEqual(keys.map((k) => k.fp));
  });
});

describe('deploy with secrets on a driver without volume upload (test:///default)', () => {
  let conn: Connection;
  let pool: StoragePool;
  let tpl: Template;
  beforeAll(async () => {
    ({ conn, pool, tpl } = await testTemplate('seed'));
  });
  afterAll(async () => conn?.close());

  it('without secrets: no seed volume, no CD-ROM', async () => {
    const d = await tpl.deploy({ name: 'seedpub', identity: { hostname: 'pub' } });
    expect(await pool.findVolume('seedpub-seed.iso')).toBeUndefined();
    expect(new DomainXml(await d.xml()).disks.map((x) => x.device)).toEqual(['disk']);
  });

  it('with a password: the upload fails and everything made is removed', async () => {
    const before = (await pool.volumes()).map((v) => v.name).sort();
    const err = (await tpl.deploy({ name: 'seedfail', identity: { rootPassword: 'correct horse' } }).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    expect(String(err.message)).not.toContain('correct horse');
    expect(await conn.findDomain('seedfail')).toBeUndefined();
    expect((await pool.volumes()).map((v) => v.name).sort()).toEqual(before);
  });
});

const hasIsoinfo = spawnSync('isoinfo', ['-version']).status !== null;
it.skipIf(!hasIsoinfo)('test/helpers/iso.ts reads what isoinfo reads', () => {
  const p = planSeed({ rootPasswordHash: HASH }, { cloudInit: false, instanceId: 'u' });
  const f = join(work, 'seed.iso');
  writeFileSync(f, p.seed!.image);
  const r = spawnSync('isoinfo', ['-i', f, '-J', '-x', `/${SECRETS_FILE};1`], { encoding: 'utf8' });
  expect(r.stdout).toBe(isoFile(p.seed!.image, SECRETS_FILE)!.toString());
});
