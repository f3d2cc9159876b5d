// The first-boot script and the seed volume (issue 11 item 5), under dash and under busybox sh
// with busybox applets: secrets read from the seed (a directory standing in for the mounted
// CD-ROM), never from SMBIOS, and no copy kept; the seed device found by its ISO 9660 label in a
// device directory; the host keys printed for dom.hostKeys(); standing aside for cloud-init.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRSTBOOT_SCRIPT } from '../../src/firstboot/index.js';
import { sha512Crypt } from '../../src/crypt/index.js';
import { encodeSmbiosType11 } from '../../src/xml/identity.js';
import { iso9660Image } from '../../src/cloudinit/iso9660.js';
import { parseHostKeys } from '../../src/hostkeys.js';
import { planSeed, SECRETS_FILE, SEED_LABEL } from '../../src/template/deploy-seed.js';
import { isoFile } from '../helpers/iso.js';

const work = mkdtempSync(join(tmpdir(), 'vk-fbseed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const script = join(work, 'firstboot.sh');
writeFileSync(script, FIRSTBOOT_SCRIPT, { mode: 0o755 });
const hasBusybox = spawnSync('busybox', ['true']).status === 0;
const hasKeygen = spawnSync('ssh-keygen', ['-?']).status !== null;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function busyboxPath(): string {
  const dir = join(work, 'bb');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const a of ['od', 'tail', 'tr', 'base64', 'grep', 'sed', 'cat', 'mkdir', 'chmod', 'chown', 'rm', 'rmdir', 'date', 'head', 'touch', 'sh', 'printf', 'echo', 'mv', 'cut', 'dd', 'mktemp', 'readlink', 'sleep'])
      symlinkSync('/usr/bin/busybox', join(dir, a));
    if (hasKeygen) symlinkSync('/usr/bin/ssh-keygen', join(dir, 'ssh-keygen'));
  }
  return dir;
}

const shells: [string, string[], () => Record<string, string>][] = [
  ['dash', ['sh'], () => ({ PATH: process.env.PATH! })],
  ...(hasBusybox ? [['busybox sh with busybox applets', ['/usr/bin/busybox', 'sh'], () => ({ PATH: busyboxPath() })] as [string, string[], () => Record<string, string>]] : []),
];

