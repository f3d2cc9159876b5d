// Issue 13 item 11: deploy accepts exactly the identities the first-boot script applies. A real
// template and real deploys on libvirt's test driver (test:///default, no daemon); then the
// first-boot script itself (dash) on a fake root, fed the OEM strings a deploy wrote, and fed the
// values deploy refuses (written by hand, as a careless caller could): it drops every one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, StoragePool, Template } from '../../src/index.js';
import { DomainXml } from '../../src/xml/domain.js';
import { identitySecretLines, parseOemStrings } from '../../src/xml/identity.js';
import { FIRSTBOOT_SCRIPT } from '../../src/firstboot/index.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { testTemplate } from '../helpers/test-template.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirstbootRulesTestKey tester@virtkit';
const HASH = sha512Crypt('pw', 'saltsalt');
let conn: Connection;
let pool: StoragePool;
let tpl: Template;

beforeAll(async () => {
  ({ conn, pool, tpl } = await testTemplate('id'));
});
afterAll(async () => conn?.close());

const volumes = async () => (await pool.volumes()).map((v) => v.name).sort();

describe('deploy refuses what the first-boot script would drop, before anything is made', () => {
  const refused: [string, unknown, string][] = [
    ['an SSH key with a newline', { sshAuthorizedKeys: { root: [`${KEY}\nssh-rsa AAAA injected`] } }, 'opts.identity.sshAuthorizedKeys.root[0]'],
    ['an SSH key with a NUL', { sshAuthorizedKeys: { root: [`${KEY}\0x`] } }, 'opts.identity.sshAuthorizedKeys.root[0]'],
    ['an SSH key with a CR', { sshAuthorizedKeys: { root: [`ssh-rsa AAAA\rx`] } }, 'opts.identity.sshAuthorizedKeys.root[0]'],
    ['an empty SSH key', { sshAuthorizedKeys: { root: ['   '] } }, 'opts.identity.sshAuthorizedKeys.root[0]'],
    ['keys that are not an array', { sshAuthorizedKeys: { root: 'abc' } }, 'opts.identity.sshAuthorizedKeys.root'],
    ["a user name the script refuses ('$')", { sshAuthorizedKeys: { 'svc$': [KEY] } }, 'opts.identity.sshAuthorizedKeys.svc$'],
    ['a user name starting with -', { sshAuthorizedKeys: { '-x': [KEY] } }, 'opts.identity.sshAuthorizedKeys.-x'],
    ["a hash with ':'", { rootPasswordHash: '$6$s$a:b' }, 'opts.identity.rootPasswordHash'],
    ['a hash with a space', { rootPasswordHash: '$6$s$a b' }, 'opts.identity.rootPasswordHash'],
    ['an empty hash', { rootPasswordHash: '' }, 'opts.identity.rootPasswordHash'],
    ['an empty password', { rootPassword: '' }, 'opts.identity.rootPassword'],
    ['a password and a hash', { rootPassword: 'pw', rootPasswordHash: HASH }, 'opts.identity.rootPasswordHash'],
    ['a non-string password', { rootPassword: 5 }, 'opts.identity.rootPassword'],
    ['an invalid hostname', { hostname: 'web_1' }, 'opts.identity.hostname'],
    ['a misspelt field', { hostnme: 'web1' }, 'opts.identity.hostnme'],
    ['a data value with a lone surrogate', { data: { k: 'a\uD800' } }, 'opts.identity.data.k'],
    ['a string identity', 'str', 'opts.identity'],
    ['an array identity', [], 'opts.identity'],
  ];
  it.each(refused)('refuses %s', async (_what, identity, argument) => {
    const before = await volumes();
    const err = await tpl.deploy({ name: 'idclone', identity: identity as never }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'VirtkitError', code: 'INVALID_ARGUMENT', details: { argument } });
    expect(String((err as Error).message)).not.toContain('injected');
    expect(await conn.findDomain('idclone')).toBeUndefined();
    expect(await volumes()).toEqual(before);
  });

  it('refuses a multi-line title, and sets a good one', async () => {
    await expect(tpl.deploy({ name: 'idclone', title: 'a\nb' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'opts.title' } });
    const d = await tpl.deploy({ name: 'idtitled', title: 'web one' });
    expect(new DomainXml(await d.xml()).title).toBe('web one');
  });
});

