// The first-boot script, run on the host against a fake root and a fake SMBIOS sysfs directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRSTBOOT_SCRIPT, INIT_SCRIPT, SYSTEMD_UNIT } from '../../src/firstboot/index.js';
import { renderFirstbootScript } from '../../src/firstboot/script.js';
import * as paths from '../../src/firstboot/paths.js';
import { sha512Crypt } from '../../src/crypt/index.js';

const work = mkdtempSync(join(tmpdir(), 'vk-firstboot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const script = join(work, 'firstboot.sh');
writeFileSync(script, FIRSTBOOT_SCRIPT, { mode: 0o755 });
const hasBusybox = spawnSync('busybox', ['true']).status === 0;

/** A SMBIOS type 11 structure as the kernel exposes it in .../entries/11-N/raw. */
function oemBlob(strings: string[], formattedLength = 5): Buffer {
  const head = Buffer.alloc(formattedLength);
  head[0] = 11;
  head[1] = formattedLength;
  head.writeUInt16LE(0x0b00, 2);
  head[4] = strings.length;
  const body = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])));
  return Buffer.concat([head, body, Buffer.from([0])]);
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function fakeDmi(name: string, entries: Buffer[]): string {
  const dir = join(work, name);
  entries.forEach((blob, i) => {
    mkdirSync(join(dir, `11-${i}`), { recursive: true });
    writeFileSync(join(dir, `11-${i}`, 'raw'), blob);
  });
  // Entries of other types must be ignored.
  mkdirSync(join(dir, '1-0'), { recursive: true });
  writeFileSync(join(dir, '1-0', 'raw'), oemBlob(['virtkit:hostname=wrong']));
  return dir;
}

/** A busybox-only PATH: the tools the script uses come from busybox applets. */
function busyboxPath(): string {
  const dir = join(work, 'bb');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const a of ['od', 'tail', 'tr', 'base64', 'grep', 'sed', 'cat', 'mkdir', 'chmod', 'chown', 'rm', 'rmdir', 'date', 'head', 'touch', 'sh', 'printf', 'echo', 'mv', 'cut', 'dd', 'mktemp', 'readlink', 'sleep']) {
      symlinkSync('/usr/bin/busybox', join(dir, a));
    }
  }
  return dir;
}