/** A fake root with SMBIOS type 11 `oem`; returns its path. */
function fakeRoot(name: string, oem: string[]): string {
  const root = join(work, name);
  for (const d of ['etc/ssh', 'root', 'dmi/11-0', 'usr/lib/virtkit/firstboot.d']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/hostname'), 'golden\n');
  writeFileSync(join(root, 'etc/machine-id'), '');
  writeFileSync(join(root, 'uuid'), 'c0ffee00-1111-2222-3333-444455556666\n');
  writeFileSync(join(root, 'usr/lib/virtkit/firstboot.d/0001.sh'), '#!/bin/sh\necho ran >>"$VIRTKIT_ROOT/ran.txt"\n');
  writeFileSync(join(root, 'dmi/11-0/raw'), encodeSmbiosType11(oem));
  return root;
}

function run(shell: string[], env: Record<string, string>) {
  const r = spawnSync(shell[0]!, [...shell.slice(1), script], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r;
}

/** Every file under `dir` whose content includes `needle`. */
function filesWith(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (readFileSync(p).includes(needle)) out.push(p);
  }
  return out;
}

for (const [label, shell, baseEnv] of shells) {
  describe(`first boot with a seed (${label})`, () => {
    const tag = shell.length;
    const hash = sha512Crypt('s3cret', 'seedsalt');

    it('applies the seed\'s secrets, ignores a hash in SMBIOS, keeps no copy, prints the host keys', () => {
      const smbiosHash = sha512Crypt('other', 'smbiossa');
      const root = fakeRoot(`seed-${tag}`, ['virtkit:v=1', 'virtkit:hostname=web1', `virtkit:root-password-hash=${smbiosHash}`, `virtkit:seed=${SEED_LABEL}`]);
      // The seed as deploy makes it, unpacked to a directory (what the script reads once mounted).
      const plan = planSeed({ rootPasswordHash: hash, secretData: { token: 'tok\nen' } }, { cloudInit: false, instanceId: 'x' });
      const seedDir = join(work, `seeddir-${tag}`);
      mkdirSync(seedDir, { recursive: true });
      writeFileSync(join(seedDir, SECRETS_FILE), isoFile(plan.seed!.image, SECRETS_FILE)!);
      const r = run(shell, { ...baseEnv(), VIRTKIT_ROOT: root, VIRTKIT_DMI: join(root, 'dmi'), VIRTKIT_UUID: join(root, 'uuid'), VIRTKIT_SEED: seedDir });
      const rd = (p: string) => readFileSync(join(root, p), 'utf8');
      expect(rd('etc/shadow')).toBe(`root:${hash}:19000:0:99999:7:::\n`);
      expect(rd('etc/hostname')).toBe('web1\n');
      expect(rd('var/lib/virtkit/data/token')).toBe('tok\nen');
      expect(lstatSync(join(root, 'var/lib/virtkit/data/token')).mode & 0o777).toBe(0o600);
      expect(rd('var/log/virtkit-firstboot.log')).toMatch(/root-hash: ignored in SMBIOS/);
      expect(rd('var/log/virtkit-firstboot.log')).toMatch(/seed applied/);
      // The hash is in /etc/shadow and nowhere else in the root (no copy of the seed, no log of it).
      expect(filesWith(root, hash)).toEqual([join(root, 'etc/shadow')]);
      expect(filesWith(root, smbiosHash).filter((p) => !p.includes('/dmi/'))).toEqual([]);
      if (hasKeygen) {
        // The console report: one line per key, then done; the same keys in the state file.
        const keys = parseHostKeys(r.stdout)!;
        expect(keys.map((k) => k.type).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
        for (const k of keys) {
          const pub = readdirSync(join(root, 'etc/ssh')).find((f) => f.endsWith('.pub') && readFileSync(join(root, 'etc/ssh', f), 'utf8').includes(k.key))!;
          const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(root, 'etc/ssh', pub)], { encoding: 'utf8' }).stdout.split(' ')[1];
          expect(k.fingerprint).toBe(fp);
        }
        expect(r.stdout).toMatch(/virtkit-hostkey: ssh-ed25519 \S+ SHA256:\S+\n/);
        expect(parseHostKeys(`${rd('var/lib/virtkit/hostkeys')}virtkit-hostkeys: done\n`)).toEqual(keys);
      }
      expect(rd('ran.txt')).toBe('ran\n');
    });

    it('finds the seed device by its ISO 9660 label in a device directory', () => {
      const dev = join(work, `dev-${tag}`);
      mkdirSync(dev, { recursive: true });
      writeFileSync(join(dev, 'vda'), Buffer.alloc(64 * 1024, 1));
      writeFileSync(join(dev, 'sr0'), iso9660Image({ volumeId: 'cidata', files: [{ name: 'meta-data', data: 'x' }] }));
      writeFileSync(join(dev, 'sr1'), planSeed({ rootPasswordHash: hash }, { cloudInit: false, instanceId: 'x' }).seed!.image);
      const r = spawnSync(shell[0]!, [...shell.slice(1), script], { env: { ...baseEnv(), VIRTKIT_ROOT: join(work, `seed-${tag}`), VIRTKIT_DEV: dev, VIRTKIT_STEP: 'find-seed' }, encoding: 'utf8' });
      expect(r.stdout.trim()).toBe(join(dev, 'sr1'));
      const ci = spawnSync(shell[0]!, [...shell.slice(1), script], { env: { ...baseEnv(), VIRTKIT_ROOT: join(work, `seed-${tag}`), VIRTKIT_DEV: dev, VIRTKIT_STEP: 'find-seed', VIRTKIT_LABEL: 'cidata' }, encoding: 'utf8' });
      expect(ci.stdout.trim()).toBe(join(dev, 'sr0'));
      const none = spawnSync(shell[0]!, [...shell.slice(1), script], { env: { ...baseEnv(), VIRTKIT_ROOT: join(work, `seed-${tag}`), VIRTKIT_DEV: dev, VIRTKIT_STEP: 'find-seed', VIRTKIT_LABEL: 'NOPE' }, encoding: 'utf8' });
      expect(none.status).toBe(1);
      expect(none.stdout).toBe('');
    });

    it('a seed that is not there: logged, the rest applied, no wait off the live system', () => {
      const root = fakeRoot(`noseed-${tag}`, ['virtkit:v=1', 'virtkit:hostname=web2', `virtkit:seed=${SEED_LABEL}`]);
      const empty = join(work, `emptydev-${tag}`);
      mkdirSync(empty, { recursive: true });
      run(shell, { ...baseEnv(), VIRTKIT_ROOT: root, VIRTKIT_DMI: join(root, 'dmi'), VIRTKIT_UUID: join(root, 'uuid'), VIRTKIT_DEV: empty });
      expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('web2\n');
      expect(readFileSync(join(root, 'etc/shadow'), 'utf8')).toBe('root:*:19000:0:99999:7:::\n');
      expect(readFileSync(join(root, 'var/log/virtkit-firstboot.log'), 'utf8')).toMatch(/seed VIRTKIT not found/);
    });

    it('stands aside for cloud-init: no identity, no machine-id, no host keys; the template\'s commands still run', () => {
      const root = fakeRoot(`ci-${tag}`, ['virtkit:v=1', 'virtkit:personalize=cloud-init', 'virtkit:hostname=nope', `virtkit:ssh-key:root=${b64('ssh-ed25519 AAAA x')}`]);
      const r = run(shell, { ...baseEnv(), VIRTKIT_ROOT: root, VIRTKIT_DMI: join(root, 'dmi'), VIRTKIT_UUID: join(root, 'uuid') });
      expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('golden\n');
      expect(readFileSync(join(root, 'etc/machine-id'), 'utf8')).toBe('');
      expect(existsSync(join(root, 'root/.ssh'))).toBe(false);
      expect(readdirSync(join(root, 'etc/ssh'))).toEqual([]);
      expect(r.stdout).not.toContain('virtkit-hostkey');
      expect(readFileSync(join(root, 'var/log/virtkit-firstboot.log'), 'utf8')).toMatch(/cloud-init personalizes this clone/);
      expect(readFileSync(join(root, 'ran.txt'), 'utf8')).toBe('ran\n');
      expect(existsSync(join(root, 'var/lib/virtkit/firstboot.done'))).toBe(true);
    });
  });
}
