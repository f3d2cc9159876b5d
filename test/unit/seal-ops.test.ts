// The seal engine against the in-memory guest double: every operation's effect, dry runs,
// refusals and customize, without an appliance launch.
import { describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { seal } from '../../src/seal/index.js';
import { verifySha512Crypt } from '../../src/crypt/index.js';
import { MemoryGuest, debianTree, fedoraTree, noOsTree, windowsTree } from '../fixtures/linux-trees.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VirtkitError);
    return (e as VirtkitError).code;
  }
  return 'resolved';
}

describe('seal (in-memory guest)', () => {
  it('dry run changes nothing and reports what would go', async () => {
    const g = MemoryGuest.of(debianTree(), true);
    const before = g.paths();
    const r = await seal({ guest: g, dryRun: true, hostname: 'web1', rootPassword: 'pw' });
    expect(g.paths()).toEqual(before);
    expect(g.calls).toEqual([]);
    const op = (n: string) => r.operations.find((o) => o.name === n)!;
    expect(op('logfiles').removed).toEqual(expect.arrayContaining(['/var/log/syslog', '/var/log/journal/0123456789abcdef0123456789abcdef', '/var/log/wtmp', '/var/log/apt/history.log']));
    expect(op('machine-id').changed).toEqual(['/etc/machine-id', '/var/lib/dbus/machine-id']);
    expect(op('customize').changed).toEqual(expect.arrayContaining(['/etc/hostname', '/etc/shadow', '/usr/lib/virtkit/firstboot.sh']));
    expect(r.dryRun).toBe(true);
  });

  it('seals a Debian-like guest', async () => {
    const g = MemoryGuest.of(debianTree());
    const r = await seal({
      guest: g, hostname: 'web1.example.com', rootPassword: 'correct horse',
      sshAuthorizedKeys: { u: ['ssh-ed25519 AAAAnew u@laptop'] }, timezone: 'Europe/Paris',
      firstbootCommands: ['echo hello > /root/first'], files: [{ write: '/etc/motd', content: 'sealed\n', mode: 0o644 }, { delete: '/srv/site' }],
    });
    const gone = (p: string) => expect(g.node(p), p).toBeUndefined();
    const kept = (p: string) => expect(g.node(p), p).toBeDefined();
    for (const p of ['/var/log/syslog', '/var/log/syslog.1', '/var/log/auth.log', '/var/log/wtmp', '/var/log/journal/0123456789abcdef0123456789abcdef',
      '/var/log/apt/history.log', '/var/log/installer/syslog', '/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ed25519_key.pub', '/root/.ssh',
      '/root/.bash_history', '/root/.zsh_history', '/home/u/.bash_history', '/var/lib/dhcp/dhclient.eth0.leases', '/tmp/x', '/tmp/.hidden', '/tmp/dir',
      '/var/tmp/y', '/etc/udev/rules.d/70-persistent-net.rules', '/etc/passwd-', '/etc/shadow-', '/etc/group-', '/etc/gshadow-',
      '/var/cache/apt/archives/curl_7.88_amd64.deb', '/var/cache/apt/archives/lock', '/var/spool/cron/crontabs/root', '/var/mail/u',
      '/etc/app.conf~', '/etc/app.conf.bak', '/srv/site', '/var/crash/core.1', '/var/spool/abrt/ccpp-1', '/etc/krb5.keytab',
      '/etc/lvm/devices/system.devices', '/var/log/account/pacct.0', '/var/lib/logrotate.status', '/var/cache/man/index.db']) gone(p);
    for (const p of ['/etc/ssh/sshd_config', '/etc/udev/rules.d/99-keep.rules', '/var/cache/apt/archives/partial', '/var/cache/apt/pkgcache.bin',
      '/var/spool/cron/crontabs', '/home/u/notes.txt', '/var/log/private', '/etc/app.conf', '/var/log/account/pacct']) kept(p);
    // machine-id emptied, not deleted, and never rewritten.
    expect(g.text('/etc/machine-id')).toBe('');
    expect(g.text('/var/lib/dbus/machine-id')).toBe('');
    expect(g.text('/etc/hostname')).toBe('web1.example.com\n');
    expect(g.text('/etc/hosts')).toContain('127.0.1.1\tweb1.example.com web1');
    expect(g.text('/etc/hosts')).not.toContain('golden-deb');
    const shadowRoot = g.text('/etc/shadow')!.split('\n')[0]!.split(':');
    expect(verifySha512Crypt('correct horse', shadowRoot[1]!)).toBe(true);
    expect(g.node('/etc/shadow')).toMatchObject({ mode: 0o640, gid: 42 });
    expect(g.text('/home/u/.ssh/authorized_keys')).toBe('ssh-ed25519 AAAAnew u@laptop\n');
    expect(g.node('/home/u/.ssh/authorized_keys')).toMatchObject({ mode: 0o600, uid: 1000, gid: 1000 });
    expect(g.node('/home/u/.ssh')).toMatchObject({ mode: 0o700, uid: 1000 });
    expect(g.node('/etc/localtime')).toMatchObject({ kind: 'link', target: '/usr/share/zoneinfo/Europe/Paris' });
    expect(g.text('/etc/timezone')).toBe('Europe/Paris\n');
    expect(g.text('/etc/motd')).toBe('sealed\n');
    expect(g.node('/usr/lib/virtkit/firstboot.sh')).toMatchObject({ mode: 0o755 });
    expect(g.text('/usr/lib/virtkit/firstboot.d/0001.sh')).toContain('echo hello > /root/first');
    expect(g.node('/etc/systemd/system/multi-user.target.wants/virtkit-firstboot.service')).toMatchObject({ kind: 'link', target: '/etc/systemd/system/virtkit-firstboot.service' });
    expect(g.node('/var/lib/systemd/random-seed')).toMatchObject({ kind: 'file' });
    expect((g.node('/var/lib/systemd/random-seed') as { data: Buffer }).data.equals(Buffer.alloc(512, 3))).toBe(false);
    // The report names what was removed, and never the password.
    expect(JSON.stringify(r)).not.toContain('correct horse');
    expect(r.operations.find((o) => o.name === 'ssh-hostkeys')!.removed).toHaveLength(6);
    expect(r.guest).toMatchObject({ distro: 'debian', hostname: 'golden-deb' });
  });

  it('a dry run reports exactly what a real run removes', async () => {
    const dry = await seal({ guest: MemoryGuest.of(debianTree(), true), dryRun: true, hostname: 'h' });
    const real = await seal({ guest: MemoryGuest.of(debianTree()), hostname: 'h' });
    const strip = (r: typeof dry) => r.operations.map(({ ms: _ms, ...o }) => ({ ...o, changed: o.changed.filter((p) => !p.includes('random-seed')) }));
    expect(strip(dry)).toEqual(strip(real));
  });

  it('seals a Fedora-like guest (Red Hat family operations)', async () => {
    const g = MemoryGuest.of(fedoraTree());
    await seal({ guest: g, hostname: 'db1' });
    expect(g.text('/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n');
    for (const p of ['/etc/NetworkManager/system-connections/eth0.nmconnection', '/var/lib/dhclient/dhclient-eth0.leases', '/var/lib/rpm/__db.001',
      '/var/cache/dnf/fedora-1234/packages/bash-5.2.rpm', '/var/cache/dnf/expired_repos.json', '/var/log/messages', '/var/log/audit/audit.log',
      '/root/anaconda-ks.cfg', '/var/run/utmp', '/var/run/faillock/u', '/var/spool/cron/root', '/var/spool/mail/u', '/var/log/anaconda/anaconda.log']) {
      expect(g.node(p), p).toBeUndefined();
    }
    expect(g.node('/var/cache/dnf/fedora-1234/packages')).toBeDefined();
    expect(g.node('/var/lib/rpm/rpmdb.sqlite')).toBeDefined();
    expect(g.text('/var/account/pacct')).toBe('');
    expect(g.text('/etc/hostname')).toBe('db1\n');
    expect(g.text('/etc/machine-info')).toBe('PRETTY_HOSTNAME=db1\n');
  });

  it('user-account removes users in UID_MIN..UID_MAX, keeps root and the kept ones', async () => {
    const g = MemoryGuest.of(debianTree());
    await seal({ guest: g, operations: 'user-account' });
    expect(g.text('/etc/passwd')).not.toMatch(/^u:/m);
    expect(g.text('/etc/passwd')).toMatch(/^root:/m);
    expect(g.text('/etc/shadow')).not.toMatch(/^u:/m);
    expect(g.node('/home/u')).toBeUndefined();
    const k = MemoryGuest.of(debianTree());
    await seal({ guest: k, operations: 'user-account', keepUserAccounts: ['u'] });
    expect(k.node('/home/u')).toBeDefined();
  });

  it('refuses before writing: no OS, Windows, bad customize input', async () => {
    const none = MemoryGuest.of(noOsTree());
    expect(await code(seal({ guest: none }))).toBe('NO_OS_FOUND');
    const win = MemoryGuest.of(windowsTree());
    await expect(seal({ guest: win })).rejects.toThrow(/sysprep \/generalize \/oobe \/shutdown/);
    expect(await code(seal({ guest: win }))).toBe('UNSUPPORTED_GUEST');
    for (const bad of [{ sshAuthorizedKeys: { nobody: ['ssh-rsa AAAA'] } }, { timezone: 'Mars/Olympus' }, { passwords: { ghost: 'x' } }]) {
      const g = MemoryGuest.of(debianTree());
      const before = g.paths();
      expect(await code(seal({ guest: g, ...bad }))).toBe('INVALID_ARGUMENT');
      expect(g.paths()).toEqual(before);
      expect(g.calls).toEqual([]);
    }
    expect(await code(seal({ guest: MemoryGuest.of(debianTree()), operations: 'defaults,nope' }))).toBe('UNKNOWN_OPERATION');
    expect(await code(seal({ guest: MemoryGuest.of(debianTree()), operations: 'logfiles', hostname: 'x' }))).toBe('INVALID_ARGUMENT');
    expect(await code(seal({ guest: MemoryGuest.of(debianTree()), hostname: 'bad name' }))).toBe('INVALID_ARGUMENT');
    await expect(seal({ guest: MemoryGuest.of(debianTree()), rootPassword: { password: 'topsecret', hash: '$6$x$y' } })).rejects.not.toThrow(/topsecret/);
  });

  it('reports progress and stops on abort', async () => {
    const steps: string[] = [];
    await seal({ guest: MemoryGuest.of(debianTree()), operations: 'machine-id,logfiles', onProgress: (p) => steps.push(`${p.step}:${p.operation ?? ''}:${p.done}/${p.total}`) });
    expect(steps).toEqual(['launch::0/4', 'inspect::1/4', 'operation:logfiles:2/4', 'operation:machine-id:3/4', 'done::4/4']);
    const ac = new AbortController();
    ac.abort();
    expect(await code(seal({ guest: MemoryGuest.of(debianTree()), signal: ac.signal }))).toBe('ABORTED');
  });
});