function run(shell: string[], env: Record<string, string>, args: string[] = []) {
  const r = spawnSync(shell[0]!, [...shell.slice(1), script, ...args], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r;
}

describe('first-boot script', () => {
  it('passes sh -n and busybox sh -n (no bash-isms)', () => {
    for (const [text, name] of [[FIRSTBOOT_SCRIPT, 'firstboot.sh'], [INIT_SCRIPT, 'init']] as const) {
      const p = join(work, `lint-${name}`);
      writeFileSync(p, text);
      execFileSync('sh', ['-n', p]);
      if (hasBusybox) execFileSync('busybox', ['sh', '-n', p]);
      if (spawnSync('checkbashisms', ['--version']).status === 0) execFileSync('checkbashisms', [p]);
    }
  });

  it('is src/firstboot/firstboot.sh with the paths of src/firstboot/paths.ts filled in', () => {
    const source = readFileSync(new URL('../../src/firstboot/firstboot.sh', import.meta.url), 'utf8');
    expect(FIRSTBOOT_SCRIPT).toBe(renderFirstbootScript(source));
    expect(source).toMatch(/^STATE_DIR=@FIRSTBOOT_STATE_DIR@$/m);
    expect(FIRSTBOOT_SCRIPT).not.toMatch(/@[A-Z][A-Z0-9_]*@/);
    for (const [name, value] of [
      ['STATE_DIR', paths.FIRSTBOOT_STATE_DIR], ['DONE_FILE', paths.FIRSTBOOT_DONE_PATH], ['LOG_FILE', paths.FIRSTBOOT_LOG_PATH],
      ['COMMANDS_DIR', paths.FIRSTBOOT_COMMANDS_DIR], ['ETC_COMMANDS_DIR', paths.FIRSTBOOT_ETC_COMMANDS_DIR], ['WANTS_LINK', paths.SYSTEMD_WANTS_LINK],
    ]) expect(FIRSTBOOT_SCRIPT).toContain(`\n${name}=${value}\n`);
    // The old base64 root-hash entry is gone with the branch that read it.
    expect(FIRSTBOOT_SCRIPT).not.toMatch(/root-hash\)/);
    expect(() => renderFirstbootScript('X=@NO_SUCH_PATH@\n')).toThrow(/NO_SUCH_PATH/);
  });

  it('passes shellcheck (the source and the installed script)', () => {
    const sc = spawnSync('shellcheck', ['--version']);
    if (sc.status !== 0) throw new Error('shellcheck is missing: bash scripts/setup-host.sh installs it (Debian package shellcheck)');
    const installed = join(work, 'lint-installed.sh');
    writeFileSync(installed, FIRSTBOOT_SCRIPT);
    for (const p of [new URL('../../src/firstboot/firstboot.sh', import.meta.url).pathname, installed]) {
      const r = spawnSync('shellcheck', ['--shell=sh', '--severity=info', p], { encoding: 'utf8' });
      expect(r.stdout + r.stderr, p).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('has the unit ordering and condition the design asks for', () => {
    expect(SYSTEMD_UNIT).toMatch(/^Before=.*\bssh\.service\b.*\bsshd\.service\b/m);
    expect(SYSTEMD_UNIT).toMatch(/^Before=.*systemd-networkd\.service/m);
    expect(SYSTEMD_UNIT).toContain('ConditionPathExists=!/var/lib/virtkit/firstboot.done');
    expect(SYSTEMD_UNIT).toContain('WantedBy=multi-user.target');
  });

  const shells: Array<[string, string[], () => Record<string, string>]> = [
    ['dash', ['sh'], () => ({})],
    ...(hasBusybox ? [['busybox sh with busybox applets', ['busybox', 'sh'], () => ({ PATH: `${busyboxPath()}:/usr/bin:/bin` })] as [string, string[], () => Record<string, string>]] : []),
  ];

  for (const [label, shell, extraEnv] of shells) {
    describe(label, () => {
      it('parses type-11 raw blobs (any formatted length, several entries)', () => {
        const dmi = fakeDmi(`dmi-parse-${shell.length}`, [
          oemBlob(['other:vendor=1', 'virtkit:hostname=web1', 'virtkit:data:role=' + b64('front end')]),
          oemBlob(['virtkit:ssh-key:root=' + b64('ssh-ed25519 AAAA k@h')], 9),
        ]);
        const out = run(shell, { ...extraEnv(), VIRTKIT_DMI: dmi, VIRTKIT_ROOT: join(work, 'unused'), VIRTKIT_STEP: 'oem' }).stdout;
        const lines = out.split('\n').filter(Boolean);
        expect(lines).toEqual(['other:vendor=1', 'virtkit:hostname=web1', `virtkit:data:role=${b64('front end')}`, `virtkit:ssh-key:root=${b64('ssh-ed25519 AAAA k@h')}`]);
      });

      it('personalises a fake root once, then does nothing', () => {
        const root = join(work, `root-${shell.length}`);
        for (const dir of ['etc/ssh', 'root', 'home/u', 'var/lib/dbus', 'etc/systemd/system/multi-user.target.wants', 'usr/lib/virtkit/firstboot.d']) mkdirSync(join(root, dir), { recursive: true });
        writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\nuu:x:1001:1001::/home/uu:/bin/sh\n');
        writeFileSync(join(root, 'etc/shadow'), 'root:$6$old$old:19000:0:99999:7:::\nu:*:19000:0:99999:7:::', { mode: 0o640 });
        writeFileSync(join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tgolden\n');
        writeFileSync(join(root, 'etc/hostname'), 'golden\n');
        writeFileSync(join(root, 'etc/machine-id'), '');
        writeFileSync(join(root, 'var/lib/dbus/machine-id'), '');
        writeFileSync(join(root, 'etc/ssh/ssh_host_ed25519_key'), 'keep me');
        symlinkSync('/etc/systemd/system/virtkit-firstboot.service', join(root, 'etc/systemd/system/multi-user.target.wants/virtkit-firstboot.service'));
        writeFileSync(join(root, 'usr/lib/virtkit/firstboot.d/0001.sh'), '#!/bin/sh\necho ran >>"$VIRTKIT_ROOT/ran.txt"\n');
        writeFileSync(join(root, 'uuid'), 'c0ffee00-1111-2222-3333-444455556666\n');
        const hash = sha512Crypt('s3cret', 'abcdefgh');
        const dmi = fakeDmi(`dmi-run-${shell.length}`, [
          oemBlob([
            'virtkit:hostname=web1.example.com',
            `virtkit:ssh-key:root=${b64('ssh-ed25519 AAAAroot admin@laptop')}`,
            `virtkit:ssh-key:u=${b64('ssh-rsa AAAAu u@x')}`,
            `virtkit:ssh-key:u=${b64('ssh-ed25519 AAAAu2 second key')}`,
            `virtkit:ssh-key:nosuch=${b64('ssh-rsa AAAA x')}`,
            `virtkit:root-password-hash=${hash}`,
            // The old base64 form nobody writes any more is ignored (it would replace the hash).
            `virtkit:root-hash=${b64(sha512Crypt('other', 'zzzzzzzz'))}`,
            `virtkit:data:config.json=${b64('{"a": 1}')}`,
            'virtkit:hostname=bad name!',
          ]),
        ]);
        const env = { ...extraEnv(), VIRTKIT_ROOT: root, VIRTKIT_DMI: dmi, VIRTKIT_UUID: join(root, 'uuid') };
        run(shell, env);

        const rd = (p: string) => readFileSync(join(root, p), 'utf8');
        expect(rd('etc/machine-id')).toBe('c0ffee00111122223333444455556666\n');
        expect(rd('var/lib/dbus/machine-id')).toBe(rd('etc/machine-id'));
        expect(rd('etc/hostname')).toBe('web1.example.com\n');
        expect(rd('etc/hosts')).toBe('127.0.0.1\tlocalhost\n127.0.1.1\tweb1.example.com web1\n');
        expect(rd('root/.ssh/authorized_keys')).toBe('ssh-ed25519 AAAAroot admin@laptop\n');
        expect(rd('home/u/.ssh/authorized_keys')).toBe('ssh-rsa AAAAu u@x\nssh-ed25519 AAAAu2 second key\n');
        expect(lstatSync(join(root, 'home/u/.ssh/authorized_keys')).mode & 0o777).toBe(0o600);
        expect(lstatSync(join(root, 'home/u/.ssh')).mode & 0o777).toBe(0o700);
        if (process.getuid?.() === 0) expect(lstatSync(join(root, 'home/u/.ssh/authorized_keys')).uid).toBe(1000);
        expect(existsSync(join(root, 'home/uu/.ssh'))).toBe(false);
        // A hash in SMBIOS is ignored: secrets come only from the seed volume.
        expect(rd('etc/shadow')).toBe('root:$6$old$old:19000:0:99999:7:::\nu:*:19000:0:99999:7:::');
        expect(rd('var/log/virtkit-firstboot.log')).toMatch(/root-hash: ignored in SMBIOS/);
        expect(lstatSync(join(root, 'etc/shadow')).mode & 0o777).toBe(0o640);
        expect(rd('var/lib/virtkit/data/config.json')).toBe('{"a": 1}');
        expect(rd('etc/ssh/ssh_host_ed25519_key')).toBe('keep me');
        if (spawnSync('ssh-keygen', ['-?']).status !== null) {
          expect(existsSync(join(root, 'etc/ssh/ssh_host_rsa_key'))).toBe(true);
          expect(rd('etc/ssh/ssh_host_ecdsa_key.pub')).toMatch(/^ecdsa-sha2-nistp256 \S+ root@web1\.example\.com\n$/);
        }
        expect(existsSync(join(root, 'var/lib/virtkit/firstboot.done'))).toBe(true);
        expect(() => readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/virtkit-firstboot.service'))).toThrow();
        expect(rd('ran.txt')).toBe('ran\n');
        expect(rd('var/log/virtkit-firstboot.log')).toMatch(/ssh-key: no user nosuch/);

        // The form src/xml/identity.ts writes for the seed: the hash as is, under root-password-hash.
        const hash2 = sha512Crypt('other', 'zzzzzzzz');
        const dmi2 = fakeDmi(`dmi-run2-${shell.length}`, [oemBlob(['virtkit:v=1', 'virtkit:seed=VIRTKIT'])]);
        const seedDir = join(work, `seed-${shell.length}`);
        mkdirSync(seedDir, { recursive: true });
        writeFileSync(join(seedDir, 'virtkit-secrets'), `virtkit:v=1\nvirtkit:root-password-hash=${hash2}\n`);
        run(shell, { ...env, VIRTKIT_DMI: dmi2, VIRTKIT_SEED: seedDir }, ['--force']);
        expect(rd('etc/shadow')).toBe(`root:${hash2}:19000:0:99999:7:::\nu:*:19000:0:99999:7:::\n`);
        rmSync(join(root, 'var/lib/virtkit/firstboot.done'));
        run(shell, env);

        // Second run: the done file stops everything.
        writeFileSync(join(root, 'etc/hostname'), 'changed\n');
        run(shell, env);
        expect(rd('etc/hostname')).toBe('changed\n');
        expect(rd('ran.txt')).toBe('ran\n');
        // --force reruns, but each first-boot command still runs only once.
        run(shell, env, ['--force']);
        expect(rd('etc/hostname')).toBe('web1.example.com\n');
        expect(rd('ran.txt')).toBe('ran\n');
        expect(rd('etc/hosts').match(/127\.0\.1\.1/g)).toHaveLength(1);
        expect(rd('root/.ssh/authorized_keys')).toBe('ssh-ed25519 AAAAroot admin@laptop\n');
      });
    });
  }

  it('decodes base64 without base64(1) or openssl (pure sh fallback)', () => {
    const dir = join(work, 'b64');
    mkdirSync(dir, { recursive: true });
    const cases = ['a', 'ab', 'abc', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI+/x= user@host', '$6$salt$h/a.sh'];
    const driver = join(dir, 'driver.sh');
    // Source the script's functions only: cut before "# ---- main".
    writeFileSync(driver, FIRSTBOOT_SCRIPT.slice(0, FIRSTBOOT_SCRIPT.indexOf('# ---- main')) + '\nVIRTKIT_B64=sh\nfor x in "$@"; do b64d "$x"; echo; done\n');
    chmodSync(driver, 0o755);
    for (const shell of [['sh'], ...(hasBusybox ? [['busybox', 'sh']] : [])]) {
      const out = spawnSync(shell[0]!, [...shell.slice(1), driver, ...cases.map(b64)], { encoding: 'utf8', env: { PATH: process.env.PATH!, VIRTKIT_ROOT: dir } });
      expect(out.stdout.split('\n').slice(0, cases.length)).toEqual(cases);
    }
  });
});