describe('what deploy accepts, the first-boot script applies', () => {
  const work = mkdtempSync(join(tmpdir(), 'vk-idrules-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const script = join(work, 'firstboot.sh');
  writeFileSync(script, FIRSTBOOT_SCRIPT, { mode: 0o755 });

  /** Runs the script on a fresh fake root whose SMBIOS type 11 holds `oem`; returns a reader. */
  function boot(name: string, oem: string[], seed?: string[]): (p: string) => string {
    const root = join(work, name);
    for (const d of ['etc', 'root', 'home/svc.user_1', 'dmi/11-0']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nsvc.user_1:x:1000:1000::/home/svc.user_1:/bin/sh\nsvc$:x:1001:1001::/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    writeFileSync(join(root, 'etc/hostname'), 'golden\n');
    writeFileSync(join(root, 'etc/machine-id'), '0123456789abcdef0123456789abcdef\n');
    const body = Buffer.concat(oem.map((s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])));
    writeFileSync(join(root, 'dmi/11-0/raw'), Buffer.concat([Buffer.from([11, 5, 0, 11, oem.length]), body, Buffer.from([0])]));
    // The seed volume's file (what the script reads from the mounted CD-ROM) in a directory.
    const seedEnv: Record<string, string> = {};
    if (seed) {
      mkdirSync(join(root, '..', `${name}-seed`), { recursive: true });
      writeFileSync(join(root, '..', `${name}-seed`, 'virtkit-secrets'), seed.map((l) => `${l}\n`).join(''));
      seedEnv.VIRTKIT_SEED = join(root, '..', `${name}-seed`);
    }
    const r = spawnSync('sh', [script], { env: { PATH: process.env.PATH!, VIRTKIT_ROOT: root, VIRTKIT_DMI: join(root, 'dmi'), ...seedEnv }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return (p: string) => {
      try {
        return readFileSync(join(root, p), 'utf8');
      } catch {
        return '';
      }
    };
  }

  it('applies every field of an accepted identity, as deploy encoded it', async () => {
    // No hash here: secrets go to the seed volume, which this driver cannot upload
    // (test/unit/deploy-seed.test.ts; the seed itself: test/integration/deploy-seed.test.ts).
    const identity = {
      hostname: 'web-01.example.com',
      sshAuthorizedKeys: { root: [`  ${KEY}  `], 'svc.user_1': ['ssh-rsa AAAAB3 "quoted" comment\twith tab'] },
      data: { 'role.v1': 'front\nend\0!' },
    };
    const clone = await tpl.deploy({ name: 'idgood', identity });
    const oem = new DomainXml(await clone.xml()).oemStrings;
    expect(parseOemStrings(oem)).toEqual({ ...identity, sshAuthorizedKeys: { root: [KEY], 'svc.user_1': identity.sshAuthorizedKeys['svc.user_1'] } });
    const rd = boot('good', [...oem, 'virtkit:seed=VIRTKIT'], identitySecretLines({ rootPasswordHash: HASH }));
    expect(rd('etc/hostname')).toBe('web-01.example.com\n');
    expect(rd('etc/shadow')).toBe(`root:${HASH}:19000:0:99999:7:::\n`);
    expect(rd('root/.ssh/authorized_keys')).toBe(`${KEY}\n`);
    expect(rd('home/svc.user_1/.ssh/authorized_keys')).toBe('ssh-rsa AAAAB3 "quoted" comment\twith tab\n');
    expect(rd('var/lib/virtkit/data/role.v1')).toBe('front\nend\0!');
  });

  it('drops each value deploy refuses, when it gets there anyway', async () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const rd = boot('bad', [
      'virtkit:v=1',
      'virtkit:seed=VIRTKIT',
      `virtkit:ssh-key:svc$=${b64(KEY)}`,
      `virtkit:ssh-key:-x=${b64(KEY)}`,
      `virtkit:ssh-key:root=${b64(`${KEY}\nssh-rsa AAAA injected`)}`,
      'virtkit:hostname=web_1',
    ], ['virtkit:root-password-hash=$6$s$a:b']);
    expect(rd('etc/shadow')).toBe('root:*:19000:0:99999:7:::\n');
    expect(rd('root/.ssh/authorized_keys')).toBe('');
    expect(rd('etc/hostname')).toBe('golden\n');
    expect(rd('var/log/virtkit-firstboot.log')).toMatch(/root-hash: refused/);
    expect(rd('var/log/virtkit-firstboot.log')).toMatch(/bad user name/);
    expect(rd('var/log/virtkit-firstboot.log')).toMatch(/not one line/);
    // and deploy refuses each of them up front
    for (const identity of [{ rootPasswordHash: '$6$s$a:b' }, { sshAuthorizedKeys: { 'svc$': [KEY] } }, { sshAuthorizedKeys: { '-x': [KEY] } }, { sshAuthorizedKeys: { root: [`${KEY}\nx`] } }, { hostname: 'web_1' }])
      await expect(tpl.deploy({ name: 'idbad', identity: identity as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await conn.findDomain('idbad')).toBeUndefined();
  });
});
