// Issue 15.2/15.3 against the in-memory guest: a first-boot hook for every init virtkit supports,
// a typed refusal (nothing written) when none is found, the report naming the hook, and
// virtkit's files kept off a separate /usr.
import { describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { seal } from '../../src/seal/index.js';
import { mountpointNeeded, plan } from '../../src/seal/run.js';
import { selectOperations } from '../../src/seal/select.js';
import { MemoryGuest, debianTree, fedoraTree, type TreeEntry } from '../fixtures/linux-trees.js';

const f = (path: string, content = 'x\n'): TreeEntry => ({ path, content });
const d = (path: string): TreeEntry => ({ path, dir: true });
const l = (path: string, link: string): TreeEntry => ({ path, link });

/** The Debian-like tree without systemd, plus `init`. */
function guestWith(init: TreeEntry[], mountpoints?: Array<{ mountpoint: string; device: string }>): MemoryGuest {
  const spec = debianTree();
  const entries = spec.entries.filter((e) => !e.path.includes('systemd/systemd') && !e.path.startsWith('/etc/systemd'));
  const g = new MemoryGuest([...entries, ...init], [{ ...spec.root, osinfo: 'debian12', root: '/dev/sda1', mountpoints: mountpoints ?? [{ mountpoint: '/', device: '/dev/sda1' }] }]);
  return g;
}

describe('first-boot hooks (issue 15.2)', () => {
  const cases: Array<[string, TreeEntry[], (g: MemoryGuest) => void]> = [
    ['openrc', [f('/sbin/openrc-run'), d('/etc/runlevels/default'), d('/etc/init.d')], (g) => {
      expect(g.text('/etc/init.d/virtkit-firstboot')).toMatch(/^#!\/sbin\/openrc-run\n/);
      expect(g.text('/etc/init.d/virtkit-firstboot')).toContain('/usr/lib/virtkit/firstboot.sh');
      expect(g.node('/etc/runlevels/boot/virtkit-firstboot')).toMatchObject({ kind: 'link', target: '/etc/init.d/virtkit-firstboot' });
    }],
    ['sysvinit', [d('/etc/init.d'), d('/etc/rcS.d')], (g) => {
      expect(g.node('/etc/rcS.d/S01virtkit-firstboot')).toMatchObject({ kind: 'link', target: '../init.d/virtkit-firstboot' });
    }],
    ['busybox-rcS', [f('/etc/init.d/rcS', '#!/bin/sh\nfor i in /etc/init.d/S??*; do $i start; done\n')], (g) => {
      expect(g.node('/etc/init.d/S01virtkit-firstboot')).toMatchObject({ kind: 'link', target: 'virtkit-firstboot' });
    }],
    ['rc.local', [f('/etc/rc.local', '#!/bin/sh\necho hi\nexit 0\n')], (g) => {
      expect(g.text('/etc/rc.local')).toBe('#!/bin/sh\necho hi\n[ -e /var/lib/virtkit/firstboot.done ] || /usr/lib/virtkit/firstboot.sh\nexit 0\n');
    }],
    ['inittab', [f('/etc/inittab', '::sysinit:/bin/mount -a\n::respawn:/sbin/getty 38400 tty1\n'), f('/bin/busybox')], (g) => {
      expect(g.text('/etc/inittab')).toBe('::sysinit:/bin/mount -a\n::respawn:/sbin/getty 38400 tty1\n::sysinit:/usr/lib/virtkit/firstboot.sh\n');
    }],
  ];
  for (const [kind, init, check] of cases) {
    it(`installs a ${kind} hook and says so in the report`, async () => {
      const g = guestWith(init);
      const r = await seal({ guest: g, hostname: 'web1' });
      expect(r.firstboot).toMatchObject({ kind, script: '/usr/lib/virtkit/firstboot.sh' });
      expect(r.roots[0]!.firstboot?.kind).toBe(kind);
      for (const p of r.firstboot!.paths) expect(g.node(p), p).toBeDefined();
      expect(g.node('/usr/lib/virtkit/firstboot.sh')).toMatchObject({ kind: 'file', mode: 0o755 });
      check(g);
      // A second seal keeps one hook line, not two.
      await seal({ guest: g, hostname: 'web2' });
      for (const file of ['/etc/rc.local', '/etc/inittab']) {
        const t = g.text(file);
        if (t !== undefined) expect(t.split('virtkit/firstboot.sh').length - 1, file).toBeLessThanOrEqual(1);
      }
    });
  }

  it('the dry run names the hook it would install, and writes nothing', async () => {
    const g = guestWith([f('/etc/rc.local', '#!/bin/sh\n')]);
    const before = g.paths();
    const r = await seal({ guest: g, dryRun: true });
    expect(r.firstboot?.kind).toBe('rc.local');
    expect(g.paths()).toEqual(before);
  });

  it('refuses a guest with no init it can hook, with NO_FIRSTBOOT_HOOK naming what it found, before any write', async () => {
    const g = guestWith([l('/sbin/init', '/usr/bin/runit-init'), d('/etc/runit')]);
    const before = new Map(g.paths().map((p) => [p, JSON.stringify(g.node(p))]));
    const e = await seal({ guest: g, hostname: 'web1' }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(VirtkitError);
    expect((e as VirtkitError).code).toBe('NO_FIRSTBOOT_HOOK');
    expect((e as VirtkitError).details).toMatchObject({ root: '/dev/sda1', found: expect.arrayContaining(['/sbin/init -> /usr/bin/runit-init', '/etc/runit']) });
    expect((e as VirtkitError).message).toContain('installFirstboot: false');
    // Nothing was written: machine-id and host keys are still there.
    expect(new Map(g.paths().map((p) => [p, JSON.stringify(g.node(p))]))).toEqual(before);
    expect(g.node('/etc/ssh/ssh_host_rsa_key')).toBeDefined();
    // Opting out seals without a hook, and the report says none was installed.
    const r = await seal({ guest: g, installFirstboot: false });
    expect(r.firstboot).toBeUndefined();
    expect(g.node('/usr/lib/virtkit/firstboot.sh')).toBeUndefined();
  });
});

describe('separate /usr (issue 15.3)', () => {
  it('puts the script and commands under /etc/virtkit, nothing under /usr', async () => {
    const g = guestWith([f('/usr/lib/systemd/systemd'), d('/etc/systemd/system')], [{ mountpoint: '/', device: '/dev/sda1' }, { mountpoint: '/usr', device: '/dev/sda2' }]);
    const usrBefore = g.paths().filter((p) => p === '/usr' || p.startsWith('/usr/')).map((p) => [p, JSON.stringify(g.node(p))]);
    const r = await seal({ guest: g, firstbootCommands: ['echo hi'] });
    expect(r.firstboot).toMatchObject({ kind: 'systemd', script: '/etc/virtkit/firstboot.sh' });
    expect(g.node('/etc/virtkit/firstboot.sh')).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(g.text('/etc/virtkit/firstboot.d/0001.sh')).toContain('echo hi');
    expect(g.text('/etc/systemd/system/virtkit-firstboot.service')).toContain('ExecStart=/etc/virtkit/firstboot.sh');
    expect(g.paths().filter((p) => p === '/usr' || p.startsWith('/usr/')).map((p) => [p, JSON.stringify(g.node(p))])).toEqual(usrBefore);
    expect(r.operations.flatMap((o) => o.changed).filter((p) => p.startsWith('/usr/'))).toEqual([]);
  });
});

describe('which failed mounts refuse a seal (issue 15.4)', () => {
  const ops = plan(selectOperations('defaults'));
  it('needs /var, /home, /etc, /var/log, /tmp; not /boot, /srv, /opt, /boot/efi', () => {
    for (const mp of ['/var', '/home', '/etc', '/var/log', '/tmp', '/root', '/var/lib/dhcp']) expect(mountpointNeeded(mp, ops), mp).toBe(true);
    for (const mp of ['/boot', '/boot/efi', '/srv', '/opt', '/data']) expect(mountpointNeeded(mp, ops), mp).toBe(false);
    // Only machine-id selected: /home is not needed, /etc is.
    const mid = plan(selectOperations('machine-id'));
    expect(mountpointNeeded('/home', mid)).toBe(false);
    expect(mountpointNeeded('/etc', mid)).toBe(true);
  });
});

describe('hostname and random seed as virt-customize does them (issue 15.9)', () => {
  it('writes /etc/machine-info only on systemd-era Red Hat (Fedora >= 18), not on Fedora 17', async () => {
    for (const [major, want] of [[39, true], [17, false]] as const) {
      const spec = fedoraTree();
      const g = new MemoryGuest(spec.entries, [{ ...spec.root, version: { major, minor: 0 }, osinfo: 'fedora', root: '/dev/sda1', mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }] }]);
      await seal({ guest: g, hostname: 'web1' });
      // The fixture has PRETTY_HOSTNAME=golden-fed: rewritten on 39, left alone on 17.
      expect(g.text('/etc/machine-info'), `fedora ${major}`).toBe(want ? 'PRETTY_HOSTNAME=web1\n' : 'PRETTY_HOSTNAME=golden-fed\n');
      if (!want) expect(g.text('/etc/sysconfig/network')).toContain('HOSTNAME=web1');
    }
  });

  it("rewrites 127.0.1.1 whole on Debian only; elsewhere only the old name in it changes", async () => {
    const hosts = '127.0.0.1\tlocalhost\n127.0.1.1\tgolden-fed build-cache.lan\n';
    const fed = fedoraTree();
    const g = new MemoryGuest([...fed.entries, f('/etc/hosts', hosts)], [{ ...fed.root, osinfo: 'fedora39', root: '/dev/sda1', mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }] }]);
    await seal({ guest: g, hostname: 'web1' });
    expect(g.text('/etc/hosts')).toBe('127.0.0.1\tlocalhost\n127.0.1.1\tweb1 build-cache.lan\n');
    const deb = MemoryGuest.of(debianTree());
    await seal({ guest: deb, hostname: 'web1.example.com' });
    expect(deb.text('/etc/hosts')).toContain('127.0.1.1\tweb1.example.com web1\n');
  });

  it('warns when no random seed file can be refreshed', async () => {
    const spec = debianTree();
    const g = new MemoryGuest(spec.entries.filter((e) => !e.path.includes('random-seed') && !e.path.startsWith('/var/lib/urandom')), [{ ...spec.root, distro: 'archlinux', osinfo: 'archlinux', root: '/dev/sda1', mountpoints: [{ mountpoint: '/', device: '/dev/sda1' }] }]);
    const r = await seal({ guest: g, hostname: 'web1' });
    expect(r.operations.find((o) => o.name === 'customize')!.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/random seed/)]));
  });
});

describe('LUKS guests (issue 15.8)', () => {
  it('NO_OS_FOUND says encrypted volumes were found and to pass keys', async () => {
    class LuksGuest extends MemoryGuest {
      override listPartitions() {
        return ['/dev/sda1', '/dev/sda2'];
      }
      override vfsType(d?: string) {
        return d === '/dev/sda2' ? 'crypto_LUKS' : 'ext4';
      }
    }
    const e = await seal({ guest: new LuksGuest([], []) }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(VirtkitError);
    expect((e as VirtkitError).code).toBe('NO_OS_FOUND');
    expect((e as VirtkitError).message).toMatch(/encrypted \(LUKS\) volumes that were not opened \(\/dev\/sda2\); pass their passphrase in keys/);
    expect((e as VirtkitError).details).toEqual({ encrypted: ['/dev/sda2'] });
    // Without LUKS the message stays the plain one.
    const plain = await seal({ guest: new MemoryGuest([], []) }).then(() => undefined, (x: unknown) => x);
    expect((plain as VirtkitError).code).toBe('NO_OS_FOUND');
    expect((plain as VirtkitError).details).toBeUndefined();
  });
});
